"""KMS: moto's key fixed.

- KMS Key: CloudFormation's Tags shape (moto failed with KeyError), policy stored as JSON, in-place
  updates.
"""

from __future__ import annotations

from typing import Any

from .base import _bool, _json_text


def _patch_kms_key() -> None:
    """Tags in CloudFormation's Key/Value shape (moto wanted KMS's TagKey/TagValue and failed with
    KeyError), the key policy stored as JSON text, and in-place updates (moto: none)."""
    from moto.kms.models import Key, kms_backends

    def _kms_shaped(cloudformation_json: Any) -> dict[str, Any]:
        properties = dict(cloudformation_json.get("Properties") or {})
        # KMS's shape, keeping CloudFormation's keys too: a test-only shim elsewhere (the deployer's
        # conftest) may wrap this and convert again; KMS ignores the extra keys.
        properties["Tags"] = [
            {
                "TagKey": t.get("Key", t.get("TagKey")),
                "TagValue": str(t.get("Value", t.get("TagValue"))),
                "Key": t.get("Key", t.get("TagKey")),
                "Value": str(t.get("Value", t.get("TagValue"))),
            }
            for t in properties.get("Tags") or []
        ]
        properties["KeyPolicy"] = _json_text(properties.get("KeyPolicy") or "")
        properties["EnableKeyRotation"] = bool(_bool(properties.get("EnableKeyRotation")))
        return {**cloudformation_json, "Properties": properties}

    original = Key.create_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        return original(cls, resource_name, _kms_shaped(cloudformation_json), account_id, region_name, **kw)

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = _kms_shaped(cloudformation_json)["Properties"]
        backend = kms_backends[account_id][region_name]
        original_resource.description = properties.get("Description", original_resource.description)
        original_resource.policy = properties["KeyPolicy"]
        original_resource.key_rotation_status = properties["EnableKeyRotation"]
        if properties["Tags"]:  # moto's tag_resource takes {key: value}, not CloudFormation's list
            backend.tag_resource(original_resource.id, {t["TagKey"]: t["TagValue"] for t in properties["Tags"]})
        return original_resource

    Key.create_from_cloudformation_json = classmethod(create)
    Key.update_from_cloudformation_json = classmethod(update)


def find_key(identifier: str, properties: dict[str, Any], account_id: str, region_name: str) -> Any:
    """Resource import (identifier `KeyId`): an existing key that is not pending deletion."""
    from moto.kms.models import kms_backends

    key = kms_backends[account_id][region_name].keys.get(identifier.rsplit("/", 1)[-1])
    return None if key is None or key.key_state == "PendingDeletion" else key
