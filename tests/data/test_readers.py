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
