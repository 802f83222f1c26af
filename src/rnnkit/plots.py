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


__all__ += ["plot_forecast"]


def plot_forecast(
    actual: Sequence[float],
    predicted: Sequence[float],
    persistence: Sequence[float] | None,
    path: str | os.PathLike,
    *,
    dates: Sequence[str] | None = None,
    title: str = "",
    ylabel: str = "",
) -> Path:
    """Actual values against the model's forecasts (and the persistence forecast, a
    dashed line) over a test span; x is the dates (ISO text) when given, else the step.
    """
    n = len(actual)
    if len(predicted) != n or (persistence is not None and len(persistence) != n):
        raise ConfigError("actual, predicted and persistence must have the same length")
    if dates is not None and len(dates) != n:
        raise ConfigError(f"{len(dates)} dates for {n} values")
    x: Sequence = range(n)
    if dates is not None:
        from datetime import datetime

        try:
            x = [datetime.fromisoformat(d) for d in dates]
        except ValueError:
            x = range(n)
    fig = _figure(9.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(x, actual, label="actual", color="black", linewidth=1.0)
    ax.plot(x, predicted, label="model", color="tab:blue", linewidth=1.0)
    if persistence is not None:
        ax.plot(
            x, persistence, label="persistence", color="tab:orange", linewidth=0.8, linestyle="--"
        )
    if dates is not None and not isinstance(x, range):
        fig.autofmt_xdate()
    ax.set_xlabel("date" if dates is not None else "step")
    ax.set_ylabel(ylabel)
    ax.set_title(title or "forecast")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


__all__ += ["plot_attention"]


def plot_attention(
    weights: Sequence[Sequence[float]],
    source_tokens: Sequence[str],
    output_tokens: Sequence[str],
    path: str | os.PathLike,
    title: str = "",
) -> Path:
    """A heat map of attention weights: one row per output token, one column per
    source token (darker: more weight), as in Bahdanau et al. (2015), figure 3.

    ``weights[t][s]`` is the weight of source token ``s`` when output token ``t``
    was produced (each row sums to 1). Spaces are shown as ``␣``.
    """
    rows = [[float(v) for v in row] for row in weights]
    T, S = len(output_tokens), len(source_tokens)
    if len(rows) != T or any(len(row) != S for row in rows):
        raise ConfigError(
            f"weights must be {T} x {S} for {T} output and {S} source tokens, "
            f"got {len(rows)} rows of {sorted({len(r) for r in rows})} columns"
        )

    def shown(token: str) -> str:
        return token.replace(" ", "␣").replace("\n", "\\n")

    fig = _figure(min(16.0, max(3.0, 0.22 * S + 1.5)), min(16.0, max(3.0, 0.22 * T + 1.0)))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(rows or [[0.0]], vmin=0.0, vmax=1.0, cmap="Greys", aspect="auto")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    ax.set_xticks(range(S))
    ax.set_yticks(range(T))
    ax.set_xticklabels([shown(t) for t in source_tokens], fontsize=7)
    ax.set_yticklabels([shown(t) for t in output_tokens], fontsize=7)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title or "attention", fontsize=9)
    return _save(fig, path)
