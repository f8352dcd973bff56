"""network: the VPC every other stack runs in.

- One VPC (`cfg.network.vpc_cidr`, DNS support and hostnames on: interface endpoints with
  private DNS need both) with three tiers of subnets, one subnet per AZ in each tier:
  public (ALB, NAT gateways), private (ECS tasks, interface endpoints) and database (RDS,
  ElastiCache). Subnets are named `hana-<env>-<tier>-a`, `-b`, ... in AZ order.
- Public subnets route 0.0.0.0/0 to the internet gateway but do not hand out public IPs at
  launch: the ALB and the NAT gateways get theirs by other means and nothing else runs there.
- NAT gateways: `cfg.network.nat_gateways`, one (dev: every private subnet shares it) or one
  per AZ (prod: each private subnet routes through the NAT in its own AZ, so losing an AZ
  does not cut the other AZ off the internet).
- Database subnets share a route table with no route beyond the VPC: no internet either way.
- Security groups exactly as the spec's table, every rule described and every group with
  explicit egress (the default allow-all egress rule is replaced). Egress rules are inline;
  an egress rule naming another group makes this group depend on it, so ingress rules whose
  source is another group are separate AWS::EC2::SecurityGroupIngress resources (inline, the
  pair would be a circular dependency).
- Interface endpoints (`cfg.network.interface_endpoints`) in the private subnets with private
  DNS and their own security group (443 from the ECS tasks only), and the free S3 gateway
  endpoint on the private route tables (ECR image layers are served from S3), so pulling
  images, writing logs and reading secrets stays off the NAT.
- VPC flow logs (all traffic) to a CloudWatch log group encrypted with this stack's KMS key,
  retained for `cfg.network.flow_log_retention_days`, delivered by a role that may write to
  that one log group.

The VPC's default security group is left as AWS creates it (it allows traffic between its own
members): nothing in these templates attaches it, since every resource that takes security
groups is given ours. CloudFormation cannot remove its rules without a custom resource.

Consumes: nothing. Outputs: the VPC id and CIDR, the subnet ids of each tier (comma-joined, in
AZ order) and the ALB, ECS, RDS and Redis security group ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import aws
from awacs import logs as logs_actions
from troposphere import GetAtt, GetAZs, Join, Ref, Select, Sub, Tags, Template, ec2, iam

from . import naming
from .config import EnvConfig
from .constructs import SHORT_SECURITY_LOG_REASON, key_arn, kms_key, log_group, suppress
from .policies import assume_role_policy, logs_key_statement
from .spec import Stack, StackSpec

SPEC = StackSpec(
    name="network",
    description="VPC, public/private/database subnets, internet and NAT gateways, security groups, "
    "VPC endpoints and flow logs",
    outputs=(
        "VpcId",
        "VpcCidr",
        "PublicSubnetIds",
        "PrivateSubnetIds",
        "DatabaseSubnetIds",
        "AlbSecurityGroupId",
        "EcsSecurityGroupId",
        "RdsSecurityGroupId",
        "RedisSecurityGroupId",
    ),
)

TIERS = ("public", "private", "database")
AZ_LETTERS = "abc"  # subnet name suffix per AZ index: hana-dev-public-a
ANYWHERE = "0.0.0.0/0"
# An egress rule to the loopback address can never match a packet that leaves the interface:
# the usual way to replace the default allow-all egress with "nothing".
NOWHERE = "127.0.0.1/32"
HTTPS = 443

# The security groups: key -> what they are for. Logical IDs `AlbSecurityGroup` ...,
# names `hana-<env>-alb-sg` ...
SECURITY_GROUPS = {
    "alb": "the public application load balancer",
    "ecs": "the ECS tasks of the api, ws and workers services",
    "rds": "the RDS PostgreSQL instance",
    "redis": "the ElastiCache Redis replication group",
    "endpoints": "the interface VPC endpoints",
}


@dataclass(frozen=True)
class Rule:
    """One security group rule: `sg` lets traffic in (ingress) or out (egress) on TCP `port`
    (None: every protocol) from/to `peer`, a CIDR or another group's key."""

    sg: str
    direction: str  # "ingress" | "egress"
    port: int | None
    peer: str
    description: str

    @property
    def peer_is_group(self) -> bool:
        return self.peer in SECURITY_GROUPS


def rules(cfg: EnvConfig) -> list[Rule]:
    """The spec's security group table, plus the explicit egress of every group."""
    db, cache = cfg.database.port, cfg.cache.port
    web = [svc for svc in cfg.services if svc.port is not None]
    table = [
        Rule("alb", "ingress", 80, ANYWHERE, "HTTP from the internet"),
        Rule("alb", "ingress", HTTPS, ANYWHERE, "HTTPS from the internet"),
    ]
    for svc in web:
        table += [
            Rule("alb", "egress", svc.port, "ecs", f"Requests and health checks to the {svc.name} tasks"),
            Rule("ecs", "ingress", svc.port, "alb", f"{svc.name} traffic from the load balancer only"),
        ]
    table += [
        Rule("ecs", "egress", HTTPS, ANYWHERE, "HTTPS to AWS APIs (VPC endpoints, S3) and the LLM providers"),
        Rule("ecs", "egress", db, "rds", "PostgreSQL on the RDS instance"),
        Rule("ecs", "egress", cache, "redis", "Redis on the ElastiCache replication group"),
        Rule("rds", "ingress", db, "ecs", "PostgreSQL from the ECS tasks only"),
        Rule("redis", "ingress", cache, "ecs", "Redis from the ECS tasks only"),
        Rule("endpoints", "ingress", HTTPS, "ecs", "HTTPS to the AWS service endpoints from the ECS tasks only"),
    ]
    for sg in ("rds", "redis", "endpoints"):
        table.append(Rule(sg, "egress", None, NOWHERE, "No egress: replaces the default allow-all rule"))
    return table


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    net = cfg.network
    vpc = stack.add(
        ec2.VPC(
            "Vpc",
            CidrBlock=net.vpc_cidr,
            EnableDnsSupport=True,
            EnableDnsHostnames=True,
            Tags=_tags(cfg, naming.name(cfg, "vpc")),
        )
    )
    subnets = {tier: _subnets(stack, cfg, vpc, tier) for tier in TIERS}
    _public_routing(stack, cfg, vpc, subnets["public"])
    nats = _nat_gateways(stack, cfg, subnets["public"])
    private_tables = _private_routing(stack, cfg, vpc, subnets["private"], nats)
    _database_routing(stack, cfg, vpc, subnets["database"])
    groups = _security_groups(stack, cfg, vpc)
    _endpoints(stack, cfg, vpc, subnets["private"], private_tables, groups["endpoints"])
    _flow_logs(stack, cfg, vpc)

    stack.output("VpcId", Ref(vpc), "the VPC")
    stack.output("VpcCidr", GetAtt(vpc, "CidrBlock"), "the VPC's IPv4 CIDR block")
    for tier in TIERS:
        ids = Join(",", [Ref(s) for s in subnets[tier]])
        stack.output(f"{tier.title()}SubnetIds", ids, f"the {tier} subnets, comma-separated, in AZ order")
    for key in ("alb", "ecs", "rds", "redis"):
        stack.output(
            f"{key.title()}SecurityGroupId", GetAtt(groups[key], "GroupId"), f"security group of {SECURITY_GROUPS[key]}"
        )
    return stack.template()


def _tags(cfg: EnvConfig, name: str) -> Tags:
    return naming.tags(cfg, SPEC.name, Name=name)


def _az(index: int) -> Select:
    # `GetAZs ""` means the stack's region; moto mis-evaluates `GetAZs {Ref: AWS::Region}`.
    return Select(index, GetAZs(""))


def _subnets(stack: Stack, cfg: EnvConfig, vpc: ec2.VPC, tier: str) -> list[ec2.Subnet]:
    cidrs = getattr(cfg.network, f"{tier}_subnets")
    return [
        stack.add(
            ec2.Subnet(
                f"{tier.title()}Subnet{AZ_LETTERS[i].upper()}",
                VpcId=Ref(vpc),
                CidrBlock=cidr,
                AvailabilityZone=_az(i),
                MapPublicIpOnLaunch=False,
                Tags=_tags(cfg, naming.name(cfg, tier, AZ_LETTERS[i])),
            )
        )
        for i, cidr in enumerate(cidrs)
    ]


def _route_table(stack: Stack, cfg: EnvConfig, vpc: ec2.VPC, logical_id: str, name: str) -> ec2.RouteTable:
    return stack.add(ec2.RouteTable(logical_id, VpcId=Ref(vpc), Tags=_tags(cfg, name)))


def _associate(stack: Stack, subnet: ec2.Subnet, table: ec2.RouteTable) -> None:
    stack.add(
        ec2.SubnetRouteTableAssociation(
            f"{subnet.title}RouteTableAssociation", SubnetId=Ref(subnet), RouteTableId=Ref(table)
        )
    )


def _public_routing(stack: Stack, cfg: EnvConfig, vpc: ec2.VPC, subnets: list[ec2.Subnet]) -> None:
    igw = stack.add(ec2.InternetGateway("InternetGateway", Tags=_tags(cfg, naming.name(cfg, "igw"))))
    stack.add(ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw)))
    table = _route_table(stack, cfg, vpc, "PublicRouteTable", naming.name(cfg, "public-rt"))
    stack.add(
        ec2.Route(
            "PublicDefaultRoute",
            RouteTableId=Ref(table),
            DestinationCidrBlock=ANYWHERE,
            GatewayId=Ref(igw),
            DependsOn="InternetGatewayAttachment",  # the gateway must be attached before it can route
        )
    )
    for subnet in subnets:
        _associate(stack, subnet, table)


def _nat_gateways(stack: Stack, cfg: EnvConfig, public: list[ec2.Subnet]) -> list[ec2.NatGateway]:
    nats = []
    for i in range(cfg.network.nat_gateways):
        az = AZ_LETTERS[i]
        eip = stack.add(
            ec2.EIP(
                f"NatEip{az.upper()}",
                Domain="vpc",
                Tags=_tags(cfg, naming.name(cfg, "nat-eip", az)),
                DependsOn="InternetGatewayAttachment",
            )
        )
        nats.append(
            stack.add(
                ec2.NatGateway(
                    f"NatGateway{az.upper()}",
                    AllocationId=GetAtt(eip, "AllocationId"),
                    SubnetId=Ref(public[i]),
                    Tags=_tags(cfg, naming.name(cfg, "nat", az)),
                )
            )
        )
    return nats


def _private_routing(
    stack: Stack, cfg: EnvConfig, vpc: ec2.VPC, subnets: list[ec2.Subnet], nats: list[ec2.NatGateway]
) -> list[ec2.RouteTable]:
    """One route table per private subnet, its default route through the NAT in the same AZ
    (or through the single shared NAT)."""
    tables = []
    for i, subnet in enumerate(subnets):
        az = AZ_LETTERS[i]
        table = _route_table(stack, cfg, vpc, f"PrivateRouteTable{az.upper()}", naming.name(cfg, "private-rt", az))
        nat = nats[i] if len(nats) == len(subnets) else nats[0]
        stack.add(
            ec2.Route(
                f"PrivateDefaultRoute{az.upper()}",
                RouteTableId=Ref(table),
                DestinationCidrBlock=ANYWHERE,
                NatGatewayId=Ref(nat),
            )
        )
        _associate(stack, subnet, table)
        tables.append(table)
    return tables


def _database_routing(stack: Stack, cfg: EnvConfig, vpc: ec2.VPC, subnets: list[ec2.Subnet]) -> None:
    """A route table with only the implicit local route: the database tier cannot reach, or be
    reached from, the internet (and does not fall back to the VPC's main route table)."""
    table = _route_table(stack, cfg, vpc, "DatabaseRouteTable", naming.name(cfg, "database-rt"))
    for subnet in subnets:
        _associate(stack, subnet, table)


def _security_groups(stack: Stack, cfg: EnvConfig, vpc: ec2.VPC) -> dict[str, ec2.SecurityGroup]:
    table = rules(cfg)
    logical = {key: f"{key.title()}SecurityGroup" for key in SECURITY_GROUPS}
    groups: dict[str, ec2.SecurityGroup] = {}
    for key, purpose in SECURITY_GROUPS.items():
        mine = [r for r in table if r.sg == key]
        props = dict(
            GroupName=naming.name(cfg, key, "sg"),
            GroupDescription=f"{naming.prefix(cfg)}: {purpose}",
            VpcId=Ref(vpc),
            SecurityGroupEgress=[_inline(r, logical) for r in mine if r.direction == "egress"],
            Tags=_tags(cfg, naming.name(cfg, key, "sg")),
        )
        inline_ingress = [_inline(r, logical) for r in mine if r.direction == "ingress" and not r.peer_is_group]
        if inline_ingress:
            props["SecurityGroupIngress"] = inline_ingress
        groups[key] = stack.add(ec2.SecurityGroup(logical[key], **props))
    suppress(
        groups["alb"],
        checkov={
            "CKV_AWS_260": "The spec's table opens the internet-facing ALB on port 80 to anywhere: dev has no "
            "certificate and serves HTTP; with a domain (prod) the HTTP listener should only redirect to HTTPS."
        },
    )
    for r in table:
        if r.direction == "ingress" and r.peer_is_group:
            stack.add(
                ec2.SecurityGroupIngress(
                    f"{r.sg.title()}IngressFrom{r.peer.title()}Port{r.port}",
                    GroupId=GetAtt(logical[r.sg], "GroupId"),
                    SourceSecurityGroupId=GetAtt(logical[r.peer], "GroupId"),
                    Description=r.description,
                    **_protocol(r.port),
                )
            )
    return groups


def _protocol(port: int | None) -> dict:
    return {"IpProtocol": "-1"} if port is None else {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}


def _inline(rule: Rule, logical: dict[str, str]) -> ec2.SecurityGroupRule:
    if rule.peer_is_group:
        peer_key = "DestinationSecurityGroupId" if rule.direction == "egress" else "SourceSecurityGroupId"
        peer = {peer_key: GetAtt(logical[rule.peer], "GroupId")}
    else:
        peer = {"CidrIp": rule.peer}
    return ec2.SecurityGroupRule(Description=rule.description, **_protocol(rule.port), **peer)


def _endpoint_logical_id(service: str) -> str:
    """`ecr.api` -> `EcrApiEndpoint`."""
    return "".join(part.title() for part in service.replace("-", ".").split(".")) + "Endpoint"


def _endpoints(
    stack: Stack,
    cfg: EnvConfig,
    vpc: ec2.VPC,
    private: list[ec2.Subnet],
    private_tables: list[ec2.RouteTable],
    sg: ec2.SecurityGroup,
) -> None:
    for service in cfg.network.interface_endpoints:
        stack.add(
            ec2.VPCEndpoint(
                _endpoint_logical_id(service),
                VpcId=Ref(vpc),
                VpcEndpointType="Interface",
                ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                SubnetIds=[Ref(s) for s in private],
                SecurityGroupIds=[GetAtt(sg, "GroupId")],
                PrivateDnsEnabled=True,
                Tags=_tags(cfg, naming.name(cfg, service.replace(".", "-"), "endpoint")),
            )
        )
    stack.add(
        ec2.VPCEndpoint(
            "S3GatewayEndpoint",
            VpcId=Ref(vpc),
            VpcEndpointType="Gateway",
            ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
            RouteTableIds=[Ref(t) for t in private_tables],
            Tags=_tags(cfg, naming.name(cfg, "s3", "endpoint")),
        )
    )


def _flow_logs(stack: Stack, cfg: EnvConfig, vpc: ec2.VPC) -> None:
    name = naming.flow_log_group(cfg)
    key, alias = kms_key(cfg, SPEC.name, "FlowLogKey", "flow-logs", extra_statements=(logs_key_statement(name),))
    stack.add(key)
    stack.add(alias)
    group = stack.add(
        log_group(
            "FlowLogGroup",
            name,
            cfg.network.flow_log_retention_days,
            cfg,
            SPEC.name,
            kms_key_arn=key_arn(key),
            short_retention_reason=SHORT_SECURITY_LOG_REASON,
        )
    )
    role = stack.add(
        iam.Role(
            "FlowLogRole",
            Description=f"{naming.prefix(cfg)}: lets VPC flow logs write to {name}",
            AssumeRolePolicyDocument=assume_role_policy(
                "vpc-flow-logs",
                source_arn=Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*"),
            ),
            Policies=[
                iam.Policy(
                    PolicyName="deliver-flow-logs",
                    PolicyDocument=aws.PolicyDocument(
                        Version="2012-10-17",
                        Statement=[
                            aws.Statement(
                                Sid="WriteToTheFlowLogGroupOnly",
                                Effect=aws.Allow,
                                Action=[
                                    logs_actions.CreateLogStream,
                                    logs_actions.PutLogEvents,
                                    logs_actions.DescribeLogStreams,
                                ],
                                # The log group's Arn attribute ends in `:*`: its streams.
                                Resource=[GetAtt(group, "Arn")],
                            )
                        ],
                    ),
                )
            ],
            Tags=_tags(cfg, naming.name(cfg, "flow-logs")),
        )
    )
    stack.add(
        ec2.FlowLog(
            "VpcFlowLog",
            ResourceType="VPC",
            ResourceId=Ref(vpc),
            TrafficType="ALL",
            LogDestinationType="cloud-watch-logs",
            LogGroupName=Ref(group),
            DeliverLogsPermissionArn=GetAtt(role, "Arn"),
            Tags=_tags(cfg, naming.name(cfg, "flow-logs")),
        )
    )
