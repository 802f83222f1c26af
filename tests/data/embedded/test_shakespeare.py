import re

from rnnkit.data import embedded
from rnnkit.data.embedded.shakespeare import markdown_play_to_text


def test_shakespeare_is_plain_speaker_blocks_without_markup():
    text = embedded.load("shakespeare")
    assert len(text) > 4_000_000
    assert text.startswith("THESEUS:\n")
    for mark in ("**", "_", "#", "[", "]", "\\"):
        assert mark not in text, mark
    blocks = text.strip().split("\n\n")
    assert len(blocks) > 20_000
    assert all(re.fullmatch(r"[^\n]+:", b.split("\n")[0]) for b in blocks)
    assert all(len(b.split("\n")) >= 2 for b in blocks)


def test_split_is_fixed_last_tenth_starting_at_a_speaker():
    full = embedded.load("shakespeare")
    train, valid = embedded.load("shakespeare", "train"), embedded.load("shakespeare", "valid")
    assert train + valid == full
    assert 0.095 < len(valid) / len(full) <= 0.1
    assert re.match(r"[^\n]+:\n", valid)
    assert train.endswith("\n\n")


def test_markdown_conversion_drops_headings_and_stage_directions():
    md = (
        "# Hamlet\n\n## ACT I\n\n### SCENE I. Elsinore.\n\n"
        "_FRANCISCO at his post. Enter to him\nBERNARDO_\n\n"
        "**BERNARDO**  \nWho's there?\n\n"
        "**FRANCISCO**  \n_\\[Aside]_  \nNay, answer me: stand,  \nand unfold yourself.\n\n"
        "_Exit_\n"
    )
    assert markdown_play_to_text(md) == (
        "BERNARDO:\nWho's there?\n\nFRANCISCO:\nNay, answer me: stand,\nand unfold yourself."
    )


def test_unknown_dataset_is_a_config_error():
    import pytest

    from rnnkit.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown embedded dataset 'nope'"):
        embedded.load("nope")
