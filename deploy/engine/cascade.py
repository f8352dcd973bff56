"""`stack NAME` and its dependants: when a stack's outputs change, the stacks that read them (their
parameters, `From(NAME, output)` in the registry) hold the old values until they are deployed again.

`stale()` names them from the registry graph: the stacks reading a changed output, then everything
downstream of those (a redeployed reader may change its own outputs; a stack whose inputs did not
change is skipped by the engine without a change set). `hint()` is the line `stack NAME` prints
without `--cascade`: the stale stacks and the commands to run, in dependency order.

Exported: changed, stale, hint.
"""

from __future__ import annotations

from collections.abc import Mapping

from deploy.engine.project import Project


def changed(before: Mapping[str, str] | None, after: Mapping[str, str]) -> list[str]:
    """The outputs added, removed or changed between two deploys (none when the stack is new)."""
    if before is None:
        return []
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def stale(project: Project, key: str, outputs: list[str]) -> list[str]:
    """The stacks to redeploy after `key`'s `outputs` changed, in dependency order."""
    wanted = set(outputs)
    readers = {s.name for s in project.stacks.values() if any(i.stack == key and i.output in wanted for i in s.inputs)}
    found = set(readers)
    todo = list(readers)
    while todo:
        for d in project.downstream(todo.pop()):
            if d not in found:
                found.add(d)
                todo.append(d)
    return [k for k in project.order() if k in found]


def hint(project: Project, key: str, outputs: list[str], keys: list[str]) -> str:
    """One line: what changed, who is stale, the commands that bring them up to date."""
    commands = ", then ".join(f"`{project.command()} stack {k}`" for k in keys)
    return (
        f"outputs of {project.stack_name(key)} changed ({', '.join(outputs)}); "
        f"{', '.join(project.stack_name(k) for k in keys)} read{'s' if len(keys) == 1 else ''} them and "
        f"{'is' if len(keys) == 1 else 'are'} stale: redeploy {'it' if len(keys) == 1 else 'them'}: {commands} "
        "(`stack` with --cascade does this itself)"
    )
