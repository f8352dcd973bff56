"""The emulator's layout stays as split: small modules, no import of the deployer, imports one way.

Read with `ast` (function-level imports included), so nothing here imports moto."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "hana_emulator"
MAX_LINES = 600
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = ["hana_emulator", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute, at any depth (functions included)."""
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)  # `from . import engine`
    return found


def test_the_package_has_modules():
    assert len(MODULES) > 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_long_without_saying_why(path):
    lines = len(path.read_text().splitlines())
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert lines <= MAX_LINES or "long:" in docstring, (
        f"{path.name} has {lines} lines (limit {MAX_LINES}): split it, or say why in its docstring ('long: ...')"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_emulator_imports_nothing_from_the_deployer(path):
    deploy = sorted(m for m in _imports(path) if m == "deploy" or m.startswith("deploy."))
    assert deploy == [], f"{path.name} imports {deploy}: the emulator is a server, not part of the deployer"


def test_emulator_modules_import_each_other_one_way():
    """No cycle between the emulator's modules (a package's __init__ and its own modules aside)."""
    names = {_name(p): p for p in MODULES}
    edges = {
        name: {m for m in names if m != name and m in _imports(path) and not name.startswith(m + ".")}
        for name, path in names.items()
    }

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    return [*trail, start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [c for c in map(cycle_from, sorted(names)) if c]
    assert not cycles, f"import cycle: {' -> '.join(cycles[0])}"


def test_importing_the_package_does_not_import_moto():
    code = "import sys, hana_emulator; print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
