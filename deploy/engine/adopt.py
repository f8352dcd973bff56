"""Re-create after delete: named resources the templates create that already exist outside any
stack (kept by an earlier `delete`: DeletionPolicy RetainExceptOnCreate), brought back under the
new stacks with CloudFormation resource import, so the data in them survives.

`find_existing` looks up, for each stack that is about to be created, every retained resource of
its template by its name (or, for KMS keys, by description and tags) with the service's own API.
`refusal` is the one line `all` stops with when some exist and `--adopt` was not given.
`with_imports` adds to a stack's Request the IMPORT change set that creates the stack from them:
CloudFormation "creates a new stack from your existing resources" with a change set of type
IMPORT and `ResourcesToImport` (User Guide, "Bringing existing resources into CloudFormation
management"); the stack's normal update then applies the whole template. `run_import` runs that
change set for StackOps.

What CloudFormation requires of an import, and so what the import template is:
- "Each resource to import must have a DeletionPolicy attribute": ours have RetainExceptOnCreate;
- an import creates and updates nothing, and may not add Outputs: the import template holds only
  the resources to import (with the template's Parameters, Conditions and Mappings), no Outputs;
- properties that read another resource (Ref, Fn::GetAtt, Fn::Sub of a resource) are left out of
  the import template: that resource is not in the stack yet. The update that follows sets them.
  Create-only properties (a queue's FifoQueue, names) are literal and stay, so the update never
  replaces an adopted resource.
- identifiers, the types' primary identifier properties (ResourceToImport: "The key is an
  identifier property (for example, BucketName for AWS::S3::Bucket resources)"); every type below
  is in the User Guide's "Resource type support" table for import.

Exported: Existing, IDENTIFIERS, find_existing, refusal, restore, with_imports, run_import, ImportFailed.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from deploy.engine import changeset
from deploy.engine.cfn import CAPABILITIES, FAILED_CREATE, Request, error_code, error_text
from deploy.engine.project import Project

IDENTIFIERS = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::SQS::Queue": "QueueUrl",
    "AWS::SecretsManager::Secret": "Id",
    "AWS::KMS::Key": "KeyId",
}
KEEP = ("AWSTemplateFormatVersion", "Description", "Parameters", "Conditions", "Mappings")


class ImportFailed(Exception):
    """The import change set was refused or did not complete; the message is one line."""


@dataclass(frozen=True)
class Existing:
    """A resource one of the templates creates that already exists outside any stack."""

    stack: str  # registry key
    logical_id: str
    type: str
    label: str  # what the user knows it by
    identifier: str  # the value of IDENTIFIERS[type]
    scheduled_for_deletion: bool = False  # a secret: restored before the import

    def to_import(self) -> dict[str, Any]:
        return {
            "ResourceType": self.type,
            "LogicalResourceId": self.logical_id,
            "ResourceIdentifier": {IDENTIFIERS[self.type]: self.identifier},
        }


def find_existing(
    project: Project, aws: Any, keys: Iterable[str], live: Mapping[str, dict[str, Any] | None]
) -> list[Existing]:
    """The retained resources of the stacks in `keys` that will be created (not live, or left by
    a failed create) and already exist."""
    new = [k for k in keys if live.get(k) is None or live[k]["StackStatus"] in FAILED_CREATE | {"REVIEW_IN_PROGRESS"}]
    if not new:
        return []
    account, region = aws.identity().account, aws.region
    found: list[Existing] = []
    keys_by_stack: dict[str, list[dict[str, Any]]] | None = None
    for r in project.retained(account, region):
        if r.stack not in new or r.type not in IDENTIFIERS or r.policy == "Snapshot":
            continue
        if r.type == "AWS::KMS::Key":
            if keys_by_stack is None:
                keys_by_stack = _orphan_keys(aws, project.env)
            description = (project.template(r.stack)["Resources"][r.logical_id].get("Properties") or {}).get(
                "Description"
            )
            match = [k for k in keys_by_stack.get(r.stack, []) if k["Description"] == description]
            if match:
                newest = max(match, key=lambda k: k["CreationDate"])
                found.append(Existing(r.stack, r.logical_id, r.type, f"KMS key {newest['KeyId']}", newest["KeyId"]))
            continue
        if r.name is None:
            continue
        hit = _lookup(aws, r.type, r.name)
        if hit is not None:
            identifier, pending = hit
            found.append(Existing(r.stack, r.logical_id, r.type, r.name, identifier, pending))
    return found


def _lookup(aws: Any, rtype: str, name: str) -> tuple[str, bool] | None:
    """(identifier, scheduled for deletion) of the resource named `name`, None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        if rtype == "AWS::S3::Bucket":
            aws.client("s3").head_bucket(Bucket=name)
            return name, False
        if rtype == "AWS::Logs::LogGroup":
            groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups") or []
            return (name, False) if any(g["logGroupName"] == name for g in groups) else None
        if rtype == "AWS::ECR::Repository":
            aws.client("ecr").describe_repositories(repositoryNames=[name])
            return name, False
        if rtype == "AWS::SQS::Queue":
            return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"], False
        if rtype == "AWS::SecretsManager::Secret":
            secret = aws.client("secretsmanager").describe_secret(SecretId=name)
            return secret["ARN"], bool(secret.get("DeletedDate"))
    except ClientError as err:
        code = error_code(err)
        if code in ("404", "NoSuchBucket", "ResourceNotFoundException", "RepositoryNotFoundException") or (
            "NonExistentQueue" in code
        ):
            return None
        raise
    return None


def _orphan_keys(aws: Any, env: str) -> dict[str, list[dict[str, Any]]]:
    """Enabled customer keys tagged with this environment, by their `Stack` tag."""
    kms = aws.client("kms")
    found: dict[str, list[dict[str, Any]]] = {}
    for page in kms.get_paginator("list_keys").paginate():
        for entry in page.get("Keys") or []:
            meta = kms.describe_key(KeyId=entry["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") == "AWS" or meta.get("KeyState") != "Enabled":
                continue
            tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=entry["KeyId"]).get("Tags") or []}
            if tags.get("Environment") == env and tags.get("Stack"):
                found.setdefault(tags["Stack"], []).append(meta)
    return found


def refusal(found: list[Existing], project: Project) -> str:
    """One line: what exists, and the ways out."""
    names = ", ".join(
        f"{e.stack}/{e.logical_id} ({e.label}{', scheduled for deletion' if e.scheduled_for_deletion else ''})"
        for e in found
    )
    return (
        f"{len(found)} resource{'s' if len(found) != 1 else ''} the templates of {project.env} create already "
        f"exist outside any stack (kept by an earlier delete): {names}; nothing was changed. Bring them back "
        f"into the new stacks with their data: `{project.command()} all --adopt` (CloudFormation resource import), "
        "or delete them first"
    )


def restore(aws: Any, found: list[Existing]) -> list[str]:
    """Secrets scheduled for deletion cannot be imported: restore them first. Returns notes."""
    notes = []
    for e in found:
        if e.scheduled_for_deletion:
            aws.client("secretsmanager").restore_secret(SecretId=e.identifier)
            notes.append(f"secret {e.label} was scheduled for deletion: restored")
    return notes


def with_imports(req: Request, template: dict[str, Any], found: list[Existing]) -> Request:
    """`req` with the IMPORT change set that creates its stack from `found` (see the module docstring)."""
    resources = template.get("Resources") or {}
    logical = {e.logical_id for e in found}
    body = {k: template[k] for k in KEEP if k in template}
    body["Resources"] = {}
    for name in sorted(logical):
        res = resources[name]
        props = {k: v for k, v in (res.get("Properties") or {}).items() if not _reads(v, set(resources))}
        kept = {k: v for k, v in res.items() if k not in ("Properties", "DependsOn")}
        body["Resources"][name] = {**kept, "Properties": props} if props else kept
    return dataclasses.replace(
        req, imports=tuple(e.to_import() for e in found), import_body=json.dumps(body, sort_keys=True)
    )


def _reads(value: Any, resources: set[str]) -> bool:
    """Whether `value` reads one of `resources` (Ref, Fn::GetAtt, Fn::Sub)."""
    if isinstance(value, list):
        return any(_reads(v, resources) for v in value)
    if not isinstance(value, dict):
        return False
    if "Ref" in value and len(value) == 1:
        return value["Ref"] in resources
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        name = target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
        return name in resources
    if "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        text, local = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
        names = {v.split(".", 1)[0] for v in _sub_variables(text)} - set(local)
        return bool(names & resources) or _reads(local, resources)
    return any(_reads(v, resources) for v in value.values())


def _sub_variables(text: str) -> list[str]:
    import re

    return [m for m in re.findall(r"\$\{([^!}][^}]*)\}", text)]


def run_import(ops: Any, req: Request, parameters: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """Create the stack of `req` from its existing resources (IMPORT change set, executed and
    waited for); returns the live stack. ImportFailed otherwise (the empty stack is removed)."""
    from botocore.exceptions import ClientError

    api = ops._api()
    name = f"hana-import-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{random.randrange(16**6):06x}"  # noqa: S311
    try:
        reply = ops._start(
            req.key,
            req.name,
            None,
            lambda: api(
                "create_change_set",
                StackName=req.name,
                ChangeSetName=name,
                ChangeSetType="IMPORT",
                TemplateBody=req.import_body,
                ResourcesToImport=list(req.imports),
                Parameters=parameters,
                Capabilities=CAPABILITIES,
                Tags=req.tags,
                Description=f"{req.command}: import {len(req.imports)} existing resources into {req.key}",
                ClientToken=changeset.token("import"),
            ),
        )
    except ClientError as err:
        raise ImportFailed(f"import refused: {error_text(err)}") from None
    cs_id, stack_id = reply["Id"], reply["StackId"]
    status, reason, changes = ops._wait_change_set(api, cs_id)
    if status == "FAILED":
        ops._drop_change_set(api, cs_id, quiet=True)
        ops._drop_review_stack(api, stack_id, quiet=True)
        raise ImportFailed(f"import change set failed: {reason}")
    watch = ops._watch_for(api, {"StackId": stack_id, "StackName": req.name}, len(changes))
    ops._start(
        req.key,
        req.name,
        "IMPORT_IN_PROGRESS",
        lambda: api("execute_change_set", ChangeSetName=cs_id, ClientRequestToken=changeset.token("execute")),
    )
    final = ops._wait(req.key, watch, early=False)
    if final != "IMPORT_COMPLETE":
        why = watch.first_failure() or "no reason given"
        raise ImportFailed(f"{final}: {why}")
    labels = ", ".join(i["LogicalResourceId"] for i in req.imports)
    notes.append(f"adopted {len(req.imports)} existing resource{'s' if len(req.imports) != 1 else ''}: {labels}")
    ops.reporter.note(req.key, notes[-1])
    return ops.describe(stack_id)
