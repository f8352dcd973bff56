"""waf: a regional web ACL on the ALB with the spec's protections, within 1,500 WCU, logged as WAF requires."""

import re

import pytest

from hana_templates import compute, config, waf
from tests.tmpl import one, props, template

REQUIRED_GROUPS = {
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}


def _acl(env):
    return props(one(template(env, "waf"), "AWS::WAFv2::WebACL"))


def _rules(env):
    return {r["Name"]: r for r in _acl(env)["Rules"]}


def _managed(env):
    return {
        name: r["Statement"]["ManagedRuleGroupStatement"]
        for name, r in _rules(env).items()
        if "ManagedRuleGroupStatement" in r["Statement"]
    }


def test_regional_acl_named_as_the_spec_allows_by_default(env):
    acl = _acl(env)
    assert acl["Name"] == f"hana-{env}-waf"
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}


def test_acl_is_associated_with_the_alb_input(env):
    assoc = props(one(template(env, "waf"), "AWS::WAFv2::WebACLAssociation"))
    assert assoc["ResourceArn"] == {"Ref": "AlbArn"}
    assert assoc["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}


def test_rate_limit_blocks_per_client_ip_at_the_configured_limit(env):
    rate = [r for r in _rules(env).values() if "RateBasedStatement" in r["Statement"]]
    assert len(rate) == 1
    stmt = rate[0]["Statement"]["RateBasedStatement"]
    assert stmt["AggregateKeyType"] == "IP"
    assert stmt["Limit"] == config.get(env).waf_rate_limit
    assert stmt.get("EvaluationWindowSec", 300) == 300  # the config's limit is per 5 minutes
    assert "Block" in rate[0]["Action"]


def test_the_four_managed_groups_are_there_and_keep_their_block_actions(env):
    managed = _managed(env)
    assert set(managed) == REQUIRED_GROUPS
    for name, stmt in managed.items():
        assert stmt["VendorName"] == "AWS"
        assert _rules(env)[name]["OverrideAction"] == {"None": {}}, f"{name} overridden to Count as a whole"
        assert "ExcludedRules" not in stmt, name


def test_wcu_table_covers_every_rule_and_stays_within_the_default_1500():
    rules = _rules("dev")
    assert set(rules) == set(waf.RULE_WCU)
    total = sum(waf.RULE_WCU[name] for name in rules)
    assert total <= waf.MAX_WCU == 1500
    assert f"Total: {total} WCU" in waf.__doc__


def test_managed_group_wcu_are_aws_published_capacities():
    # Fixed by AWS per group; the rate rule without scope-down or custom keys costs 2.
    assert waf.RULE_WCU == {
        "RateLimitPerIp": 2,
        "AWSManagedRulesAmazonIpReputationList": 25,
        "AWSManagedRulesKnownBadInputsRuleSet": 200,
        "AWSManagedRulesCommonRuleSet": 700,
        "AWSManagedRulesSQLiRuleSet": 200,
        # 5 label matches x 1 + 4 STARTS_WITH byte matches on the URI path (no transformation) x 2
        "BodyRulesOutsidePromptRoutes": 13,
    }


def test_large_prompt_bodies_are_not_blocked_by_the_8kb_body_rule(env):
    overrides = _managed(env)["AWSManagedRulesCommonRuleSet"]["RuleActionOverrides"]
    by_name = {o["Name"]: o["ActionToUse"] for o in overrides}
    assert by_name["SizeRestrictions_BODY"] == {"Count": {}}


def test_every_override_is_count_documented_and_the_sqli_group_counts_only_its_body_rules(env):
    for name, stmt in _managed(env).items():
        overrides = stmt.get("RuleActionOverrides", [])
        if name == "AWSManagedRulesSQLiRuleSet":
            assert {o["Name"] for o in overrides} == {"SQLi_BODY", "SQLiExtendedPatterns_BODY"}
        elif name != "AWSManagedRulesCommonRuleSet":
            assert overrides == [], f"{name} weakened"  # Log4Shell (KnownBadInputs), IP reputation block fully
            continue
        for o in overrides:
            assert o["ActionToUse"] == {"Count": {}}
            assert o["Name"] in waf.__doc__, f"{o['Name']} overridden without a reason in the docstring"


def test_metrics_and_sampled_requests_on_for_the_acl_and_every_rule(env):
    configs = [_acl(env)["VisibilityConfig"]] + [r["VisibilityConfig"] for r in _rules(env).values()]
    for vc in configs:
        assert vc["CloudWatchMetricsEnabled"] is True and vc["SampledRequestsEnabled"] is True
        assert re.fullmatch(r"[\w-]{1,255}", vc["MetricName"])
    assert len({vc["MetricName"] for vc in configs}) == len(configs)


def test_rule_priorities_are_unique_and_the_rate_rule_runs_first(env):
    rules = _acl(env)["Rules"]
    assert len({r["Priority"] for r in rules}) == len(rules)
    assert min(rules, key=lambda r: r["Priority"])["Name"] == "RateLimitPerIp"


def test_waf_logs_to_an_aws_waf_logs_group_with_retention_retained_and_encrypted(env):
    tmpl = template(env, "waf")
    group = one(tmpl, "AWS::Logs::LogGroup")
    assert props(group)["LogGroupName"] == f"aws-waf-logs-hana-{env}"
    # security evidence: the spec's 7 days in dev, a year in prod (AWS Control Tower CT.CLOUDWATCH.PR.2)
    assert props(group)["RetentionInDays"] == config.get(env).waf_log_retention_days == {"dev": 7, "prod": 365}[env]
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert props(group)["KmsKeyId"] == {"Fn::GetAtt": ["WafLogsKey", "Arn"]}


def test_logging_configuration_targets_the_group_and_redacts_authorization(env):
    logging = props(one(template(env, "waf"), "AWS::WAFv2::LoggingConfiguration"))
    assert logging["ResourceArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    (dest,) = logging["LogDestinationConfigs"]
    arn, variables = dest["Fn::Sub"]
    # WAF rejects the ":*" that GetAtt LogGroup.Arn carries: the bare log group ARN is built.
    assert arn.endswith(":log-group:${Group}") and variables == {"Group": {"Ref": "WafLogGroup"}}
    redacted = {f["SingleHeader"]["Name"] for f in logging["RedactedFields"]}
    assert "authorization" in redacted


def test_log_filter_keeps_every_blocked_and_counted_request(env):
    filt = props(one(template(env, "waf"), "AWS::WAFv2::LoggingConfiguration"))["LoggingFilter"]
    kept = {
        c["ActionCondition"]["Action"]
        for f in filt["Filters"]
        if f["Behavior"] == "KEEP"
        for c in f["Conditions"]
        if f["Requirement"] == "MEETS_ANY"
    }
    assert {"BLOCK", "COUNT", "EXCLUDED_AS_COUNT"} <= kept


def test_log_key_lets_cloudwatch_logs_use_it_for_the_waf_log_group_only(env):
    key = template(env, "waf")["Resources"]["WafLogsKey"]
    assert props(key)["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    stmts = {s["Sid"]: s for s in props(key)["KeyPolicy"]["Statement"]}
    logs = stmts["CloudWatchLogsUsesKey"]
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    (scoped,) = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert scoped["Fn::Sub"].endswith(f":log-group:aws-waf-logs-hana-{env}")


def test_outputs_name_the_acl(env):
    outputs = template(env, "waf")["Outputs"]
    assert outputs["WebAclName"]["Value"] == f"hana-{env}-waf"
    assert outputs["WebAclArn"]["Value"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}


PROMPT_BODY_RULES = {
    ("AWSManagedRulesSQLiRuleSet", "SQLi_BODY", "awswaf:managed:aws:sql-database:SQLi_Body"),
    (
        "AWSManagedRulesSQLiRuleSet",
        "SQLiExtendedPatterns_BODY",
        "awswaf:managed:aws:sql-database:SQLiExtendedPatterns_Body",
    ),
    ("AWSManagedRulesCommonRuleSet", "GenericLFI_BODY", "awswaf:managed:aws:core-rule-set:GenericLFI_Body"),
    ("AWSManagedRulesCommonRuleSet", "GenericRFI_BODY", "awswaf:managed:aws:core-rule-set:GenericRFI_Body"),
    ("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_BODY", "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body"),
}
# The same attacks outside the body: these keep blocking everywhere (prompts travel only in bodies).
STILL_BLOCKING = {
    "AWSManagedRulesSQLiRuleSet": ("SQLi_QUERYARGUMENTS", "SQLi_URIPATH", "SQLi_COOKIE"),
    "AWSManagedRulesCommonRuleSet": (
        "GenericLFI_QUERYARGUMENTS",
        "GenericLFI_URIPATH",
        "GenericRFI_QUERYARGUMENTS",
        "GenericRFI_URIPATH",
        "EC2MetaDataSSRF_QUERYARGUMENTS",
        "EC2MetaDataSSRF_URIPATH",
        "EC2MetaDataSSRF_COOKIE",
    ),
}


@pytest.mark.parametrize(("group", "rule", "label"), sorted(PROMPT_BODY_RULES), ids=lambda v: str(v))
def test_prompt_body_rules_count_in_their_group_and_their_label_blocks_outside_prompt_routes(env, group, rule, label):
    """A prompt quoting SQL, a ../ path or the metadata URL is not blocked on a prompt route; the
    same body on any other path is (label rule after the groups)."""
    overrides = {o["Name"]: o["ActionToUse"] for o in _managed(env)[group].get("RuleActionOverrides", [])}
    assert overrides[rule] == {"Count": {}}
    body_rule = _rules(env)["BodyRulesOutsidePromptRoutes"]
    assert body_rule["Action"] == {"Block": {}}
    assert body_rule["Priority"] > max(_rules(env)[g]["Priority"] for g in REQUIRED_GROUPS)
    labels, not_prompt = body_rule["Statement"]["AndStatement"]["Statements"]
    keys = {s["LabelMatchStatement"]["Key"] for s in labels["OrStatement"]["Statements"]}
    assert label in keys and waf.body_rule_label(group, rule) == label
    routes = not_prompt["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    assert {
        (
            r["ByteMatchStatement"]["PositionalConstraint"],
            r["ByteMatchStatement"]["SearchString"],
        )
        for r in routes
    } == {("STARTS_WITH", prefix) for prefix in waf.PROMPT_ROUTES}
    assert not any("SearchStringBase64" in r["ByteMatchStatement"] for r in routes)
    assert all(r["ByteMatchStatement"]["FieldToMatch"] == {"UriPath": {}} for r in routes)


def test_prompt_routes_are_the_albs_routes_that_carry_bodies():
    """Every routed path prefix except the health check carries prompts (api, socket.io, ws)."""
    prefixes = {p.removesuffix("*") for _, paths in compute.ROUTES.values() for p in paths if p.endswith("/*")}
    assert set(waf.PROMPT_ROUTES) == prefixes


@pytest.mark.parametrize("group", sorted(STILL_BLOCKING))
def test_query_string_uri_and_cookie_variants_still_block(env, group):
    overridden = {o["Name"] for o in _managed(env)[group].get("RuleActionOverrides", [])}
    assert not overridden & set(STILL_BLOCKING[group])
    assert all(name.endswith(("_BODY", "_HEADER")) for name in overridden)
