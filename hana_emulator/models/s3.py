"""S3: AWS::S3::BucketPolicy (moto skips it), and moto's bucket fixed.

- S3 Bucket: VersioningConfiguration, PublicAccessBlockConfiguration, OwnershipControls,
  ObjectLockEnabled, LoggingConfiguration and LifecycleConfiguration applied (moto dropped them);
  a log destination with Object Lock is refused, as S3 refuses it.
- Bucket policies: moto's S3 does evaluate them on every object request, but ignores their
  Conditions, so a TLS-only statement (Deny when aws:SecureTransport is false) denied every
  request. The emulator's http endpoint stands in for AWS's https one: aws:SecureTransport is
  true there, so such a statement does not apply; every other statement is evaluated as moto
  does (other conditions are still ignored: a conditional Deny applies always).
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.exceptions import InvalidTargetBucketForLogging
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .base import Resource, _bool, _json_text


class BucketPolicy(Resource):
    """AWS::S3::BucketPolicy. Ref: the bucket name."""

    TYPE = "AWS::S3::BucketPolicy"
    CREATE_ONLY = ("Bucket",)

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        bucket = properties["Bucket"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(bucket, _json_text(properties["PolicyDocument"]).encode())
        return cls(bucket, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        backend = s3_backends[self.account_id][get_partition(self.region_name)]
        if self.physical_resource_id in backend.buckets:
            backend.delete_bucket_policy(self.physical_resource_id)


def _patch_bucket() -> None:
    """Apply the bucket settings moto's model drops: versioning, public access block, ownership
    controls, access logging and lifecycle rules (on create and update)."""
    from moto.s3.models import FakeBucket

    original_create = FakeBucket.create_from_cloudformation_json.__func__
    original_update = FakeBucket.update_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        bucket = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        _bucket_settings(bucket.name, cloudformation_json.get("Properties") or {}, account_id, region_name)
        return bucket

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        bucket = original_update(
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        _bucket_settings(bucket.name, cloudformation_json.get("Properties") or {}, account_id, region_name)
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create)
    FakeBucket.update_from_cloudformation_json = classmethod(update)
    original_permission = FakeBucket.get_permission

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return original_permission(self, action, resource)
        document = json.loads(self.policy)
        statements = document.get("Statement") or []
        statements = [statements] if isinstance(statements, dict) else statements
        kept = [s for s in statements if not _denies_plain_http_only(s)]
        if len(kept) == len(statements):
            return original_permission(self, action, resource)
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def _denies_plain_http_only(statement: dict[str, Any]) -> bool:
    """A Deny whose only condition is aws:SecureTransport = false (the TLS-only pattern)."""
    condition = statement.get("Condition") or {}
    if statement.get("Effect") != "Deny" or list(condition) != ["Bool"]:
        return False
    keys = {k.lower(): v for k, v in condition["Bool"].items()}
    value = keys.get("aws:securetransport")
    values = value if isinstance(value, list) else [value]
    return len(keys) == 1 and [str(v).lower() for v in values] == ["false"]


def _bucket_settings(name: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = s3_backends[account_id][get_partition(region_name)]
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(name, versioning["Status"])
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(name, {k: str(bool(_bool(v))).lower() for k, v in block.items()})
    ownership = properties.get("OwnershipControls")
    if ownership:
        backend.put_bucket_ownership_controls(name, ownership["Rules"][0]["ObjectOwnership"])
    if _bool(properties.get("ObjectLockEnabled", False)):
        # moto's model drops it; irreversible on AWS too ("you can't disable Object Lock").
        backend.get_bucket(name).object_lock_enabled = True
    logging = properties.get("LoggingConfiguration")
    if logging and logging.get("DestinationBucketName"):
        target = backend.buckets.get(logging["DestinationBucketName"])
        if target is not None and target.object_lock_enabled:
            # "S3 buckets with Object Lock can't be used as destination buckets for server access
            # logs" (S3 User Guide, Configuring S3 Object Lock).
            raise InvalidTargetBucketForLogging(
                f"The target bucket {target.name} for logging has Object Lock enabled: S3 buckets with "
                "Object Lock can't be used as destination buckets for server access logs"
            )
        bucket = backend.get_bucket(name)
        bucket.logging = {
            "TargetBucket": logging["DestinationBucketName"],
            "TargetPrefix": logging.get("LogFilePrefix", ""),
        }
    lifecycle = properties.get("LifecycleConfiguration")
    if lifecycle:
        backend.put_bucket_lifecycle_configuration(name, [_lifecycle_rule(r) for r in lifecycle.get("Rules") or []])


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the S3 API's shape (what moto's model parses)."""
    out: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule.get("Status", "Enabled")}
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": str(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": str(rule["NoncurrentVersionExpiration"].get("NoncurrentDays"))
        }
    elif "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": str(rule["NoncurrentVersionExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": str(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    transitions = rule.get("Transitions") or []
    if transitions:
        out["Transition"] = [
            {"Days": str(t.get("TransitionInDays")), "StorageClass": t["StorageClass"]} for t in transitions
        ]
    return out


def find_bucket(identifier: str, properties: dict[str, Any], account_id: str, region_name: str) -> Any:
    """Resource import (identifier `BucketName`)."""
    return s3_backends[account_id][get_partition(region_name)].buckets.get(identifier)
