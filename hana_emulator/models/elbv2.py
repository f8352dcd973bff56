"""ELBv2: AWS::ElasticLoadBalancingV2::ListenerCertificate (moto skips it)."""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import elbv2_backends

from .base import Resource


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
