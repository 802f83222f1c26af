import pytest

from rnnkit.data import embedded
from rnnkit.data.embedded.toys import TOYS, load_toy, next_char_pair, sliding_windows
from rnnkit.errors import ConfigError


def test_lecture_toys_are_embedded_by_name():
    assert embedded.load("hihello") == "hihello"
    assert (
        embedded.load("charseq") == " if you want you"
    )  # note 004: the leading space is the first input
    sentence = embedded.load("long_sentence")
    assert sentence.startswith("if you want to build a ship, don't drum up people")
    assert sentence.endswith("the endless immensity of the sea.")
    assert len(sentence) == 180
    assert set(TOYS) <= set(embedded.NAMES)


def test_toys_have_no_split_and_unknown_names_are_refused():
    with pytest.raises(ConfigError, match="no splits"):
        embedded.load("hihello", "train")
    with pytest.raises(ConfigError, match="unknown lecture toy 'hello'"):
        load_toy("hello")


def test_next_char_pair_shifts_by_one():
    assert next_char_pair("hihello") == ("hihell", "ihello")
    with pytest.raises(ConfigError):
        next_char_pair("h")


def test_sliding_windows_cover_every_start_and_shift_targets_by_one():
    windows = sliding_windows("abcdef", 3)
    assert windows == [("abc", "bcd"), ("bcd", "cde"), ("cde", "def")]
    sentence = load_toy("long_sentence")
    windows = sliding_windows(sentence, 10)
    assert len(windows) == len(sentence) - 10
    assert windows[0] == ("if you wan", "f you want")
    assert all(x[1:] == y[:-1] for x, y in windows)
    # the first window and every later window's last character rebuild the text
    assert windows[0][0] + "".join(x[-1] for x, _ in windows[1:]) == sentence[:-1]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_sliding_windows_refuse_a_bad_length(bad):
    with pytest.raises(ConfigError, match="seq_length"):
        sliding_windows("abcdef", bad)
    with pytest.raises(ConfigError, match="no window"):
        sliding_windows("abc", 3)


def test_the_window_diagram_draws_the_lectures_ten_characters():
    import re

    from rnnkit.data.embedded import toys

    drawn = re.findall(r"[xy]\[\d\]\s+\[([^\]]*)\]", toys.__doc__)
    assert len(drawn) == 6 and all(len(w.split()) == 10 for w in drawn)
    first = "".join(drawn[0].split()).replace("_", " ")
    assert sliding_windows(embedded.load("long_sentence"), 10)[0][0] == first
