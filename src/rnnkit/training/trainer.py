"""The training loop. It knows nothing about tasks.

A task hands the :class:`Trainer` a :class:`TrainingProgram`: the batches of an
epoch, the loss of one batch, and an evaluation. The trainer owns everything
else: optimiser, learning-rate schedule, clipping, gradient accumulation,
truncated BPTT state, stopping rules, early stopping, progress, checkpoints,
exact resume, mixed precision and data parallelism.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel
from tqdm.auto import tqdm

from rnnkit.config import TrainConfig
from rnnkit.errors import CheckpointError, ConfigError
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo, all_agree

__all__ = [
    "Trainer",
    "TrainingProgram",
    "StepOutput",
    "cpu_has_native_bf16",
    "detach_state",
    "resolve_device",
    "seed_everything",
]

State = Any  # None, a Tensor, or a tuple of Tensors (h, c)
#: Under a time budget that plans the run, early stopping also waits this share of the
#: budget after the best evaluation.
BUDGET_PATIENCE = 0.2
Callback = Callable[[str, "Trainer", dict], None]


@dataclass
class StepOutput:
    """What a program's ``step`` returns for one batch.

    ``loss`` is the mean over ``tokens`` predictions; ``state`` is the recurrent
    state to carry into the next batch (truncated BPTT), or None.
    """

    loss: Tensor
    tokens: int
    state: State = None


class TrainingProgram(Protocol):
    """What a task gives the trainer."""

    def batches(self, epoch: int) -> Sequence[Any]:
        """The batches of one epoch, in order; the same for the same epoch (for resume)."""

    def step(self, model: nn.Module, batch: Any, state: State) -> StepOutput:
        """Forward one batch (in train mode) and return its loss."""

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        """Validation metrics, with at least ``loss``; the model is in eval mode."""


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX).

    There, bf16 autocast runs oneDNN's LSTM and linear kernels faster than
    float32: the default char-LSTM trains about 1.5x the steps in the same time
    (docs/lm.md). Elsewhere bf16 is emulated and slower, so ``amp`` falls back to
    float32.
    """
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def ema_update(decay: float) -> Callable:
    """The moving-average update of :class:`~torch.optim.swa_utils.AveragedModel`
    with the decay warmed up, ``min(decay, (1 + n) / (10 + n))`` after n updates
    (as TensorFlow's ``ExponentialMovingAverage`` with ``num_updates``): without it
    the random initial weights linger in the average for thousands of steps
    (0.998 ** 1000 = 0.14)."""

    @torch.no_grad()
    def update(averaged: list[Tensor], current: list[Tensor], num_averaged: Tensor) -> None:
        n = num_averaged.double()  # on the parameters' device: no sync in the training step
        weight = 1.0 - ((1 + n) / (10 + n)).clamp(max=decay)
        for a, c in zip(averaged, current, strict=True):
            a.lerp_(c, weight.to(a.dtype))

    return update


@contextlib.contextmanager
def deferred_interrupt():
    """Turn Ctrl-C into a request the training loop answers between two steps.

    Python raises ``KeyboardInterrupt`` at whatever line runs when SIGINT arrives;
    inside a finaliser or a callback it is printed and dropped, and training goes
    on. Here the first SIGINT only sets a flag (the loop checks it after each step,
    saves and raises ``KeyboardInterrupt`` itself); a second one raises at once.
    Outside the main thread, or when someone else handles SIGINT, nothing changes.

    Yields:
        a function returning True once Ctrl-C was pressed.
    """
    requested = False

    def handler(signum, frame) -> None:
        nonlocal requested
        if requested:
            raise KeyboardInterrupt
        requested = True

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGINT, previous)


def detach_state(state: State) -> State:
    """Cut the graph between two BPTT windows, keeping the values.

    The state leaving batch ``i`` starts batch ``i + 1``; without the cut, the
    backward pass of batch ``i + 1`` would run back through every earlier batch.
    (pytorch/examples calls this ``repackage_hidden``.)
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu."""
    mps = getattr(torch.backends, "mps", None)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available")
    if name == "mps" and not (mps is not None and mps.is_available()):
        raise ConfigError("--device mps: no MPS device is available")
    return torch.device(name)


def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seed python and torch (CPU and CUDA); optionally demand deterministic kernels."""
    random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False


class Trainer:
    """Trains ``model`` on a task's :class:`TrainingProgram`.

    Args:
        model: any nn.Module; the program knows how to call it.
        config: optimiser, schedule and stopping rules.
        program: batches, loss and evaluation of the task.
        run: where checkpoints and metrics go; None trains in memory only.
        callbacks: called as ``callback(event, trainer, record)`` for the events
            ``"log"`` (every ``log_every`` steps), ``"evaluate"``, ``"checkpoint"``,
            ``"step_end"`` (after each step, its evaluation and checkpoint: raising
            ``KeyboardInterrupt`` there stops the run as Ctrl-C does) and ``"end"``.
        progress: show a tqdm bar and a summary line per evaluation on stderr
            (the bar only when stderr is a terminal).
        dist: this process's place in a data-parallel group (see
            :mod:`rnnkit.training.distributed`); the model is wrapped in DDP.
        higher_is_better: the validation metrics where higher is better (the task
            says which); every other metric is minimised.

    The run directory keeps apart what training continues from (``checkpoint/``: the
    raw weights, optimiser, moving average, best weights so far, data position, RNG)
    and the weights predictions use (``model.safetensors``: the moving average or the
    best evaluated weights), so that a resumed run continues exactly.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        program: TrainingProgram,
        *,
        run: RunDirectory | None = None,
        callbacks: Sequence[Callback] = (),
        progress: bool = True,
        dist: DistInfo | None = None,
        higher_is_better: Collection[str] = (),
    ) -> None:
        self.model = model
        self.higher_is_better = frozenset(higher_is_better)
        self.config = config
        self.program = program
        self.dist = dist or DistInfo()
        self.run = run if self.dist.is_main else None  # rank 0 writes, the others train
        self.callbacks = list(callbacks)
        self.progress = progress and self.dist.is_main
        self.device = next(model.parameters()).device
        self.train_model = self._wrap(model)
        self.optimizer = self._make_optimizer()
        self.amp_dtype, self.scaler = self._amp()
        self.ema = self._make_ema()
        self.step = 0  # optimiser steps
        self.epoch = 0
        self.position = 0  # next batch within the epoch
        self.elapsed = 0.0  # training seconds before this process (resume)
        self.state: State = None  # carried recurrent state (truncated BPTT)
        self.lr_scale = 1.0  # "plateau" cuts
        self.best: float | None = None
        self._evaluated_step: int | None = None  # the step of the last evaluation
        self._best_weights: dict[str, Tensor] | None = None
        self.bad_evals = 0  # evaluations since the best (early stopping and plateau)
        self.best_elapsed = 0.0  # training seconds at the best evaluation
        self.last_metrics: dict[str, float] = {}
        self.stop_reason = ""

    # -- setup ------------------------------------------------------------------------------
    def _wrap(self, model: nn.Module) -> nn.Module:
        if not self.dist.enabled:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        params = [p for p in self.model.parameters() if p.requires_grad]
        # The fused kernel updates every tensor in one pass: on a CPU it makes Adam's
        # step about 3.6 times faster than the per-tensor loop (a 65,536-row n-gram
        # table is 13 MB of weights and 26 MB of moments, touched on every step).
        fused = self.device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in params)
        if c.optimizer == "adamw":
            return torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay, fused=fused)
        if c.optimizer == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay, fused=fused)
        return torch.optim.SGD(params, lr=c.lr, momentum=0.9, weight_decay=c.weight_decay)

    def _make_ema(self) -> AveragedModel | None:
        """The moving average of the weights (Polyak averaging), evaluated and kept."""
        if not self.config.ema:
            return None
        return AveragedModel(self.model, multi_avg_fn=ema_update(self.config.ema))

    @property
    def eval_model(self) -> nn.Module:
        """The weights that are evaluated and kept: the moving average, when there is one."""
        return self.ema.module if self.ema is not None else self.model

    def _amp(self) -> tuple[torch.dtype | None, torch.amp.GradScaler | None]:
        """bf16 autocast where the hardware multiplies bf16 natively; ``amp=True`` also
        takes fp16 with a grad scaler on older GPUs and warns where neither exists;
        ``amp=None`` ("auto") stays in float32 there without a word."""
        amp = self.config.amp
        if amp is False:
            return None, None
        if self.device.type == "cuda":
            if torch.cuda.is_bf16_supported():
                return torch.bfloat16, None
            if amp:
                return torch.float16, torch.amp.GradScaler("cuda")
            return None, None
        if self.device.type == "cpu" and cpu_has_native_bf16():
            return torch.bfloat16, None
        if amp:
            warnings.warn(
                f"--amp needs CUDA or a CPU with native bfloat16 (AVX512-BF16 or AMX); "
                f"training on {self.device.type} in float32",
                stacklevel=3,
            )
        return None, None

    def _limits(self) -> tuple[int | None, int | None, float | None]:
        c = self.config
        epochs = c.epochs
        if c.epochs is None and c.max_steps is None and c.time_budget is None:
            epochs = 1
        return epochs, c.max_steps, c.time_budget

    def steps_per_epoch(self) -> int:
        return -(-len(self.program.batches(self.epoch)) // self.config.grad_accumulation)

    def _progress_fraction(self, elapsed: float) -> float:
        """How far training is, in [0, 1], by the tightest of the limits."""
        epochs, max_steps, budget = self._limits()
        fractions = []
        if max_steps:
            fractions.append(self.step / max_steps)
        if epochs:
            planned = max(epochs * self.steps_per_epoch(), self.config.min_steps or 0)
            fractions.append(self.step / planned)
        if budget:
            fractions.append(elapsed / budget)
        return min(1.0, max(fractions)) if fractions else 0.0

    def learning_rate(self, progress: float) -> float:
        """Linear warmup over ``warmup_steps``, then the schedule:

        constant; cosine from lr to ``lr * min_lr_ratio`` over the run (the run's
        length is its tightest limit: steps, epochs or time); step (times ``gamma``
        every ``step_size`` steps); plateau (times ``gamma`` after
        ``plateau_patience`` evaluations without improvement).
        """
        c = self.config
        lr = c.lr
        if c.warmup_steps and self.step < c.warmup_steps:
            lr *= (self.step + 1) / c.warmup_steps
        if c.schedule == "cosine":
            lr *= c.min_lr_ratio + (1 - c.min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
        elif c.schedule == "step":
            lr *= c.gamma ** (self.step // c.step_size)
        elif c.schedule == "plateau":
            lr *= self.lr_scale
        return lr

    # -- checkpoint -------------------------------------------------------------------------
    def state_dict(self, elapsed: float) -> dict[str, Any]:
        state = self.state
        carried = [] if state is None else [state] if isinstance(state, Tensor) else list(state)
        return {
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
            "ema": self.ema.state_dict() if self.ema is not None else {},
            "step": self.step,
            "epoch": self.epoch,
            "position": self.position,
            "elapsed": elapsed,
            "lr_scale": self.lr_scale,
            "best": self.best,
            "bad_evals": self.bad_evals,
            "best_elapsed": self.best_elapsed,
            "carried_state": [t.detach().cpu() for t in carried],
            "carried_is_tuple": state is not None and not isinstance(state, Tensor),
            "rng_torch": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "rng_python": _python_rng_to_list(random.getstate()),
        }

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        try:
            self.optimizer.load_state_dict(sd["optimizer"])
            if self.scaler is not None and sd["scaler"]:
                self.scaler.load_state_dict(sd["scaler"])
            if self.ema is not None and sd.get("ema"):
                self.ema.load_state_dict(sd["ema"])
            self.step, self.epoch, self.position = sd["step"], sd["epoch"], sd["position"]
            self.elapsed = float(sd["elapsed"])
            self.lr_scale, self.best, self.bad_evals = sd["lr_scale"], sd["best"], sd["bad_evals"]
            self.best_elapsed = float(sd.get("best_elapsed", 0.0))  # older checkpoints: 0
            carried = [t.to(self.device) for t in sd["carried_state"]]
            if not carried:
                self.state = None
            else:
                self.state = tuple(carried) if sd["carried_is_tuple"] else carried[0]
            torch.set_rng_state(sd["rng_torch"])
            if sd["rng_cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(sd["rng_cuda"])
            random.setstate(_python_rng_from_list(sd["rng_python"]))
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"trainer state does not fit this run ({e})") from None

    def save_checkpoint(self, elapsed: float) -> None:
        """Write the checkpoint unit (raw weights, trainer state, best weights so far),
        then the weights predictions use."""
        if self.run is None:
            return
        self.run.save_checkpoint(
            self.step, self.model.state_dict(), self.state_dict(elapsed), self._best_weights
        )
        self.run.save_weights(self._best_weights or self.eval_model.state_dict())
        self._emit("checkpoint", {"step": self.step})

    def resume(self, run: RunDirectory) -> None:
        """Continue from ``run``'s last whole checkpoint (every rank reads it)."""
        if self.dist.is_main:
            run.remove_stale_temporaries()  # left by a writer killed mid-write
        state, best = run.load_checkpoint(self.model, device=self.device)
        self.load_state_dict(state)
        if best is not None:
            from rnnkit.training.checkpoint import load_weights_file

            holder = copy.deepcopy(self.eval_model)
            load_weights_file(holder, best, self.device)
            self._best_weights = holder.state_dict()

    # -- evaluation -------------------------------------------------------------------------
    def _emit(self, event: str, record: dict) -> None:
        for callback in self.callbacks:
            callback(event, self, record)

    def evaluate(
        self,
        max_batches: int | None,
        elapsed: float,
        train_loss: float | None,
        model: nn.Module | None = None,
    ) -> dict:
        model = self.eval_model if model is None else model
        model.eval()
        with torch.no_grad(), self._autocast():
            metrics = self.program.evaluate(model, max_batches=max_batches)
        model.train()
        self._evaluated_step = self.step
        record = {
            "step": self.step,
            "epoch": self.epoch,
            "elapsed": round(elapsed, 2),
            "lr": self.optimizer.param_groups[0]["lr"],
            "train_loss": train_loss,
            **{f"valid_{k}": v for k, v in metrics.items()},
            "full": max_batches is None,
        }
        if self.run is not None:
            self.run.append_metrics(record)
        self.last_metrics = metrics
        self._emit("evaluate", record)
        return metrics

    def _metric_of(self, metrics: dict) -> float:
        """``train.metric`` in ``metrics``; a name the task does not report is refused."""
        if self.config.metric not in metrics:
            raise ConfigError(
                f"train.metric {self.config.metric!r} is not among the validation metrics "
                f"({', '.join(sorted(metrics))})"
            )
        return float(metrics[self.config.metric])

    def _track_best(self, metrics: dict, elapsed: float) -> bool:
        """Update the best score; returns True when training should stop early:
        ``early_stopping`` evaluations without improvement and, when a time budget is
        the only limit (it plans the run), also a fifth of the budget since the best,
        so that a run does not stop early in its budget on a noisy metric."""
        c = self.config
        value = self._metric_of(metrics)
        if self._better(value, self.best):
            self.best, self.bad_evals, self.best_elapsed = value, 0, elapsed
            if c.keep_best or c.early_stopping:
                self._best_weights = copy.deepcopy(self.eval_model.state_dict())
            return False
        self.bad_evals += 1
        if c.schedule == "plateau" and self.bad_evals % c.plateau_patience == 0:
            self.lr_scale *= c.gamma
        if not (c.early_stopping and self.bad_evals >= c.early_stopping):
            return False
        planned = c.time_budget is not None and c.epochs is None and c.max_steps is None
        return not planned or elapsed - self.best_elapsed >= BUDGET_PATIENCE * c.time_budget

    def _better(self, value: float, than: float | None) -> bool:
        sign = -1.0 if self.config.metric in self.higher_is_better else 1.0
        return than is None or sign * value < sign * than

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    # -- the loop ---------------------------------------------------------------------------
    def _train_step(self, batches: Sequence[Any]) -> tuple[float, int]:
        """One optimiser step over ``grad_accumulation`` batches; returns (loss sum, tokens)."""
        c = self.config
        self.optimizer.zero_grad(set_to_none=True)
        n = min(c.grad_accumulation, len(batches) - self.position)
        loss_sum, tokens = 0.0, 0
        for i in range(n):
            sync = i == n - 1 or not self.dist.enabled
            ctx = contextlib.nullcontext() if sync else self.train_model.no_sync()
            with ctx:
                with self._autocast():
                    out = self.program.step(self.train_model, batches[self.position], self.state)
                loss = out.loss / n
                (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
            self.state = detach_state(out.state)
            self.position += 1
            loss_sum += out.loss.item() * out.tokens
            tokens += out.tokens
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if c.clip_grad_norm:
            nn.utils.clip_grad_norm_(self.model.parameters(), c.clip_grad_norm)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.step += 1
        return loss_sum, tokens

    def _at_limit(self, elapsed: float) -> str:
        """The limit reached (``"max_steps"``, ``"time_budget"``, ``"epochs"``), or ""."""
        epochs, max_steps, budget = self._limits()
        if max_steps and self.step >= max_steps:
            return "max_steps"
        if budget and elapsed >= budget:
            return "time_budget"
        if epochs and self.epoch >= epochs and self.step >= (self.config.min_steps or 0):
            return "epochs"
        return ""

    def fit(self) -> dict[str, float]:
        """Train until a limit is reached, then choose the weights predictions use and
        evaluate them on the whole validation data.

        Returns the final validation metrics. On Ctrl-C the step under way is
        finished with its evaluation and checkpoint, then ``KeyboardInterrupt``
        propagates (:func:`deferred_interrupt`). A resumed run that is already at
        its limit trains no step.
        """
        c = self.config
        self.model.train()
        steps_per_epoch = self.steps_per_epoch()
        if steps_per_epoch == 0:
            raise ConfigError("the training data give no batch")
        epochs, max_steps, budget = self._limits()
        totals = [t for t in (max_steps, epochs and epochs * steps_per_epoch) if t]
        start = time.perf_counter() - self.elapsed
        self.stop_reason = self._at_limit(self.elapsed)
        if self.stop_reason and self.step > 0 and self.progress:
            tqdm.write(
                f"the run is at its limit ({self.stop_reason}, step {self.step}): no step "
                "trained; raise the limit to train on",
                file=sys.stderr,
            )
        bar = tqdm(
            total=min(totals) if totals else None,
            initial=self.step,
            desc="train",
            unit="step",
            disable=None if self.progress else True,  # None: off when stderr is not a TTY
            file=sys.stderr,
            dynamic_ncols=True,
        )
        window_loss, window_tokens, window_start = 0.0, 0, time.perf_counter()
        train_loss: float | None = None
        if c.eval_at_start and self.step == 0 and not self.stop_reason:
            # the starting weights compete for keep-best (when they are a fitted model)
            paused = time.perf_counter()
            metrics = self.evaluate(c.eval_max_batches, 0.0, None)
            if self.progress:
                bar.write(_summary(0, None, metrics), file=sys.stderr)
            self._track_best(metrics, 0.0)
            start += time.perf_counter() - paused
        guard = contextlib.ExitStack()  # Ctrl-C answered between two steps
        interrupted = guard.enter_context(deferred_interrupt())
        try:
            while not self.stop_reason:
                batches = self.program.batches(self.epoch)
                if self.position >= len(batches):  # the epoch is done
                    self.epoch += 1
                    self.position = 0
                    self.stop_reason = self._at_limit(time.perf_counter() - start)
                    continue
                if self.position == 0:
                    self.state = None  # the stream restarts: no state to carry
                lr = self.learning_rate(self._progress_fraction(time.perf_counter() - start))
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                loss_sum, tokens = self._train_step(batches)
                window_loss += loss_sum
                window_tokens += tokens
                bar.update(1)
                elapsed = time.perf_counter() - start
                if self.step % c.log_every == 0 or self.step == 1:
                    now = time.perf_counter()
                    train_loss = window_loss / max(window_tokens, 1)
                    rate = window_tokens * self.dist.world_size / max(now - window_start, 1e-9)
                    postfix = {"loss": f"{train_loss:.3f}", "tok/s": f"{rate:,.0f}"}
                    if c.metric in self.last_metrics:
                        postfix[f"valid_{c.metric}"] = f"{self.last_metrics[c.metric]:.3f}"
                    bar.set_postfix(postfix)
                    self._emit(
                        "log",
                        {"step": self.step, "loss": train_loss, "lr": lr, "tokens_per_s": rate},
                    )
                    window_loss, window_tokens, window_start = 0.0, 0, now
                if self.position >= len(batches):
                    self.epoch += 1
                    self.position = 0
                if self.step % c.eval_every == 0:
                    paused = time.perf_counter()
                    metrics = self.evaluate(c.eval_max_batches, elapsed, train_loss)
                    if self.progress:
                        bar.write(_summary(self.step, train_loss, metrics), file=sys.stderr)
                    if all_agree(self._track_best(metrics, elapsed), self.dist):
                        self.stop_reason = "early_stopping"
                    start += time.perf_counter() - paused  # the budget counts training only
                limit = self._at_limit(elapsed)
                if all_agree(bool(limit), self.dist):
                    self.stop_reason = self.stop_reason or limit or "another rank's limit"
                if self.stop_reason:
                    break  # the closing checkpoint follows
                if self.step % c.checkpoint_every == 0:
                    paused = time.perf_counter()
                    self.save_checkpoint(elapsed)
                    start += time.perf_counter() - paused
                self._emit("step_end", {"step": self.step})
                if interrupted():
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            bar.close()
            self.save_checkpoint(time.perf_counter() - start)
            raise
        finally:
            guard.close()
        bar.close()
        elapsed = time.perf_counter() - start
        self.save_checkpoint(elapsed)  # what a --resume continues from
        self._final_weights(elapsed, train_loss)
        metrics = self.evaluate(None, elapsed, train_loss, model=self.model)  # the kept weights
        self._metric_of(metrics)  # also when no evaluation ran before this one
        if self.progress:
            tqdm.write(_summary(self.step, train_loss, metrics, final=True), file=sys.stderr)
        self._emit("end", {"step": self.step, "stop_reason": self.stop_reason, **metrics})
        return metrics

    def _final_weights(self, elapsed: float, train_loss: float | None) -> None:
        """Load the weights predictions use into the model and save them as model.safetensors:
        the best evaluated ones (keep-best, early stopping; the steps since the last
        evaluation compete too), else the moving average, else the last.

        Runs after the checkpoint: it changes nothing a resumed run continues from."""
        c = self.config
        chosen = self._best_weights
        if (c.keep_best or c.early_stopping) and self._evaluated_step != self.step:
            metrics = self.evaluate(c.eval_max_batches, elapsed, train_loss)
            if c.metric not in metrics:
                self._track_best(metrics, elapsed)  # raises: the metric does not exist
            if self._better(float(metrics[c.metric]), self.best):
                chosen = None  # the last weights are the best
        if chosen is not None:
            self.model.load_state_dict(chosen)
        elif self.ema is not None:
            self.model.load_state_dict(self.ema.module.state_dict())
        if self.run is not None:
            self.run.save_weights(self.model)


def _summary(step: int, train_loss: float | None, metrics: dict, final: bool = False) -> str:
    parts = [f"{'final' if final else 'eval'} step {step}"]
    if train_loss is not None:
        parts.append(f"train loss {train_loss:.4f}")
    parts += [f"valid {k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)]
    return " | ".join(parts)


def _python_rng_to_list(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _python_rng_from_list(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
