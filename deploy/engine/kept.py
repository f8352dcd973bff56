"""Kept resources: which resources of an environment's templates exist outside any stack, and what
they hold. The one lookup behind preflight's `names` check, `all --adopt` (adopt.py) and
`delete --purge` (purge.py): a deploy looks them up once (preflight hands its result to the deploy).

What is looked up (`wanted`): the resources the templates keep after a delete (DeletionPolicy
Retain or RetainExceptOnCreate, read by Project.retained) of the types below, by their physical name;
KMS keys have no name and are found by their tags (Environment, Stack) and description; and the KMS
aliases the templates create (no DeletionPolicy: deleted with their stack, so one that exists outside
a stack is left over from a delete that did not finish, or made by hand; its name blocks the create).
Resources with DeletionPolicy Snapshot (RDS, ElastiCache) are not kept themselves: their final
snapshots are (`snapshots`).

`holdings` says what each one holds, read-only and never a secret's value: objects and bytes of a
bucket (every version and delete marker), images of a repository, whether a secret has a value,
stored bytes of a log group, approximate messages of a queue, a key's state and deletion date.

Exported: Kept, Wanted, Snapshot, IDENTIFIERS, new_stacks, wanted, find, holdings, snapshots, is_missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from deploy.engine.cfn import FAILED_CREATE, error_code
from deploy.engine.project import Project

# The primary identifier of each type (ResourceToImport's key, CloudFormation User Guide, "Resource
# type support"); the alias is looked up but never imported (see adopt.py).
IDENTIFIERS = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::SQS::Queue": "QueueUrl",
    "AWS::SecretsManager::Secret": "Id",
    "AWS::KMS::Key": "KeyId",
    "AWS::KMS::Alias": "AliasName",
}
MISSING = {
    "404",
    "NoSuchBucket",
    "ResourceNotFoundException",
    "RepositoryNotFoundException",
    "NotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "DBSnapshotNotFound",
    "SnapshotNotFoundFault",
}


def is_missing(err: Exception) -> bool:
    """Whether an AWS error says the resource does not exist (so a lookup or a delete is done)."""
    code = error_code(err)
    return code in MISSING or "NonExistentQueue" in code


@dataclass(frozen=True)
class Wanted:
    """A kept resource the templates create: its name (None for a KMS key), or its key's description."""

    stack: str
    logical_id: str
    type: str
    name: str | None
    description: str | None = None


@dataclass(frozen=True)
class Kept:
    """A resource one of the templates creates that already exists outside any stack."""

    stack: str  # registry key
    logical_id: str
    type: str
    label: str  # what the user knows it by
    identifier: str  # the value of IDENTIFIERS[type]
    scheduled_for_deletion: bool = False  # a secret or a key pending deletion
    foreign: bool = False  # a bucket name another account owns (bucket names are global)
    target: str = ""  # an alias: the key it points at

    def to_import(self) -> dict[str, Any]:
        return {
            "ResourceType": self.type,
            "LogicalResourceId": self.logical_id,
            "ResourceIdentifier": {IDENTIFIERS[self.type]: self.identifier},
        }


@dataclass(frozen=True)
class Snapshot:
    """A snapshot kept by DeletionPolicy Snapshot (RDS or ElastiCache) of a resource the templates name."""

    stack: str
    logical_id: str
    kind: str  # "rds" or "elasticache"
    identifier: str
    source: str  # the DB instance / replication group it was taken of
    bytes_or_gib: str = ""


def new_stacks(keys: Iterable[str], live: Mapping[str, dict[str, Any] | None]) -> list[str]:
    """The stacks of `keys` a deploy creates: not live, or left by a failed create (deleted and created again)."""
    return [k for k in keys if live.get(k) is None or live[k]["StackStatus"] in FAILED_CREATE | {"REVIEW_IN_PROGRESS"}]


def wanted(project: Project, account: str, region: str, keys: Iterable[str] | None = None) -> list[Wanted]:
    """The kept resources of the stacks `keys` (default: all), read from the templates."""
    keys = set(project.order() if keys is None else keys)
    found = []
    for r in project.retained(account, region):
        if r.stack not in keys or r.type not in IDENTIFIERS or r.policy == "Snapshot":
            continue
        description = None
        if r.type == "AWS::KMS::Key":
            res = project.template(r.stack)["Resources"][r.logical_id]
            description = (res.get("Properties") or {}).get("Description")
        elif r.name is None:
            continue
        found.append(Wanted(r.stack, r.logical_id, r.type, r.name, description))
    for key in [k for k in project.order() if k in keys]:
        for logical, res in (project.template(key).get("Resources") or {}).items():
            name = (res.get("Properties") or {}).get("AliasName")
            if res.get("Type") == "AWS::KMS::Alias" and isinstance(name, str):
                found.append(Wanted(key, logical, "AWS::KMS::Alias", name))
    return found


def find(
    project: Project, aws: Any, keys: Iterable[str] | None = None, *, every_key: bool = False, workers: int = 8
) -> list[Kept]:
    """The kept resources of the stacks `keys` (default: all) that exist, looked up in parallel
    (in the order of `wanted`). KMS keys: the newest enabled one per template key (the one a deploy
    adopts; else the newest pending deletion, which a deploy skips); `every_key`: every one tagged
    for it (purge, after the stacks are gone: each re-create after a failed create left one)."""
    account, region = aws.identity().account, aws.region
    items = wanted(project, account, region, keys)
    if not items:
        return []
    keys_by_stack = _env_keys(aws, project.env) if any(w.type == "AWS::KMS::Key" for w in items) else {}
    aliases = _aliases(aws) if any(w.type == "AWS::KMS::Alias" for w in items) else {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hits = list(pool.map(lambda w: _lookup(aws, w, keys_by_stack, aliases, every_key), items))
    return [k for hit in hits for k in hit]


def _lookup(
    aws: Any, w: Wanted, keys_by_stack: dict[str, list[dict[str, Any]]], aliases: dict[str, str], every_key: bool
) -> list[Kept]:
    def kept(identifier: str, *, pending: bool = False, foreign: bool = False, target: str = "") -> list[Kept]:
        return [Kept(w.stack, w.logical_id, w.type, w.name or identifier, identifier, pending, foreign, target)]

    if w.type == "AWS::KMS::Key":
        match = [k for k in keys_by_stack.get(w.stack, []) if k.get("Description") == w.description]
        match.sort(key=lambda k: (k.get("KeyState") == "Enabled", k["CreationDate"]), reverse=True)
        return [
            Kept(w.stack, w.logical_id, w.type, f"KMS key {m['KeyId']}", m["KeyId"], m["KeyState"] == "PendingDeletion")
            for m in (match if every_key else match[:1])
        ]
    name = w.name or ""
    if w.type == "AWS::KMS::Alias":
        return kept(name, target=aliases[name]) if name in aliases else []
    try:
        if w.type == "AWS::S3::Bucket":
            aws.client("s3").head_bucket(Bucket=name)
            return kept(name)
        if w.type == "AWS::Logs::LogGroup":
            groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups") or []
            return kept(name) if any(g["logGroupName"] == name for g in groups) else []
        if w.type == "AWS::ECR::Repository":
            aws.client("ecr").describe_repositories(repositoryNames=[name])
            return kept(name)
        if w.type == "AWS::SQS::Queue":
            return kept(aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
        if w.type == "AWS::SecretsManager::Secret":
            secret = aws.client("secretsmanager").describe_secret(SecretId=name)
            return kept(secret["ARN"], pending=bool(secret.get("DeletedDate")))
    except Exception as err:
        if is_missing(err):
            return []
        if w.type == "AWS::S3::Bucket" and error_code(err) == "403":
            return kept(name, foreign=True)
        raise
    return []


def _env_keys(aws: Any, env: str) -> dict[str, list[dict[str, Any]]]:
    """Customer keys tagged with this environment (enabled or pending deletion), by their `Stack` tag."""
    kms = aws.client("kms")
    found: dict[str, list[dict[str, Any]]] = {}
    for page in kms.get_paginator("list_keys").paginate():
        for entry in page.get("Keys") or []:
            meta = kms.describe_key(KeyId=entry["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") == "AWS" or meta.get("KeyState") not in ("Enabled", "PendingDeletion"):
                continue
            tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=entry["KeyId"]).get("Tags") or []}
            if tags.get("Environment") == env and tags.get("Stack"):
                found.setdefault(tags["Stack"], []).append(meta)
    return found


def _aliases(aws: Any) -> dict[str, str]:
    """Alias name -> the key id it points at."""
    pages = aws.client("kms").get_paginator("list_aliases").paginate()
    return {a["AliasName"]: a.get("TargetKeyId") or "" for page in pages for a in page.get("Aliases") or []}


# --- what they hold -------------------------------------------------------------------------------


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def holdings(aws: Any, found: list[Kept], *, workers: int = 8) -> dict[Kept, str]:
    """What each kept resource holds, one short phrase each (read-only; never a secret's value)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(found, pool.map(lambda k: _holds(aws, k), found), strict=True))


def _holds(aws: Any, k: Kept) -> str:
    try:
        return _HOLDS[k.type](aws, k)
    except Exception as err:
        if is_missing(err):
            return "gone"
        if not hasattr(err, "response"):
            raise
        return f"not read ({error_code(err)})"


def _bucket(aws: Any, k: Kept) -> str:
    if k.foreign:
        return "owned by another account: not ours to purge"
    objects = versions = markers = size = 0
    for page in aws.client("s3").get_paginator("list_object_versions").paginate(Bucket=k.identifier):
        for v in page.get("Versions") or []:
            versions += 1
            objects += 1 if v.get("IsLatest") else 0
            size += int(v.get("Size") or 0)
        markers += len(page.get("DeleteMarkers") or [])
    extra = versions - objects
    text = f"{_plural(objects, 'object')}, {_size(size)}"
    if extra or markers:
        text += f" (with {_plural(extra, 'older version')} and {_plural(markers, 'delete marker')})"
    return text


def _repository(aws: Any, k: Kept) -> str:
    count = 0
    for page in aws.client("ecr").get_paginator("list_images").paginate(repositoryName=k.identifier):
        count += len({i.get("imageDigest") for i in page.get("imageIds") or []})
    return _plural(count, "image")


def _secret(aws: Any, k: Kept) -> str:
    sm = aws.client("secretsmanager")
    versions = sm.list_secret_version_ids(SecretId=k.identifier).get("Versions") or []
    current = any("AWSCURRENT" in (v.get("VersionStages") or []) for v in versions)
    text = "a value is set" if current else "no value set"
    if k.scheduled_for_deletion:
        text += "; already scheduled for deletion"
    return text


def _log_group(aws: Any, k: Kept) -> str:
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=k.identifier).get("logGroups") or []
    stored = sum(int(g.get("storedBytes") or 0) for g in groups if g["logGroupName"] == k.identifier)
    return f"{_size(stored)} stored"


def _queue(aws: Any, k: Kept) -> str:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attrs = aws.client("sqs").get_queue_attributes(QueueUrl=k.identifier, AttributeNames=names).get("Attributes") or {}
    return f"about {_plural(sum(int(attrs.get(n) or 0) for n in names), 'message')}"


def _key(aws: Any, k: Kept) -> str:
    meta = aws.client("kms").describe_key(KeyId=k.identifier)["KeyMetadata"]
    if meta.get("KeyState") == "PendingDeletion":
        return f"already scheduled for deletion on {str(meta.get('DeletionDate', '?'))[:10]}"
    return f"{meta.get('KeyState', '?').lower()}; what it encrypted can no longer be read once it is deleted"


def _alias(aws: Any, k: Kept) -> str:
    return f"points at key {k.target or '?'}"


_HOLDS = {
    "AWS::S3::Bucket": _bucket,
    "AWS::ECR::Repository": _repository,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SQS::Queue": _queue,
    "AWS::KMS::Key": _key,
    "AWS::KMS::Alias": _alias,
}


# --- snapshots ------------------------------------------------------------------------------------


def snapshots(project: Project, aws: Any) -> list[Snapshot]:
    """The manual snapshots of the RDS instances and ElastiCache replication groups the templates name
    (DeletionPolicy Snapshot leaves one final snapshot each time their stack is deleted)."""
    found: list[Snapshot] = []
    account, region = aws.identity().account, aws.region
    for r in project.retained(account, region):
        if r.policy != "Snapshot" or r.name is None:
            continue
        try:
            if r.type == "AWS::RDS::DBInstance":
                pages = aws.client("rds").get_paginator("describe_db_snapshots")
                for page in pages.paginate(DBInstanceIdentifier=r.name, SnapshotType="manual"):
                    for s in page.get("DBSnapshots") or []:
                        size = f"{s.get('AllocatedStorage', '?')} GiB allocated"
                        found.append(Snapshot(r.stack, r.logical_id, "rds", s["DBSnapshotIdentifier"], r.name, size))
            elif r.type == "AWS::ElastiCache::ReplicationGroup" and not getattr(aws.settings, "local", False):
                # (the local emulator has no ElastiCache snapshot API: an HTTP 500, retried with back-off)
                reply = aws.client("elasticache").describe_snapshots(ReplicationGroupId=r.name)
                for s in reply.get("Snapshots") or []:
                    found.append(Snapshot(r.stack, r.logical_id, "elasticache", s["SnapshotName"], r.name))
        except Exception as err:
            if is_missing(err) or error_code(err) in ("CacheClusterNotFound", "ReplicationGroupNotFoundFault"):
                continue
            raise
    return found
