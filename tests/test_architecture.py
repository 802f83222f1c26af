"""docs/architecture.md's import rules, checked: each part of rnnkit imports only the
parts below it (imports inside functions included)."""

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent / "src" / "rnnkit"
LOW = {"errors"}
ALLOWED = {
    "errors": set(),
    "config": LOW,
    "nn": LOW,
    "data": LOW,
    "models": LOW | {"nn"},
    "metrics": LOW | {"span_metrics"},
    "span_metrics": LOW,
    "baselines": LOW | {"metrics", "span_metrics", "data"},
    "generate": LOW,
    "beam": LOW,
    "plots": LOW,
    "training": LOW | {"config"},
    "options": LOW | {"config", "tasks", "tune"},
    "tune": LOW | {"tasks"},
    "serve": LOW,
    "export": LOW | {"tasks"},
    "tasks": LOW
    | {
        "config",
        "nn",
        "data",
        "models",
        "baselines",
        "metrics",
        "span_metrics",
        "generate",
        "beam",
        "plots",
        "training",
    },  # fmt: skip
    "cli": LOW | {"options", "tasks", "training", "serve", "export"},
    "__init__": LOW | {"tasks"},
    "__main__": {"cli"},
}


def _part(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        for module in modules:
            parts = module.split(".")
            if parts[0] == "rnnkit" and len(parts) > 1:
                out.add(parts[1])
    return out


def test_every_part_imports_only_what_the_architecture_allows():
    seen = set()
    for path in sorted(ROOT.rglob("*.py")):
        part = _part(path)
        seen.add(part)
        assert part in ALLOWED, f"{part} is not in docs/architecture.md's table"
        wrong = _imports(path) - ALLOWED[part] - {part}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
    assert seen == set(ALLOWED)


def test_the_trainer_names_no_task_and_no_metric():
    text = (ROOT / "training" / "trainer.py").read_text("utf-8")
    for word in ("macro_f1", "char_accuracy", '"f1"', "classify", "seq2seq", "forecast"):
        assert word not in text, word


def test_the_cli_has_no_branch_on_a_task_name():
    text = (ROOT / "cli.py").read_text("utf-8")
    for name in ("classify", "tag", "forecast", "seq2seq"):
        assert f'"{name}"' not in text, name
    assert len(text.splitlines()) < 250
