"""Secure-default factories for resources several stacks create ("our L2s").

Each returns a new troposphere object (never a shared default) with encryption, explicit
retention and lifecycle policies set. A deliberate exception to a scanner rule is made with
`suppress()` on that one resource, with its reason.
"""

from __future__ import annotations

from troposphere import AWSObject, GetAtt, Ref, Sub, kms, logs

from . import naming
from .config import EnvConfig
from .policies import kms_key_policy


def retain(resource: AWSObject) -> AWSObject:
    """Keep the resource (and its data) when the stack is deleted or the resource replaced, but
    not when the stack operation that created it rolls back.

    DeletionPolicy `RetainExceptOnCreate` "behaves like Retain for stack operations, except for the
    stack operation that initially created the resource. If the stack operation that created the
    resource is rolled back, CloudFormation deletes the resource"
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html,
    since July 2023). Plain Retain kept a log group or key created by a failed first create, and
    the retry failed "already exists" forever (issue #12). A resource that is retained this way
    can be imported back into a stack (`deploy all --adopt`), which requires a DeletionPolicy.

    UpdateReplacePolicy stays `Retain`: RetainExceptOnCreate is valid only for DeletionPolicy
    (UpdateReplacePolicy takes Delete, Retain or Snapshot), and a replacement is never the
    operation that created the old resource anyway.
    """
    resource.DeletionPolicy = "RetainExceptOnCreate"
    resource.UpdateReplacePolicy = "Retain"
    return resource


def suppress(resource: AWSObject, *, checkov: dict[str, str] | None = None, cfn_lint: dict[str, str] | None = None):
    """Record deliberate scanner exceptions on one resource, each with its reason.

    checkov reads `Metadata.checkov.skip[].{id, comment}`; cfn-lint reads
    `Metadata.cfn-lint.config.ignore_checks` (it has no reason field, so the reasons are kept
    beside it under `Metadata.hana.cfn-lint-reasons`).
    """
    metadata = dict(getattr(resource, "Metadata", {}) or {})
    if checkov:
        metadata["checkov"] = {"skip": [{"id": rule, "comment": why} for rule, why in sorted(checkov.items())]}
    if cfn_lint:
        metadata["cfn-lint"] = {"config": {"ignore_checks": sorted(cfn_lint)}}
        metadata["hana"] = {"cfn-lint-reasons": dict(sorted(cfn_lint.items()))}
    resource.Metadata = metadata
    return resource


def kms_key(
    cfg: EnvConfig,
    stack: str,
    logical_id: str,
    purpose: str,
    *service_users: str,
    via_service: str | None = None,
    extra_statements: tuple = (),
) -> tuple[kms.Key, kms.Alias]:
    """A customer-managed key with yearly rotation, retained on delete (data encrypted with it
    would be unreadable without it), and its alias `alias/hana-<env>-<purpose>`.
    `extra_statements` go into the key policy (e.g. policies.logs_key_statement)."""
    key = retain(
        kms.Key(
            logical_id,
            Description=f"{naming.prefix(cfg)} {purpose}",
            EnableKeyRotation=True,
            KeyPolicy=kms_key_policy(*service_users, via_service=via_service, extra_statements=extra_statements),
            Tags=naming.tags(cfg, stack),
        )
    )
    alias = kms.Alias(f"{logical_id}Alias", AliasName=f"alias/{naming.name(cfg, purpose)}", TargetKeyId=Ref(key))
    return key, alias


def log_group(
    logical_id: str, name: str | Sub, retention_days: int, cfg: EnvConfig, stack: str, kms_key_arn=None
) -> logs.LogGroup:
    """A log group with explicit retention, retained on delete (logs are evidence)."""
    props = dict(LogGroupName=name, RetentionInDays=retention_days, Tags=naming.tags(cfg, stack))
    if kms_key_arn is not None:
        props["KmsKeyId"] = kms_key_arn
    return retain(logs.LogGroup(logical_id, **props))


def key_arn(key: kms.Key) -> GetAtt:
    return GetAtt(key, "Arn")
