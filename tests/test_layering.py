"""The import graph reads as the architecture: every module imports only from layers below
its own (parsed with ast, lazy imports inside functions included), nothing imports the
package face ``statnn/__init__.py`` or the command line, and module-level imports have no
cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import statnn

ROOT = Path(statnn.__file__).parent

#: Rank of each top-level part of the package: a module may import from a lower rank (or
#: from inside its own part). errors/_version are the ground; theory uses nothing of ours
#: but the argument checks; results (the one write path) only the ground; stats imports
#: nothing from dynamics; datasets draws its random patterns from memory; learning drives
#: the sampler (dynamics) and sits beside nn.
RANK = {
    "errors": 0,
    "_version": 0,
    "_validation": 1,
    "_argparse": 1,
    "_memory": 1,
    "_progress": 1,
    "_device": 2,
    "results": 2,
    "theory": 2,
    "core": 2,
    "stats": 3,
    "dynamics": 4,
    "nn": 5,
    "learning": 5,
    "plotting": 5,
    "memory": 6,
    "datasets": 7,
    "experiments": 8,
    "sweep": 8,
    "simulate_command": 8,
    "demo": 8,
    "cli": 9,
    "__main__": 10,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("statnn",) + path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _targets(node: ast.AST) -> list[str]:
    """The statnn modules an import statement loads (a name imported from a package is a
    module when a file of that name exists)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "statnn"]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module.split(".")[0] != "statnn":
            return []
        found = [node.module]
        for alias in node.names:
            sub = f"{node.module}.{alias.name}"
            if sub in MODULES:
                found.append(sub)
        return found
    return []


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        found.update(_targets(node))
    return found


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<package face>"


def test_every_part_has_a_rank():
    assert {_part(m) for m in MODULES} - {"<package face>"} <= set(RANK)


def test_no_import_runs_up_the_layers():
    bad = []
    for module, path in MODULES.items():
        if module == "statnn":
            continue
        own = _part(module)
        for target in _imports(path, top_level_only=False):
            other = _part(target)
            if other == own:
                continue
            if other == "<package face>":
                bad.append(f"{module} imports the package face ({target})")
            elif RANK[other] >= RANK[own]:  # cli is only below __main__
                bad.append(f"{module} ({own}) imports {target} ({other})")
    assert not bad, "\n".join(sorted(bad))


def test_relative_imports_are_not_used():
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
        assert not rel, module


def test_no_import_cycles():
    graph = {m: _imports(p, top_level_only=True) & set(MODULES) for m, p in MODULES.items()}
    # importing statnn.a.b runs statnn/a/__init__.py first: a package is a dependency too
    for module in list(graph):
        parent = module.rsplit(".", 1)[0]
        graph[module] = {t for t in graph[module] if t != module and t != parent}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t) :] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, cycles
