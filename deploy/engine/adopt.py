"""Re-create after delete: named resources the templates create that already exist outside any
stack (kept by an earlier `delete`: DeletionPolicy RetainExceptOnCreate), brought back under the
new stacks with CloudFormation resource import, so the data in them survives.

`find_existing` is, for the stacks about to be created, what kept.py finds (the one lookup of
kept resources, shared with the preflight and `delete --purge`).
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
  identifier property (for example, BucketName for AWS::S3::Bucket resources)"), kept.IDENTIFIERS.

KMS aliases are not imported: our aliases have no DeletionPolicy (they hold nothing and are deleted
with their stack), and "each resource to import must have a DeletionPolicy attribute". One that
exists outside its stack (a delete that did not finish, a hand-made one) is deleted before the
imports and created again by its stack, pointing at its key (the adopted one or a new one).

Exported: Existing, IDENTIFIERS, IMPORTABLE, find_existing, refusal, restore, with_imports, run_import, ImportFailed.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Iterable, Mapping
from typing import Any

from deploy.engine import changeset, kept
from deploy.engine.cfn import CAPABILITIES, Request, error_text
from deploy.engine.kept import IDENTIFIERS, Kept
from deploy.engine.project import Project

KEEP = ("AWSTemplateFormatVersion", "Description", "Parameters", "Conditions", "Mappings")


class ImportFailed(Exception):
    """The import change set was refused or did not complete; the message is one line."""


Existing = Kept  # what adopt calls a kept resource that a new stack is about to be created over
IMPORTABLE = frozenset(IDENTIFIERS) - {"AWS::KMS::Alias"}


def find_existing(
    project: Project,
    aws: Any,
    keys: Iterable[str],
    live: Mapping[str, dict[str, Any] | None],
    found: list[Kept] | None = None,
) -> list[Kept]:
    """The kept resources of the stacks in `keys` that will be created (not live, or left by a failed
    create) and already exist (kept.find; `found`: that lookup done already, by the preflight).
    A KMS key pending deletion is not one (nothing to adopt: the stack makes a new key), nor a bucket
    name another account owns (the preflight reports it)."""
    new = kept.new_stacks(keys, live)
    if not new:
        return []
    found = kept.find(project, aws, new) if found is None else found
    return [
        e
        for e in found
        if e.stack in new and not e.foreign and not (e.type == "AWS::KMS::Key" and e.scheduled_for_deletion)
    ]


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
    """Before the imports: secrets scheduled for deletion cannot be imported, so they are restored;
    a KMS alias left over outside its stack is deleted (it holds nothing; the stack creates it again
    for its key, the adopted one or a new one). Returns notes."""
    notes = []
    for e in found:
        if e.type == "AWS::SecretsManager::Secret" and e.scheduled_for_deletion:
            aws.client("secretsmanager").restore_secret(SecretId=e.identifier)
            notes.append(f"secret {e.label} was scheduled for deletion: restored")
        elif e.type == "AWS::KMS::Alias":
            try:
                aws.client("kms").delete_alias(AliasName=e.identifier)
            except Exception as err:
                if not kept.is_missing(err):
                    raise
            notes.append(
                f"KMS alias {e.label} was left over (pointing at key {e.target or '?'}): deleted; "
                f"{e.stack} creates it again for its key"
            )
    return notes


def with_imports(req: Request, template: dict[str, Any], found: list[Existing]) -> Request:
    """`req` with the IMPORT change set that creates its stack from `found` (see the module docstring)."""
    resources = template.get("Resources") or {}
    found = [e for e in found if e.type in IMPORTABLE]
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
