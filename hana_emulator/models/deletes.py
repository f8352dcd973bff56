"""Deletes of moto's own models.

- Deletes that were silent no-ops in moto: EIP, FlowLog, InternetGateway, NatGateway, Route,
  RouteTable, SecurityGroupIngress, VPCEndpoint, VPCGatewayAttachment, ECS Cluster, Service and
  TaskDefinition, ELBv2 Listener, ListenerRule and TargetGroup (their resources outlived the
  stack, and the VPC could never be deleted).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ecs.models import ecs_backends
from moto.elbv2.models import elbv2_backends


def _deleters() -> dict[type, Any]:
    """How to delete the moto models whose CloudFormation delete is a silent no-op in moto
    (their resources survived delete_stack, and the VPC could never be deleted)."""
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.security_groups import SecurityGroupIngress
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
    from moto.ecs.models import Cluster, Service, TaskDefinition
    from moto.elbv2.models import FakeListener, FakeListenerRule, FakeTargetGroup

    def ec2(account_id: str, region_name: str) -> Any:
        return ec2_backends[account_id][region_name]

    def ingress(rule: Any, account_id: str, region_name: str) -> None:
        p = rule.properties
        source = [{"GroupId": p["SourceSecurityGroupId"]}] if p.get("SourceSecurityGroupId") else []
        ranges = [{"CidrIp": p["CidrIp"]}] if p.get("CidrIp") else []
        ec2(account_id, region_name).revoke_security_group_ingress(
            rule.security_group.id,
            str(p["IpProtocol"]),
            p.get("FromPort"),
            p.get("ToPort"),
            ranges,
            source_groups=source,
            security_rule_ids=[rule.rule_id] if getattr(rule, "rule_id", "") else None,
            vpc_id=rule.security_group.vpc_id,
        )

    def attachment(a: Any, account_id: str, region_name: str) -> None:
        backend = ec2(account_id, region_name)
        if a.gateway_id.startswith("igw-"):
            backend.detach_internet_gateway(a.gateway_id, a.vpc_id)
        else:
            backend.detach_vpn_gateway(a.gateway_id, a.vpc_id)

    def route(r: Any, account_id: str, region_name: str) -> None:
        ec2(account_id, region_name).delete_route(
            r.route_table.id,
            r.destination_cidr_block,
            destination_ipv6_cidr_block=r.destination_ipv6_cidr_block,
            destination_prefix_list_id=r.destination_prefix_list.id if r.destination_prefix_list else None,
        )

    def service(s: Any, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].delete_service(s.cluster_name, s.name, force=True)

    return {
        ElasticAddress: lambda a, acct, region: ec2(acct, region).release_address(allocation_id=a.allocation_id),
        FlowLogs: lambda f, acct, region: ec2(acct, region).delete_flow_logs([f.id]),
        InternetGateway: lambda g, acct, region: ec2(acct, region).delete_internet_gateway(g.id),
        NatGateway: lambda n, acct, region: ec2(acct, region).delete_nat_gateway(n.id),
        Route: route,
        RouteTable: lambda r, acct, region: ec2(acct, region).delete_route_table(r.id),
        SecurityGroupIngress: ingress,
        VPCEndPoint: lambda e, acct, region: ec2(acct, region).delete_vpc_endpoints([e.id]),
        VPCGatewayAttachment: attachment,
        Cluster: lambda c, acct, region: ecs_backends[acct][region].delete_cluster(c.name),
        Service: service,
        TaskDefinition: lambda t, acct, region: ecs_backends[acct][region].deregister_task_definition(t.arn),
        FakeListener: lambda x, acct, region: elbv2_backends[acct][region].delete_listener(x.arn),
        FakeListenerRule: lambda x, acct, region: elbv2_backends[acct][region].delete_rule(x.arn),
        FakeTargetGroup: lambda x, acct, region: elbv2_backends[acct][region].delete_target_group(x.arn),
    }


def _patch_deletes() -> None:
    for cls, deleter in _deleters().items():

        def delete(self: Any, account_id: str, region_name: str, _deleter: Any = deleter) -> None:
            try:
                _deleter(self, account_id, region_name)
            except (TypeError, AttributeError) as err:  # would look like "no delete()" to moto
                raise RuntimeError(f"{type(self).__name__}: {err}") from err

        cls.delete = delete
