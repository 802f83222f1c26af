"""Every reader, fed random bytes or randomly broken lines, returns data or raises an
RnnkitError (with file and line where there is one), never any other exception."""

import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnkit.data.conll import read_conll, read_conllu
from rnnkit.data.readers import (
    read_label_folder,
    read_labelled,
    read_numeric_csv,
    read_pairs,
    read_text,
)
from rnnkit.errors import DataError, RnnkitError

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEEDS = [
    "reviews_ko.tsv",
    "labelled.csv",
    "pairs.tsv",
    "prices.csv",
    "ner.conll",
    "ner_bioes.conll",
    "tiny.conllu",
]
SEED_LINES = {name: (FIXTURES / name).read_bytes().split(b"\n")[:12] for name in SEEDS}
NOISE = [b"\t", b",", b'"', b"", b"\n", b"\r\n", b"-", b"NaN", b"inf", b"1-2", b"3.1", b"#",
         b"B-PER", b"I-LOC", b"-DOCSTART-", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"_", b" ", b"2024-13-01"]  # fmt: skip


def _readers(path: Path):
    return [
        lambda: read_text(path),
        lambda: read_labelled(path),
        lambda: read_labelled(path, text_column="document", label_column="label"),
        lambda: read_labelled(path, delimiter=",", header=True, lenient=True),
        lambda: read_pairs(path),
        lambda: read_numeric_csv(path, delimiter=",", date_column="Date"),
        lambda: read_numeric_csv(path, lenient=True),
        lambda: read_conll(path, validate_scheme="BIO"),
        lambda: read_conll(path, delimiter="\t", validate_scheme="BIOES", lenient=True),
        lambda: read_conllu(path),
        lambda: read_conllu(path, tag="xpos", lenient=True),
        lambda: read_label_folder(path.parent),
    ]


def _check_every_reader(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.txt"
        path.write_bytes(data)
        for read in _readers(path):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # lenient summaries
                try:
                    read()
                except RnnkitError as e:
                    assert str(e)
                    if isinstance(e, DataError):
                        assert e.path is not None


@given(st.binary(max_size=300))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_bytes_give_data_or_an_rnnkit_error(data):
    _check_every_reader(data)


@st.composite
def _near_valid(draw):
    seed = SEED_LINES[draw(st.sampled_from(SEEDS))]  # lines of one format, a few broken
    lines = seed[:1] + draw(st.lists(st.sampled_from(seed), max_size=10))  # header first
    out = []
    for line in lines:
        if draw(st.booleans()):
            cut = draw(st.integers(0, len(line)))
            line = line[:cut] + draw(st.sampled_from(NOISE)) + line[cut:]
        out.append(line)
    return b"\n".join(out)


@given(_near_valid())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_near_valid_lines_give_data_or_an_rnnkit_error(data):
    _check_every_reader(data)
