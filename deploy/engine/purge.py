"""`delete --purge`: a real teardown. What a delete keeps (kept.py: DeletionPolicy Retain and
RetainExceptOnCreate, the final snapshots of DeletionPolicy Snapshot) is listed with what it holds,
and then removed.

How each is removed, and why (AWS API references):
- buckets: every object version and delete marker is deleted (ListObjectVersions, DeleteObjects, at
  most 1,000 keys a request), then the bucket (DeleteBucket: "All objects (including all object
  versions and delete markers) in the bucket must be deleted before the bucket itself can be deleted");
- ECR repositories: DeleteRepository with `force` (it "deletes the images in the repository");
- secrets: DeleteSecret with a 30-day recovery window (the default: RestoreSecret brings one back,
  and `all --adopt` does so itself); ForceDeleteWithoutRecovery only with `--force-delete-secrets`.
  A secret in its recovery window still holds its name: "You can't create a new secret with the same
  name" until the window ends, so a re-create from nothing needs the flag (or `all --adopt`);
- log groups: DeleteLogGroup; queues: DeleteQueue (AWS: "wait at least 60 seconds before creating a
  queue with the same name");
- KMS: aliases deleted (DeleteAlias), keys scheduled for deletion (ScheduleKeyDeletion: "a waiting
  period of 7-30 days", `--key-window`, 30 by default; CancelKeyDeletion undoes it meanwhile);
- snapshots (RDS, ElastiCache): kept unless `--delete-snapshots`. The final snapshot is the last copy
  of the database and costs little; a purge that took it along could never be undone, while the
  snapshot can be deleted any time later (`delete --purge --delete-snapshots` again).

Every step is idempotent (what is gone already is skipped), so a purge interrupted halfway is
finished by running it again.

Exported: Survey, survey, listing, remove.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy.engine import kept
from deploy.engine.cfn import error_text
from deploy.engine.kept import Kept, Snapshot
from deploy.engine.project import Project
from deploy.errors import DeployError

DEFAULT_KEY_WINDOW = 30  # days, AWS's default for ScheduleKeyDeletion
SECRET_WINDOW = 30  # days, AWS's default recovery window
_ORDER = (  # keys last: what they encrypt goes first; aliases before their keys
    "AWS::S3::Bucket",
    "AWS::ECR::Repository",
    "AWS::SecretsManager::Secret",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
)
_KIND = {
    "AWS::S3::Bucket": "bucket",
    "AWS::ECR::Repository": "ECR repository",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::Logs::LogGroup": "log group",
    "AWS::SQS::Queue": "queue",
    "AWS::KMS::Alias": "KMS alias",
    "AWS::KMS::Key": "",
}


@dataclass
class Survey:
    """What a purge of the environment removes: the kept resources, what each holds, the snapshots,
    and the final snapshots the stack delete is about to take (their resources still exist)."""

    kept: list[Kept] = field(default_factory=list)
    holds: dict[Kept, str] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    final: list[str] = field(default_factory=list)  # `RDS hana-dev-postgres`

    def todo(self, *, force_secrets: bool, delete_snapshots: bool, key_window: int = 0) -> int:
        """How many things a purge with these options would change (0: nothing left to do)."""
        settled = [
            k
            for k in self.kept
            if k.foreign
            or (k.type == "AWS::KMS::Key" and k.scheduled_for_deletion)
            or (k.type == "AWS::SecretsManager::Secret" and k.scheduled_for_deletion and not force_secrets)
        ]
        return len(self.kept) - len(settled) + (len(self.snapshots) if delete_snapshots else 0)

    def settled(self) -> str:
        """What stays by choice or is on its way out: `3 KMS keys scheduled for deletion, 1 snapshot kept`."""
        keys = sum(1 for k in self.kept if k.type == "AWS::KMS::Key" and k.scheduled_for_deletion)
        secrets = sum(1 for k in self.kept if k.type == "AWS::SecretsManager::Secret" and k.scheduled_for_deletion)
        parts = [
            f"{keys} KMS key{'s' if keys != 1 else ''} scheduled for deletion" if keys else "",
            f"{secrets} secret{'s' if secrets != 1 else ''} in their recovery window" if secrets else "",
            f"{len(self.snapshots)} snapshot{'s' if len(self.snapshots) != 1 else ''} kept" if self.snapshots else "",
        ]
        return ", ".join(p for p in parts if p)


def survey(project: Project, aws: Any, *, live: bool = False) -> Survey:
    """Read-only: every kept resource of the environment (each KMS key tagged for it) and what it
    holds. `live`: its stacks still exist, so the resources of DeletionPolicy Snapshot will leave a
    final snapshot when they are deleted."""
    found = sorted(kept.find(project, aws, every_key=True), key=lambda k: (_ORDER.index(k.type), k.label))
    result = Survey(found, kept.holdings(aws, found), kept.snapshots(project, aws))
    if live:
        account, region = aws.identity().account, aws.region
        result.final = [
            f"{'RDS' if 'RDS' in r.type else 'ElastiCache'} {r.name}"
            for r in project.retained(account, region)
            if r.policy == "Snapshot" and r.name
        ]
    return result


def listing(s: Survey, *, force_secrets: bool, delete_snapshots: bool, key_window: int) -> str:
    """The lines `delete --purge` shows before it asks: each resource, what it holds, what happens to it."""
    lines = []
    for k in s.kept:
        kind = _KIND[k.type]
        what = f"{kind} {k.label}".strip()
        lines.append(f"  {what}: {s.holds.get(k, '?')} -> {_fate(k, force_secrets, key_window)}")
    for name in s.final:
        fate = "deleted as well" if delete_snapshots else "kept (--delete-snapshots deletes it)"
        lines.append(f"  the final snapshot of {name}, taken by the delete: {fate}")
    for snap in s.snapshots:
        size = f", {snap.bytes_or_gib}" if snap.bytes_or_gib else ""
        fate = "deleted" if delete_snapshots else "kept (--delete-snapshots deletes it)"
        lines.append(f"  {snap.kind} snapshot {snap.identifier} of {snap.source}{size}: {fate}")
    return "\n".join(lines)


def _fate(k: Kept, force_secrets: bool, key_window: int) -> str:
    if k.type == "AWS::S3::Bucket":
        return "left alone (another account's)" if k.foreign else "emptied (every version) and deleted"
    if k.type == "AWS::ECR::Repository":
        return "deleted with its images"
    if k.type == "AWS::SecretsManager::Secret":
        if force_secrets:
            return "deleted now, without recovery"
        if k.scheduled_for_deletion:
            return "left in its recovery window (--force-delete-secrets deletes it now)"
        return f"deleted with a {SECRET_WINDOW}-day recovery window (--force-delete-secrets: without)"
    if k.type == "AWS::KMS::Key":
        return "left as scheduled" if k.scheduled_for_deletion else f"deletion scheduled in {key_window} days"
    return "deleted"


def remove(
    aws: Any,
    s: Survey,
    *,
    force_secrets: bool,
    delete_snapshots: bool,
    key_window: int,
    note: Callable[[str], None] = lambda _line: None,
) -> list[str]:
    """Remove everything in `s` (in _ORDER), each step skipping what is gone already; returns (and
    passes to `note` as it goes) one line per resource. A refused call stops with a DeployError
    naming it: what was removed before stays removed, and the next purge carries on."""
    done: list[str] = []

    def step(what: str, fn: Callable[[], str | None]) -> None:
        try:
            line = fn()
        except Exception as err:
            if kept.is_missing(err):
                line = f"{what}: gone already"
            elif hasattr(err, "response"):
                raise DeployError(
                    f"purge stopped at {what}: {error_text(err)}; what is listed above was removed, "
                    "run the same command again to finish"
                ) from err
            else:
                raise
        if line:
            done.append(line)
            note(line)

    for k in s.kept:
        if k.type == "AWS::S3::Bucket" and k.foreign:
            continue
        step(f"{_KIND[k.type]} {k.label}".strip(), lambda k=k: _REMOVE[k.type](aws, k, force_secrets, key_window))
    if delete_snapshots:
        for snap in s.snapshots:
            step(f"snapshot {snap.identifier}", lambda snap=snap: _snapshot(aws, snap))
    return done


def _bucket(aws: Any, k: Kept, _force: bool, _window: int) -> str:
    s3 = aws.client("s3")
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=k.identifier):
        entries = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])
        ]
        for start in range(0, len(entries), 1000):
            reply = s3.delete_objects(
                Bucket=k.identifier, Delete={"Objects": entries[start : start + 1000], "Quiet": True}
            )
            if reply.get("Errors"):
                first = reply["Errors"][0]
                raise DeployError(
                    f"purge stopped at bucket {k.label}: {first.get('Code')}: {first.get('Message')} "
                    f"({first.get('Key')}); run the same command again to finish"
                )
            removed += len(entries[start : start + 1000])
    s3.delete_bucket(Bucket=k.identifier)
    return (
        f"bucket {k.label}: {removed} object version{'s' if removed != 1 else ''} and markers deleted, bucket deleted"
    )


def _repository(aws: Any, k: Kept, _force: bool, _window: int) -> str:
    aws.client("ecr").delete_repository(repositoryName=k.identifier, force=True)
    return f"ECR repository {k.label}: deleted with its images"


def _secret(aws: Any, k: Kept, force: bool, _window: int) -> str | None:
    sm = aws.client("secretsmanager")
    if force:
        sm.delete_secret(SecretId=k.identifier, ForceDeleteWithoutRecovery=True)
        return f"secret {k.label}: deleted without recovery"
    if k.scheduled_for_deletion:
        return None  # already in its recovery window
    sm.delete_secret(SecretId=k.identifier, RecoveryWindowInDays=SECRET_WINDOW)
    return (
        f"secret {k.label}: scheduled for deletion in {SECRET_WINDOW} days "
        f"(`aws secretsmanager restore-secret --secret-id {k.label}` undoes it)"
    )


def _log_group(aws: Any, k: Kept, _force: bool, _window: int) -> str:
    aws.client("logs").delete_log_group(logGroupName=k.identifier)
    return f"log group {k.label}: deleted"


def _queue(aws: Any, k: Kept, _force: bool, _window: int) -> str:
    aws.client("sqs").delete_queue(QueueUrl=k.identifier)
    return f"queue {k.label}: deleted"


def _alias(aws: Any, k: Kept, _force: bool, _window: int) -> str:
    aws.client("kms").delete_alias(AliasName=k.identifier)
    return f"KMS alias {k.label}: deleted"


def _key(aws: Any, k: Kept, _force: bool, window: int) -> str | None:
    if k.scheduled_for_deletion:
        return None  # already scheduled
    aws.client("kms").schedule_key_deletion(KeyId=k.identifier, PendingWindowInDays=window)
    return (
        f"{k.label}: deletion scheduled in {window} days "
        f"(`aws kms cancel-key-deletion --key-id {k.identifier}` undoes it meanwhile)"
    )


def _snapshot(aws: Any, snap: Snapshot) -> str:
    if snap.kind == "rds":
        aws.client("rds").delete_db_snapshot(DBSnapshotIdentifier=snap.identifier)
    else:
        aws.client("elasticache").delete_snapshot(SnapshotName=snap.identifier)
    return f"{snap.kind} snapshot {snap.identifier} of {snap.source}: deleted"


_REMOVE: dict[str, Callable[[Any, Kept, bool, int], str | None]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::ECR::Repository": _repository,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SQS::Queue": _queue,
    "AWS::KMS::Alias": _alias,
    "AWS::KMS::Key": _key,
}
