"""What a template fragment refers to, and the order its resources go in.

Resources are created in dependency order: Ref, Fn::GetAtt, Fn::Sub variables (`${X}`,
`${X.A}`) and DependsOn (moto honoured DependsOn only). The same references tell a change set
which resources read a changed parameter or a replaced resource (`planning`).
"""

from __future__ import annotations

import re
from typing import Any

from moto.cloudformation.exceptions import ValidationError

_SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")


def reference_targets(node: Any) -> set[tuple[str, str | None]]:
    """What a template fragment refers to, as (logical name, attribute): Ref X and `${X}` give
    (X, None), Fn::GetAtt X.A and `${X.A}` give (X, "A"). A Fn::Sub variable defined in its own
    map is not a reference (the map's values are walked like any other fragment)."""
    found: set[tuple[str, str | None]] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            for key, value in n.items():
                if key == "Ref" and isinstance(value, str):
                    found.add((value, None))
                elif key == "Fn::GetAtt":
                    if isinstance(value, list) and value and isinstance(value[0], str):
                        found.add((value[0], str(value[1]) if len(value) > 1 else None))
                    elif isinstance(value, str):
                        name, _, attribute = value.partition(".")
                        found.add((name, attribute or None))
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) and value else value
                    local = value[1] if isinstance(value, list) and len(value) > 1 else {}
                    if isinstance(text, str):
                        for variable in _SUB_VAR.findall(text):
                            name, _, attribute = variable.partition(".")
                            if not (isinstance(local, dict) and name in local):
                                found.add((name, attribute or None))
                walk(value)
        elif isinstance(n, list):
            for item in n:
                walk(item)

    walk(node)
    return found


def references(node: Any) -> set[str]:
    """Logical names a template fragment refers to (Ref, Fn::GetAtt, Fn::Sub variables)."""
    return {name for name, _ in reference_targets(node)}


def conditions_used(node: Any) -> set[str]:
    """Condition names a fragment evaluates (Fn::If, and {Condition: X} inside condition bodies)."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            for key, value in n.items():
                if key == "Fn::If" and isinstance(value, list) and value and isinstance(value[0], str):
                    found.add(value[0])
                elif key == "Condition" and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(n, list):
            for item in n:
                walk(item)

    walk(node)
    return found


def dependency_order(template: dict[str, Any]) -> list[str]:
    """Resources in an order where each comes after everything it refers to; ties keep
    template order. A cycle is a ValidationError, as in CloudFormation."""

    resources: dict[str, Any] = template.get("Resources") or {}
    names = list(resources)
    deps: dict[str, set[str]] = {}
    for name, body in resources.items():
        body = body or {}
        needs = references({k: v for k, v in body.items() if k != "DependsOn"})
        depends_on = body.get("DependsOn") or []
        needs.update([depends_on] if isinstance(depends_on, str) else depends_on)
        deps[name] = {d for d in needs if d in resources and d != name}
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(names):
        ready = [n for n in names if n not in placed and deps[n] <= placed]
        if not ready:
            stuck = sorted(n for n in names if n not in placed)
            raise ValidationError(message=f"Circular dependency between resources: [{', '.join(stuck)}]")
        done.append(ready[0])
        placed.add(ready[0])
    return done
