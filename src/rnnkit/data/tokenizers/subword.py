"""Subword pieces from a SentencePiece model (BPE or unigram), trained by ``fit``.

Built by name too: ``make_tokenizer("sentencepiece", vocab_size=8000)``.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
from collections.abc import Iterable, Sequence

from rnnkit.data.tokenizers.base import Tokenizer, _is_natural, _join_lines
from rnnkit.data.vocab import Vocab
from rnnkit.errors import CheckpointError, ConfigError, DataError

__all__ = ["SentencePieceTokenizer"]

_MODEL_TYPES = ("unigram", "bpe")


class SentencePieceTokenizer(Tokenizer):
    """Subword pieces from a SentencePiece model (BPE or unigram) trained by :meth:`fit`.

    Text is tokenized line by line, with a ``"\\n"`` token between lines, so a
    language model sees the line breaks. Training keeps the text as it is (no
    NFKC, no whitespace folding, no dummy prefix) and, with ``byte_fallback``,
    spells a character it never saw as its UTF-8 bytes (``<0xE2>``), so that
    ``detokenize(tokenize(text)) == text`` for any text without U+2581 (``▁``,
    SentencePiece's own space mark).

    The model's special pieces are rnnkit's: ``<pad>`` = 0, ``<unk>`` = 1,
    ``<bos>`` = 2, ``<eos>`` = 3, so :meth:`natural_vocab` (the model's pieces
    plus ``"\\n"``) gives each piece the model's id. :meth:`to_dict` holds the
    model itself (its protobuf, base64), so ``tokenizer.json`` is self-contained.

    Args:
        vocab_size: pieces in the model, specials included; with ``byte_fallback``
            at least 260 plus the characters of the corpus.
        model_type: ``"unigram"`` (the default) or ``"bpe"``.
        character_coverage: the share of characters the model keeps as pieces.
        byte_fallback: spell unknown characters as bytes instead of ``<unk>``.
        model: a trained model, base64 (as :meth:`to_dict` writes it).
    """

    name = "sentencepiece"
    lossless = True
    needs_fit = True

    def __init__(
        self,
        vocab_size: int = 8000,
        model_type: str = "unigram",
        *,
        character_coverage: float = 1.0,
        byte_fallback: bool = True,
        model: str | None = None,
        ascii: bool | str = False,
    ) -> None:
        super().__init__(ascii=ascii)
        if model_type not in _MODEL_TYPES:
            raise ConfigError(f"model_type must be 'unigram' or 'bpe', got {model_type!r}")
        if not isinstance(vocab_size, int) or vocab_size < 5:
            raise ConfigError(f"vocab_size must be an integer >= 5, got {vocab_size!r}")
        if not 0.0 < character_coverage <= 1.0:
            raise ConfigError(f"character_coverage must be in (0, 1], got {character_coverage!r}")
        self.vocab_size = vocab_size
        self.model_type = model_type
        self.character_coverage = float(character_coverage)
        self.byte_fallback = bool(byte_fallback)
        self._proto: bytes | None = None
        self._sp = None
        if model is not None:
            try:
                proto = base64.b64decode(model.encode("ascii"), validate=True)
            except (binascii.Error, ValueError, AttributeError):
                raise ConfigError("the sentencepiece 'model' is not base64 text") from None
            self._load(proto)

    @staticmethod
    def _module():
        try:
            return importlib.import_module("sentencepiece")
        except ImportError:
            raise ConfigError(
                "the sentencepiece tokenizer needs: pip install sentencepiece"
            ) from None

    def _load(self, proto: bytes) -> None:
        spm = self._module()
        sp = spm.SentencePieceProcessor()
        try:
            sp.LoadFromSerializedProto(proto)
        except (RuntimeError, OSError, TypeError) as e:
            raise CheckpointError(f"the sentencepiece model cannot be loaded: {e}") from None
        self._proto, self._sp = proto, sp
        self._natural = self._checked = None

    @property
    def fitted(self) -> bool:
        return self._sp is not None

    def fit(self, texts: Iterable[str]) -> SentencePieceTokenizer:
        """Train the model on ``texts`` (each split into lines); returns self."""
        spm = self._module()
        if isinstance(texts, str):
            texts = [texts]
        lines = [
            line for text in texts for line in self.normalize(text).split("\n") if line.strip()
        ]
        if not lines:
            raise DataError(None, None, "some text to train the sentencepiece model on", "none")
        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines),
                model_writer=model,
                vocab_size=self.vocab_size,
                model_type=self.model_type,
                character_coverage=self.character_coverage,
                byte_fallback=self.byte_fallback,
                normalization_rule_name="identity",
                add_dummy_prefix=False,
                remove_extra_whitespaces=False,
                hard_vocab_limit=False,
                pad_id=0,
                unk_id=1,
                bos_id=2,
                eos_id=3,
                pad_piece="<pad>",
                unk_piece="<unk>",
                bos_piece="<bos>",
                eos_piece="<eos>",
                num_threads=1,  # deterministic
                minloglevel=2,  # no progress on stderr
            )
        except RuntimeError as e:
            reason = str(e).split("] ", 1)[-1]
            raise ConfigError(f"sentencepiece training failed: {reason}") from None
        self._load(model.getvalue())
        return self

    def _processor(self):
        if self._sp is None:
            raise ConfigError("the sentencepiece tokenizer is not trained: call fit(texts) first")
        return self._sp

    def tokenize(self, text: str) -> list[str]:
        sp = self._processor()
        tokens: list[str] = []
        for i, pieces in enumerate(sp.encode(self.normalize(text).split("\n"), out_type=str)):
            if i:
                tokens.append("\n")
            tokens.extend(pieces)
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        sp = self._processor()
        return _join_lines(tokens, lambda pieces: sp.decode_pieces(list(pieces)))

    def natural_vocab(self) -> Vocab:
        """The model's pieces at the model's ids, then ``"\\n"``."""
        sp = self._processor()
        if getattr(self, "_natural", None) is None:
            pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
            self._natural = Vocab(pieces[4:] + ["\n"])
        return self._natural

    def encode(self, text: str, vocab: Vocab | None = None) -> list[int]:
        """Ids of the pieces; with ``vocab`` None or natural, the model's own ids (fast)."""
        sp = self._processor()
        if not _is_natural(self, vocab):
            return vocab.encode(self.tokenize(text))
        newline = len(self.natural_vocab()) - 1
        ids: list[int] = []
        for i, line_ids in enumerate(sp.encode(self.normalize(text).split("\n"))):
            if i:
                ids.append(newline)
            ids.extend(line_ids)
        return ids

    def options(self) -> dict:
        out = {
            "vocab_size": self.vocab_size,
            "model_type": self.model_type,
            "character_coverage": self.character_coverage,
            "byte_fallback": self.byte_fallback,
            **super().options(),
        }
        if self._proto is not None:
            out["model"] = base64.b64encode(self._proto).decode("ascii")
        return out
