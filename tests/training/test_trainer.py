import math

import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.data.datasets import LMStream
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.trainer import StepOutput, Trainer, detach_state


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
    base = dict(lr=0.05, warmup_steps=0, eval_every=1000, checkpoint_every=1000, log_every=5)
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
