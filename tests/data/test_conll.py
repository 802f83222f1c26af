import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.data.conll import check_tag_scheme, read_conll, read_conllu
from rnnkit.errors import ConfigError, DataError


def test_conll_sentences_skip_docstart_and_keep_every_column(fixtures):
    sentences = read_conll(fixtures / "ner.conll", validate_scheme="BIO")
    assert [len(s) for s in sentences] == [9, 2, 2]
    first = sentences[0]
    assert first.tokens[:3] == ["EU", "rejects", "German"]
    assert first.tags[:3] == ["B-ORG", "O", "B-MISC"]
    assert first.line == 3 and sentences.lines == [3, 13, 18]
    assert first.columns[1][:2] == ["NNP", "VBZ"]  # POS stays reachable
    chunks = read_conll(fixtures / "ner.conll", tag_column=2)
    assert chunks[0].tags[:2] == ["B-NP", "B-VP"]


def test_invalid_bio_transition_names_its_line(fixtures):
    read_conll(fixtures / "ner_bad_bio.conll")  # not validated: read as is
    with pytest.raises(
        DataError,
        match=r"ner_bad_bio\.conll:8: expected B-LOC or I-LOC before I-LOC \(BIO\), got I-LOC after O",
    ):
        read_conll(fixtures / "ner_bad_bio.conll", validate_scheme="BIO")


def test_bioes_file_validates_and_a_bio_file_does_not(fixtures):
    assert read_conll(fixtures / "ner_bioes.conll", validate_scheme="BIOES")[0].tags[2:4] == [
        "B-LOC",
        "E-LOC",
    ]
    with pytest.raises(DataError, match=r"ner\.conll:\d+: expected I-ORG or E-ORG after B-ORG"):
        read_conll(fixtures / "ner.conll", validate_scheme="BIOES")


def test_wrong_column_count_and_empty_token(fixtures, tmp_path):
    with pytest.raises(DataError, match=r":4: expected 4 columns, as line 1 has, got 2 columns"):
        read_conll(fixtures / "ner_bad_columns.conll")
    path = tmp_path / "t.conll"
    path.write_text("a\tO\n\tO\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"t\.conll:2: expected a non-empty token and tags"):
        read_conll(path, delimiter="\t")


def test_lenient_conll_skips_whole_sentences_and_counts_them(fixtures):
    with pytest.warns(UserWarning, match="skipped 1 malformed sentence"):
        sentences = read_conll(fixtures / "ner_bad_bio.conll", validate_scheme="BIO", lenient=True)
    assert [s.tokens[0] for s in sentences] == ["Peter"]
    assert sentences.skipped[0].line == 8


def test_bad_options_are_config_errors(fixtures):
    with pytest.raises(ConfigError, match="validate_scheme"):
        read_conll(fixtures / "ner.conll", validate_scheme="IOB")
    with pytest.raises(ConfigError, match="tag_column"):
        read_conll(fixtures / "ner.conll", tag_column=0)
    with pytest.raises(ConfigError, match="'upos' or 'xpos'"):
        read_conllu(fixtures / "tiny.conllu", tag="pos")


def test_conllu_keeps_syntactic_words_not_ranges_or_empty_nodes(fixtures):
    sentences = read_conllu(fixtures / "tiny.conllu")
    assert sentences[0].tokens == ["Vamos", "nos", "a", "el", "mar", "."]
    assert sentences[0].tags == ["VERB", "PRON", "ADP", "DET", "NOUN", "PUNCT"]
    assert sentences[1].tokens == ["Sue", "likes", "coffee", "and", "tea"]  # 3.1 skipped
    xpos = read_conllu(fixtures / "tiny.conllu", tag="xpos")
    assert xpos[1].tags == ["NNP", "VBZ", "NN", "CC", "NN"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("bad_fields.conllu", r":2: expected 10 tab-separated fields \(CoNLL-U\), got 9"),
        ("bad_ids.conllu", r":2: expected word ID 2, got 3"),
        ("empty.txt", r"expected at least one sentence, got none"),
    ],
)
def test_malformed_conllu(fixtures, name, message):
    with pytest.raises(DataError, match=message):
        read_conllu(fixtures / name)


def _bio_spans_to_tags(spans, n):
    tags = ["O"] * n
    for start, length, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, start + length):
            tags[i] = f"I-{label}"
    return tags


@st.composite
def _spans(draw):
    n = draw(st.integers(1, 12))
    spans, i = [], 0
    while i < n:
        if draw(st.booleans()):
            length = draw(st.integers(1, n - i))
            spans.append((i, length, draw(st.sampled_from(["PER", "LOC"]))))
            i += length
        else:
            i += 1
    return spans, n


@given(_spans())
@settings(max_examples=60, deadline=None)
def test_tags_made_from_spans_pass_both_schemes(data):
    spans, n = data
    bio = _bio_spans_to_tags(spans, n)
    assert check_tag_scheme(bio, "BIO") is None
    bioes = list(bio)
    for start, length, label in spans:
        if length == 1:
            bioes[start] = f"S-{label}"
        else:
            bioes[start + length - 1] = f"E-{label}"
    assert check_tag_scheme(bioes, "BIOES") is None


def test_scheme_checks_find_the_first_bad_tag():
    assert check_tag_scheme(["O", "I-PER"], "BIO")[0] == 1
    assert check_tag_scheme(["B-PER", "I-LOC"], "BIO")[0] == 1
    assert check_tag_scheme(["X-PER"], "BIO")[0] == 0
    assert check_tag_scheme(["B-PER"], "BIOES")[1].startswith("E-PER to close")
    assert check_tag_scheme(["S-PER", "E-PER"], "BIOES")[0] == 1


def test_a_line_of_a_stray_byte_order_mark_breaks_a_sentence(tmp_path):
    """WNUT 2017's dev file ends with a line holding only U+FEFF."""
    path = tmp_path / "bom.conll"
    path.write_text("Anna\tB-PER\nsings\tO\n\ufeff\nBen\tB-PER\n\n\ufeff \n", encoding="utf-8")
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [["Anna", "sings"], ["Ben"]]
    with pytest.raises(DataError, match=r"bad\.conll:2: expected 2 columns"):
        bad = tmp_path / "bad.conll"
        bad.write_text("Anna\tB-PER\n\ufeffsings\n", encoding="utf-8")
        read_conll(bad)
