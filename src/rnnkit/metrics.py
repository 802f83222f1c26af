"""Metrics shared by tasks and benchmarks. Losses are in nats per token."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rnnkit.errors import ConfigError

__all__ = [
    "perplexity",
    "bits_per_token",
    "accuracy",
    "macro_f1",
    "precision_recall_f1",
    "confusion_matrix",
    "classification_report",
]


def perplexity(loss: float) -> float:
    """exp(loss) for a mean loss in nats per token (inf past float range)."""
    return math.exp(loss) if loss < 700 else math.inf


def bits_per_token(loss: float) -> float:
    """A mean loss in nats per token, in bits (bits per char for a char-level model)."""
    return loss / math.log(2)


# -- classification ------------------------------------------------------------------------
def confusion_matrix(
    y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None = None
) -> list[list[int]]:
    """``matrix[i][j]``: how many examples of class ``i`` were predicted ``j`` (K x K).

    ``num_classes`` None: one more than the largest class id seen.
    """
    if len(y_true) != len(y_pred):
        raise ConfigError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if num_classes is None:
        num_classes = 1 + max([*y_true, *y_pred], default=-1)
    matrix = [[0] * num_classes for _ in range(num_classes)]
    for t, p in zip(y_true, y_pred):
        if not (0 <= t < num_classes and 0 <= p < num_classes):
            raise ConfigError(f"class ids must be in [0, {num_classes}), got {t} and {p}")
        matrix[t][p] += 1
    return matrix


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Share of predictions equal to the truth (0.0 for no example)."""
    if len(y_true) != len(y_pred):
        raise ConfigError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    return sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true) if y_true else 0.0


def precision_recall_f1(
    y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None = None
) -> list[dict[str, float]]:
    """Per class: ``precision``, ``recall``, ``f1`` and ``support`` (true examples).

    A ratio with a zero denominator is 0.0 (scikit-learn's ``zero_division=0``).
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    out = []
    for k, row in enumerate(matrix):
        tp = row[k]
        predicted = sum(r[k] for r in matrix)
        support = sum(row)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append({"precision": precision, "recall": recall, "f1": f1, "support": support})
    return out


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None = None) -> float:
    """Unweighted mean of the per-class F1 over the classes that occur in ``y_true``
    or ``y_pred`` (scikit-learn's ``f1_score(average="macro")``)."""
    per_class = precision_recall_f1(y_true, y_pred, num_classes)
    seen = set(y_true) | set(y_pred)
    scores = [c["f1"] for k, c in enumerate(per_class) if k in seen]
    return sum(scores) / len(scores) if scores else 0.0


def classification_report(
    y_true: Sequence[int], y_pred: Sequence[int], label_names: Sequence[str]
) -> dict:
    """``{"accuracy", "macro_f1", "n", "per_class": {name: {precision, recall, f1, support}}}``."""
    per_class = precision_recall_f1(y_true, y_pred, len(label_names))
    return {
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, len(label_names)),
        "n": len(y_true),
        "per_class": dict(zip(label_names, per_class)),
    }
