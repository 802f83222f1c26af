import pytest

from rnnkit.data.readers import read_text
from rnnkit.errors import DataError


def test_reads_a_file_and_a_folder_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_text("second\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first\n", encoding="utf-8")
    (tmp_path / "skip.md").write_text("not text data\n", encoding="utf-8")
    assert read_text(tmp_path / "a.txt") == "first\n"
    assert read_text(tmp_path) == "first\nsecond\n"


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"nope\.txt: expected an existing file, got no such file"):
        read_text(tmp_path / "nope.txt")


def test_a_path_with_a_nul_byte_is_a_data_error_not_a_value_error():
    """open() refuses such a path with a bare ValueError; the CLI would print a
    traceback (found by tests/test_cli_fuzz.py with the path '\\x00')."""
    with pytest.raises(DataError, match=r"'a\\x00b': expected a file path, got a NUL byte"):
        read_text("a\x00b")


def test_empty_file_is_refused(fixtures):
    with pytest.raises(DataError, match=r"empty\.txt: expected some text, got an empty file"):
        read_text(fixtures / "empty.txt")


def test_invalid_utf8_names_line_and_byte_offset(fixtures):
    with pytest.raises(DataError) as info:
        read_text(fixtures / "latin1.txt")
    err = info.value
    assert err.line == 2
    assert "byte 0xe9 at byte offset 21" in str(err)
    assert str(err).startswith(str(fixtures / "latin1.txt") + ":2: expected UTF-8 text")


def test_folder_without_text_files(tmp_path):
    with pytest.raises(DataError, match="no .txt file"):
        read_text(tmp_path)


# --- TSV / CSV -----------------------------------------------------------------------------

import warnings  # noqa: E402

import numpy as np  # noqa: E402

from rnnkit.data.readers import (  # noqa: E402
    read_label_folder,
    read_labelled,
    read_numeric_csv,
    read_pairs,
)


def test_labelled_tsv_by_column_name_keeps_quotes_and_line_numbers(fixtures):
    rows = read_labelled(fixtures / "reviews_ko.tsv", text_column="document", label_column="label")
    assert len(rows) == 20
    assert rows[0] == ("이 영화 정말 재밌어요", "1")
    assert rows[11] == ('"인생 영화"라고 부를 만하다', "1")  # a tab file does not quote
    assert rows.lines[:3] == [2, 3, 4] and rows.lines[-1] == 21
    assert rows.skipped == []


def test_labelled_by_column_number_with_header_skipped(fixtures):
    rows = read_labelled(fixtures / "reviews_ko.tsv", text_column=1, label_column=-1, header=True)
    assert rows[1] == ("배우들의 연기가 훌륭했다", "1")


@pytest.mark.parametrize(
    "columns, got",
    [((1, 1), "column 1"), ((-1, 2), "column 2"), (("label", -1), "column 2")],
)
def test_one_column_as_both_text_and_label_is_refused(fixtures, columns, got):
    """It trained on the label as its own text, without a word."""
    text, label = columns
    with pytest.raises(DataError, match=f"reviews_ko.tsv:1: expected a different column .*{got}"):
        read_labelled(
            fixtures / "reviews_ko.tsv", text_column=text, label_column=label, header=True
        )


def test_csv_quoting_commas_doubled_quotes_and_multiline_fields(fixtures):
    rows = read_labelled(fixtures / "labelled.csv", header=True)
    assert list(rows) == [
        ("Fine, thanks", "pos"),
        ('He said "no"', "neg"),
        ("two\nlines", "pos"),
        ("plain", "neg"),
    ]
    assert rows.lines == [2, 3, 4, 6]  # the multi-line field starts on line 4


@pytest.mark.parametrize(
    "name, options, message",
    [
        (
            "reviews_bad_columns.tsv",
            {"header": False},
            r":3: expected 3 fields separated by '\\t', as line 1 has, got 4",
        ),
        (
            "reviews_bad_columns.tsv",  # its first row names the columns: detected
            {},
            r":3: expected 3 fields separated by '\\t', as the header has, got 4",
        ),
        (
            "reviews_empty_text.tsv",
            {"text_column": "document", "label_column": "label"},
            r":3: expected a non-empty value in document, got an empty field",
        ),
        (
            "reviews_header_only.tsv",
            {"text_column": "document", "label_column": "label"},
            r"reviews_header_only\.tsv: expected at least one example, got none",
        ),
        ("labelled_bad_quote.csv", {"header": True}, r":3: expected well-formed CSV quoting"),
        (
            "reviews_ko.tsv",
            {"text_column": "review", "label_column": "label"},
            r":1: expected a column named 'review', got the columns id, document, label",
        ),
        ("reviews_latin1.tsv", {}, r":3: expected UTF-8 text, got byte 0xe9 at byte offset 30"),
    ],
)
def test_malformed_tables_name_file_line_and_expectation(fixtures, name, options, message):
    with pytest.raises(DataError, match=message) as info:
        read_labelled(fixtures / name, **options)
    assert info.value.path == str(fixtures / name)


def test_bad_utf8_error_carries_the_byte_offset(fixtures):
    with pytest.raises(DataError) as info:
        read_labelled(fixtures / "reviews_latin1.tsv")
    assert (info.value.line, info.value.offset) == (3, 30)


def test_lenient_reading_counts_and_warns_instead_of_dropping_silently(fixtures):
    with pytest.warns(UserWarning, match=r"skipped 1 malformed example \(lenient=True\)"):
        rows = read_labelled(
            fixtures / "reviews_empty_text.tsv",
            text_column="document",
            label_column="label",
            lenient=True,
        )
    assert list(rows) == [("좋아요", "1"), ("최고", "1")]
    assert rows.num_skipped == 1 and rows.skipped[0].line == 3
    assert rows.lines == [2, 4]


def test_strict_reading_warns_nothing(fixtures):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_labelled(fixtures / "reviews_ko.tsv", text_column="document", label_column="label")


def test_lenient_reading_still_refuses_a_file_without_examples(fixtures, tmp_path):
    path = tmp_path / "all_bad.tsv"
    path.write_text("\tx\n\ty\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"at least one example, got none \(2 malformed skipped"):
        read_labelled(path, lenient=True)


def test_label_folder_reads_label_files_in_name_order(fixtures):
    rows = read_label_folder(fixtures / "names")
    assert rows[0] == ("Dvořák", "Czech")
    assert sorted({label for _, label in rows}) == ["Czech", "Korean", "Scottish"]
    assert [label for _, label in rows] == sorted(label for _, label in rows)
    assert rows.lines[3] == 1 and rows.files[3].endswith("Korean.txt")


def test_label_folder_refuses_blank_lines_and_empty_label_files(fixtures, tmp_path):
    with pytest.raises(DataError, match=r"Korean\.txt:2: expected one example per line"):
        read_label_folder(fixtures / "names_blank_line")
    (tmp_path / "A.txt").write_text("x\n", encoding="utf-8")
    (tmp_path / "B.txt").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"B\.txt: expected at least one example of 'B'"):
        read_label_folder(tmp_path)
    with pytest.raises(DataError, match="no such folder"):
        read_label_folder(tmp_path / "nope")


def test_pairs_allow_a_constant_extra_column_and_refuse_an_empty_side(fixtures):
    pairs = read_pairs(fixtures / "pairs.tsv")
    assert list(pairs) == [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !")]
    with pytest.raises(DataError, match=r"pairs_empty_side\.tsv:2: expected a non-empty value"):
        read_pairs(fixtures / "pairs_empty_side.tsv")


# --- numeric CSV ---------------------------------------------------------------------------


def test_numeric_csv_reads_named_columns_dates_and_lines(fixtures):
    table = read_numeric_csv(fixtures / "prices.csv", ["Close", "Volume"], date_column="Date")
    assert table.values.shape == (40, 2) and table.values.dtype == np.float64
    assert table.columns == ["Close", "Volume"]
    assert table.dates[:2] == ["2024-01-01", "2024-01-02"]
    assert table.lines[0] == 2 and table.lines[-1] == 41
    np.testing.assert_allclose(table.column("Close")[:2], [100.0, 102.97])
    everything = read_numeric_csv(fixtures / "prices.csv", date_column="Date")
    assert everything.columns == ["Open", "High", "Low", "Close", "Volume"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("prices_nan.csv", r":4: expected a finite number in column 'Close', got 'NaN'"),
        ("prices_bad_number.csv", r":5: expected a number in column 'Close', got '1,234'"),
        (
            "prices_dates_backwards.csv",
            r":6: expected a date after 2024-01-05 \(line 5\): dates must increase",
        ),
    ],
)
def test_numeric_csv_refuses_bad_numbers_and_dates(fixtures, name, message):
    with pytest.raises(DataError, match=message):
        read_numeric_csv(fixtures / name, date_column="Date")


def test_numeric_csv_lenient_skips_and_counts(fixtures):
    with pytest.warns(UserWarning, match="skipped 1"):
        table = read_numeric_csv(fixtures / "prices_nan.csv", date_column="Date", lenient=True)
    assert len(table) == 4 and len(table.skipped) == 1 and 4 not in table.lines


def test_numeric_csv_unknown_column_and_bad_date_format(fixtures, tmp_path):
    with pytest.raises(DataError, match="a column named 'Price'"):
        read_numeric_csv(fixtures / "prices.csv", ["Price"])
    path = tmp_path / "d.csv"
    path.write_text("day,x\n01/02/2024,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r":2: expected an ISO date \(YYYY-MM-DD\)"):
        read_numeric_csv(path, date_column="day")
    table = read_numeric_csv(path, date_column="day", date_format="%m/%d/%Y")
    assert table.dates == ["01/02/2024"]


def test_take_keeps_source_and_the_line_of_each_record_taken():
    from rnnkit.data.readers import ReadResult, take

    records = ReadResult(["a", "b", "c"], source="f.tsv", lines=[2, 5, 9])
    part = take(records, [2, 0])
    assert part == ["c", "a"] and part.source == "f.tsv" and part.lines == [9, 2]
    assert take(["a", "b"], [1]) == ["b"] and not isinstance(take(["a", "b"], [1]), ReadResult)


def test_a_named_pipe_is_refused_at_once_not_waited_on(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes: training hung for ever."""
    import os

    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"p: expected a regular file .*got a named pipe"):
        read_text(fifo)
