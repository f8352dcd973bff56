"""GetAtt attributes and Refs of moto's own models.

- GetAtt attributes and Refs they lacked (`attribute_table`, `ref_table`): Subnet
  AvailabilityZone/VpcId/CidrBlock/SubnetId, VPC attributes, SecurityGroup GroupId/VpcId,
  LoadBalancer LoadBalancerFullName/CanonicalHostedZoneID/LoadBalancerArn, TargetGroup
  TargetGroupFullName/Arn/Name, Listener/Rule ARNs, Queue QueueUrl, Topic TopicArn, ECS ServiceArn,
  RDS DBInstanceArn/DbiResourceId, KMS KeyId, ...; Ref of DBSubnetGroup, DBParameterGroup and
  SecurityGroupIngress (moto: '' or an object repr, which crashed DBInstance with HTTP 500).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends


def _full_name(arn: str, marker: str) -> str:
    """`app/hana-dev-alb/50dc6c495c0c9188` from a load balancer ARN (marker `loadbalancer/`)."""
    return arn.split(marker, 1)[1]


def attribute_table() -> dict[type, dict[str, Any]]:
    """GetAtt attributes our templates use that moto's models do not answer (moto: a
    ValidationError, an unresolved literal or a dropped output)."""
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import RouteTable
    from moto.ec2.models.security_groups import SecurityGroup
    from moto.ec2.models.subnets import Subnet
    from moto.ec2.models.vpcs import VPC, VPCEndPoint
    from moto.ecr.models import Repository
    from moto.ecs.models import Cluster, Service, TaskDefinition
    from moto.elbv2.models import FakeListener, FakeListenerRule, FakeLoadBalancer, FakeTargetGroup
    from moto.iam.models import ManagedPolicy, Role
    from moto.kms.models import Key
    from moto.logs.models import LogGroup
    from moto.rds.models import DBInstance, DBParameterGroup
    from moto.sns.models import Topic
    from moto.sqs.models import Queue

    return {
        VPC: {
            "VpcId": lambda v: v.id,
            "CidrBlock": lambda v: v.cidr_block,
            "CidrBlockAssociations": lambda v: [a["association_id"] for a in v.cidr_block_association_set.values()],
            "DefaultNetworkAcl": lambda v: _default_network_acl(v),
            "Ipv6CidrBlocks": lambda v: [],
        },
        Subnet: {
            "SubnetId": lambda s: s.id,
            "VpcId": lambda s: s.vpc_id,
            "CidrBlock": lambda s: s.cidr_block,
            "AvailabilityZone": lambda s: s.availability_zone,
            "AvailabilityZoneId": lambda s: s.availability_zone_id,
            "Ipv6CidrBlocks": lambda s: [],
        },
        SecurityGroup: {"GroupId": lambda g: g.id, "VpcId": lambda g: g.vpc_id},
        InternetGateway: {"InternetGatewayId": lambda g: g.id},
        RouteTable: {"RouteTableId": lambda r: r.id},
        NatGateway: {"NatGatewayId": lambda n: n.id},
        ElasticAddress: {"AllocationId": lambda a: a.allocation_id, "PublicIp": lambda a: a.public_ip},
        VPCEndPoint: {
            "Id": lambda e: e.id,
            "NetworkInterfaceIds": lambda e: list(e.network_interface_ids or []),
            "DnsEntries": lambda e: [
                f"{d.get('hosted_zone_id', '')}:{d.get('dns_name', '')}" for d in e.dns_entries or []
            ],
            "CreationTimestamp": lambda e: str(e.created_at),
        },
        FakeLoadBalancer: {
            "LoadBalancerArn": lambda lb: lb.arn,
            "LoadBalancerName": lambda lb: lb.name,
            "LoadBalancerFullName": lambda lb: _full_name(lb.arn, "loadbalancer/"),
            "DNSName": lambda lb: lb.dns_name,
            "CanonicalHostedZoneID": lambda lb: "Z35SXDOTRQ7X7K",  # us-east-1 ALB zone, as AWS
            "SecurityGroups": lambda lb: list(lb.security_groups),
        },
        FakeTargetGroup: {
            "TargetGroupArn": lambda tg: tg.arn,
            "TargetGroupName": lambda tg: tg.name,
            "TargetGroupFullName": lambda tg: tg.arn.rsplit(":", 1)[1],
            "LoadBalancerArns": lambda tg: list(tg.load_balancer_arns),
        },
        FakeListener: {"ListenerArn": lambda listener: listener.arn},
        FakeListenerRule: {"RuleArn": lambda rule: rule.arn},
        Queue: {"QueueUrl": lambda q: q.physical_resource_id},
        Topic: {"TopicArn": lambda t: t.arn, "TopicName": lambda t: t.name},
        Service: {"ServiceArn": lambda s: s.arn, "Name": lambda s: s.name},
        Cluster: {"Arn": lambda c: c.arn},
        TaskDefinition: {"TaskDefinitionArn": lambda t: t.arn},
        DBInstance: {
            "DBInstanceArn": lambda d: d.db_instance_arn,
            "DbiResourceId": lambda d: d.dbi_resource_id,
            "Endpoint.HostedZoneId": lambda d: "Z2R2ITUGPM61AM",
        },
        DBParameterGroup: {"DBParameterGroupName": lambda g: g.name},
        Key: {"Arn": lambda k: k.arn, "KeyId": lambda k: k.id},
        LogGroup: {"Arn": lambda g: g.arn},
        Role: {"Arn": lambda r: r.arn, "RoleId": lambda r: r.id},
        ManagedPolicy: {"PolicyArn": lambda p: p.arn},
        Repository: {"Arn": lambda r: r.arn, "RepositoryUri": lambda r: r.uri},
    }


def _default_network_acl(vpc: Any) -> str:
    backend = ec2_backends[vpc.account_id][vpc.region]
    for acl in backend.network_acls.values():
        if acl.vpc_id == vpc.id and acl.default == "true":
            return acl.id
    return ""


def ref_table() -> dict[type, Any]:
    """What `Ref` returns for moto models that return '' or an object repr."""
    from moto.ec2.models.security_groups import SecurityGroupIngress
    from moto.rds.models import DBParameterGroup, DBSubnetGroup

    return {
        DBSubnetGroup: lambda g: g.subnet_name if hasattr(g, "subnet_name") else g.name,
        DBParameterGroup: lambda g: g.name,
        SecurityGroupIngress: lambda i: getattr(i, "rule_id", "") or f"{i.security_group.id}-ingress",
    }
