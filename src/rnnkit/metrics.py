"""Metrics shared by tasks and benchmarks. Losses are in nats per token."""

from __future__ import annotations

import math
import warnings
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


# -- sequence to sequence ------------------------------------------------------------------
__all__ += [
    "edit_distance",
    "char_accuracy",
    "exact_match",
    "bleu",
    "chrf",
    "seq2seq_report",
]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions of
    single characters (or items of two sequences) that turn ``a`` into ``b``.

    Computed with Myers' bit-parallel algorithm in Hyyrö's form (one pass over
    ``b``, the columns of the dynamic-programming table held as bits of Python
    integers), so a pair of lines costs O(len(b)) integer operations.
    """
    if not a:
        return len(b)
    if not b:
        return len(a)
    m = len(a)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    peq: dict = {}
    for i, item in enumerate(a):
        peq[item] = peq.get(item, 0) | (1 << i)
    pv, mv, score = full, 0, m  # vertical +1 / -1 deltas of the current column
    for item in b:
        eq = peq.get(item, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ~(xh | pv)  # horizontal +1 deltas
        mh = pv & xh  # horizontal -1 deltas
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full  # the top row grows by one each column
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def _check_pairs(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise ConfigError("hypotheses and references must be lists of strings, got a string")
    if len(hypotheses) != len(references):
        raise ConfigError(f"{len(hypotheses)} hypotheses but {len(references)} references")


def char_accuracy(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """1 - CER: one minus the summed edit distances over the summed reference lengths.

    Below 0 when the outputs need more edits than the references have characters
    (much longer outputs); 1.0 for no reference character and no output character.
    """
    _check_pairs(hypotheses, references)
    total = sum(len(r) for r in references)
    errors = sum(edit_distance(h, r) for h, r in zip(hypotheses, references))
    if total == 0:
        return 1.0 if errors == 0 else 0.0
    return 1.0 - errors / total


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Share of outputs equal to their reference, character for character (0.0 for none)."""
    _check_pairs(hypotheses, references)
    if not references:
        return 0.0
    return sum(h == r for h, r in zip(hypotheses, references)) / len(references)


def _has_sacrebleu() -> bool:
    import importlib.util

    return importlib.util.find_spec("sacrebleu") is not None


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError:
        raise ConfigError(
            "BLEU and chrF need sacrebleu: pip install 'rnnkit[seq2seq]' (or sacrebleu)"
        ) from None
    return sacrebleu


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) by sacrebleu with its defaults (13a tokenization, 4-grams).

    Raises:
        ConfigError: sacrebleu is not installed (the ``seq2seq`` extra).
    """
    _check_pairs(hypotheses, references)
    return float(_sacrebleu().corpus_bleu(list(hypotheses), [list(references)]).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (0-100, character 6-grams, beta 2) by sacrebleu.

    Raises:
        ConfigError: sacrebleu is not installed (the ``seq2seq`` extra).
    """
    _check_pairs(hypotheses, references)
    return float(_sacrebleu().corpus_chrf(list(hypotheses), [list(references)]).score)


def seq2seq_report(
    hypotheses: Sequence[str], references: Sequence[str], *, corpus_scores: bool = True
) -> dict:
    """``{"char_accuracy", "exact_match", "bleu", "chrf", "n"}``; without
    ``corpus_scores`` the first two and n. BLEU and chrF need sacrebleu (the
    ``seq2seq`` extra): without it they are left out, with a one-line warning."""
    report = {
        "char_accuracy": char_accuracy(hypotheses, references),
        "exact_match": exact_match(hypotheses, references),
    }
    if corpus_scores and _has_sacrebleu():
        report["bleu"] = bleu(hypotheses, references)
        report["chrf"] = chrf(hypotheses, references)
    elif corpus_scores:
        warnings.warn(
            "BLEU and chrF left out: they need sacrebleu (pip install 'rnnkit[seq2seq]')",
            stacklevel=2,
        )
    report["n"] = len(references)
    return report


# -- forecasting ---------------------------------------------------------------------------
__all__ += ["mse", "mae", "rmse", "mape", "forecast_report"]


def _errors(y_true, y_pred):
    import numpy as np

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ConfigError(f"y_true has shape {y_true.shape} but y_pred {y_pred.shape}")
    return y_true, y_pred - y_true


def mse(y_true, y_pred) -> float:
    """Mean squared error over every value (any shape), in the data's units squared."""
    _, error = _errors(y_true, y_pred)
    return float((error**2).mean()) if error.size else math.nan


def mae(y_true, y_pred) -> float:
    """Mean absolute error, in the data's units."""
    _, error = _errors(y_true, y_pred)
    return float(abs(error).mean()) if error.size else math.nan


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, in the data's units."""
    return math.sqrt(mse(y_true, y_pred))


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error, 100 * mean(|error| / |y_true|), in percent, over
    the values with y_true != 0 (NaN when there is none)."""
    y_true, error = _errors(y_true, y_pred)
    keep = y_true != 0
    return float(100.0 * (abs(error[keep]) / abs(y_true[keep])).mean()) if keep.any() else math.nan


def forecast_report(y_true, y_pred) -> dict:
    """``{"mse", "mae", "rmse", "mape", "n"}``; n counts the windows (rows of y_true)."""
    return {
        "mse": mse(y_true, y_pred),
        "mae": mae(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred),
        "n": len(y_true),
    }
