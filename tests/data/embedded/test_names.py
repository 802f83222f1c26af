"""The embedded names: enough countries, clean ASCII, one label per name, a fixed split."""

import re

from rnnkit.data import embedded
from rnnkit.data.embedded.names import (
    KOREAN_SURNAMES,
    SOURCES,
    ambiguous_names,
    class_counts,
    load_names,
)


def test_at_least_15_countries_including_the_asian_and_european_ones():
    counts = class_counts()
    assert len(counts) >= 15
    for country in ("Korean", "Japanese", "Chinese", "Russian", "German", "French", "Italian"):
        assert counts[country] >= 40, country
    assert sum(counts.values()) > 5000


def test_names_are_romanised_ascii_words():
    for name, country in load_names():
        assert re.fullmatch(r"[A-Za-z](?:[A-Za-z' -]*[A-Za-z])?", name), (name, country)


def test_well_known_surnames_have_their_country():
    rows = set(load_names())
    for row in [
        ("Nakamura", "Japanese"),
        ("Kim", "Korean"),
        ("Park", "Korean"),
        ("Smirnov", "Russian"),
        ("Chen", "Chinese"),  # also in Faker's Swedish list: the native-script class keeps it
        ("Papadopoulos", "Greek"),
    ]:
        assert row in rows, row


def test_every_name_has_one_label_and_shared_names_are_dropped():
    labels = {}
    for name, country in load_names():
        assert labels.setdefault(name.lower(), country) == country, name
    dropped = set(ambiguous_names())
    assert "jensen" in dropped  # Danish and Norwegian
    assert not dropped & set(labels)


def test_split_is_stratified_disjoint_and_complete():
    splits = {s: load_names(s) for s in ("train", "valid", "test")}
    names = {s: {n for n, _ in rows} for s, rows in splits.items()}
    assert not names["train"] & names["valid"]
    assert not names["train"] & names["test"]
    assert not names["valid"] & names["test"]
    assert sorted(sum(splits.values(), [])) == sorted(load_names())
    total = class_counts()
    for country in SOURCES:
        valid, test = class_counts("valid")[country], class_counts("test")[country]
        assert valid >= 1 and test >= 1, country
        assert abs(test / total[country] - 0.1) < 0.03, country


def test_load_is_deterministic_and_cached():
    assert load_names("train") == load_names("train")
    assert load_names("train") is not load_names("train")  # callers get their own list


def test_embedded_load_serves_names_beside_shakespeare():
    assert "names" in embedded.NAMES and "shakespeare" in embedded.NAMES
    assert embedded.load("names", "test") == load_names("test")


def test_korean_table_covers_every_faker_korean_surname():
    from faker.providers.person.ko_KR import Provider

    assert set(Provider.last_names) <= set(KOREAN_SURNAMES)
