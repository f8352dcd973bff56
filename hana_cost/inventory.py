"""The resources an environment deploys, read from its generated templates.

`Inventory.from_dir(out/dev)` reads the committed YAML (what `deploy` would apply);
`Inventory.from_config(cfg)` renders the templates in memory (what `--compare` uses to price a
config variant without touching out/). Both give plain dicts, as CloudFormation sees them.

Exported: Resource, Inventory, literal(value, template), list_length(value), mentions(value, name).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import CostError

MAIN_STACK = "main"  # the nested master: its resources are the child stacks themselves


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    props: Mapping
    template: Mapping

    def prop(self, name: str, default=None):
        """A property's literal value (a Ref to a parameter gives its default), else `default`."""
        value = literal(self.props.get(name), self.template)
        return default if value is None else value

    @property
    def label(self) -> str:
        return f"{self.stack}/{self.logical_id}"


class Inventory:
    def __init__(self, templates: Mapping[str, Mapping]):
        self.templates = dict(templates)
        self.resources: list[Resource] = [
            Resource(stack, logical_id, body["Type"], body.get("Properties", {}) or {}, tmpl)
            for stack, tmpl in sorted(self.templates.items())
            for logical_id, body in sorted((tmpl.get("Resources") or {}).items())
        ]

    @classmethod
    def from_dir(cls, directory: Path) -> Inventory:
        files = sorted(Path(directory).glob("*.yaml"))
        if not files:
            raise CostError(f"no templates in {directory}: run `make templates` first")
        return cls({f.stem: yaml.safe_load(f.read_text()) for f in files})

    @classmethod
    def from_config(cls, cfg) -> Inventory:
        from hana_templates.render import render_environment  # pure; only --compare needs it

        return cls({Path(name).stem: yaml.safe_load(body) for name, body in render_environment(cfg).items()})

    def of_type(self, rtype: str) -> list[Resource]:
        return [r for r in self.resources if r.type == rtype]

    def types(self) -> set[str]:
        return {r.type for r in self.resources}

    def get(self, stack: str, logical_id: str) -> Resource | None:
        for r in self.resources:
            if r.stack == stack and r.logical_id == logical_id:
                return r
        return None

    def referenced(self, owner: Resource, value) -> Resource | None:
        """The resource in `owner`'s stack that `value` ({"Ref": X} or {"Fn::GetAtt": [X, ...]}) points at."""
        if isinstance(value, Mapping):
            if "Ref" in value:
                return self.get(owner.stack, value["Ref"])
            if "Fn::GetAtt" in value:
                return self.get(owner.stack, value["Fn::GetAtt"][0])
        return None

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)


def literal(value, template: Mapping | None = None):
    """`value` when it is a plain value; a Ref to a parameter gives the parameter's Default;
    any other intrinsic (GetAtt, Sub with variables, Join) gives None."""
    if isinstance(value, Mapping):
        if set(value) == {"Ref"} and template is not None:
            param = (template.get("Parameters") or {}).get(value["Ref"])
            return None if param is None else param.get("Default")
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return value["Fn::Sub"].replace("${AWS::Region}", "us-east-1")
        if any(k == "Ref" or k.startswith("Fn::") for k in value):
            return None
    return value


def list_length(value) -> int | None:
    """How many items a list property has; None when it is an intrinsic (a CommaDelimitedList
    parameter, a Split), whose length is only known at deploy time."""
    return len(value) if isinstance(value, list) else None


def mentions(value, name: str) -> bool:
    """True when `name` appears anywhere in `value` (a property, intrinsics included)."""
    return name in json.dumps(value, sort_keys=True)
