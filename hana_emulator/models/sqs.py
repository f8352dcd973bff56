"""SQS: AWS::SQS::QueuePolicy (moto skips it)."""

from __future__ import annotations

from typing import Any

from moto.sqs.models import sqs_backends

from .base import Resource, _json_text


class QueuePolicy(Resource):
    """AWS::SQS::QueuePolicy: sets each queue's Policy attribute (Queues are URLs)."""

    TYPE = "AWS::SQS::QueuePolicy"

    @staticmethod
    def _names(properties: dict[str, Any]) -> list[str]:
        return [url.rstrip("/").rsplit("/", 1)[-1] for url in properties["Queues"]]

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        backend = sqs_backends[account_id][region_name]
        for queue in cls._names(properties):
            backend.set_queue_attributes(queue, {"Policy": _json_text(properties["PolicyDocument"])})
        return cls(name, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        self.remove()
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        backend = sqs_backends[self.account_id][self.region_name]
        for queue in self._names(self.properties):
            if queue in backend.queues:
                backend.queues[queue].policy = None


def find_queue(identifier: str, properties: dict[str, Any], account_id: str, region_name: str) -> Any:
    """Resource import (identifier `QueueUrl`: the queue is its last path segment)."""
    return sqs_backends[account_id][region_name].queues.get(identifier.rstrip("/").rsplit("/", 1)[-1])
