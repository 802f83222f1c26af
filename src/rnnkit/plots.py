"""PNG plots of a run. The one module of rnnkit that knows matplotlib.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot,
no display, no global state), so plotting works on a headless server.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["plot_loss_curves"]


def _figure(width: float = 6.4, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", bbox_inches="tight")
    os.replace(tmp, path)
    return path


def plot_loss_curves(records: Sequence[dict], path: str | os.PathLike, title: str = "") -> Path:
    """Train and valid loss against the step, from the run's ``metrics.jsonl`` records.

    The final, full validation is marked with a dot: periodic validations may
    use a slice of the validation data.
    """
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    train = [(r["step"], r["train_loss"]) for r in records if r.get("train_loss") is not None]
    valid = [(r["step"], r["valid_loss"]) for r in records if r.get("valid_loss") is not None]
    if train:
        ax.plot(*zip(*train), label="train loss", color="tab:blue")
    if valid:
        ax.plot(*zip(*valid), label="valid loss", color="tab:orange", marker=".")
    full = [(r["step"], r["valid_loss"]) for r in records if r.get("full") and "valid_loss" in r]
    if full:
        ax.scatter(*zip(*full), color="tab:red", zorder=3, label="valid loss (full)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title(title or "loss")
    ax.grid(alpha=0.3)
    if train or valid:
        ax.legend()
    return _save(fig, path)
