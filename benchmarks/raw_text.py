"""Raw text for the character LMs behind ``--char-lm``: the words of tagged files, one
sentence per line, and plain text files as they are, written to one UTF-8 file.

    python benchmarks/raw_text.py raw.txt --tagged ../shared/devdata/en_gum/en_gum-ud-dev.conllu \\
        ../shared/devdata/wnut17/wnut17train.conll \\
        --text ../shared/devdata/wikitext2/valid.txt ../shared/devdata/wikitext2/test.txt

A tagged file is read as ``rnnkit train tag`` reads it (CoNLL-U by its ``.conllu``
extension, else CoNLL); its tags are not written. Prints one JSON object: the lines and
characters taken from each file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnnkit.tasks import TagConfig
from rnnkit.tasks.tag import read_tagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the raw text file to write")
    parser.add_argument("--tagged", nargs="*", default=[], help="CoNLL / CoNLL-U files")
    parser.add_argument("--text", nargs="*", default=[], help="plain text files")
    args = parser.parse_args()
    parts, report = [], {}
    for path in args.tagged:
        lines = [" ".join(s.tokens) for s in read_tagged(path, TagConfig())]
        parts.append("\n".join(lines) + "\n")
        report[path] = {"lines": len(lines), "chars": len(parts[-1])}
    for path in args.text:
        parts.append(Path(path).read_text(encoding="utf-8"))
        report[path] = {"lines": parts[-1].count("\n"), "chars": len(parts[-1])}
    text = "".join(parts)
    Path(args.out).write_text(text, encoding="utf-8")
    print(json.dumps({"out": args.out, "chars": len(text), "files": report}, indent=1))


if __name__ == "__main__":
    main()
