"""ECS: AWS::ECS::ClusterCapacityProviderAssociations (moto skips it), and moto's task
definition fixed.

- ECS TaskDefinition: an update registers a complete new revision (moto's lost the containers'
  `image`).
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import ecs_backends

from .base import Resource, _int


class ClusterCapacityProviderAssociations(Resource):
    """AWS::ECS::ClusterCapacityProviderAssociations. Ref: the cluster name."""

    TYPE = "AWS::ECS::ClusterCapacityProviderAssociations"
    CREATE_ONLY = ("Cluster",)

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        cluster = properties["Cluster"]
        strategy = [
            {k[0].lower() + k[1:]: (_int(v) if k in ("Base", "Weight") else v) for k, v in item.items()}
            for item in properties.get("DefaultCapacityProviderStrategy") or []
        ]
        ecs_backends[account_id][region_name].put_cluster_capacity_providers(
            cluster, list(properties["CapacityProviders"]), strategy
        )
        return cls(cluster.rsplit("/", 1)[-1], properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        backend = ecs_backends[self.account_id][self.region_name]
        if self.physical_resource_id in backend.clusters:
            backend.put_cluster_capacity_providers(self.physical_resource_id, [], [])


def _patch_task_definition() -> None:
    """An update registers a new revision built as the create builds it, then deregisters the old
    one (CloudFormation replaces a task definition: nearly all its properties are create-only).
    moto's update skipped the create's PascalCase -> camelCase conversion of the containers, so the
    new revision had no `image` (and, comparing that unconverted text with the stored one, it
    always registered one anyway)."""
    from moto.ecs.models import TaskDefinition

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        revision = TaskDefinition.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        ecs_backends[account_id][region_name].deregister_task_definition(original_resource.arn)
        return revision

    TaskDefinition.update_from_cloudformation_json = classmethod(update)
