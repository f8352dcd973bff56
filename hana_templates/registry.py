"""The stacks, their contracts and the dependency graph derived from them.

This is the single source of stack order for everything: generate.py, main.yaml, the
deployer and the stack table in docs/stacks.md. Order is never written by hand: a stack depends on the
stacks whose outputs it declares as inputs (`From`), and graphlib sorts them.

Exported: STACKS (name -> StackSpec, in module order), BUILDERS, order(), waves(),
upstream(name), downstream(name), validate(), build(cfg), stack_table() (docs/stacks.md's).
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable
from types import ModuleType

from troposphere import Template

from . import compute, database, iam, messaging, network, observability, secrets, storage, waf
from .config import EnvConfig
from .errors import ContractError
from .spec import StackSpec

# One module per stack. Adding a stack = writing its module and listing it here.
_MODULES: tuple[ModuleType, ...] = (network, storage, secrets, messaging, iam, database, compute, waf, observability)

STACKS: dict[str, StackSpec] = {m.SPEC.name: m.SPEC for m in _MODULES}
BUILDERS: dict[str, Callable[[EnvConfig], Template]] = {m.SPEC.name: m.build for m in _MODULES}


def validate(stacks: dict[str, StackSpec] | None = None) -> None:
    """Every input names a known stack and one of its declared outputs; parameter names are
    unique within a stack; the graph has no cycle. ContractError otherwise."""
    stacks = STACKS if stacks is None else stacks
    for spec in stacks.values():
        names = spec.parameter_names
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ContractError(f"stack {spec.name}: parameter names used twice: {', '.join(dupes)}")
        for i in spec.inputs:
            producer = stacks.get(i.stack)
            if producer is None:
                raise ContractError(
                    f"stack {spec.name}: input {i.output} comes from unknown stack {i.stack!r}; "
                    f"known: {', '.join(stacks)}"
                )
            if i.output not in producer.outputs:
                raise ContractError(
                    f"stack {spec.name}: stack {i.stack} has no output {i.output!r}; it declares: "
                    f"{', '.join(producer.outputs)}"
                )
            if i.stack == spec.name:
                raise ContractError(f"stack {spec.name}: input {i.output} comes from the stack itself")
    order(stacks)


def _sorter(stacks: dict[str, StackSpec]) -> graphlib.TopologicalSorter[str]:
    return graphlib.TopologicalSorter({name: spec.upstream for name, spec in stacks.items()})


def order(stacks: dict[str, StackSpec] | None = None) -> list[str]:
    """Deploy order: every stack after the stacks it reads from. Ties keep module order."""
    stacks = STACKS if stacks is None else stacks
    return [name for wave in waves(stacks) for name in wave]


def waves(stacks: dict[str, StackSpec] | None = None) -> list[list[str]]:
    """Groups of stacks that can deploy in parallel, each after all earlier groups."""
    stacks = STACKS if stacks is None else stacks
    sorter = _sorter(stacks)
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        cycle = " -> ".join(err.args[1])
        raise ContractError(f"the stack inputs form a cycle: {cycle}") from None
    rank = {name: i for i, name in enumerate(stacks)}
    result = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank.__getitem__)
        result.append(ready)
        sorter.done(*ready)
    return result


def upstream(name: str, stacks: dict[str, StackSpec] | None = None) -> frozenset[str]:
    """The stacks `name` reads outputs from (direct dependencies)."""
    stacks = STACKS if stacks is None else stacks
    return stacks[name].upstream


def downstream(name: str, stacks: dict[str, StackSpec] | None = None) -> frozenset[str]:
    """The stacks that read outputs of `name` (direct dependents)."""
    stacks = STACKS if stacks is None else stacks
    return frozenset(s.name for s in stacks.values() if name in s.upstream)


def stack_table() -> str:
    """The stack table of docs/stacks.md (stack, purpose, inputs from), in deploy order."""
    rows = ["| stack | purpose | inputs from |", "| ----- | ------- | ----------- |"]
    for name in order():
        spec = STACKS[name]
        sources = ", ".join(sorted(spec.upstream, key=order().index)) or "-"
        rows.append(f"| {name} | {spec.description} | {sources} |")
    return "\n".join(rows) + "\n"


def build(cfg: EnvConfig) -> dict[str, Template]:
    """Every stack's template for `cfg`, in deploy order."""
    validate()
    return {name: BUILDERS[name](cfg) for name in order()}
