"""ELBv2: AWS::ElasticLoadBalancingV2::ListenerCertificate (moto skips it), and moto's load balancer
fixed.

- LoadBalancer: `LoadBalancerAttributes` applied on create and on update (moto accepted them and
  applied none; an update was a silent no-op), an unknown key refused as the API refuses it
  (`InvalidConfigurationRequest`).
- Deletion protection enforced: DeleteLoadBalancer (the API, and so a stack's delete) refuses a load
  balancer with `deletion_protection.enabled=true` as AWS does (API reference, DeleteLoadBalancer:
  "You can't delete a load balancer if deletion protection is enabled"; error OperationNotPermitted,
  HTTP 400, "Load balancer '<arn>' cannot be deleted because deletion protection is enabled").
  moto deleted it, so a protected prod ALB never stopped a teardown here (issue 14, item 6).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import elbv2_backends

from .base import Resource

PROTECTION = "deletion_protection.enabled"


class DeletionProtected(ELBClientError):
    """OperationNotPermitted, worded as ELBv2 words it."""

    def __init__(self, arn: str):
        super().__init__(
            "OperationNotPermitted", f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
        )


class ListenerCertificate(Resource):
    """AWS::ElasticLoadBalancingV2::ListenerCertificate."""

    TYPE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"
    CREATE_ONLY = ("ListenerArn", "Certificates")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        elbv2_backends[account_id][region_name].add_listener_certificates(
            properties["ListenerArn"], list(properties["Certificates"])
        )
        return cls(f"{properties['ListenerArn']}|certificates", properties, account_id, region_name)

    def remove(self) -> None:
        elbv2_backends[self.account_id][self.region_name].remove_listener_certificates(
            self.properties["ListenerArn"], list(self.properties["Certificates"])
        )


def _attributes(properties: dict[str, Any]) -> dict[str, str]:
    """`LoadBalancerAttributes: [{Key, Value}]` as the API's map (values as strings, booleans lower case)."""
    found = {}
    for item in properties.get("LoadBalancerAttributes") or []:
        value = item.get("Value")
        found[str(item["Key"])] = str(value).lower() if isinstance(value, bool) else str(value)
    return found


def _patch_load_balancer() -> None:
    """Attributes applied on create and update; deletion protection enforced on delete."""
    from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

    original_create = FakeLoadBalancer.create_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        balancer = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        attrs = _attributes(cloudformation_json.get("Properties") or {})
        if attrs:
            try:
                elbv2_backends[account_id][region_name].modify_load_balancer_attributes(balancer.arn, attrs)
            except ELBClientError:
                elbv2_backends[account_id][region_name].load_balancers.pop(balancer.arn, None)
                raise
        return balancer

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        backend = elbv2_backends[account_id][region_name]
        # An attribute left out of the template goes back to its default, as CloudFormation does for
        # the ones it manages; here only deletion protection needs that (moto's defaults for the rest).
        attrs = {PROTECTION: "false", **_attributes(properties)}
        backend.modify_load_balancer_attributes(original_resource.arn, attrs)
        if "SecurityGroups" in properties:
            original_resource.security_groups = list(properties["SecurityGroups"])
        return original_resource

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(create)
    FakeLoadBalancer.update_from_cloudformation_json = classmethod(update)

    original_delete = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and str(balancer.attrs.get(PROTECTION, "false")).lower() == "true":
            raise DeletionProtected(arn)
        original_delete(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer
