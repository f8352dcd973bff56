"""Secure-default factories for resources several stacks create ("our L2s").

Each returns a new troposphere object (never a shared default) with encryption, explicit
retention and lifecycle policies set. A deliberate exception to a scanner rule is made with
`suppress()` on that one resource, with its reason.
"""

from __future__ import annotations

from troposphere import AWSObject, GetAtt, Ref, Sub, kms, logs

from . import naming
from .config import EnvConfig
from .errors import ConfigError
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


def suppress(
    resource: AWSObject,
    *,
    checkov: dict[str, str] | None = None,
    cfn_lint: dict[str, str] | None = None,
    guard: dict[str, str] | None = None,
):
    """Record deliberate scanner exceptions on one resource, each with its reason.

    checkov reads `Metadata.checkov.skip[].{id, comment}`; cfn-lint reads
    `Metadata.cfn-lint.config.ignore_checks` and cfn-guard `Metadata.guard.SuppressedRules`
    (neither has a reason field, so the reasons are kept beside them under
    `Metadata.hana.cfn-lint-reasons` and `Metadata.hana.guard-reasons`). Calls accumulate, so a
    resource can be suppressed for different scanners in different places.
    """
    metadata = dict(getattr(resource, "Metadata", {}) or {})
    hana = dict(metadata.get("hana", {}))
    if checkov:
        skips = {s["id"]: s["comment"] for s in metadata.get("checkov", {}).get("skip", [])} | checkov
        metadata["checkov"] = {"skip": [{"id": rule, "comment": why} for rule, why in sorted(skips.items())]}
    if cfn_lint:
        reasons = hana.get("cfn-lint-reasons", {}) | cfn_lint
        metadata["cfn-lint"] = {"config": {"ignore_checks": sorted(reasons)}}
        hana["cfn-lint-reasons"] = dict(sorted(reasons.items()))
    if guard:
        reasons = hana.get("guard-reasons", {}) | guard
        metadata["guard"] = {"SuppressedRules": sorted(reasons)}
        hana["guard-reasons"] = dict(sorted(reasons.items()))
    if hana:
        metadata["hana"] = hana
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


# AWS Control Tower CT.CLOUDWATCH.PR.2: a log group keeps its events at least a year.
GUARD_MIN_LOG_RETENTION_DAYS = 365
# Why the application and database log groups keep the spec's retention rather than a year.
SPEC_LOG_RETENTION_REASON = (
    "operational logs keep the spec's CloudWatch retention (7 days in dev, 30 in prod: config "
    "log_retention_days); security evidence (VPC flow logs, WAF logs) is kept a year in prod"
)

# Why dev keeps its security logs (VPC flow logs, WAF logs) less than a year.
SHORT_SECURITY_LOG_REASON = (
    "dev keeps security logs the spec's 7-day CloudWatch retention (cost); prod keeps them 365 days "
    "(tests/stacks check it)"
)


def log_group(
    logical_id: str,
    name: str | Sub,
    retention_days: int,
    cfg: EnvConfig,
    stack: str,
    kms_key_arn=None,
    *,
    short_retention_reason: str | None = None,
) -> logs.LogGroup:
    """A log group with explicit retention, retained on delete (logs are evidence).

    Below a year of retention the caller must say why (`short_retention_reason`): it becomes the
    group's cfn-guard suppression of the Control Tower retention control."""
    props = dict(LogGroupName=name, RetentionInDays=retention_days, Tags=naming.tags(cfg, stack))
    if kms_key_arn is not None:
        props["KmsKeyId"] = kms_key_arn
    group = retain(logs.LogGroup(logical_id, **props))
    if retention_days < GUARD_MIN_LOG_RETENTION_DAYS:
        if not short_retention_reason:
            raise ConfigError(
                f"environment {cfg.name!r}: log group {logical_id} keeps {retention_days} days without a reason; "
                f"allowed: >= {GUARD_MIN_LOG_RETENTION_DAYS} days, or a short_retention_reason"
            )
        suppress(group, guard={"cloudwatch_log_group_retention_period_check": short_retention_reason})
    return group


def key_arn(key: kms.Key) -> GetAtt:
    return GetAtt(key, "Arn")
