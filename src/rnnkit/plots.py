"""PNG plots of a run. The one module of rnnkit that knows matplotlib.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot,
no display, no global state), so plotting works on a headless server.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rnnkit.errors import ConfigError

__all__ = ["plot_loss_curves", "plot_confusion_matrix"]


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


def plot_confusion_matrix(
    matrix: Sequence[Sequence[int]],
    label_names: Sequence[str],
    path: str | os.PathLike,
    title: str = "",
) -> Path:
    """A confusion matrix with each row normalised to sum to 1 (true class -> predicted).

    The diagonal is each class's recall; a row without examples stays 0. Cells
    of 0.01 and more are annotated when there are at most 30 classes.
    """
    K = len(label_names)
    rows = [[float(v) for v in row] for row in matrix]
    if len(rows) != K or any(len(row) != K for row in rows):
        raise ConfigError(f"matrix must be {K} x {K} for {K} label names, got {len(rows)} rows")
    normalised = [[v / sum(row) if sum(row) else 0.0 for v in row] for row in rows]
    size = min(16.0, max(4.0, 0.45 * K + 2))
    fig = _figure(size + 1, size)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(normalised, vmin=0.0, vmax=1.0, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ax.set_xticks(range(K))
    ax.set_yticks(range(K))
    ax.set_xticklabels(label_names, rotation=90)
    ax.set_yticklabels(label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "confusion matrix (rows normalised)")
    if K <= 30:
        for i, row in enumerate(normalised):
            for j, v in enumerate(row):
                if v >= 0.01:
                    color = "white" if v > 0.5 else "black"
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color=color)
    return _save(fig, path)
