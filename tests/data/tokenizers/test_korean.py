"""The Korean tokenizer runs in CI: `make test` installs the `korean` extra (kiwipiepy
and its model wheel), so these tests import kiwipiepy unconditionally."""

import importlib.util

import pytest

from rnnkit.data.tokenizers import KoreanTokenizer, korean, make_tokenizer, tokenizer_from_dict
from rnnkit.errors import ConfigError, DataError


def test_kiwi_ships_its_model_and_splits_morphemes():
    import kiwipiepy  # noqa: F401  (a hard requirement of the korean extra, never skipped)

    tokenizer = make_tokenizer("korean")
    assert tokenizer.tokenize("아버지가 방에 들어가신다") == [
        "아버지",
        "가",
        "방",
        "에",
        "들어가",
        "시",
        "ᆫ다",
    ]


def test_pos_tags_and_newlines_and_json_round_trip():
    tokenizer = KoreanTokenizer(pos=True)
    tokens = tokenizer.tokenize("영화가 재밌어요\n최고!")
    assert tokens[:2] == ["영화/NNG", "가/JKS"]
    assert "\n" in tokens and tokens[-1] == "!/SF"
    loaded = tokenizer_from_dict(tokenizer.to_dict())
    assert loaded.pos and loaded.tokenize("최고!") == ["최고/NNG", "!/SF"]


def test_tagged_morphemes_join_back_into_the_sentence():
    tokenizer = KoreanTokenizer(pos=True)
    text = "아버지가 방에 들어가신다."
    assert tokenizer.detokenize(tokenizer.tokenize(text)) == text
    with pytest.raises(DataError, match="morphemes written form/TAG"):
        tokenizer.detokenize(["아버지"])
    with pytest.raises(DataError, match="Kiwi's tags"):
        tokenizer.detokenize(["아버지/XYZ"])


def test_forms_without_tags_join_with_spaces():
    tokenizer = KoreanTokenizer()
    assert tokenizer.detokenize(["영화", "가", "\n", "최고"]) == "영화 가\n최고"
    assert tokenizer.tokenize("") == [] and tokenizer.tokenize("a\n\nb") == ["a", "\n", "\n", "b"]


def test_kkma_without_konlpy_or_java_is_one_line_config_error(monkeypatch):
    if importlib.util.find_spec("konlpy") is None:
        with pytest.raises(ConfigError, match=r"backend='kkma' needs KoNLPy and a Java runtime"):
            KoreanTokenizer(backend="kkma")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name == "konlpy" else real_find_spec(name, *a),
    )

    def no_java():
        raise OSError("No JVM shared library file (libjvm.so) found.\nTry setting up JAVA_HOME")

    monkeypatch.setattr(korean, "_kkma", no_java)
    with pytest.raises(ConfigError) as info:
        KoreanTokenizer(backend="kkma")
    assert str(info.value) == (
        "backend='kkma' cannot start KoNLPy's Kkma (Java needed): "
        "No JVM shared library file (libjvm.so) found."
    )


def test_unknown_backend():
    with pytest.raises(ConfigError, match="backend must be 'kiwi' or 'kkma'"):
        KoreanTokenizer(backend="mecab")
