"""The package's shape: no import cycles, no long files without a reason.

Cycles are counted over every import statement in eager_lab (module level, inside
functions, under ``TYPE_CHECKING``): a function-level import is still a dependency, and a
cycle through one is what makes the stages impossible to read (or test) one at a time.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "eager_lab"
LONG = 500
REASON = "Longer than 500 lines because"


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "labextension" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: pathlib.Path, modules: dict) -> set[str]:
    """The eager_lab modules ``name`` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_is_read_from_the_real_sources():
    graph = _graph()
    # Known edges, so that a parser that finds nothing cannot pass the cycle test.
    assert "eager_lab.capturing.hooks" in graph["eager_lab.capturing.session"]
    assert "eager_lab.record.events" in graph["eager_lab.comm.transport"]
    assert "eager_lab.compat" in graph["eager_lab.capturing.op_capture"]
    assert "eager_lab.compare.service" in graph["eager_lab.capturing.session"]
    assert len(graph) >= 25


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_folders_are_the_pipeline():
    folders = sorted(p.name for p in PACKAGE.iterdir()
                     if p.is_dir() and (p / "__init__.py").exists())
    assert folders == ["capturing", "comm", "compare", "naming", "notebook", "record"]
    # Stages import earlier stages, never later ones (the notebook front and the comm
    # sit on top of all of them; the package root wires them together).
    order = ["compat", "errors", "capturing", "naming", "record", "compare", "comm", "notebook"]
    rank = {stage: i for i, stage in enumerate(order)}
    later = []
    for module, targets in _graph().items():
        stage = module.split(".")[1] if module.count(".") else None
        if stage not in rank:
            continue
        for target in targets:
            other = target.split(".")[1] if target.count(".") else None
            if other in rank and rank[other] > rank[stage] and not _allowed(module, target):
                later.append(f"{module} -> {target}")
    assert later == []


def _allowed(module: str, target: str) -> bool:
    # capture() is where a recording is put together (session, and the hooks that trace a
    # model's step): it names the ops, keeps them as records and hands each step the
    # compare stage's service, so that Step stays plain data.
    return module in ("eager_lab.capturing.session", "eager_lab.capturing.hooks")


@pytest.mark.parametrize("path", sorted(
    [p for p in PACKAGE.rglob("*.py") if "labextension" not in p.parts]
    + [p for p in (ROOT / "src").rglob("*.ts*") if "__tests__" not in p.parts]),
    ids=lambda p: str(p.relative_to(ROOT)))
def test_no_long_file_without_a_reason(path):
    lines = path.read_text().splitlines()
    if len(lines) > LONG:
        head = "\n".join(lines[:30])
        assert REASON in head, (
            f"{path.relative_to(ROOT)} has {len(lines)} lines: split it along its seams, or "
            f"say why not at its top ('{REASON} …')")
