"""The import layers of docs/architecture.md: a module imports only modules of its own layer or below,
and no two modules or packages import each other, directly or round a loop (lazy imports inside
functions count; imports for type annotations only, under ``if TYPE_CHECKING:``, do not)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The layers, from the ground up (docs/architecture.md says what each holds). A name is a module or
# package below ``viubench``; the longest that matches a module decides its layer.
LAYERS: dict[str, int] = {
    "viubench": 1, "viubench.errors": 1, "viubench.paths": 1, "viubench.jsonfile": 1, "viubench.console": 1,
    "viubench.config": 1, "viubench.suggest": 1, "viubench.models": 1, "viubench.checkpoint": 1, "viubench.execution": 1, "viubench.judge.config": 1,
    "viubench.scoring": 2, "viubench.video": 2, "viubench.rewards": 2,
    "viubench.task": 3, "viubench.pretext": 3, "viubench.dataset": 3, "viubench.builtin_tasks": 3, "viubench.judge.protocol": 3,
    "viubench.backends": 4,
    "viubench.rundir": 5,
    "viubench.runner": 6, "viubench.judge": 6,
    "viubench.report": 7, "viubench.interop": 7, "viubench.train": 7, "viubench.diagnose": 7,
    "viubench.commands": 8, "viubench.cli": 8, "viubench.habits": 8,
}
# Units whose mutual imports would be a loop between packages (the judge's contract pieces apart).
UNITS = sorted(LAYERS, key=len, reverse=True)


def module_files() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / "viubench").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in sorted((ROOT / "tasks").glob("**/*.py")):
        parts = ("viubench", "builtin_tasks", *path.relative_to(ROOT / "tasks").with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """The viubench modules ``module`` imports (a name imported from a package counts as its submodule
    when there is one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("viubench"):
                    for alias in child.names:
                        sub = f"{target}.{alias.name}"
                        found.add(sub if sub in modules else target)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names if alias.name.startswith("viubench"))
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(module)
    return found


def unit(module: str) -> str:
    return next(name for name in UNITS if module == name or module.startswith(name + "."))


def graph() -> dict[str, set[str]]:
    files = module_files()
    return {module: imports_of(module, path, set(files)) for module, path in files.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One loop of ``edges``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = walk(node)
            if found:
                return found
    return None


def test_every_module_has_a_layer() -> None:
    missing = [m for m in graph() if not any(m == n or m.startswith(n + ".") for n in LAYERS)]
    assert missing == [], f"modules without a layer in tests/test_layers.py and docs/architecture.md: {missing}"


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{src} (layer {LAYERS[unit(src)]}) imports {dst} (layer {LAYERS[unit(dst)]})"
        for src, targets in graph().items() for dst in sorted(targets)
        if LAYERS[unit(dst)] > LAYERS[unit(src)]
    ]
    assert upward == []


def test_no_import_loop_between_modules() -> None:
    assert cycle(graph()) is None


def test_no_import_loop_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for src, targets in graph().items():
        for dst in targets:
            if unit(src) != unit(dst):
                edges.setdefault(unit(src), set()).add(unit(dst))
    assert cycle(edges) is None


@pytest.mark.parametrize("folder", ["viubench", "tasks"])
def test_no_module_over_400_lines(folder: str) -> None:
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / folder).rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_every_viubench_import_names_a_module_that_exists() -> None:
    """A lazy import of a module that moved fails only when its line runs: caught here instead."""
    files = module_files()
    packages = {name.rpartition(".")[0] for name in files} | set(files)
    missing = sorted(f"{src} imports {dst}" for src, targets in graph().items() for dst in targets if dst not in files and dst not in packages)
    assert missing == []
