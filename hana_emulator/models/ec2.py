"""EC2: AWS::EC2::SecurityGroupEgress (moto skips it), SubnetRouteTableAssociation (replacing
moto's), and moto's security group fixed.

- SecurityGroup: inline ingress/egress applied with descriptions (moto passed CidrIp as a bare
  string and never applied egress); explicit egress replaces the default allow-all rule.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends

from .base import Resource


class SecurityGroupEgress(Resource):
    """AWS::EC2::SecurityGroupEgress. Ref: the rule id (sgr-...)."""

    TYPE = "AWS::EC2::SecurityGroupEgress"
    CREATE_ONLY = (
        "GroupId",
        "IpProtocol",
        "FromPort",
        "ToPort",
        "CidrIp",
        "CidrIpv6",
        "DestinationSecurityGroupId",
        "DestinationPrefixListId",
    )

    @staticmethod
    def _rule(properties: dict[str, Any]) -> dict[str, Any]:
        p = properties
        ip_ranges = [{"CidrIp": p["CidrIp"], "Description": p.get("Description")}] if p.get("CidrIp") else []
        groups = (
            [{"GroupId": p["DestinationSecurityGroupId"], "Description": p.get("Description")}]
            if p.get("DestinationSecurityGroupId")
            else []
        )
        prefixes = (
            [{"PrefixListId": p["DestinationPrefixListId"], "Description": p.get("Description")}]
            if p.get("DestinationPrefixListId")
            else []
        )
        return {
            "group_name_or_id": p["GroupId"],
            "ip_protocol": str(p["IpProtocol"]),
            "from_port": p.get("FromPort"),
            "to_port": p.get("ToPort"),
            "ip_ranges": ip_ranges,
            "source_groups": groups,
            "prefix_list_ids": prefixes,
        }

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        rules, _ = ec2_backends[account_id][region_name].authorize_security_group_egress(**cls._rule(properties))
        return cls(rules[0].id if rules else name, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self  # only Description can change in place; the emulator keeps the rule as created

    def remove(self) -> None:
        backend = ec2_backends[self.account_id][self.region_name]
        rule = self._rule(self.properties)
        group_id = rule.pop("group_name_or_id")
        vpc_id = backend.get_security_group_from_id(group_id).vpc_id
        backend.revoke_security_group_egress(
            group_id, security_rule_ids=[self.physical_resource_id], vpc_id=vpc_id, **rule
        )


class SubnetRouteTableAssociation(Resource):
    """AWS::EC2::SubnetRouteTableAssociation, replacing moto's model, which kept the association
    in a private dict (invisible to describe_route_tables) and could not delete it. Ref: the
    association id (rtbassoc-...)."""

    TYPE = "AWS::EC2::SubnetRouteTableAssociation"
    ATTRIBUTES = ("Id",)
    CREATE_ONLY = ("RouteTableId", "SubnetId")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        association_id = ec2_backends[account_id][region_name].associate_route_table(
            properties["RouteTableId"], subnet_id=properties["SubnetId"]
        )
        return cls(association_id, properties, account_id, region_name)

    def remove(self) -> None:
        ec2_backends[self.account_id][self.region_name].disassociate_route_table(self.physical_resource_id)

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id


def _apply_rules(backend: Any, group_id: str, vpc_id: str | None, properties: dict[str, Any]) -> None:
    """Inline SecurityGroupIngress / SecurityGroupEgress with descriptions (moto passed CidrIp as
    a bare string, dropped descriptions and never applied inline egress). Explicit egress replaces
    the default allow-all egress rule, as in EC2."""
    for direction in ("Ingress", "Egress"):
        rules = properties.get(f"SecurityGroup{direction}") or []
        if direction == "Egress" and rules:
            backend.revoke_security_group_egress(group_id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}], vpc_id=vpc_id)
        for rule in rules:
            peer = "SourceSecurityGroupId" if direction == "Ingress" else "DestinationSecurityGroupId"
            prefix = "SourcePrefixListId" if direction == "Ingress" else "DestinationPrefixListId"
            description = rule.get("Description")
            authorize = getattr(backend, f"authorize_security_group_{direction.lower()}")
            authorize(
                group_name_or_id=group_id,
                ip_protocol=str(rule["IpProtocol"]),
                from_port=rule.get("FromPort"),
                to_port=rule.get("ToPort"),
                ip_ranges=[{"CidrIp": rule["CidrIp"], "Description": description}] if rule.get("CidrIp") else [],
                source_groups=[{"GroupId": rule[peer], "Description": description}] if rule.get(peer) else [],
                prefix_list_ids=[{"PrefixListId": rule[prefix], "Description": description}]
                if rule.get(prefix)
                else [],
                vpc_id=vpc_id,
            )


def _patch_security_group() -> None:
    from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupIngress

    original = SecurityGroup.create_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties") or {})
        rules = {k: properties.pop(k) for k in ("SecurityGroupIngress", "SecurityGroupEgress") if k in properties}
        group = original(
            cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kw
        )
        _apply_rules(ec2_backends[account_id][region_name], group.id, properties.get("VpcId"), rules)
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create)

    original_ingress = SecurityGroupIngress.create_from_cloudformation_json.__func__

    def create_ingress(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        if properties.get("SourceSecurityGroupId") and properties.get("Description"):
            # moto drops the description of a rule whose peer is a security group: apply it ourselves
            backend = ec2_backends[account_id][region_name]
            rules, _ = backend.authorize_security_group_ingress(
                group_name_or_id=properties["GroupId"],
                ip_protocol=str(properties["IpProtocol"]),
                from_port=properties.get("FromPort"),
                to_port=properties.get("ToPort"),
                ip_ranges=[],
                source_groups=[
                    {"GroupId": properties["SourceSecurityGroupId"], "Description": properties["Description"]}
                ],
            )
            group = backend.get_security_group_from_id(properties["GroupId"])
            ingress = SecurityGroupIngress(group, properties)
        else:
            ingress = original_ingress(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
            rules = []
        ingress.rule_id = rules[0].id if rules else ""
        return ingress

    SecurityGroupIngress.create_from_cloudformation_json = classmethod(create_ingress)
