"""ECR: moto's repository fixed.

- ECR Repository: ImageScanningConfiguration and LifecyclePolicy applied.
"""

from __future__ import annotations

from typing import Any

from moto.ecr.models import ecr_backends

from .base import _bool, _json_text


def _patch_repository() -> None:
    """Apply ImageScanningConfiguration and LifecyclePolicy (moto's model drops both)."""
    from moto.ecr.models import Repository

    original_create = Repository.create_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        repository = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json.get("Properties") or {}
        scanning = properties.get("ImageScanningConfiguration")
        if scanning:
            repository.image_scanning_configuration = {"scanOnPush": bool(_bool(scanning.get("ScanOnPush")))}
        policy = (properties.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if policy:
            ecr_backends[account_id][region_name].put_lifecycle_policy(
                registry_id=None, repository_name=repository.name, lifecycle_policy_text=_json_text(policy)
            )
        return repository

    Repository.create_from_cloudformation_json = classmethod(create)


def find_repository(identifier: str, properties: dict[str, Any], account_id: str, region_name: str) -> Any:
    """Resource import (identifier `RepositoryName`)."""
    return ecr_backends[account_id][region_name].repositories.get(identifier)
