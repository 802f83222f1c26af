"""The Python blocks of the data docs run as written (from the repository root)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
PAGES = ["docs/migrating-from-torchtext.md", "docs/data.md"]


def _blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("page", PAGES)
def test_doc_python_blocks_run(page, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    blocks = _blocks(page)
    assert blocks, page
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, page, "exec"), namespace)
        printed = capsys.readouterr().out.splitlines()
        # each "# value" comment right after a print is what that print shows
        shown = [line[2:] for line in block.splitlines() if line.startswith("# ")]
        assert printed == shown[: len(printed)], (page, printed, shown)


def test_readers_doctest_example_runs(monkeypatch):
    import doctest

    from rnnkit.data import readers

    monkeypatch.chdir(ROOT)
    assert doctest.testmod(readers).failed == 0
    from rnnkit.data import tokenizers

    assert doctest.testmod(tokenizers).failed == 0
