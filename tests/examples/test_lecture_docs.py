"""The lecture pages link what exists, every page has a Korean and an English version that
link each other and show the same outputs, the index lists every page, the mapping covers
the five notes, and the outputs shown for the deterministic examples are what those
examples print today."""

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
DOCS = ROOT / "docs"
LECTURES = DOCS / "lectures"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#([^)]*))?\)")
# task pages the index names before their tasks land; a link to one must resolve once it exists
PENDING = {"tag.md", "forecast.md", "seq2seq.md"}
FENCED = re.compile(r"```(text|bash|python)\n(.*?)```", re.S)


def _links(page: Path) -> list[str]:
    return [t for t, _ in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _lecture_pages() -> list[Path]:
    return sorted(LECTURES.glob("*.md")) + sorted(LECTURES.glob("*/*.md"))


def test_lecture_page_links_and_anchors_resolve():
    pages = _lecture_pages()
    assert len(pages) >= 40
    for page in pages:
        for target, anchor in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            path = page.parent / target
            assert path.exists(), (page.relative_to(ROOT), target)
            if anchor and path.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", path.read_text("utf-8"), re.M)
                assert anchor in {_slug(h) for h in headings}, (page.name, target, anchor)


def test_every_page_is_in_korean_and_english_linked_both_ways_with_the_same_outputs():
    korean = sorted(p.name for p in (LECTURES / "ko").glob("*.md"))
    english = sorted(p.name for p in (LECTURES / "en").glob("*.md"))
    assert korean == english and len(korean) >= 20
    hangul = re.compile(r"[\uac00-\ud7a3]")
    for name in korean:
        ko = (LECTURES / "ko" / name).read_text("utf-8")
        en = (LECTURES / "en" / name).read_text("utf-8")
        assert f"[English](../en/{name})" in ko and f"[한국어](../ko/{name})" in en, name
        # Korean is the primary text: most prose lines outside code carry Hangul
        prose = [line for line in FENCED.sub("", ko).splitlines() if len(line) > 40]
        prose = [line for line in prose if not line.startswith(("|", "    ", "API", "!["))]
        assert sum(bool(hangul.search(line)) for line in prose) >= 0.8 * len(prose), name
        # the code blocks (commands and real outputs) are the same in both languages
        assert FENCED.findall(ko) == FENCED.findall(en), name


def test_korean_pages_say_task_as_taesukeu_and_avoid_gwaje():
    for page in [*(LECTURES / "ko").glob("*.md"), LECTURES / "README.md", ROOT / "README.ko.md"]:
        text = FENCED.sub("", page.read_text("utf-8"))
        assert "과제" not in text, page.name


def test_mapping_covers_every_note_and_lists_errata():
    text = (LECTURES / "README.md").read_text("utf-8")
    for note in ("000", "001", "002", "003", "004"):
        assert f"## 노트 {note}" in text, note
    mapped = {
        Path(t).name
        for t in _links(LECTURES / "README.md")
        if t.startswith("ko/") and t.endswith(".md")
    }
    assert mapped == {p.name for p in (LECTURES / "ko").glob("*.md")}  # every page is mapped
    linked = {(LECTURES / t).resolve() for t in _links(LECTURES / "README.md")}
    for example in sorted((ROOT / "examples").glob("*.py")):
        assert example.resolve() in linked, example.name
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert notebook.resolve() in linked, notebook.name
    errata = text.split("## 정오표", 1)[1]
    for claim in ("hiddne", "softmax", "z = 1", "batch_first", "Gal & Ghahramani", "0.4"):
        assert claim in errata, claim
    glossary = (LECTURES / "glossary.md").read_text("utf-8")
    assert "| 태스크 | task |" in glossary


def test_lab_numbers_follow_note_004():
    """004: Lab 11-0 intro, 11-1 basics, 11-2 hihello and charseq, 11-3 long sequence."""
    expected = {"rnn-basics.md": "11-1", "hihello-charseq.md": "11-2", "long-sentence.md": "11-3"}
    for name, lab in expected.items():
        for lang in ("ko", "en"):
            title = (LECTURES / lang / name).read_text("utf-8").splitlines()[0]
            assert f"(Lab {lab})" in title, (lang, name, title)
    examples = {"rnn_shapes.py": "11-1", "hihello.py": "11-2", "charseq.py": "11-2",
                "long_sentence.py": "11-3"}  # fmt: skip
    for name, lab in examples.items():
        assert (ROOT / "examples" / name).read_text("utf-8").startswith(f'"""Lab {lab},'), name
    stock = (LECTURES / "en" / "stock-rnn.md").read_text("utf-8")
    assert "Lab 11-4" not in stock.splitlines()[0] and "note 003" in stock.splitlines()[0]
    assert "scales the whole file" not in stock and "shows no scaling" in stock


def test_index_lists_every_page_and_its_links_resolve():
    index = DOCS / "README.md"
    listed = {(index.parent / t).resolve() for t in _links(index)}
    for page in sorted(DOCS.glob("*.md")) + _lecture_pages():
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


def test_diagrams_are_small_pngs_linked_from_the_pages():
    images = sorted((LECTURES / "img").glob("*.png"))
    assert {p.name for p in images} >= {"lstm-cell.png", "gru-cell.png", "vanishing-gradients.png"}
    linked = set()
    for page in _lecture_pages():
        linked |= {(page.parent / t).resolve() for t in _links(page)}
    for image in images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size < 100_000
        assert image.resolve() in linked, image.name


def _command_and_output(page: str) -> tuple[list[str], str]:
    text = (LECTURES / "en" / page).read_text(encoding="utf-8")
    command = re.search(r"```bash\n(.*?)\n", text).group(1)
    output = re.search(r"```text\n(.*?)```", text, re.S).group(1)
    return shlex.split(command.split("#")[0]), output


@pytest.mark.parametrize(
    "page, example",
    [
        ("rnn-basics.md", "rnn_shapes"),
        ("packed-sequences.md", "packed_sequence"),
        ("ngram-theory.md", "ngram_theory"),
    ],
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


def test_shown_toy_strings_are_the_lectures():
    """charseq's leading space and the long sentence's 10-character windows, as shown."""
    page = (LECTURES / "en" / "hihello-charseq.md").read_text("utf-8")
    assert "' if you want you'" in page and "prediction str: 'if you want you'" in page
    page = (LECTURES / "en" / "long-sentence.md").read_text("utf-8")
    for row in re.findall(r"^x\[\d\] .*$", page, re.M):
        windows = re.findall(r"\s\[([^\]]*)\]", row)
        assert [len(w) for w in windows] == [10, 10], row
    assert "f` (if), `l` (build), `p` (ship), `g` (assign), `m` and `t`" in page


def test_readme_examples_section_runs_every_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Examples", 1)[1].split("\n## ", 1)[0]
    for example in sorted((ROOT / "examples").glob("*.py")):
        assert f"python examples/{example.name}" in section, example.name
