"""network: the spec's VPC layout, routing per tier, security group table, endpoints and flow logs.

Expected values are the spec's (Network Architecture tables, dev vs. prod cost tables), written
out here rather than read back from config, so a config change that breaks the spec fails."""

import pytest
from troposphere import Tags

from hana_templates import config, registry
from tests.tmpl import props, resources, template

SPEC_SUBNETS = {
    "public": ("10.0.0.0/24", "10.0.1.0/24"),
    "private": ("10.0.2.0/24", "10.0.3.0/24"),
    "database": ("10.0.4.0/24", "10.0.5.0/24"),
}
NAT_GATEWAYS = {"dev": 1, "prod": 2}  # cost tables: "1 gateway" (dev), "2 gateways (HA)" (prod)
# dev: the spec's "7-day retention"; prod: security evidence kept a year (AWS Control Tower CT.CLOUDWATCH.PR.2)
FLOW_LOG_RETENTION_DAYS = {"dev": 7, "prod": 365}
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
ANYWHERE, NOWHERE = "0.0.0.0/0", "127.0.0.1/32"
STANDARD_TAGS = {"Project": "hana", "ManagedBy": "hana-infra", "Stack": "network"}


# --- helpers: read the template as CloudFormation would ------------------------------------------


def _net(env):
    return template(env, "network")


def _target(value) -> str:
    """The logical ID a `Ref` or `Fn::GetAtt` points at."""
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


def _tag(resource, key):
    return {t["Key"]: t["Value"] for t in props(resource).get("Tags", [])}.get(key)


def _named(tmpl, rtype) -> dict[str, str]:
    """Name tag -> logical ID for every resource of `rtype`."""
    return {_tag(r, "Name"): lid for lid, r in resources(tmpl, rtype).items()}


def _subnet(tmpl, env, tier, az_index):
    lid = _named(tmpl, "AWS::EC2::Subnet")[f"hana-{env}-{tier}-{'ab'[az_index]}"]
    return lid, tmpl["Resources"][lid]


def _route_table_of(tmpl, subnet_id) -> str:
    tables = [
        _target(props(a)["RouteTableId"])
        for a in resources(tmpl, "AWS::EC2::SubnetRouteTableAssociation").values()
        if _target(props(a)["SubnetId"]) == subnet_id
    ]
    assert len(tables) == 1, f"{subnet_id} is associated with {tables}"
    return tables[0]


def _routes(tmpl, table_id) -> list[dict]:
    return [
        props(r) for r in resources(tmpl, "AWS::EC2::Route").values() if _target(props(r)["RouteTableId"]) == table_id
    ]


def _default_route(tmpl, subnet_id) -> dict:
    routes = [r for r in _routes(tmpl, _route_table_of(tmpl, subnet_id)) if r.get("DestinationCidrBlock") == ANYWHERE]
    assert len(routes) == 1, f"{subnet_id}: default routes {routes}"
    return routes[0]


def _az(tmpl, subnet_id):
    return props(tmpl["Resources"][subnet_id])["AvailabilityZone"]


def _sg_rules(tmpl) -> tuple[set, set]:
    """(ingress, egress) rules as (group, protocol, port, peer) with groups and peers by short name
    (`alb`, `ecs`, ...) or CIDR, gathered from inline rules and separate rule resources alike."""
    groups = resources(tmpl, "AWS::EC2::SecurityGroup")
    short = {lid: props(g)["GroupName"].split("-", 2)[2].removesuffix("-sg") for lid, g in groups.items()}

    def rule(group_id, r):
        peer_ref = r.get("SourceSecurityGroupId") or r.get("DestinationSecurityGroupId")
        peer = short[_target(peer_ref)] if peer_ref else r["CidrIp"]
        assert r.get("Description"), f"{short[group_id]}: rule without a description: {r}"
        port = (r["FromPort"], r["ToPort"]) if r["IpProtocol"] != "-1" else None
        if port:
            assert port[0] == port[1], f"{short[group_id]}: port range {port}"
        return (short[group_id], r["IpProtocol"], port and port[0], peer)

    ingress, egress = set(), set()
    for lid, g in groups.items():
        ingress |= {rule(lid, r) for r in props(g).get("SecurityGroupIngress", [])}
        egress |= {rule(lid, r) for r in props(g).get("SecurityGroupEgress", [])}
    for rtype, into in (("AWS::EC2::SecurityGroupIngress", ingress), ("AWS::EC2::SecurityGroupEgress", egress)):
        for r in resources(tmpl, rtype).values():
            into.add(rule(_target(props(r)["GroupId"]), props(r)))
    return ingress, egress


# --- VPC and subnets ----------------------------------------------------------------------------


def test_vpc_is_the_spec_cidr_with_dns(env):
    (vpc,) = resources(_net(env), "AWS::EC2::VPC").values()
    assert props(vpc)["CidrBlock"] == "10.0.0.0/16"
    assert props(vpc)["EnableDnsSupport"] is True and props(vpc)["EnableDnsHostnames"] is True


@pytest.mark.parametrize("tier", list(SPEC_SUBNETS))
def test_each_tier_has_the_spec_cidrs_one_per_az(env, tier):
    tmpl = _net(env)
    assert len([n for n in _named(tmpl, "AWS::EC2::Subnet") if n.startswith(f"hana-{env}-{tier}-")]) == 2
    for i, cidr in enumerate(SPEC_SUBNETS[tier]):
        lid, subnet = _subnet(tmpl, env, tier, i)
        assert props(subnet)["CidrBlock"] == cidr, lid
        # the i-th AZ of the stack's region (`GetAZs ""`: moto mis-evaluates `GetAZs {Ref: AWS::Region}`)
        assert _az(tmpl, lid) == {"Fn::Select": [i, {"Fn::GetAZs": ""}]}, lid
        assert props(subnet)["MapPublicIpOnLaunch"] is False, lid


# --- routing ------------------------------------------------------------------------------------


def test_public_subnets_route_to_the_attached_internet_gateway(env):
    tmpl = _net(env)
    (igw,) = resources(tmpl, "AWS::EC2::InternetGateway")
    (attachment,) = resources(tmpl, "AWS::EC2::VPCGatewayAttachment").values()
    assert _target(props(attachment)["InternetGatewayId"]) == igw
    for i in range(2):
        lid, _ = _subnet(tmpl, env, "public", i)
        assert _target(_default_route(tmpl, lid)["GatewayId"]) == igw


def test_nat_gateway_count_follows_the_environment(env):
    tmpl = _net(env)
    nats = resources(tmpl, "AWS::EC2::NatGateway")
    assert len(nats) == NAT_GATEWAYS[env]
    public = {_subnet(tmpl, env, "public", i)[0] for i in range(2)}
    eips = resources(tmpl, "AWS::EC2::EIP")
    for lid, nat in nats.items():
        assert _target(props(nat)["SubnetId"]) in public, lid
        assert _target(props(nat)["AllocationId"]) in eips, lid
    assert len({_target(props(n)["SubnetId"]) for n in nats.values()}) == len(nats), "two NATs share an AZ"


def test_private_subnets_route_through_their_own_az_nat_in_prod_and_the_single_nat_in_dev(env):
    tmpl = _net(env)
    used = set()
    for i in range(2):
        lid, _ = _subnet(tmpl, env, "private", i)
        nat = _target(_default_route(tmpl, lid)["NatGatewayId"])
        used.add(nat)
        if env == "prod":
            nat_subnet = _target(props(tmpl["Resources"][nat])["SubnetId"])
            assert _az(tmpl, nat_subnet) == _az(tmpl, lid), f"{lid} routes through {nat} in another AZ"
    assert len(used) == NAT_GATEWAYS[env]


def test_private_route_tables_are_separate_per_az(env):
    tmpl = _net(env)
    tables = {_route_table_of(tmpl, _subnet(tmpl, env, "private", i)[0]) for i in range(2)}
    assert len(tables) == 2


def test_database_subnets_have_no_route_out_of_the_vpc(env):
    tmpl = _net(env)
    for i in range(2):
        lid, _ = _subnet(tmpl, env, "database", i)
        table = _route_table_of(tmpl, lid)  # explicitly associated: no fallback to the main route table
        assert _routes(tmpl, table) == [], f"{lid}: {_routes(tmpl, table)}"
        for endpoint in resources(tmpl, "AWS::EC2::VPCEndpoint").values():
            assert table not in [_target(t) for t in props(endpoint).get("RouteTableIds", [])]


# --- security groups ----------------------------------------------------------------------------


def test_security_groups_are_named_as_the_spec(env):
    names = {props(g)["GroupName"] for g in resources(_net(env), "AWS::EC2::SecurityGroup").values()}
    assert names == {f"hana-{env}-{k}-sg" for k in ("alb", "ecs", "rds", "redis", "endpoints")}


def test_ingress_is_exactly_the_spec_table(env):
    ingress, _ = _sg_rules(_net(env))
    assert ingress == {
        ("alb", "tcp", 80, ANYWHERE),
        ("alb", "tcp", 443, ANYWHERE),
        ("ecs", "tcp", 3000, "alb"),
        ("ecs", "tcp", 3001, "alb"),
        ("rds", "tcp", 5432, "ecs"),
        ("redis", "tcp", 6379, "ecs"),
        ("endpoints", "tcp", 443, "ecs"),
    }


def test_egress_is_explicit_and_least_privilege(env):
    _, egress = _sg_rules(_net(env))
    assert egress == {
        ("alb", "tcp", 3000, "ecs"),
        ("alb", "tcp", 3001, "ecs"),
        ("ecs", "tcp", 443, ANYWHERE),
        ("ecs", "tcp", 5432, "rds"),
        ("ecs", "tcp", 6379, "redis"),
        ("rds", "-1", None, NOWHERE),
        ("redis", "-1", None, NOWHERE),
        ("endpoints", "-1", None, NOWHERE),
    }


def test_every_group_replaces_the_default_allow_all_egress(env):
    # CloudFormation drops the default allow-all egress rule only when the group itself lists
    # egress rules; separate AWS::EC2::SecurityGroupEgress resources would leave it in place.
    for lid, g in resources(_net(env), "AWS::EC2::SecurityGroup").items():
        assert props(g).get("SecurityGroupEgress"), f"{lid} keeps the default allow-all egress"


# --- endpoints ----------------------------------------------------------------------------------


def _endpoints(tmpl) -> dict[str, dict]:
    """Service suffix (`ecr.api`, `s3`) -> endpoint properties."""
    prefix = "com.amazonaws.${AWS::Region}."
    found = {}
    for e in resources(tmpl, "AWS::EC2::VPCEndpoint").values():
        service = props(e)["ServiceName"]["Fn::Sub"]
        assert service.startswith(prefix), service
        found[service.removeprefix(prefix)] = props(e)
    return found


def test_interface_endpoints_in_the_private_subnets_with_private_dns_and_their_own_group(env):
    tmpl = _net(env)
    endpoints = _endpoints(tmpl)
    private = [_subnet(tmpl, env, "private", i)[0] for i in range(2)]
    (endpoints_sg,) = [
        lid
        for lid, g in resources(tmpl, "AWS::EC2::SecurityGroup").items()
        if props(g)["GroupName"].endswith("-endpoints-sg")
    ]
    for service in INTERFACE_ENDPOINTS:
        e = endpoints[service]
        assert e["VpcEndpointType"] == "Interface", service
        assert [_target(s) for s in e["SubnetIds"]] == private, service
        assert e["PrivateDnsEnabled"] is True, service
        assert [_target(s) for s in e["SecurityGroupIds"]] == [endpoints_sg], service


def test_s3_gateway_endpoint_serves_the_private_route_tables(env):
    tmpl = _net(env)
    s3 = _endpoints(tmpl)["s3"]
    assert s3["VpcEndpointType"] == "Gateway"
    private_tables = [_route_table_of(tmpl, _subnet(tmpl, env, "private", i)[0]) for i in range(2)]
    assert [_target(t) for t in s3["RouteTableIds"]] == private_tables
    assert sorted(_endpoints(tmpl)) == sorted([*INTERFACE_ENDPOINTS, "s3"])


# --- flow logs ----------------------------------------------------------------------------------


def test_flow_logs_capture_all_vpc_traffic_into_an_encrypted_retained_log_group(env):
    tmpl = _net(env)
    (flow,) = resources(tmpl, "AWS::EC2::FlowLog").values()
    (vpc,) = resources(tmpl, "AWS::EC2::VPC")
    assert props(flow)["ResourceType"] == "VPC" and _target(props(flow)["ResourceId"]) == vpc
    assert props(flow)["TrafficType"] == "ALL"
    assert props(flow)["LogDestinationType"] == "cloud-watch-logs"
    group = tmpl["Resources"][_target(props(flow)["LogGroupName"])]
    assert props(group)["RetentionInDays"] == FLOW_LOG_RETENTION_DAYS[env]
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    key = tmpl["Resources"][_target(props(group)["KmsKeyId"])]
    assert key["Type"] == "AWS::KMS::Key" and props(key)["EnableKeyRotation"] is True


def test_flow_log_key_serves_cloudwatch_logs_for_that_log_group_only(env):
    tmpl = _net(env)
    (flow,) = resources(tmpl, "AWS::EC2::FlowLog").values()
    group = props(tmpl["Resources"][_target(props(flow)["LogGroupName"])])
    key = tmpl["Resources"][_target(group["KmsKeyId"])]
    (logs_stmt,) = [s for s in props(key)["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert logs_stmt["Principal"]["Service"] == {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}
    (arns,) = logs_stmt["Condition"]["ArnEquals"].values()
    assert [a["Fn::Sub"].rsplit(":", 1)[1] for a in arns] == [group["LogGroupName"]]


def test_flow_log_role_is_for_vpc_flow_logs_and_writes_to_its_log_group_only(env):
    tmpl = _net(env)
    (flow,) = resources(tmpl, "AWS::EC2::FlowLog").values()
    role = props(tmpl["Resources"][_target(props(flow)["DeliverLogsPermissionArn"])])
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    assert "vpc-flow-log/" in trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    for s in statements:
        assert all(a.startswith("logs:") and "Delete" not in a for a in s["Action"]), s
        assert s["Resource"] == [{"Fn::GetAtt": [_target(props(flow)["LogGroupName"]), "Arn"]}], s


# --- tags and outputs ---------------------------------------------------------------------------


def test_every_taggable_resource_carries_the_standard_tags_and_ec2_ones_a_name(env):
    built = registry.BUILDERS["network"](config.get(env))
    for lid, resource in built.resources.items():
        if "Tags" not in type(resource).props:
            continue
        tags = resource.properties.get("Tags")
        assert isinstance(tags, Tags), f"{lid} is not tagged"
        values = {t["Key"]: t["Value"] for t in tags.to_dict()}
        assert values.items() >= {**STANDARD_TAGS, "Environment": env}.items(), lid
        if resource.resource_type.startswith("AWS::EC2::"):
            assert values.get("Name", "").startswith(f"hana-{env}-"), lid


@pytest.mark.parametrize("tier", list(SPEC_SUBNETS))
def test_subnet_outputs_list_the_tier_in_az_order(env, tier):
    tmpl = _net(env)
    joined = tmpl["Outputs"][f"{tier.title()}SubnetIds"]["Value"]["Fn::Join"]
    assert joined[0] == ","
    assert [_target(s) for s in joined[1]] == [_subnet(tmpl, env, tier, i)[0] for i in range(2)]


@pytest.mark.parametrize("group", ["alb", "ecs", "rds", "redis"])
def test_security_group_outputs_point_at_their_groups(env, group):
    tmpl = _net(env)
    value = tmpl["Outputs"][f"{group.title()}SecurityGroupId"]["Value"]
    assert value["Fn::GetAtt"][1] == "GroupId"
    assert props(tmpl["Resources"][_target(value)])["GroupName"] == f"hana-{env}-{group}-sg"
