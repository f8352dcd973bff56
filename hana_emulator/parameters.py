"""Stack parameters: their values as CloudFormation types and reports them.

- Parameters: a Number (List<Number>, CommaDelimitedList) parameter left at its Default is
  typed like a passed one (moto kept the string; ECS then failed with a TypeError). In
  describe_stacks values are reported as passed (moto: a Python list repr) and NoEcho as ****.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing


def parameter_strings(stack: Any) -> dict[str, str]:
    """Parameter values as CloudFormation reports them: as passed, defaults filled in."""
    return parameter_values(stack.template_dict or {}, stack.parameters or {})


def parameter_values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, str]:
    """The value of every parameter `template` declares, from `given` or its Default, as text."""
    declared = template.get("Parameters") or {}
    values: dict[str, str] = {}
    for name, slot in declared.items():
        value = given.get(name, (slot or {}).get("Default"))
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        values[name] = "" if value is None else str(value)
    return values


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        return float(value)


def _patch_parameters() -> None:
    """A Number parameter left at its Default is a number too (moto converted only the values
    passed in, so `DesiredCount: {Ref: Count}` with the default crashed ECS with a TypeError)."""
    original = parsing.ResourceMap.load_parameters

    def load_parameters(self: Any) -> None:
        original(self)
        for name, slot in (self._template.get("Parameters") or {}).items():
            kind = (slot or {}).get("Type", "String")
            value = self.resolved_parameters.get(name)
            if kind == "Number":
                value = _number(value)
            elif kind == "List<Number>" and isinstance(value, str):
                value = [_number(v) for v in value.split(",")]
            elif kind == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            self.resolved_parameters[name] = value
            self._parsed_resources[name] = value

    parsing.ResourceMap.load_parameters = load_parameters
