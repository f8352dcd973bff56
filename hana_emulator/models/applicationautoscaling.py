"""Application Auto Scaling: AWS::ApplicationAutoScaling::ScalableTarget and ScalingPolicy
(moto skips both).
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.utilities.utils import get_partition

from .base import Resource, _int


class ScalableTarget(Resource):
    """AWS::ApplicationAutoScaling::ScalableTarget. Ref (as AWS): `<ResourceId>|<dimension>|<namespace>`.
    For ECS, moto checks that the service exists, as AWS does."""

    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
    ATTRIBUTES = ("Id",)
    CREATE_ONLY = ("ResourceId", "ScalableDimension", "ServiceNamespace")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        p = properties
        applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            namespace=p["ServiceNamespace"],
            r_id=p["ResourceId"],
            dimension=p["ScalableDimension"],
            min_capacity=_int(p.get("MinCapacity")),
            max_capacity=_int(p.get("MaxCapacity")),
            role_arn=p.get("RoleARN")
            or f"arn:{get_partition(region_name)}:iam::{account_id}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
            suspended_state=p.get("SuspendedState"),
        )
        physical = f"{p['ResourceId']}|{p['ScalableDimension']}|{p['ServiceNamespace']}"
        return cls(physical, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        self.create(self.physical_resource_id, properties, self.account_id, self.region_name)
        self.properties = properties
        return self

    def remove(self) -> None:
        p = self.properties
        applicationautoscaling_backends[self.account_id][self.region_name].deregister_scalable_target(
            p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"]
        )

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id


class ScalingPolicy(Resource):
    """AWS::ApplicationAutoScaling::ScalingPolicy (target tracking or step). Ref and GetAtt Arn:
    the policy ARN. For ECS target tracking, moto also creates the two CloudWatch alarms AWS
    creates (TargetTracking-service/...)."""

    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
    ATTRIBUTES = ("Arn",)
    CREATE_ONLY = ("PolicyName", "ScalingTargetId", "ResourceId", "ScalableDimension", "ServiceNamespace")

    @staticmethod
    def _target(properties: dict[str, Any]) -> tuple[str, str, str]:
        if properties.get("ScalingTargetId"):
            resource_id, dimension, namespace = properties["ScalingTargetId"].split("|")
            return namespace, resource_id, dimension
        return properties["ServiceNamespace"], properties["ResourceId"], properties["ScalableDimension"]

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        namespace, resource_id, dimension = cls._target(properties)
        policy_type = properties.get("PolicyType")
        body = properties.get(
            "TargetTrackingScalingPolicyConfiguration"
            if policy_type == "TargetTrackingScaling"
            else "StepScalingPolicyConfiguration"
        )
        policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
            policy_name=properties["PolicyName"],
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=body,
            policy_type=policy_type,
        )
        return cls(policy.policy_arn, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        namespace, resource_id, dimension = self._target(self.properties)
        backend = applicationautoscaling_backends[self.account_id][self.region_name]
        backend.delete_scaling_policy(self.properties["PolicyName"], namespace, resource_id, dimension)

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id
