"""Datasets: id sequences arranged for training.

The language-model stream follows pytorch/examples' word_language_model: the
text is cut into N contiguous rows, and truncated BPTT walks along them so the
state carried out of one batch is the right start for the next.
"""

from __future__ import annotations

from torch import Tensor

from rnnkit.errors import DataError

__all__ = ["batchify", "LMStream"]


def batchify(ids: Tensor, batch_size: int) -> Tensor:
    """Cut a 1-D stream of ids into ``batch_size`` contiguous rows.

    With the alphabet as the stream and N = 4::

        a b c d e f g h i j k l m n o p q r s t u v w x y z
                        |
                        v
        row 0:  a b c d e f
        row 1:  g h i j k l
        row 2:  m n o p q r
        row 3:  s t u v w x        (y z dropped: they do not fill a column)

    Shape:
        ids: (T,) int64  ->  (N, T // N)
    """
    if ids.dim() != 1:
        raise ValueError(f"batchify expects a 1-D tensor, got shape {tuple(ids.shape)}")
    width = ids.numel() // batch_size
    return ids[: width * batch_size].view(batch_size, width)  # (N, T // N)


class LMStream:
    """Batches for truncated BPTT over a batchified stream, batch-first.

    Batch ``i`` takes ``bptt`` columns as inputs and the same columns shifted by
    one as targets. With the rows of :func:`batchify` and ``bptt = 2``::

        batch 0: x = [a b]  y = [b c]     batch 1: x = [c d]  y = [d e]
                     [g h]      [h i]                  [i j]      [j k]
                     ...                               ...

    Each row continues where it stopped, so the state returned by batch ``i`` is
    carried (detached: ``detach_state``) into batch ``i + 1``. The last batch may
    be shorter.

    Shape:
        ``stream[i]`` -> (x, y), each (N, L) int64 with L <= bptt.
    """

    def __init__(self, ids: Tensor, batch_size: int, bptt: int, *, source: str | None = None):
        if ids.numel() < 2 * batch_size:
            raise DataError(
                source,
                None,
                f"at least {2 * batch_size} tokens for a batch size of {batch_size} "
                "(lower --batch-size)",
                f"{ids.numel()} tokens",
            )
        self.data = batchify(ids, batch_size)  # (N, W)
        self.batch_size = batch_size
        self.bptt = bptt

    @property
    def num_tokens(self) -> int:
        """Number of predicted tokens in one pass (inputs that have a target)."""
        return self.data.size(0) * (self.data.size(1) - 1)

    def __len__(self) -> int:
        return -(-(self.data.size(1) - 1) // self.bptt)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        start = i * self.bptt
        end = min(start + self.bptt, self.data.size(1) - 1)
        return self.data[:, start:end], self.data[:, start + 1 : end + 1]  # (N, L), (N, L)
