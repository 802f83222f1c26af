"""Korean morphemes, analysed by Kiwi (kiwipiepy) or KoNLPy's Kkma.

Built by name too: ``make_tokenizer("korean", pos=True)``.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence

from rnnkit.data.tokenizers.base import Tokenizer, _join_lines
from rnnkit.errors import ConfigError, DataError

__all__ = ["KoreanTokenizer"]


@functools.lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi

    return Kiwi()


@functools.lru_cache(maxsize=1)
def _kkma():
    from konlpy.tag import Kkma

    return Kkma()


class KoreanTokenizer(Tokenizer):
    """Korean morphemes: ``"아버지가 방에"`` -> ``["아버지", "가", "방", "에"]``.

    The default backend is Kiwi (kiwipiepy: its model ships in the
    ``kiwipiepy_model`` wheel, so it works offline and needs no JVM; install with
    ``pip install 'rnnkit[korean]'``). ``backend="kkma"`` uses KoNLPy's Kkma,
    which needs ``pip install konlpy`` and a Java runtime. Lines are analysed one
    by one with a ``"\\n"`` token between them.

    With ``pos=True`` each token is ``form/TAG`` (``"아버지/NNG"``) and
    :meth:`detokenize` rebuilds a sentence with ``Kiwi.join`` (spacing by rule, so
    not always the original); without it, the forms are joined with spaces.

    Args:
        pos: add the part-of-speech tag to each token.
        backend: ``"kiwi"`` or ``"kkma"``.
    """

    name = "korean"
    BACKENDS = ("kiwi", "kkma")

    def __init__(self, pos: bool = False, backend: str = "kiwi", *, ascii: bool | str = False):
        super().__init__(ascii=ascii)
        if backend not in self.BACKENDS:
            raise ConfigError(f"backend must be 'kiwi' or 'kkma', got {backend!r}")
        if backend == "kiwi" and importlib.util.find_spec("kiwipiepy") is None:
            raise ConfigError("the Korean tokenizer needs kiwipiepy: pip install 'rnnkit[korean]'")
        if backend == "kkma":
            _check_kkma()
        self.pos = bool(pos)
        self.backend = backend

    def _morphemes(self, line: str) -> list[tuple[str, str]]:
        if self.backend == "kiwi":
            return [(t.form, t.tag) for t in _kiwi().tokenize(line)]
        return [(form, tag) for form, tag in _kkma().pos(line)]

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for i, line in enumerate(self.normalize(text).split("\n")):
            if i:
                tokens.append("\n")
            if line.strip():
                morphemes = self._morphemes(line)
                if self.pos:
                    tokens.extend(f"{form}/{tag}" for form, tag in morphemes)
                else:
                    tokens.extend(form for form, _ in morphemes)
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        if not self.pos or self.backend != "kiwi":
            return _join_lines(tokens, " ".join)

        def join(line: Sequence[str]) -> str:
            morphemes = []
            for token in line:
                form, sep, tag = token.rpartition("/")
                if not sep or not form:
                    raise DataError(None, None, "morphemes written form/TAG", repr(token))
                morphemes.append((form, tag))
            try:
                return _kiwi().join(morphemes) if morphemes else ""
            except ValueError as e:  # an unknown tag
                raise DataError(None, None, "morphemes with Kiwi's tags", str(e)) from None

        return _join_lines(tokens, join)

    def options(self) -> dict:
        return {"pos": self.pos, "backend": self.backend, **super().options()}


def _check_kkma() -> None:
    """Refuse, in one line, a Kkma backend without KoNLPy or without Java."""
    if importlib.util.find_spec("konlpy") is None:
        raise ConfigError(
            "backend='kkma' needs KoNLPy and a Java runtime: pip install konlpy "
            "(or use backend='kiwi', which needs neither)"
        )
    try:
        _kkma()
    except Exception as e:  # JVMNotFoundException, OSError, ... : KoNLPy's own kinds
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"backend='kkma' cannot start KoNLPy's Kkma (Java needed): {reason}"
        ) from None
