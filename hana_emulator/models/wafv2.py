"""WAFv2: AWS::WAFv2::WebACL (over 1,500 WCU refused), WebACLAssociation and
LoggingConfiguration (moto skips them).

A byte match statement's search string is written in CloudFormation as plain text (`SearchString`)
or base64 (`SearchStringBase64`), exactly one of the two (CloudFormation template reference,
AWS::WAFv2::WebACL ByteMatchStatement). The WAF API has only `SearchString`, a blob, which travels
base64-encoded in the JSON protocol and which boto3 decodes to bytes. `api_statement` turns the
template's form into the API's, so GetWebACL answers as WAF does.
"""

from __future__ import annotations

import base64
import binascii
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
    """The WCU of a web ACL's rules: the sum of their statements' costs (`statement_capacity`)."""
    return sum(statement_capacity(rule.get("Statement") or {}) for rule in rules)


_CHEAP_MATCH = ("EXACTLY", "STARTS_WITH", "ENDS_WITH")


def statement_capacity(statement: dict[str, Any]) -> int:
    """WCU of one statement, as the AWS WAF developer guide prices them: a managed group at its
    published capacity; a rate-based rule 2 plus its scope-down statement; a string match
    (waf-rule-statement-type-string-match) 2 for exact/starts/ends, 10 for contains/contains-word,
    doubled on the JSON body, +10 on all query arguments, +10 per text transformation; a label
    match 1; AND/OR/NOT nothing of their own, the sum of what they hold. Anything else counts 1
    (an underestimate: the emulator refuses only what it can price)."""
    if "ManagedRuleGroupStatement" in statement:
        return MANAGED_RULE_GROUP_WCU.get(statement["ManagedRuleGroupStatement"].get("Name"), 0)
    if "RateBasedStatement" in statement:
        scope = statement["RateBasedStatement"].get("ScopeDownStatement")
        return 2 + (statement_capacity(scope) if scope else 0)
    if "ByteMatchStatement" in statement:
        match = statement["ByteMatchStatement"]
        cost = 2 if match.get("PositionalConstraint") in _CHEAP_MATCH else 10
        field = match.get("FieldToMatch") or {}
        if "JsonBody" in field:
            cost *= 2
        if "AllQueryArguments" in field:
            cost += 10
        transforms = [t for t in match.get("TextTransformations") or [] if t.get("Type") != "NONE"]
        return cost + 10 * len(transforms)
    if "LabelMatchStatement" in statement:
        return 1
    for logical in ("AndStatement", "OrStatement"):
        if logical in statement:
            return sum(statement_capacity(s) for s in statement[logical].get("Statements") or [])
    if "NotStatement" in statement:
        return statement_capacity(statement["NotStatement"].get("Statement") or {})
    return 1


def api_statement(statement: Any) -> Any:
    """A rule statement (any depth) with every ByteMatchStatement's search string in the API's wire
    form: CloudFormation's plain `SearchString` base64-encoded, `SearchStringBase64` moved to
    `SearchString` as it is. Both or neither is refused, as CloudFormation does."""
    if isinstance(statement, list):
        return [api_statement(s) for s in statement]
    if not isinstance(statement, dict):
        return statement
    out = {k: api_statement(v) for k, v in statement.items()}
    match = statement.get("ByteMatchStatement")
    if isinstance(match, dict):
        out["ByteMatchStatement"] = _api_byte_match(match)
    return out


def _api_byte_match(match: dict[str, Any]) -> dict[str, Any]:
    given = [k for k in ("SearchString", "SearchStringBase64") if k in match]
    if len(given) != 1:
        raise EmulatorResourceError(
            "WAFInvalidParameterException",
            "a ByteMatchStatement takes exactly one of SearchString and SearchStringBase64 "
            f"(got {' and '.join(given) or 'neither'})",
        )
    out = {k: api_statement(v) for k, v in match.items() if k != "SearchStringBase64"}
    if given == ["SearchString"]:
        out["SearchString"] = base64.b64encode(str(match["SearchString"]).encode()).decode()
    else:
        encoded = str(match["SearchStringBase64"])
        try:
            base64.b64decode(encoded, validate=True)
        except binascii.Error as e:
            raise EmulatorResourceError(
                "WAFInvalidParameterException", f"SearchStringBase64 is not base64: {encoded!r}"
            ) from e
        out["SearchString"] = encoded
    return out


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
        rules = api_statement(p.get("Rules") or [])
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
        rules = api_statement(p.get("Rules") or [])
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
