"""What an update or a change set does to each resource (Add, Modify with Replacement and
Details, Remove), as CloudFormation computes it.

- Change sets and updates: a resource is Modify when its definition changes or when a parameter
  it uses changes value, through Ref, a `${P}` variable of Fn::Sub (string or list form), a value
  of Fn::Sub's map, a condition (Fn::If) or a mapping; defaults count (moto compared `Ref`s only,
  and the passed values with the old ones, so a parameter used inside Fn::Sub, such as compute's
  ImageTag, changed nothing, and a default passed again looked like a change). A resource
  referring to one that is (or may be) replaced is Modify too, Evaluation Dynamic; the execution
  updates it when a Ref or attribute it reads did change (an ECS service follows its task
  definition's new revision; see `engine`). Every Modify carries Replacement and per-property
  Details (ChangeSource and CausingEntity; RequiresRecreation from the createOnlyProperties of
  the resource schemas cfn-lint ships).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .dependencies import conditions_used, dependency_order, reference_targets, references
from .parameters import parameter_values


@dataclasses.dataclass
class UpdatePlan:
    """What moving a stack to a new template and parameters does to its resources."""

    add: list[str]
    modify: list[str]  # template order
    remove: list[str]
    # Modified for certain (template, a parameter, condition or mapping they use); the others in
    # `modify` only refer to a resource that may be replaced: updated if what they read changes.
    static: set[str]
    changes: dict[str, tuple[str, list[dict[str, Any]]]]  # Modify: (Replacement, Details)


def plan_update(rm: Any, new_template: dict[str, Any], parameters: dict[str, Any] | None) -> UpdatePlan:
    """The change set of moving `rm`'s stack to `new_template` + `parameters`, as CloudFormation
    computes it: a resource is modified when its definition changes or when a parameter it uses
    changes value (through Ref, a `${P}` variable of Fn::Sub or a value of its map, a condition or
    a mapping), and, dynamically, when it refers to a resource that is (or may be) replaced.
    moto compared definitions and `Ref`s only, so a parameter used inside Fn::Sub changed nothing."""

    old = rm._resource_json_map or {}
    new = new_template.get("Resources") or {}
    old_template = rm._template or {}
    old_values = parameter_values(old_template, rm.input_parameters or {})
    new_values = parameter_values(new_template, parameters or {})
    changed: set[tuple[str, str]] = {
        ("Ref", k) for k in set(old_values) | set(new_values) if old_values.get(k) != new_values.get(k)
    }
    for section, kind in (("Conditions", "Condition"), ("Mappings", "Mapping")):
        before, after = old_template.get(section) or {}, new_template.get(section) or {}
        changed |= {(kind, k) for k in set(before) | set(after) if before.get(k) != after.get(k)}
    conditions = new_template.get("Conditions") or {}
    static: set[str] = set()
    replaced: set[str] = set()
    changes: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for logical in dependency_order(new_template) if old else []:
        if logical not in old:
            continue
        body = new[logical] or {}
        replacement, details = change_details(
            body.get("Type", ""), old[logical] or {}, body, changed, conditions, replaced
        )
        is_static = body != old[logical] or any(d["Evaluation"] == "Static" for d in details)
        if not is_static and not details:
            continue
        if is_static:
            static.add(logical)
        changes[logical] = (replacement, details)
        if replacement in ("True", "Conditional"):
            replaced.add(logical)
    return UpdatePlan(
        add=[n for n in new if n not in old],
        modify=[n for n in new if n in changes],
        remove=[n for n in old if n not in new],
        static=static,
        changes=changes,
    )


def _inputs(node: Any, conditions: dict[str, Any]) -> set[tuple[str, str]]:
    """What a fragment's value depends on besides resources: ("Ref", parameter or resource),
    ("Condition", name) for every condition it evaluates (and theirs, with their Refs), and
    ("Mapping", name)."""
    found = {("Ref", name) for name in references(node)} | {("Mapping", m) for m in _mappings_used(node)}
    todo = list(conditions_used(node))
    while todo:
        name = todo.pop()
        if ("Condition", name) in found:
            continue
        found.add(("Condition", name))
        body = conditions.get(name)
        found |= {("Ref", ref) for ref in references(body)} | {("Mapping", m) for m in _mappings_used(body)}
        todo.extend(conditions_used(body))
    return found


def _mappings_used(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set().union(*(_mappings_used(v) for v in node.values())) if node else set()
        value = node.get("Fn::FindInMap")
        if isinstance(value, list) and value and isinstance(value[0], str):
            found.add(value[0])
        return found
    if isinstance(node, list):
        return set().union(*(_mappings_used(v) for v in node)) if node else set()
    return set()


def change_details(
    rtype: str,
    old: dict[str, Any],
    new: dict[str, Any],
    changed: set[tuple[str, str]],
    conditions: dict[str, Any] | None = None,
    replaced: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, list[dict[str, Any]]]:
    """Replacement ('True' / 'False' / 'Conditional') and the per-property Details of a Modify, as
    CloudFormation reports them. `changed`: the inputs whose value changes, as `_inputs` names them
    (("Ref", parameter), ("Condition", name), ("Mapping", name)); `replaced`: resources this update
    replaces or may replace, whose Ref and attributes the properties referring to them read again
    (Evaluation Dynamic). Create-only properties come from the resource schemas cfn-lint ships (the
    CloudFormation registry's); a type without a schema is 'Conditional'."""
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    create_only = _create_only_properties(rtype)
    details: list[dict[str, Any]] = []

    def detail(name: str, evaluation: str, source: str, causing: str | None = None) -> None:
        recreation = "Conditionally" if create_only is None else ("Always" if name in create_only else "Never")
        row: dict[str, Any] = {
            "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
            "Evaluation": evaluation,
            "ChangeSource": source,
        }
        if causing:
            row["CausingEntity"] = causing
        details.append(row)

    for name in sorted(set(old_props) | set(new_props)):
        value = new_props.get(name)
        if old_props.get(name) != value:
            detail(name, "Static", "DirectModification")
            continue
        inputs = _inputs(value, conditions or {}) & changed
        parameters = sorted(n for kind, n in inputs if kind == "Ref")
        for parameter in parameters:
            detail(name, "Static", "ParameterReference", parameter)
        if inputs and not parameters:  # a condition or mapping whose definition changed
            detail(name, "Static", "DirectModification")
        for target, attribute in sorted(reference_targets(value), key=lambda t: (t[0], t[1] or "")):
            if target in replaced:
                if attribute is None:
                    detail(name, "Dynamic", "ResourceReference", target)
                else:
                    detail(name, "Dynamic", "ResourceAttribute", f"{target}.{attribute}")
    impact = "False"
    for d in details:
        recreation = d["Target"]["RequiresRecreation"]
        if recreation == "Always" and d["Evaluation"] == "Static":
            return "True", details
        if recreation != "Never":
            impact = "Conditional"
    return impact, details


_CREATE_ONLY: dict[str, frozenset[str] | None] = {}


def _create_only_properties(rtype: str) -> frozenset[str] | None:
    if rtype not in _CREATE_ONLY:
        try:
            from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", rtype).schema
            paths = schema.get("createOnlyProperties") or []
            _CREATE_ONLY[rtype] = frozenset(p.split("/")[2] for p in paths if p.startswith("/properties/"))
        except Exception:
            _CREATE_ONLY[rtype] = None
    return _CREATE_ONLY[rtype]
