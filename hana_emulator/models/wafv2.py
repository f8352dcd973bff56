"""WAFv2: AWS::WAFv2::WebACL (over 1,500 WCU refused), WebACLAssociation and
LoggingConfiguration (moto skips them).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import elbv2_backends
from moto.wafv2.models import wafv2_backends

from .base import EmulatorResourceError, Resource, _tags

# Web ACL capacity units of the AWS managed rule groups (AWS documentation, "AWS Managed Rules
# rule groups list"). Used to refuse a Web ACL over the 1,500 WCU default, as WAF does.
MANAGED_RULE_GROUP_WCU = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesSQLiRuleSet": 200,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesLinuxRuleSet": 200,
    "AWSManagedRulesUnixRuleSet": 100,
    "AWSManagedRulesAdminProtectionRuleSet": 100,
    "AWSManagedRulesBotControlRuleSet": 50,
}
DEFAULT_WCU_LIMIT = 1500


def web_acl_capacity(rules: list[dict[str, Any]]) -> int:
    """The WCU of the rules the emulator can price (managed groups above, rate-based rules at 2,
    plus their scope-down statement counted as 1); other statements count 1 each."""
    total = 0
    for rule in rules:
        statement = rule.get("Statement") or {}
        if "ManagedRuleGroupStatement" in statement:
            total += MANAGED_RULE_GROUP_WCU.get(statement["ManagedRuleGroupStatement"].get("Name"), 0)
        elif "RateBasedStatement" in statement:
            total += 2 + (1 if statement["RateBasedStatement"].get("ScopeDownStatement") else 0)
        else:
            total += 1
    return total


class WebACL(Resource):
    """AWS::WAFv2::WebACL. Ref (as AWS): `name|id|scope`. GetAtt Arn, Id, Capacity,
    LabelNamespace. A Web ACL over 1,500 WCU is refused (WAFLimitsExceededException)."""

    TYPE = "AWS::WAFv2::WebACL"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("Arn", "Id", "Capacity", "LabelNamespace")
    CREATE_ONLY = ("Name", "Scope")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        p = properties
        rules = p.get("Rules") or []
        capacity = web_acl_capacity(rules)
        if capacity > DEFAULT_WCU_LIMIT:
            raise EmulatorResourceError(
                "WAFLimitsExceededException",
                f"Web ACL {name} needs {capacity} WCU; the default limit is {DEFAULT_WCU_LIMIT}",
            )
        acl = wafv2_backends[account_id][region_name].create_web_acl(
            name=name,
            visibility_config=p["VisibilityConfig"],
            default_action=p["DefaultAction"],
            scope=p["Scope"],
            description=p.get("Description"),
            tags=_tags(p),
            rules=rules,
            association_config=p.get("AssociationConfig"),
            captcha_config=p.get("CaptchaConfig"),
            challenge_config=p.get("ChallengeConfig"),
            custom_response_bodies=p.get("CustomResponseBodies"),
            token_domains=p.get("TokenDomains"),
        )
        acl.capacity = capacity
        return cls(f"{acl.name}|{acl.id}|{p['Scope']}", properties, account_id, region_name)

    def _acl(self) -> Any:
        name, acl_id, _ = self.physical_resource_id.split("|")
        return wafv2_backends[self.account_id][self.region_name].get_web_acl(arn=None, name=name, _id=acl_id)

    def update(self, properties: dict[str, Any]) -> Resource:
        from moto.wafv2.models import FakeRule
        from moto.wafv2.utils import camelcase_to_underscores

        p = properties
        acl = self._acl()
        rules = p.get("Rules") or []
        capacity = web_acl_capacity(rules)
        if capacity > DEFAULT_WCU_LIMIT:
            raise EmulatorResourceError(
                "WAFLimitsExceededException", f"Web ACL needs {capacity} WCU; the default limit is {DEFAULT_WCU_LIMIT}"
            )
        acl.rules = [FakeRule(**{camelcase_to_underscores(k): v for k, v in r.items()}) for r in rules]
        acl.default_action = p["DefaultAction"]
        acl.visibility_config = p["VisibilityConfig"]
        acl.description = p.get("Description") or ""
        acl.custom_response_bodies = p.get("CustomResponseBodies")
        acl.capacity = capacity
        acl.lock_token = acl._generate_lock_token()
        self.properties = properties
        return self

    def remove(self) -> None:
        acl = self._acl()
        name, acl_id, scope = self.physical_resource_id.split("|")
        wafv2_backends[self.account_id][self.region_name].delete_web_acl(name, scope, acl_id, acl.lock_token)

    def attribute(self, name: str) -> Any:
        acl = self._acl()
        return {"Arn": acl.arn, "Id": acl.id, "Capacity": acl.capacity, "LabelNamespace": acl.label_namespace}[name]


class WebACLAssociation(Resource):
    """AWS::WAFv2::WebACLAssociation. The load balancer must exist (checked, as AWS does)."""

    TYPE = "AWS::WAFv2::WebACLAssociation"
    CREATE_ONLY = ("ResourceArn", "WebACLArn")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        resource_arn, acl_arn = properties["ResourceArn"], properties["WebACLArn"]
        if ":loadbalancer/" in resource_arn:
            elbv2_backends[account_id][region_name].describe_load_balancers(arns=[resource_arn], names=None)
        wafv2_backends[account_id][region_name].associate_web_acl(acl_arn, resource_arn)
        return cls(f"{resource_arn}|{acl_arn}", properties, account_id, region_name)

    def remove(self) -> None:
        wafv2_backends[self.account_id][self.region_name].disassociate_web_acl(self.properties["ResourceArn"])


class WafLoggingConfiguration(Resource):
    """AWS::WAFv2::LoggingConfiguration. As WAF requires, a CloudWatch Logs destination must be a
    log group whose name starts with `aws-waf-logs-`."""

    TYPE = "AWS::WAFv2::LoggingConfiguration"
    CREATE_ONLY = ("ResourceArn",)

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        destinations = list(properties["LogDestinationConfigs"])
        for destination in destinations:
            if ":logs:" in destination and ":log-group:aws-waf-logs-" not in destination:
                raise EmulatorResourceError(
                    "WAFInvalidParameterException",
                    f"The ARN isn't valid. A valid ARN begins with arn: and includes other information "
                    f"separated by colons or slashes. (log group names must start with aws-waf-logs-: {destination})",
                )
        wafv2_backends[account_id][region_name].put_logging_configuration(
            arn=properties["ResourceArn"],
            log_destination_configs=destinations,
            redacted_fields=properties.get("RedactedFields"),
            managed_gy_firewall_manager=False,
            logging_filter=properties.get("LoggingFilter") or {},
        )
        return cls(properties["ResourceArn"], properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        wafv2_backends[self.account_id][self.region_name].delete_logging_configuration(self.physical_resource_id)
