"""The lecture pages link what exists, the index lists every page, and the outputs shown
for the deterministic examples are what those examples print today."""

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
# task pages the index names before their tasks land; a link to one must resolve once it exists
PENDING = {"tag.md", "forecast.md", "seq2seq.md"}


def _links(page: Path) -> list[str]:
    return [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]


def test_lecture_page_links_resolve():
    pages = sorted((DOCS / "lectures").glob("*.md"))
    assert len(pages) >= 10
    for page in pages:
        for target in _links(page):
            assert (page.parent / target).exists(), (page.name, target)


def test_index_lists_every_page_and_its_links_resolve():
    index = DOCS / "README.md"
    listed = {(index.parent / t).resolve() for t in _links(index)}
    for page in sorted(DOCS.glob("*.md")) + sorted((DOCS / "lectures").glob("*.md")):
        if page != index:
            assert page.resolve() in listed, page.relative_to(ROOT)
    for target in _links(index):
        assert (index.parent / target).exists() or target in PENDING, target


def test_every_example_is_linked_from_a_docs_page():
    linked = set()
    for page in DOCS.rglob("*.md"):
        linked |= {(page.parent / t).resolve() for t in _links(page)}
    for example in sorted((ROOT / "examples").glob("*.py")):
        assert example.resolve() in linked, example.name


def _command_and_output(page: str) -> tuple[list[str], str]:
    text = (DOCS / "lectures" / page).read_text(encoding="utf-8")
    command = re.search(r"```bash\n(.*?)\n", text).group(1)
    output = re.search(r"```text\n(.*?)```", text, re.S).group(1)
    return shlex.split(command.split("#")[0]), output


@pytest.mark.parametrize(
    "page, example",
    [("rnn-basics.md", "rnn_shapes"), ("packed-sequences.md", "packed_sequence")],
)
def test_shown_output_is_what_the_example_prints(page, example, capsys):
    argv, shown = _command_and_output(page)
    assert argv[:2] == ["python", f"examples/{example}.py"]
    path = ROOT / "examples" / f"{example}.py"
    spec = importlib.util.spec_from_file_location(f"doc_{example}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(argv[2:])
    assert capsys.readouterr().out == shown


def test_readme_examples_section_runs_every_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Examples", 1)[1].split("\n## ", 1)[0]
    for example in sorted((ROOT / "examples").glob("*.py")):
        assert f"python examples/{example.name}" in section, example.name
