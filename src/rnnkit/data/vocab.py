"""Vocab: tokens <-> integer ids, with the special tokens every task shares."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Sequence

from rnnkit.errors import CheckpointError, ConfigError

__all__ = ["Vocab", "build_vocab", "PAD", "UNK", "BOS", "EOS", "SPECIALS"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)


class Vocab:
    """A fixed mapping between tokens and ids.

    ``<pad>`` is always id 0, then ``<unk>``, ``<bos>``, ``<eos>`` (when
    ``specials`` keeps them), then the corpus tokens. Unknown tokens map to
    ``<unk>``; a vocab built without ``<unk>`` raises on them instead.

    Example:
        >>> v = build_vocab("hello")
        >>> v.encode("hell")
        [5, 6, 4, 4]
        >>> "".join(v.decode([5, 6, 4, 4]))
        'hell'
    """

    def __init__(self, tokens: Sequence[str], specials: Sequence[str] = SPECIALS) -> None:
        itos = list(specials) + [t for t in tokens if t not in specials]
        if not all(isinstance(t, str) for t in itos):
            bad = next(t for t in itos if not isinstance(t, str))
            raise ConfigError(f"vocab tokens must be strings, got {bad!r}")
        if len(set(itos)) != len(itos):
            seen: set[str] = set()
            dup = next(t for t in itos if t in seen or seen.add(t))
            raise ConfigError(f"vocab tokens must be unique, got {dup!r} twice")
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(itos)}
        self.specials = tuple(specials)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, self.unk_id) if self.unk_id is not None else self.stoi[token]

    def __iter__(self):
        return iter(self.itos)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return self.itos == other.itos and self.specials == other.specials

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)})"

    @property
    def pad_id(self) -> int:
        return self.stoi[PAD]

    @property
    def unk_id(self) -> int | None:
        return self.stoi.get(UNK)

    @property
    def bos_id(self) -> int | None:
        return self.stoi.get(BOS)

    @property
    def eos_id(self) -> int | None:
        return self.stoi.get(EOS)

    def check_fits(self, num_embeddings: int, *, what: str = "the model's embedding") -> None:
        """Refuse a vocab whose size is not the number of rows of the model's embedding.

        Raises:
            CheckpointError: naming both sizes (a vocab.json from another run, or
                weights trained on another vocab).
        """
        if len(self) != num_embeddings:
            raise CheckpointError(
                f"the vocab has {len(self)} tokens but {what} has {num_embeddings} rows: "
                "vocab and weights come from different runs"
            )

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Map tokens to ids; tokens not in the vocab become ``<unk>``."""
        stoi, unk = self.stoi, self.unk_id
        if unk is None:
            return [stoi[t] for t in tokens]
        return list(map(stoi.get, tokens, itertools.repeat(unk)))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Map ids back to tokens."""
        itos = self.itos
        return [itos[int(i)] for i in ids]

    def to_dict(self) -> dict:
        return {"format_version": 1, "specials": list(self.specials), "itos": self.itos}

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        try:
            specials = data["specials"]
            itos = data["itos"]
        except (KeyError, TypeError) as e:
            raise CheckpointError(f"vocab data lacks the key {e}") from None
        if not isinstance(specials, list) or not isinstance(itos, list):
            raise CheckpointError("vocab data: 'specials' and 'itos' must be lists")
        if itos[: len(specials)] != specials:
            raise CheckpointError(
                f"vocab data: 'itos' must start with the specials {specials}, got {itos[:4]}"
            )
        try:
            return cls(itos[len(specials) :], specials=specials)
        except ConfigError as e:
            raise CheckpointError(f"vocab data: {e}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        try:
            data = json.loads(text)
        except ValueError as e:
            raise CheckpointError(f"vocab data is not JSON: {e}") from None
        return cls.from_dict(data)


def build_vocab(
    tokens: Iterable[str],
    *,
    min_freq: int = 1,
    max_size: int | None = None,
    specials: Sequence[str] = SPECIALS,
) -> Vocab:
    """Count tokens and keep those seen at least ``min_freq`` times.

    The order is deterministic: by frequency, most frequent first, ties by first
    appearance. ``max_size`` counts the corpus tokens, not the specials. For a
    corpus of token lists, chain them:
    ``build_vocab(itertools.chain.from_iterable(token_lists))``.
    """
    if min_freq < 1:
        raise ConfigError(f"min_freq must be >= 1, got {min_freq}")
    if max_size is not None and max_size < 0:
        raise ConfigError(f"max_size must be >= 0 or None, got {max_size}")
    counts = Counter(tokens)  # insertion order = first appearance; sorted() is stable
    kept = [t for t, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n >= min_freq]
    if max_size is not None:
        kept = kept[:max_size]
    return Vocab(kept, specials=specials)
