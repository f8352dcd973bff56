"""The house stays visible: no import loops, layers import only downward, no module too long.

The import graph is read from the source with `ast` (function-level imports included, since a
lazy import is still a dependency). An edge goes to the module named in the import; a package's
`__init__` is not implied by importing one of its submodules (as in import-linter), so a package
that registers its submodules is not a loop.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("deploy", "hana_emulator", "hana_templates", "hana_cost")

# deploy's layers, top to bottom: a module may import its own layer and the ones below it.
DEPLOY_LAYERS = {"commands": 5, "ui": 4, "ops": 3, "engine": 2, "aws": 1, "errors": 0}
# What each package may import of the others (hana_templates is the pure generator: nothing).
ALLOWED_PACKAGES = {
    "deploy": {"hana_templates", "hana_cost", "hana_emulator"},
    "hana_emulator": set(),
    "hana_templates": set(),
    "hana_cost": {"hana_templates"},
}
# Only these deploy layers may reach into the emulator, and only lazily (inside a function):
# aws for the client side of --local, commands for `python -m deploy local`.
EMULATOR_USERS = {"aws": {"hana_emulator", "hana_emulator.client"}, "commands": None}
LONG_MODULE = 600


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every first-party import of `name`."""
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, id(node) in top_level))
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "deploy" or len(parts) < 2:
        return None  # deploy/__init__ and __main__ sit above every layer
    return DEPLOY_LAYERS.get(parts[1])


def test_the_graph_is_read():
    """The reader finds the imports it must (so the checks below cannot pass on an empty graph)."""
    assert ("deploy.engine.cfn", True) in GRAPH["deploy.engine.stackops"]
    assert any(t == "hana_emulator.client" for t, _ in GRAPH["deploy.aws.session"])
    assert ("deploy.commands.group", True) in GRAPH["deploy.commands.stacks"]
    assert len(MODULES) > 60


def test_no_import_loops():
    sorter = graphlib.TopologicalSorter({name: {t for t, _ in deps} for name, deps in GRAPH.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        pytest.fail(f"import loop: {' -> '.join(err.args[1])}")


def test_deploy_layers_import_only_downward():
    upward = []
    for name, deps in GRAPH.items():
        mine = _layer(name)
        if mine is None:
            continue
        for target, _ in deps:
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{name} -> {target}")
    assert not upward, "upward imports (see deploy/__init__.py for the layers): " + ", ".join(upward)


def test_every_deploy_module_belongs_to_a_layer():
    stray = [n for n in MODULES if n.startswith("deploy.") and n not in ("deploy.__main__",) and _layer(n) is None]
    assert not stray, f"modules outside the layers of deploy/__init__.py: {stray}"


def test_packages_import_only_what_they_may():
    wrong = []
    for name, deps in GRAPH.items():
        package = name.split(".")[0]
        for target, _ in deps:
            other = target.split(".")[0]
            if other != package and other not in ALLOWED_PACKAGES[package]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, ", ".join(wrong)


def test_the_deployer_reaches_the_emulator_lazily_and_only_where_it_must():
    wrong = []
    for name, deps in GRAPH.items():
        if not name.startswith("deploy."):
            continue
        layer = name.split(".")[1]
        for target, at_module_level in deps:
            if not target.startswith("hana_emulator"):
                continue
            allowed = EMULATOR_USERS.get(layer, set())
            if at_module_level or (allowed is not None and target not in allowed):
                wrong.append(f"{name} -> {target}{' (at import time)' if at_module_level else ''}")
    assert not wrong, ", ".join(wrong)


def test_every_package_states_its_role():
    for name, path in MODULES.items():
        if path.name == "__init__.py" and name.count(".") <= 1:
            doc = ast.get_docstring(ast.parse(path.read_text())) or ""
            assert len(doc) > 80, f"{path.relative_to(ROOT)} has no docstring saying what lives there"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_too_long_without_saying_why(name):
    path = MODULES[name]
    lines = len(path.read_text().splitlines())
    if lines > LONG_MODULE:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "long:" in doc, (
            f"{path.relative_to(ROOT)} has {lines} lines: split it, or say why in its docstring (long: ...)"
        )
