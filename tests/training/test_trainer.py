import math
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.data.datasets import LMStream
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.trainer import StepOutput, Trainer, cpu_has_native_bf16, detach_state


class _Program:
    """A tiny LM program over a repeating pattern: learnable in a few steps."""

    def __init__(self):
        ids = torch.tensor([0, 1, 2, 3, 2, 1] * 60)
        self.stream = LMStream(ids, batch_size=4, bptt=8)
        self.valid = LMStream(ids[:120], batch_size=2, bptt=8)
        self.states_seen = []

    def batches(self, epoch):
        return self.stream

    def step(self, model, batch, state):
        self.states_seen.append(state)
        x, y = batch
        logits, state = model(x, state)
        return StepOutput(F.cross_entropy(logits.flatten(0, 1), y.flatten()), y.numel(), state)

    def evaluate(self, model, max_batches=None):
        total, n, state = 0.0, 0, None
        for i in range(len(self.valid)):
            x, y = self.valid[i]
            logits, state = model(x, state)
            total += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
            n += y.numel()
        return {"loss": total / n}


class _TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(4, 8)
        self.rnn = nn.LSTM(8, 16, batch_first=True)
        self.decoder = nn.Linear(16, 4)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x, state=None):
        out, state = self.rnn(self.dropout(self.embedding(x)), state)
        return self.decoder(out), state


def _config(**kw):
    base = dict(
        lr=0.05,
        warmup_steps=0,
        eval_every=1000,
        checkpoint_every=1000,
        log_every=5,
        amp=False,
        ema=None,
    )
    return TrainConfig(**{**base, **kw})


def test_loss_goes_down_and_max_steps_stops_exactly():
    torch.manual_seed(0)
    model, program = _TinyLM(), _Program()
    before = program.evaluate(model)["loss"]
    trainer = Trainer(model, _config(max_steps=40), program, progress=False)
    after = trainer.fit()["loss"]
    assert trainer.step == 40
    assert after < 0.5 * before


def test_state_is_carried_detached_and_reset_at_each_epoch():
    torch.manual_seed(0)
    program = _Program()
    steps = len(program.stream)
    Trainer(_TinyLM(), _config(epochs=2), program, progress=False).fit()
    seen = program.states_seen
    assert len(seen) == 2 * steps
    assert seen[0] is None and seen[steps] is None  # reset where the stream restarts
    assert all(s is not None and not s[0].requires_grad for s in seen[1:steps])


def test_detach_state_keeps_values_and_structure():
    h = torch.ones(1, 2, 3, requires_grad=True) * 2
    out = detach_state((h, h + 1))
    assert isinstance(out, tuple) and not out[0].requires_grad
    assert torch.equal(out[1], h + 1)
    assert detach_state(None) is None


def test_time_budget_stops_training():
    torch.manual_seed(0)
    trainer = Trainer(
        _TinyLM(), _config(time_budget=0.3, epochs=10_000), _Program(), progress=False
    )
    trainer.fit()
    assert 0 < trainer.step < 10_000 * len(_Program().stream)


class _SlowEval(_Program):
    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.evaluations = seconds, 0

    def evaluate(self, model, max_batches=None):
        self.evaluations += 1
        time.sleep(self.seconds)
        return super().evaluate(model, max_batches)


def test_training_time_and_so_the_budget_leave_evaluations_out():
    torch.manual_seed(0)
    program = _SlowEval(0.3)
    records = []
    trainer = Trainer(
        _TinyLM(),
        _config(max_steps=6, eval_every=2),
        program,
        progress=False,
        callbacks=[lambda event, _, record: event == "evaluate" and records.append(record)],
    )
    start = time.perf_counter()
    trainer.fit()
    wall = time.perf_counter() - start
    assert program.evaluations == 4  # after steps 2, 4 and 6, and the final full one
    assert wall > 0.9
    # from step 2 to the end: four tiny steps, not also the two 0.3 s evaluations
    assert records[-1]["elapsed"] - records[0]["elapsed"] < 0.3


def test_keep_best_weighs_the_steps_after_the_last_evaluation_too():
    torch.manual_seed(0)
    records = []
    trainer = Trainer(
        _TinyLM(),
        _config(max_steps=25, eval_every=10, keep_best=True),
        _Program(),
        progress=False,
        callbacks=[lambda event, _, record: event == "evaluate" and records.append(record)],
    )
    final = trainer.fit()
    assert [r["step"] for r in records] == [10, 20, 25, 25]  # 25: a slice, then the full one
    # training still improves the tiny model here, so step 25 is kept, not step 20
    assert records[2]["valid_loss"] < records[1]["valid_loss"]
    assert math.isclose(final["loss"], records[2]["valid_loss"], rel_tol=1e-6)


class _Drift(_Program):
    """Validation "loss" = how far the weights moved from where they started: every
    training step makes it worse, so the starting weights are the best ones."""

    def __init__(self, model):
        super().__init__()
        self.start = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def evaluate(self, model, max_batches=None):
        moved = sum(float((v - self.start[k]).pow(2).sum()) for k, v in model.state_dict().items())
        return {"loss": moved}


def test_eval_at_start_lets_keep_best_end_with_the_starting_weights():
    for eval_at_start in (True, False):
        torch.manual_seed(0)
        model = _TinyLM()
        program = _Drift(model)
        records = []
        trainer = Trainer(
            model,
            _config(max_steps=20, eval_every=5, keep_best=True, eval_at_start=eval_at_start),
            program,
            progress=False,
            callbacks=[
                lambda event, _, record, seen=records: event == "evaluate" and seen.append(record)
            ],
        )
        final = trainer.fit()
        if eval_at_start:
            assert records[0]["step"] == 0 and records[0]["valid_loss"] == 0.0
            assert final["loss"] == 0.0  # the weights it ends with are the starting ones
            for k, v in model.state_dict().items():
                assert torch.equal(v, program.start[k]), k
        else:
            assert records[0]["step"] == 5
            assert final["loss"] > 0.0  # the best it saw was after 5 steps


def test_the_closing_evaluation_reads_the_weights_kept_not_the_moving_average():
    torch.manual_seed(0)
    model = _TinyLM()
    program = _Drift(model)
    trainer = Trainer(
        model,
        _config(max_steps=20, eval_every=5, keep_best=True, eval_at_start=True, ema=0.9),
        program,
        progress=False,
    )
    final = trainer.fit()
    assert final["loss"] == program.evaluate(model)["loss"] == 0.0
    assert program.evaluate(trainer.ema.module)["loss"] > 0.0  # the average did move


def test_cosine_schedule_warms_up_then_decays_to_a_tenth():
    trainer = Trainer(_TinyLM(), _config(lr=1.0, warmup_steps=10), _Program(), progress=False)
    trainer.step = 0
    assert math.isclose(trainer.learning_rate(0.0), 0.1)
    trainer.step = 50
    assert math.isclose(trainer.learning_rate(0.0), 1.0)
    assert math.isclose(trainer.learning_rate(1.0), 0.1)


class _Interrupt(_Program):
    def __init__(self, at_call):
        super().__init__()
        self.at_call = at_call

    def step(self, model, batch, state):
        if len(self.states_seen) == self.at_call:
            raise KeyboardInterrupt  # as Ctrl-C would, between two steps
        return super().step(model, batch, state)


def test_interrupted_then_resumed_gives_the_same_weights_bit_for_bit(tmp_path):
    def run(program, run_dir, resume=False):
        torch.manual_seed(0)
        model = _TinyLM()
        cfg = _config(max_steps=30, checkpoint_every=1000)
        trainer = Trainer(model, cfg, program, run=RunDirectory(run_dir), progress=False)
        if resume:
            trainer.resume(RunDirectory(run_dir))
        trainer.fit()
        return model, trainer

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight, _ = run(_Program(), tmp_path / "a")
    try:
        run(_Interrupt(at_call=13), tmp_path / "b")
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt did not propagate")
    assert RunDirectory(tmp_path / "b").load_trainer_state()["step"] == 13
    resumed, trainer = run(_Program(), tmp_path / "b", resume=True)
    assert trainer.step == 30
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters()):
        assert torch.equal(p, q), name


class _Regression:
    """Batches of a linear regression; no recurrent state."""

    def __init__(self, batches, valid_losses=None):
        self._batches = batches
        self.valid_losses = list(valid_losses or [])
        self.evaluations = 0

    def batches(self, epoch):
        return self._batches

    def step(self, model, batch, state):
        x, y = batch
        return StepOutput(F.mse_loss(model(x), y), y.numel(), None)

    def evaluate(self, model, max_batches=None):
        self.evaluations += 1
        if self.valid_losses:
            return {"loss": self.valid_losses.pop(0)}
        x, y = self._batches[0]
        return {"loss": F.mse_loss(model(x), y).item()}


def test_gradient_accumulation_equals_one_big_batch():
    torch.manual_seed(0)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    small = [(x[:4], y[:4]), (x[4:], y[4:])]
    cfg = dict(optimizer="sgd", lr=0.1, schedule="constant", max_steps=1, clip_grad_norm=None)
    a, b = nn.Linear(3, 1), nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    Trainer(a, _config(grad_accumulation=2, **cfg), _Regression(small), progress=False).fit()
    Trainer(b, _config(**cfg), _Regression([(x, y)]), progress=False).fit()
    torch.testing.assert_close(a.weight, b.weight)
    torch.testing.assert_close(a.bias, b.bias)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    torch.manual_seed(0)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    model = nn.Linear(3, 1)
    snapshots = []

    def remember(event, trainer, record):
        if event == "evaluate":
            snapshots.append({k: v.clone() for k, v in model.state_dict().items()})

    program = _Regression([(x, y)], valid_losses=[3.0, 1.0, 2.0, 2.5, 2.6, 9.0, 9.0])
    cfg = _config(eval_every=1, early_stopping=3, max_steps=100, schedule="constant")
    trainer = Trainer(model, cfg, program, callbacks=[remember], progress=False)
    trainer.fit()
    assert trainer.stop_reason == "early_stopping"
    assert trainer.step == 5  # best at eval 2; evals 3, 4, 5 do not improve
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[1][k]), k


def test_under_a_budget_alone_early_stopping_waits_a_fifth_of_it_after_the_best():
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    seen = []
    program = _Regression([(x, y)], valid_losses=[3.0, 1.0] + [2.0] * 100_000)
    cfg = _config(eval_every=1, early_stopping=3, time_budget=1.0, schedule="constant")
    assert cfg.epochs is None and cfg.max_steps is None  # the budget plans the run
    trainer = Trainer(nn.Linear(3, 1), cfg, program, progress=False,
                      callbacks=[lambda e, t, r: e == "evaluate" and seen.append(r)])  # fmt: skip
    trainer.fit()
    assert trainer.stop_reason == "early_stopping"
    assert trainer.bad_evals > 3  # three evaluations were not enough ...
    stopped = [r["elapsed"] for r in seen if not r["full"]][-1]
    assert stopped - seen[1]["elapsed"] >= 0.19  # ... a fifth of the budget was (2-digit records)


def test_min_steps_gives_a_small_data_set_more_epochs_than_its_count():
    batches = [(torch.randn(4, 3), torch.randn(4, 1))] * 4  # 4 steps an epoch
    trainer = Trainer(nn.Linear(3, 1), _config(epochs=2, min_steps=10), _Regression(batches),
                      progress=False)  # fmt: skip
    trainer.fit()
    assert trainer.stop_reason == "epochs" and trainer.step == 10 and trainer.epoch == 2
    assert trainer._progress_fraction(0.0) == 1.0  # the schedule spanned the 10 steps
    big = Trainer(nn.Linear(3, 1), _config(epochs=2, min_steps=3), _Regression(batches),
                  progress=False)  # fmt: skip
    big.fit()
    assert big.step == 8  # more than min_steps already: the epochs decide


def test_plateau_schedule_cuts_the_rate_after_patience():
    program = _Regression([(torch.randn(4, 3), torch.randn(4, 1))], [1.0, 2.0, 2.0, 2.0, 2.0])
    cfg = _config(
        lr=1.0, schedule="plateau", plateau_patience=2, gamma=0.5, eval_every=1, max_steps=6
    )  # evaluations at steps 1-5; step 6 ends with the final one
    trainer = Trainer(nn.Linear(3, 1), cfg, program, progress=False)
    trainer.fit()
    assert trainer.lr_scale == 0.25  # four evaluations without improvement, two cuts


def test_step_schedule_multiplies_by_gamma_every_step_size():
    trainer = Trainer(
        _TinyLM(),
        _config(lr=1.0, schedule="step", step_size=10, gamma=0.5),
        _Program(),
        progress=False,
    )
    trainer.step = 25
    assert trainer.learning_rate(0.5) == 0.25


def test_metric_not_reported_by_the_task_is_a_config_error():
    import pytest

    from rnnkit.errors import ConfigError

    program = _Regression([(torch.randn(4, 3), torch.randn(4, 1))])
    cfg = _config(metric="accuracy", eval_every=1, max_steps=3)
    with pytest.raises(ConfigError, match="train.metric 'accuracy' is not among"):
        Trainer(nn.Linear(3, 1), cfg, program, progress=False).fit()


def test_amp_on_a_cpu_without_native_bf16_warns_and_trains_in_float32(monkeypatch):
    from rnnkit.training import trainer as trainer_module

    torch.manual_seed(0)
    monkeypatch.setattr(trainer_module, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="native bfloat16"):
        trainer = Trainer(_TinyLM(), _config(amp=True, max_steps=2), _Program(), progress=False)
    assert trainer.amp_dtype is None


@pytest.mark.skipif(
    not cpu_has_native_bf16(),
    reason="oneDNN's bf16 LSTM needs AVX512-BF16 or AMX (torch.nn.LSTM fails without them)",
)
def test_amp_on_a_cpu_with_native_bf16_trains_under_autocast_in_float32_weights():
    torch.manual_seed(0)
    trainer = Trainer(_TinyLM(), _config(amp=True, max_steps=20), _Program(), progress=False)
    assert trainer.amp_dtype == torch.bfloat16
    seen = []
    model = trainer.model
    model.decoder.register_forward_hook(lambda m, args, out: seen.append(out.dtype))
    before = _Program().evaluate(model)["loss"]
    trainer.fit()
    assert torch.bfloat16 in seen  # the forward ran under autocast
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the weights did not
    assert trainer.last_metrics["loss"] < before


def test_ema_evaluates_and_keeps_the_moving_average_of_the_weights(tmp_path):
    torch.manual_seed(0)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    model, raw = nn.Linear(3, 1), nn.Linear(3, 1)
    raw.load_state_dict(model.state_dict())
    decay = 0.3  # below (1 + n) / (10 + n) from the fourth update on: both regimes
    cfg = dict(optimizer="sgd", lr=0.05, schedule="constant", max_steps=6, clip_grad_norm=None)
    evaluated = []

    def remember(event, trainer, record):
        if event == "evaluate":
            evaluated.append(trainer.eval_model.weight.detach().clone())

    run = RunDirectory(tmp_path)
    trainer = Trainer(
        model,
        _config(ema=decay, eval_every=3, **cfg),
        _Regression([(x, y)]),
        run=run,
        callbacks=[remember],
        progress=False,
    )
    trainer.fit()
    # the same SGD steps without averaging, and the average worked out by hand
    opt = torch.optim.SGD(raw.parameters(), lr=0.05, momentum=0.9)
    average = raw.weight.detach().clone()  # the first step's weights start the average
    for step in range(6):
        opt.zero_grad()
        F.mse_loss(raw(x), y).backward()
        opt.step()
        now = raw.weight.detach().clone()
        d = min(decay, (1 + step) / (10 + step))  # warmed up: n = step updates so far
        average = now if step == 0 else d * average + (1 - d) * now
    torch.testing.assert_close(model.weight, average)  # the run ends with the average
    assert not torch.allclose(average, raw.weight)  # which is not the last weights
    torch.testing.assert_close(evaluated[-1], average)  # and the average is what is evaluated
    assert len(evaluated) == 3  # steps 3 and 6, and the final full one
    saved = nn.Linear(3, 1)
    run.load_weights(saved)
    torch.testing.assert_close(saved.weight, average)


def test_ema_resumes_exactly(tmp_path):
    import pytest

    def run(program, run_dir, resume=False):
        torch.manual_seed(0)
        model = _TinyLM()
        cfg = _config(max_steps=30, checkpoint_every=1000, ema=0.9)
        trainer = Trainer(model, cfg, program, run=RunDirectory(run_dir), progress=False)
        if resume:
            trainer.resume(RunDirectory(run_dir))
        trainer.fit()
        return model

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight = run(_Program(), tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        run(_Interrupt(at_call=13), tmp_path / "b")
    resumed = run(_Program(), tmp_path / "b", resume=True)
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters()):
        assert torch.equal(p, q), name


def test_same_seed_same_weights_other_seed_other_weights():
    from rnnkit.training.trainer import seed_everything

    def train(seed):
        seed_everything(seed)
        model = _TinyLM()
        Trainer(model, _config(max_steps=5), _Program(), progress=False).fit()
        return model.decoder.weight.detach().clone()

    assert torch.equal(train(1), train(1))
    assert not torch.equal(train(1), train(2))


def test_a_resumed_time_budget_counts_the_seconds_already_trained():
    """The README's promise: the budget counts the seconds of both runs together."""
    torch.manual_seed(0)
    first = Trainer(_TinyLM(), _config(time_budget=30.0, max_steps=3), _Program(), progress=False)
    first.fit()
    # as if the whole budget were trained before the stop (29.999 s left 1 ms, in which a
    # tiny step can run twice: the test failed now and then)
    state = first.state_dict(elapsed=30.0)
    second = Trainer(
        _TinyLM(), _config(time_budget=30.0, epochs=10_000), _Program(), progress=False
    )
    second.load_state_dict(state)
    second.fit()
    assert second.stop_reason == "time_budget" and second.step <= 4  # a step at most, not 30 s


def test_mixed_precision_by_default_for_lm_only_and_silently_float32_without_bf16(monkeypatch):
    """README: ``lm`` uses bf16 autocast by default where the hardware has it, the other
    tasks only when asked; the default (auto) stays in float32 without a warning
    where the CPU has no native bf16."""
    import warnings

    from rnnkit.tasks.base import get_task
    from rnnkit.training import trainer as trainer_module

    assert get_task("lm").Config().train.amp is None  # auto
    for name in ("classify", "tag", "forecast", "seq2seq"):
        assert get_task(name).Config().train.amp is False, name
    monkeypatch.setattr(trainer_module, "cpu_has_native_bf16", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer = Trainer(_TinyLM(), _config(amp=None, max_steps=2), _Program(), progress=False)
    assert trainer.amp_dtype is None
    monkeypatch.setattr(trainer_module, "cpu_has_native_bf16", lambda: True)
    trainer = Trainer(_TinyLM(), _config(amp=None, max_steps=2), _Program(), progress=False)
    assert trainer.amp_dtype == torch.bfloat16
