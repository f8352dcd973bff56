"""main: the nested master stack `hana-<env>` (out/<env>/main.yaml), derived from the registry.

One `AWS::CloudFormation::Stack` per registered stack, named after it (`network` ->
`Network`). Each child gets every input its contract declares as
`Fn::GetAtt <Producer>.Outputs.<Output>` (which is also what orders the children: nothing is
written by hand), and its deploy parameters (ImageTag, *DesiredCount) from master parameters
of the same name, type and default. The child templates are the very out/<env>/<stack>.yaml
bodies the nine-stack deploy uses.

TemplateURL: `https://<TemplateBucket>.s3.<region>.<suffix>/<TemplatePrefix><key>`, where the
bucket and prefix are master parameters and the object key is content-addressed:
`<stack>-<first 16 hex of the SHA-256 of the child's YAML>.yaml` (`object_key`). A child whose
body changed gets a new URL (so CloudFormation updates it), an unchanged one keeps its URL (so
CloudFormation leaves it alone), and an upload never overwrites what a running stack points
at. TemplatePrefix defaults to empty, and `python -m deploy main` uploads each child to
`object_key(stack, body)` at the root of its templates bucket (deploy/nested.py takes this very
function), passing only TemplateBucket: the two cannot disagree. A caller that sets a prefix
uploads with `object_keys(bodies, prefix)` and passes the same TemplatePrefix. Content-addressed
keys let environments share one bucket: the same key always holds the same bytes.

Every nested stack is `DeletionPolicy: Delete` and `UpdateReplacePolicy: Delete`, on purpose:
the data guarantee lives one level down, where every stateful resource of every child carries
Retain or Snapshot (tests/test_lifecycle.py), so deleting the master deletes the child stacks in
reverse dependency order and keeps every bucket, secret, queue, repository, log group, key and
final database snapshot. Retaining the nested stacks instead would leave nine orphaned
`hana-<env>-<Child>-<suffix>` stacks behind that no command of ours knows to delete.

Exported: build(cfg, bodies), object_key(stack, body, prefix), object_keys(bodies, prefix),
logical_id(stack), PARAMETERS (the master's own parameters).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from troposphere import GetAtt, Parameter, Ref, Sub, Template, cloudformation

from . import naming, registry
from .config import EnvConfig
from .errors import ContractError
from .spec import DeployParameter, StackSpec

KEY_HASH_CHARS = 16
BUCKET_PARAMETER = "TemplateBucket"
PREFIX_PARAMETER = "TemplatePrefix"
PARAMETERS = (BUCKET_PARAMETER, PREFIX_PARAMETER)


def object_key(stack: str, body: str, prefix: str = "") -> str:
    """`<prefix><stack>-<sha256(body)[:16]>.yaml`: the S3 key a child template is uploaded to."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:KEY_HASH_CHARS]
    return f"{prefix}{stack}-{digest}.yaml"


def object_keys(bodies: Mapping[str, str], prefix: str = "") -> dict[str, str]:
    """`{stack: object key}` for uploading the child templates `{stack: YAML body}`."""
    return {stack: object_key(stack, body, prefix) for stack, body in bodies.items()}


def logical_id(stack: str) -> str:
    """The nested stack's logical ID: `network` -> `Network`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", stack) if part)


def build(cfg: EnvConfig, bodies: Mapping[str, str], stacks: dict[str, StackSpec] | None = None) -> Template:
    """The master template over `stacks` (default: the registry), whose rendered child
    templates are `bodies` (`{stack: YAML}`)."""
    stacks = registry.STACKS if stacks is None else stacks
    registry.validate(stacks)
    missing = [name for name in stacks if name not in bodies]
    if missing:
        raise ContractError(f"main: no rendered template for stack(s) {', '.join(missing)}")

    t = Template(
        Description=f"{naming.stack_name(cfg, 'main')}: nested master stack of the "
        f"{len(stacks)} {naming.prefix(cfg)} stacks (derived from the stack contracts)"
    )
    t.add_parameter(
        Parameter(
            BUCKET_PARAMETER,
            Type="String",
            AllowedPattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            Description="S3 bucket holding the child templates (uploaded by the deployer)",
        )
    )
    t.add_parameter(
        Parameter(
            PREFIX_PARAMETER,
            Type="String",
            Default="",
            AllowedPattern=r"^([A-Za-z0-9!_.*'()-]+/)*$",
            Description="key prefix of the child templates in the bucket: empty, or ending in '/'",
        )
    )
    for p in _deploy_parameters(stacks):
        t.add_parameter(Parameter(p.name, Type=p.type, Default=p.default, Description=p.description))

    for name in registry.order(stacks):
        spec = stacks[name]
        parameters = {i.parameter: GetAtt(logical_id(i.stack), f"Outputs.{i.output}") for i in spec.inputs}
        parameters.update({p.name: Ref(p.name) for p in spec.deploy_parameters})
        props = dict(
            TemplateURL=Sub(
                f"https://${{{BUCKET_PARAMETER}}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                f"${{{PREFIX_PARAMETER}}}{object_key(name, bodies[name])}"
            ),
            Tags=naming.tags(cfg, name),
        )
        if parameters:
            props["Parameters"] = dict(sorted(parameters.items()))
        child = cloudformation.Stack(logical_id(name), **props)
        child.DeletionPolicy = child.UpdateReplacePolicy = "Delete"  # see the module docstring
        t.add_resource(child)
    return t


def _deploy_parameters(stacks: dict[str, StackSpec]) -> list[DeployParameter]:
    """Every child's deploy parameters, once each; two children may share one only if they agree."""
    seen: dict[str, DeployParameter] = {}
    for name in registry.order(stacks):
        for p in stacks[name].deploy_parameters:
            other = seen.setdefault(p.name, p)
            if (other.type, other.default) != (p.type, p.default):
                raise ContractError(
                    f"main: deploy parameter {p.name} is declared twice with different type or default "
                    f"({other.type} {other.default!r} vs {p.type} {p.default!r}, stack {name})"
                )
    clash = sorted(set(seen) & set(PARAMETERS))
    if clash:
        raise ContractError(f"main: deploy parameter name(s) reserved for the master: {', '.join(clash)}")
    return list(seen.values())
