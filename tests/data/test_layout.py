"""rnnkit.data imports one way: the module graph, read from the source (every import
statement, those inside functions and ``if TYPE_CHECKING`` included, and module names
given to ``importlib.import_module`` as strings), has no cycle and keeps the layers
drawn in ``rnnkit/data/__init__.py``."""

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src"
_MODULE_STRING = re.compile(r"rnnkit(?:\.\w+)+(?=$|:)")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """``{module: modules it imports}`` for every module of ``package`` under ``root``.

    ``from a.b import c`` is an import of ``a.b.c`` when that is a module of the
    graph, else of ``a.b``; relative imports are resolved. Imports of modules
    outside ``package`` are kept (for the layer checks) but have no edges of their own.
    """
    files = sorted((root / package.replace(".", "/")).rglob("*.py"))
    modules = {_module_name(root, f): f for f in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _MODULE_STRING.match(node.value)  # "rnnkit.data.x" or "rnnkit.data.x:Cls"
                if match and match.group() in modules:
                    targets.add(match.group())
        graph[name] = {t for t in targets if t.startswith("rnnkit") and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


GRAPH = import_graph(SRC, "rnnkit.data")


def test_the_data_modules_import_each_other_without_a_cycle():
    assert "rnnkit.data.tokenizers.subword" in GRAPH and "rnnkit.data.embedded" in GRAPH
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


def test_a_lazy_import_cycle_is_found(tmp_path):
    # negative control: the tokenizers <-> subword cycle of old, its import hidden in a function
    pkg = tmp_path / "rnnkit" / "data"
    pkg.mkdir(parents=True)
    (tmp_path / "rnnkit" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "tokenizers.py").write_text(
        "def make():\n    from rnnkit.data import subword\n    return subword\n"
    )
    (pkg / "subword.py").write_text("from rnnkit.data.tokenizers import make\n")
    assert find_cycle(import_graph(tmp_path, "rnnkit.data")) == [
        "rnnkit.data.subword",
        "rnnkit.data.tokenizers",
        "rnnkit.data.subword",
    ]
    (pkg / "tokenizers.py").write_text('REGISTRY = {"sentencepiece": "rnnkit.data.subword:SP"}\n')
    assert find_cycle(import_graph(tmp_path, "rnnkit.data")) is not None  # by name, as a string


def test_data_imports_nothing_of_rnnkit_but_itself_and_errors():
    outside = {
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if not target.startswith("rnnkit.data") and target != "rnnkit.errors"
    }
    assert not outside


@pytest.mark.parametrize(
    "module",
    sorted(m for m in GRAPH if m != "rnnkit.data" and not m.startswith("rnnkit.data.embedded")),
)
def test_no_stage_imports_the_embedded_data_or_the_data_package_itself(module):
    refused = {
        t for t in GRAPH[module] if t == "rnnkit.data" or t.startswith("rnnkit.data.embedded")
    }
    assert not refused, module


def test_the_time_series_and_batching_stay_apart_from_the_text_stages():
    text = ("tokenizers", "vocab", "datasets", "readers", "conll", "_lines", "vectors")
    for module, targets in GRAPH.items():
        if module.startswith(("rnnkit.data.timeseries", "rnnkit.data.batching")):
            used = {t for t in targets if t.startswith(tuple(f"rnnkit.data.{s}" for s in text))}
            assert not used, (module, used)
