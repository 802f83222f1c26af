"""The training loop. It knows nothing about tasks.

A task hands the :class:`Trainer` a :class:`TrainingProgram`: the batches of an
epoch, the loss of one batch, and an evaluation. The trainer owns everything
else: optimiser, learning-rate schedule, clipping, truncated BPTT state, the
stopping rules, progress, checkpoints and exact resume.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from rnnkit.config import TrainConfig
from rnnkit.errors import CheckpointError, ConfigError
from rnnkit.training.checkpoint import RunDirectory

__all__ = ["Trainer", "TrainingProgram", "StepOutput", "detach_state", "resolve_device"]

State = Any  # None, a Tensor, or a tuple of Tensors (h, c)


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
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available")
    if name == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ConfigError("--device mps: no MPS device is available")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


class Trainer:
    """Trains ``model`` on a task's :class:`TrainingProgram`.

    Args:
        model: any nn.Module; the program knows how to call it.
        config: optimiser, schedule and stopping rules.
        program: batches, loss and evaluation of the task.
        run: where checkpoints and metrics go; None trains in memory only.
        callbacks: called as ``callback(event, trainer, record)`` for the events
            ``"log"`` (every ``log_every`` steps), ``"evaluate"`` and ``"checkpoint"``.
        progress: show a tqdm bar on stderr (only when stderr is a terminal).
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        program: TrainingProgram,
        *,
        run: RunDirectory | None = None,
        callbacks: Sequence[Callable[[str, Trainer, dict], None]] = (),
        progress: bool = True,
    ) -> None:
        self.model = model
        self.config = config
        self.program = program
        self.run = run
        self.callbacks = list(callbacks)
        self.progress = progress
        self.optimizer = self._make_optimizer()
        self.step = 0
        self.epoch = 0
        self.position = 0  # next batch within the epoch
        self.elapsed = 0.0  # training seconds before this process (resume)
        self.state: State = None  # carried recurrent state (truncated BPTT)
        self.last_metrics: dict[str, float] = {}

    # -- setup ------------------------------------------------------------------------------
    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        params = [p for p in self.model.parameters() if p.requires_grad]
        if c.optimizer == "adamw":
            return torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)
        if c.optimizer == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
        return torch.optim.SGD(params, lr=c.lr, momentum=0.9, weight_decay=c.weight_decay)

    def _limits(self, steps_per_epoch: int) -> tuple[int | None, int | None, float | None]:
        c = self.config
        epochs = c.epochs
        if c.epochs is None and c.max_steps is None and c.time_budget is None:
            epochs = 1
        return epochs, c.max_steps, c.time_budget

    def _progress_fraction(self, steps_per_epoch: int, elapsed: float) -> float:
        """How far training is, in [0, 1], by the tightest of the limits."""
        epochs, max_steps, budget = self._limits(steps_per_epoch)
        fractions = []
        if max_steps:
            fractions.append(self.step / max_steps)
        if epochs:
            fractions.append(self.step / (epochs * steps_per_epoch))
        if budget:
            fractions.append(elapsed / budget)
        return min(1.0, max(fractions)) if fractions else 0.0

    def learning_rate(self, progress: float) -> float:
        """Linear warmup over ``warmup_steps``, then constant or cosine to 10% by the end."""
        c = self.config
        lr = c.lr
        if c.warmup_steps and self.step < c.warmup_steps:
            lr *= (self.step + 1) / c.warmup_steps
        if c.schedule == "cosine":
            lr *= 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))
        return lr

    # -- checkpoint -------------------------------------------------------------------------
    def state_dict(self, elapsed: float) -> dict[str, Any]:
        state = self.state
        carried = [] if state is None else [state] if isinstance(state, Tensor) else list(state)
        return {
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "position": self.position,
            "elapsed": elapsed,
            "carried_state": [t.detach().cpu() for t in carried],
            "carried_is_tuple": not isinstance(state, Tensor) and state is not None,
            "rng_torch": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "rng_python": _python_rng_to_list(random.getstate()),
        }

    def load_state_dict(self, sd: dict[str, Any], device: torch.device) -> None:
        try:
            self.optimizer.load_state_dict(sd["optimizer"])
            self.step, self.epoch, self.position = sd["step"], sd["epoch"], sd["position"]
            self.elapsed = float(sd["elapsed"])
            carried = [t.to(device) for t in sd["carried_state"]]
            if not carried:
                self.state = None
            elif sd["carried_is_tuple"]:
                self.state = tuple(carried)
            else:
                self.state = carried[0]
            torch.set_rng_state(sd["rng_torch"])
            if sd["rng_cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(sd["rng_cuda"])
            random.setstate(_python_rng_from_list(sd["rng_python"]))
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"trainer state does not fit this run ({e})") from None

    def save_checkpoint(self, elapsed: float) -> None:
        if self.run is None:
            return
        self.run.save_weights(self.model)
        self.run.save_trainer_state(self.state_dict(elapsed))
        self._emit("checkpoint", {"step": self.step})

    def resume(self) -> None:
        """Continue from the run directory's last checkpoint."""
        if self.run is None:
            raise CheckpointError("resume needs a run directory")
        device = next(self.model.parameters()).device
        self.run.load_weights(self.model, device=device)
        self.load_state_dict(self.run.load_trainer_state(), device)

    # -- the loop ---------------------------------------------------------------------------
    def _emit(self, event: str, record: dict) -> None:
        for callback in self.callbacks:
            callback(event, self, record)

    def evaluate(self, max_batches: int | None, elapsed: float, train_loss: float | None) -> dict:
        self.model.eval()
        with torch.no_grad():
            metrics = self.program.evaluate(self.model, max_batches=max_batches)
        self.model.train()
        record = {
            "step": self.step,
            "epoch": self.epoch,
            "elapsed": round(elapsed, 2),
            "train_loss": train_loss,
            **{f"valid_{k}": v for k, v in metrics.items()},
            "full": max_batches is None,
        }
        if self.run is not None:
            self.run.append_metrics(record)
        self.last_metrics = metrics
        self._emit("evaluate", record)
        return metrics

    def fit(self) -> dict[str, float]:
        """Train until a limit is reached, then evaluate on the whole validation data.

        Returns the final validation metrics. On Ctrl-C the current step is
        checkpointed before ``KeyboardInterrupt`` propagates.
        """
        c = self.config
        model = self.model
        model.train()
        steps_per_epoch = len(self.program.batches(self.epoch))
        if steps_per_epoch == 0:
            raise ConfigError("the training data give no batch")
        epochs, max_steps, budget = self._limits(steps_per_epoch)
        total = max_steps if max_steps else (epochs * steps_per_epoch if epochs else None)
        if epochs and max_steps:
            total = min(max_steps, epochs * steps_per_epoch)
        start = time.perf_counter() - self.elapsed
        bar = tqdm(
            total=total,
            initial=self.step,
            desc="train",
            unit="step",
            disable=None if self.progress else True,  # None: off when stderr is not a TTY
            file=sys.stderr,
            dynamic_ncols=True,
        )
        window_loss, window_tokens, window_start = 0.0, 0, time.perf_counter()
        train_loss: float | None = None
        done = False
        try:
            while not done:
                if epochs and self.epoch >= epochs:
                    break
                batches = self.program.batches(self.epoch)
                while self.position < len(batches):
                    if self.position == 0:
                        self.state = None  # the stream restarts: no state to carry
                    progress = self._progress_fraction(steps_per_epoch, time.perf_counter() - start)
                    for group in self.optimizer.param_groups:
                        group["lr"] = self.learning_rate(progress)
                    out = self.program.step(model, batches[self.position], self.state)
                    self.optimizer.zero_grad(set_to_none=True)
                    out.loss.backward()
                    if c.clip_grad_norm:
                        nn.utils.clip_grad_norm_(model.parameters(), c.clip_grad_norm)
                    self.optimizer.step()
                    self.state = detach_state(out.state)
                    self.step += 1
                    self.position += 1
                    window_loss += out.loss.item() * out.tokens
                    window_tokens += out.tokens
                    bar.update(1)
                    elapsed = time.perf_counter() - start
                    if self.step % c.log_every == 0 or self.step == 1:
                        now = time.perf_counter()
                        train_loss = window_loss / max(window_tokens, 1)
                        rate = window_tokens / max(now - window_start, 1e-9)
                        bar.set_postfix(loss=f"{train_loss:.3f}", tok_s=f"{rate:,.0f}")
                        self._emit(
                            "log", {"step": self.step, "loss": train_loss, "tokens_per_s": rate}
                        )
                        window_loss, window_tokens, window_start = 0.0, 0, now
                    stop = bool(
                        (max_steps and self.step >= max_steps) or (budget and elapsed >= budget)
                    )
                    if stop:
                        done = True
                        break
                    if self.step % c.eval_every == 0:
                        metrics = self.evaluate(c.eval_max_batches, elapsed, train_loss)
                        if self.progress:
                            bar.write(_summary(self.step, train_loss, metrics), file=sys.stderr)
                    if self.step % c.checkpoint_every == 0:
                        self.save_checkpoint(elapsed)
                if not done:
                    self.epoch += 1
                    self.position = 0
        except KeyboardInterrupt:
            bar.close()
            self.save_checkpoint(time.perf_counter() - start)
            raise
        bar.close()
        elapsed = time.perf_counter() - start
        self.save_checkpoint(elapsed)
        metrics = self.evaluate(None, elapsed, train_loss)
        if self.progress:
            tqdm.write(_summary(self.step, train_loss, metrics, final=True), file=sys.stderr)
        return metrics


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
