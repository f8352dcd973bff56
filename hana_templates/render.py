"""Deterministic YAML rendering and CloudFormation's template limits.

The same template always renders to the same bytes: keys sorted, long-form intrinsics
(`Fn::GetAtt: [A, B]`; some tools misread the short `!GetAtt A.B`), no timestamps, plain
block-style YAML 1.1 that every CloudFormation tool reads (strings that YAML would take for
booleans, numbers or dates are quoted by the safe dumper).

Rendering goes through PyYAML's libyaml dumper rather than troposphere's `to_yaml` (cfn_flip):
same content, about six times faster (most of generation time was cfn_flip's YAML emitter).
The libyaml dumper ships in PyYAML's wheels; without it we refuse rather than fall back to the
pure-Python dumper, whose output could differ byte for byte and make out/ look stale.
"""

from __future__ import annotations

import json

import yaml
from troposphere import Template

from . import main, registry
from .config import EnvConfig
from .errors import HanaError, TemplateLimitError

# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
MAX_INLINE_BODY_BYTES = 51_200
MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200


def render(template: Template) -> str:
    plain = json.loads(template.to_json(indent=None, sort_keys=True))  # awacs/troposphere objects -> JSON types
    return yaml.dump(plain, Dumper=_dumper(), sort_keys=True, default_flow_style=False, allow_unicode=True, width=120)


def _dumper() -> type:
    try:
        return yaml.CSafeDumper
    except AttributeError:  # pragma: no cover - PyYAML built without libyaml
        raise HanaError("PyYAML has no libyaml (CSafeDumper): reinstall PyYAML from its wheel") from None


def check_limits(stack: str, template: Template, body: str) -> None:
    """TemplateLimitError naming the stack when it breaks a CloudFormation limit."""
    size = len(body.encode())
    counts = {
        "resources": (len(template.resources), MAX_RESOURCES),
        "parameters": (len(template.parameters), MAX_PARAMETERS),
        "outputs": (len(template.outputs), MAX_OUTPUTS),
    }
    if size > MAX_INLINE_BODY_BYTES:
        raise TemplateLimitError(
            f"stack {stack}: template is {size} bytes; CloudFormation accepts at most "
            f"{MAX_INLINE_BODY_BYTES} bytes inline: split the stack or move content out"
        )
    for what, (count, limit) in counts.items():
        if count > limit:
            raise TemplateLimitError(f"stack {stack}: {count} {what}; CloudFormation allows at most {limit}")


def render_environment(cfg: EnvConfig) -> dict[str, str]:
    """`{file name: YAML body}` for every stack of `cfg`, then `main.yaml`, the nested master
    built from those very bodies; limits checked."""
    bodies: dict[str, str] = {}
    for name, template in registry.build(cfg).items():
        body = render(template)
        check_limits(name, template, body)
        bodies[name] = body
    master = main.build(cfg, bodies)
    master_body = render(master)
    check_limits("main", master, master_body)
    return {**{f"{name}.yaml": body for name, body in bodies.items()}, "main.yaml": master_body}
