"""CloudWatch Logs: AWS::Logs::MetricFilter and QueryDefinition (moto skips both), and moto's log
group fixed.

- LogGroup: RetentionInDays updates.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.utils import random_suffix
from moto.logs.models import logs_backends

from .base import Resource, _int, _KeptInStore


class MetricFilter(Resource):
    """AWS::Logs::MetricFilter. Ref: the filter name."""

    TYPE = "AWS::Logs::MetricFilter"
    NAME_PROPERTY = "FilterName"
    CREATE_ONLY = ("FilterName", "LogGroupName")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        transformations = [
            {k[0].lower() + k[1:]: v for k, v in item.items()} for item in properties["MetricTransformations"]
        ]
        logs_backends[account_id][region_name].put_metric_filter(
            name, properties["FilterPattern"], properties["LogGroupName"], transformations
        )
        return cls(name, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        logs_backends[self.account_id][self.region_name].delete_metric_filter(
            self.physical_resource_id, self.properties["LogGroupName"]
        )


class QueryDefinition(_KeptInStore):
    """AWS::Logs::QueryDefinition. moto's Logs has no saved queries: kept on the Logs backend
    (reset with it), not visible through the API. Ref: the query definition id."""

    TYPE = "AWS::Logs::QueryDefinition"
    ATTRIBUTES = ("QueryDefinitionId",)

    @staticmethod
    def _store(account_id: str, region_name: str) -> dict[str, Any]:
        backend = logs_backends[account_id][region_name]
        if not hasattr(backend, "hana_query_definitions"):
            backend.hana_query_definitions = {}
        return backend.hana_query_definitions

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        query_id = f"{random_suffix().lower()}-query"
        cls._store(account_id, region_name)[query_id] = dict(properties)
        return cls(query_id, properties, account_id, region_name)

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id


def _patch_log_group() -> None:
    """RetentionInDays changes apply in place (moto's LogGroup has no update)."""
    from moto.logs.models import LogGroup

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        backend = logs_backends[account_id][region_name]
        if properties.get("RetentionInDays") is not None:
            backend.put_retention_policy(original_resource.name, _int(properties["RetentionInDays"]))
        else:
            backend.delete_retention_policy(original_resource.name)
        return original_resource

    LogGroup.update_from_cloudformation_json = classmethod(update)


def find_log_group(identifier: str, properties: dict[str, Any], account_id: str, region_name: str) -> Any:
    """Resource import (identifier `LogGroupName`)."""
    return logs_backends[account_id][region_name].groups.get(identifier)
