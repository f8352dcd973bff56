"""What the deployer deploys: one environment's stacks, from the registry and out/<env>/.

A `Project` is the registry (name -> StackSpec), the environment config and the directory of
generated templates. `Project.default(env)` is the real one; tests build their own with small
purpose-built registries and template directories. Nothing here talks to AWS.

Exported: Project, Retained, parse_template.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.errors import BadInput
from hana_templates.config import EnvConfig
from hana_templates.spec import StackSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "out"
MAIN = "main"  # the nested master stack: out/<env>/main.yaml, stack hana-<env>


@dataclass(frozen=True)
class Retained:
    """A resource CloudFormation leaves behind when its stack is deleted (its DeletionPolicy)."""

    stack: str
    logical_id: str
    type: str
    policy: str  # Retain, RetainExceptOnCreate or Snapshot
    name: str | None  # physical name when the template sets one

    @property
    def category(self) -> str:
        if self.policy == "Snapshot":
            return _SNAPSHOT_CATEGORY.get(self.type, f"{self.type} snapshots")
        return _CATEGORY.get(self.type, self.type)

    @property
    def label(self) -> str:
        what = self.name or f"{self.stack}/{self.logical_id}"
        return f"final snapshot of {what}" if self.policy == "Snapshot" else what


@dataclass
class Project:
    cfg: EnvConfig
    stacks: Mapping[str, StackSpec]
    out_dir: Path = DEFAULT_OUT
    # Returns the problems with out/<env>/ ("network.yaml stale"); None: only check the files exist.
    freshness: Callable[[], list[str]] | None = None
    # The global options of the mode this run is in (`--local`, `--endpoint-url URL`): every hint
    # carries them, so a pasted hint talks to the same place.
    mode: str = ""
    # A nested deployment's children (key -> `hana-<env>-<Logical>-<random>`), read from the master
    # stack's resources (nested.find_children); stack_name() answers with them when set.
    children: dict[str, str] = field(default_factory=dict)
    _bodies: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def default(cls, env: str) -> Project:
        """The registered stacks of environment `env`, templates from the repository's out/."""
        from hana_templates import config, registry

        cfg = config.get(env)
        return cls(cfg, registry.STACKS, DEFAULT_OUT, freshness=lambda: _generator_problems(cfg, DEFAULT_OUT))

    # --- names and graph ---------------------------------------------------------------------

    @property
    def env(self) -> str:
        return self.cfg.name

    @property
    def env_dir(self) -> Path:
        return self.out_dir / self.cfg.name

    def stack_name(self, key: str) -> str:
        """`network` -> `hana-dev-network` (a nested child's real name when deployed nested); `main` -> `hana-dev`."""
        from hana_templates import naming

        if key in self.children:
            return self.children[key]

        return naming.stack_name(self.cfg, key)

    def order(self) -> list[str]:
        from hana_templates import registry

        return registry.order(dict(self.stacks))

    def upstream(self, key: str) -> frozenset[str]:
        return self.stacks[key].upstream

    def downstream(self, key: str) -> frozenset[str]:
        return frozenset(s.name for s in self.stacks.values() if key in s.upstream)

    def resolve(self, key: str) -> str:
        """`key` if it is a registered stack (also accepts `hana-dev-network`); BadInput listing the valid ones."""
        if key in self.stacks:
            return key
        for k in self.stacks:
            if self.stack_name(k) == key:
                return k
        hint = (
            " (the nested stack deploys with `python -m deploy main`)" if key in (MAIN, self.stack_name(MAIN)) else ""
        )
        shown = repr(key) if len(key) <= 60 else f"{key[:40]!r}... ({len(key)} characters)"
        raise BadInput(f"unknown stack {shown}; valid stacks: {', '.join(self.order())}{hint}")

    def tags(self, key: str) -> list[dict[str, str]]:
        """The stack's tags (Project, Environment, ManagedBy, Stack): CloudFormation copies them to the resources."""
        from hana_templates import naming

        return naming.tags(self.cfg, key).to_dict()

    def command(self) -> str:
        """How the user runs the deployer for this environment (for hints in messages)."""
        return f"python -m deploy --env {self.env}{' ' + self.mode if self.mode else ''}"

    # --- templates -----------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        return self.env_dir / f"{key}.yaml"

    def body(self, key: str) -> str:
        if key not in self._bodies:
            path = self.path(key)
            if not path.exists():
                raise BadInput(f"{_rel(path)} does not exist: run `make templates`")
            self._bodies[key] = path.read_text()
        return self._bodies[key]

    def template(self, key: str) -> dict[str, Any]:
        return _parse_cached(self.body(key))

    def has_main(self) -> bool:
        return self.path(MAIN).exists()

    def check(self, keys: list[str] | None = None) -> None:
        """BadInput unless the templates of `keys` (default: all) exist and are what generate.py writes."""
        keys = self.order() if keys is None else keys
        missing = [k for k in keys if not self.path(k).exists()]
        if missing and len(missing) == len(self.stacks):
            raise BadInput(f"{_rel(self.env_dir)}/ has no templates: run `make templates`")
        if missing:
            names = ", ".join(f"{k}.yaml" for k in missing)
            raise BadInput(f"{_rel(self.env_dir)}/ lacks {names}: run `make templates`")
        if self.freshness is not None:
            problems = self.freshness()
            if problems:
                raise BadInput(f"{_rel(self.env_dir)}/ is out of date ({', '.join(problems)}): {_why(problems)}")

    def parameter_defaults(self, key: str) -> dict[str, str | None]:
        """Template parameter -> its Default as CloudFormation reports it (str), None when it has none."""
        params = self.template(key).get("Parameters") or {}
        return {name: _param_str(p.get("Default")) for name, p in params.items()}

    def resource_count(self, key: str) -> int:
        return len(self.template(key).get("Resources") or {})

    def retained(self, account: str | None = None, region: str | None = None) -> list[Retained]:
        """Every resource of every stack whose DeletionPolicy keeps it (or a snapshot of it) after a delete,
        read from out/<env>/*.yaml, so the list is always the templates' truth."""
        region = region or self.cfg.region
        found = []
        for key in self.order():
            resources = self.template(key).get("Resources") or {}
            for logical_id, res in resources.items():
                policy = res.get("DeletionPolicy")
                if policy in ("Retain", "RetainExceptOnCreate", "Snapshot"):
                    rtype = res.get("Type", "?")
                    props = res.get("Properties") or {}
                    name = _physical_name(rtype, props, account, region, self.stack_name(key))
                    found.append(Retained(key, logical_id, rtype, policy, name))
        return found


# --- helpers ---------------------------------------------------------------------------------

_CATEGORY = {
    "AWS::S3::Bucket": "S3 buckets",
    "AWS::ECR::Repository": "ECR repositories",
    "AWS::SecretsManager::Secret": "secrets",
    "AWS::Logs::LogGroup": "log groups",
    "AWS::KMS::Key": "KMS keys",
    "AWS::SQS::Queue": "SQS queues",
    "AWS::RDS::DBInstance": "RDS instances",
    "AWS::RDS::DBCluster": "RDS clusters",
    "AWS::ElastiCache::ReplicationGroup": "ElastiCache replication groups",
    "AWS::DynamoDB::Table": "DynamoDB tables",
    "AWS::SNS::Topic": "SNS topics",
    "AWS::CloudFormation::Stack": "nested stacks",
}
_SNAPSHOT_CATEGORY = {
    "AWS::RDS::DBInstance": "RDS snapshots",
    "AWS::RDS::DBCluster": "RDS snapshots",
    "AWS::ElastiCache::ReplicationGroup": "ElastiCache snapshots",
    "AWS::ElastiCache::CacheCluster": "ElastiCache snapshots",
    "AWS::EC2::Volume": "EBS snapshots",
    "AWS::Redshift::Cluster": "Redshift snapshots",
}
_NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::ElastiCache::ReplicationGroup": "ReplicationGroupId",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SNS::Topic": "TopicName",
}
_PSEUDO = re.compile(r"\$\{AWS::(AccountId|Region|Partition|URLSuffix|StackName)\}")


def _physical_name(rtype: str, props: dict, account: str | None, region: str, stack: str) -> str | None:
    value = props.get(_NAME_PROPERTY.get(rtype, ""))
    if isinstance(value, dict) and "Fn::Sub" in value:
        value = value["Fn::Sub"]
        value = value[0] if isinstance(value, list) else value
    if not isinstance(value, str):
        return None
    pseudo = {
        "AccountId": account or "<account>",
        "Region": region,
        "Partition": "aws",
        "URLSuffix": "amazonaws.com",
        "StackName": stack,
    }
    return _PSEUDO.sub(lambda m: pseudo[m.group(1)], value)


def _param_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


EDITED = "edited by hand"


def _why(problems: list[str]) -> str:
    """What is known about out/<env>/ differing from the generator, and what to do."""
    edited = [p.removesuffix(f" {EDITED}") for p in problems if p.endswith(f" {EDITED}")]
    if edited:
        them = "it was" if len(edited) == 1 else "they were"
        return (
            f"{', '.join(edited)} differ{'s' if len(edited) == 1 else ''} from what hana_templates/ generates and "
            f"from the committed file{'s' if len(edited) > 1 else ''}, so {them} edited outside generate.py; "
            "make the change in hana_templates/ (a hand edit is overwritten), then run `make templates`"
        )
    if all(p.endswith(" missing") for p in problems):
        return "run `make templates`"
    return (
        "the templates differ from what hana_templates/ generates (the stack code changed since they were "
        "generated, or a template was edited by hand: lasting changes belong in hana_templates/); run `make templates`"
    )


def _generator_problems(cfg: EnvConfig, out_dir: Path) -> list[str]:
    """What `generate.py --check` would say about out/<env>/ (missing or stale files); a stale file
    whose committed version is what the generator writes was `edited by hand` since (git knows)."""
    from hana_templates.render import render_environment

    problems = []
    for filename, body in render_environment(cfg).items():
        path = out_dir / cfg.name / filename
        if not path.exists():
            problems.append(f"{filename} missing")
        elif path.read_text() != body:
            edited = _committed(path) == body
            problems.append(f"{filename} {EDITED}" if edited else f"{filename} stale")
    return problems


def _committed(path: Path) -> str | None:
    """The file as committed at HEAD (git), None when unknown (no git, not in a repository)."""
    import subprocess

    try:
        found = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"], cwd=path.parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout if found.returncode == 0 else None


def parse_template(body: str) -> dict[str, Any]:
    """A template body (YAML or JSON; short-form tags such as `!Ref` allowed) as a dict."""
    import yaml

    # libyaml's parser when PyYAML has it (the same safe constructors; about ten times faster: the
    # no-op check reads every template's defaults, issue #17), else the pure-Python one.
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    Loader.add_multi_constructor("!", tag)
    parsed = yaml.load(body, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(parsed, dict):
        raise BadInput("a template is not a YAML/JSON mapping")
    return parsed


@functools.lru_cache(maxsize=64)
def _parse_cached(body: str) -> dict[str, Any]:
    return parse_template(body)
