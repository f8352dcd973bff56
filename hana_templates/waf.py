"""waf: the regional WAFv2 web ACL `hana-<env>-waf` in front of the ALB.

Rules, in evaluation order (`RULE_WCU` holds each rule's web ACL capacity units):

| priority | rule | action | WCU |
| -------- | ---- | ------ | --- |
| 0 | `RateLimitPerIp`: more than `cfg.waf_rate_limit` requests per client IP in 5 minutes | Block (429) | 2 |
| 1 | `AWSManagedRulesAmazonIpReputationList`: botnets, scanners, known-bad IPs | groups' own | 25 |
| 2 | `AWSManagedRulesKnownBadInputsRuleSet`: Log4Shell, Spring4Shell, bad paths | groups' own | 200 |
| 3 | `AWSManagedRulesCommonRuleSet`: OWASP-style core rules (6 rules set to Count) | groups' own | 700 |
| 4 | `AWSManagedRulesSQLiRuleSet`: SQL injection (2 body rules set to Count) | groups' own | 200 |
| 5 | `BodyRulesOutsidePromptRoutes`: a body rule's label on a path outside `PROMPT_ROUTES` | Block | 13 |

Total: 1140 WCU, within the 1,500 WCU a web ACL gets at the base price (managed rule group
capacities are fixed by AWS; a rate-based rule without scope-down or custom keys costs 2).
The rate rule comes first so that every request from a flooding client counts toward its
limit, including ones a later rule would block anyway.

HANA's API carries LLM prompts and agent transcripts, so some rules are overridden to Count
(they still label and log the request, nothing is blocked by them):

- `SizeRestrictions_BODY` blocks any body over 8 KB: a normal prompt with context is larger.
  An ALB's WAF can only inspect the first 8 KB of a body, so the maximum body size is enforced
  by the API itself, not here.
- `CrossSiteScripting_BODY` matches HTML/JavaScript in a body: users paste code into prompts
  for a coding agent all day, and the API answers JSON, never an HTML page that reflects input.
- `NoUserAgent_HEADER` blocks requests without a User-Agent: socket.io's Node client over the
  `ws` library (the TUI, server-to-server gateways) sends none on the WebSocket upgrade.
- The body variants of SQL injection, local/remote file inclusion and SSRF (`PROMPT_BODY_RULES`):
  `SQLi_BODY`, `SQLiExtendedPatterns_BODY`, `GenericLFI_BODY`, `GenericRFI_BODY`,
  `EC2MetaDataSSRF_BODY`. A prompt that quotes a SQL query, a `../` path, a URL or the metadata
  address is the product working, not an attack; the API never builds SQL or file paths from
  prompt text. Their labels are then turned back into a Block by rule 5 on every path that is not a
  prompt route (`PROMPT_ROUTES`: the api and socket.io/ws routes), so a body attack on anything
  else (`/health`, unrouted paths, a future non-prompt route) is still blocked. The same rules on
  query strings, URI paths, headers and cookies (`SQLi_QUERYARGUMENTS`, `GenericLFI_URIPATH`,
  `EC2MetaDataSSRF_COOKIE`, ...) keep blocking everywhere: prompts travel only in bodies.

Why labels and not a scope-down statement on the groups: a scope-down takes a whole group off a
route, including its query-string, URI and header rules; labels move exactly the five body rules.
WCU of rule 5: five label matches (1 each) and four STARTS_WITH byte matches on the URI path
without text transformation (2 each); AND/OR/NOT add nothing.

Everything else blocks, including the SQL injection group the spec asks for. The Count rules are
in the WAF log (below), so a rule can be moved back to Block once the logs show it safe.

Logging: to the log group `aws-waf-logs-hana-<env>` (WAF accepts only that prefix), encrypted
with this stack's key, retained for `cfg.waf_log_retention_days` (a year in prod: security evidence). Only requests a rule blocked or
counted are logged; ALB access logs record every request and sampled requests cover the rest.
The `authorization` and `cookie` headers are redacted (bearer tokens, sessions). WAF adds the
log group's resource policy for log delivery itself when the logging configuration is created.

Consumes: compute.AlbArn. Outputs: WebAclArn, WebAclName.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template, wafv2

from . import naming
from .config import EnvConfig
from .constructs import SHORT_SECURITY_LOG_REASON, key_arn, kms_key, log_group
from .policies import logs_key_statement
from .spec import From, Stack, StackSpec

SPEC = StackSpec(
    name="waf",
    description="Regional WAF web ACL on the ALB: rate limit per IP, AWS managed rule groups, logging",
    inputs=(From("compute", "AlbArn"),),
    outputs=("WebAclArn", "WebAclName"),
)

# Web ACL capacity units per rule: the default (base-priced) web ACL limit is 1,500.
# Body rules that prompts trip: Count in their groups, Block outside the prompt routes (rule 5).
PROMPT_BODY_RULES: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesCommonRuleSet": ("EC2MetaDataSSRF_BODY", "GenericLFI_BODY", "GenericRFI_BODY"),
    "AWSManagedRulesSQLiRuleSet": ("SQLiExtendedPatterns_BODY", "SQLi_BODY"),
}
# Label namespaces of the groups (AWS managed rules documentation, "labels added by the rule group").
_GROUP_LABELS = {
    "AWSManagedRulesCommonRuleSet": "awswaf:managed:aws:core-rule-set",
    "AWSManagedRulesSQLiRuleSet": "awswaf:managed:aws:sql-database",
}
# Path prefixes that carry prompts: compute.ROUTES less /health (tests/stacks/test_waf.py ties them).
PROMPT_ROUTES = ("/api/", "/v1/", "/ws/", "/socket.io/")
BODY_RULE_NAME = "BodyRulesOutsidePromptRoutes"
_LABEL_WCU, _STARTS_WITH_WCU = 1, 2

RULE_WCU: dict[str, int] = {
    "RateLimitPerIp": 2,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesSQLiRuleSet": 200,
    BODY_RULE_NAME: _LABEL_WCU * sum(map(len, PROMPT_BODY_RULES.values())) + _STARTS_WITH_WCU * len(PROMPT_ROUTES),
}
MAX_WCU = 1500

_PROMPT_REASON = "prompts quote SQL, paths and URLs; blocked outside the prompt routes by " + BODY_RULE_NAME

# Managed groups in evaluation order (after the rate rule), with the rules set to Count and why.
MANAGED_GROUPS: tuple[tuple[str, dict[str, str]], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", {}),
    ("AWSManagedRulesKnownBadInputsRuleSet", {}),
    (
        "AWSManagedRulesCommonRuleSet",
        {
            "SizeRestrictions_BODY": "LLM prompts are routinely larger than the rule's 8 KB",
            "CrossSiteScripting_BODY": "prompts legitimately contain HTML and JavaScript code",
            "NoUserAgent_HEADER": "socket.io's Node client (ws) sends no User-Agent",
            **{r: _PROMPT_REASON for r in PROMPT_BODY_RULES["AWSManagedRulesCommonRuleSet"]},
        },
    ),
    ("AWSManagedRulesSQLiRuleSet", {r: _PROMPT_REASON for r in PROMPT_BODY_RULES["AWSManagedRulesSQLiRuleSet"]}),
)

RATE_WINDOW_S = 300  # cfg.waf_rate_limit is per 5 minutes
REDACTED_HEADERS = ("authorization", "cookie")
LOGGED_ACTIONS = ("BLOCK", "COUNT", "EXCLUDED_AS_COUNT")


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    acl_name = naming.name(cfg, "waf")

    acl = stack.add(
        wafv2.WebACL(
            "WebAcl",
            Name=acl_name,
            Description=f"{naming.prefix(cfg)}: rate limit per client IP and AWS managed rules for the ALB",
            Scope="REGIONAL",
            DefaultAction=wafv2.DefaultAction(Allow=wafv2.AllowAction()),
            Rules=[_rate_limit_rule(cfg, acl_name)]
            + [
                _managed_group_rule(acl_name, priority, group, overrides)
                for priority, (group, overrides) in enumerate(MANAGED_GROUPS, start=1)
            ]
            + [_body_rules_outside_prompt_routes(acl_name, len(MANAGED_GROUPS) + 1)],
            VisibilityConfig=_visibility(acl_name),
            Tags=naming.tags(cfg, SPEC.name),
        )
    )
    stack.add(wafv2.WebACLAssociation("WebAclAssociation", ResourceArn=stack.input("AlbArn"), WebACLArn=_arn(acl)))

    key, alias = kms_key(
        cfg, SPEC.name, "WafLogsKey", "waf-logs", extra_statements=(logs_key_statement(naming.waf_log_group(cfg)),)
    )
    stack.add(key)
    stack.add(alias)
    logs = stack.add(
        log_group(
            "WafLogGroup",
            naming.waf_log_group(cfg),
            cfg.waf_log_retention_days,
            cfg,
            SPEC.name,
            kms_key_arn=key_arn(key),
            short_retention_reason=SHORT_SECURITY_LOG_REASON,
        )
    )
    stack.add(
        wafv2.LoggingConfiguration(
            "WafLogging",
            ResourceArn=_arn(acl),
            # WAF wants the bare log group ARN; GetAtt LogGroup.Arn ends in ":*", which WAF rejects.
            LogDestinationConfigs=[
                Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}", Group=Ref(logs))
            ],
            RedactedFields=[
                wafv2.LoggingConfigurationFieldToMatch(SingleHeader=wafv2.SingleHeader(Name=h))
                for h in REDACTED_HEADERS
            ],
            LoggingFilter=wafv2.LoggingFilter(
                DefaultBehavior="DROP",
                Filters=[
                    wafv2.Filter(
                        Behavior="KEEP",
                        Requirement="MEETS_ANY",
                        Conditions=[
                            wafv2.Condition(ActionCondition=wafv2.ActionCondition(Action=a)) for a in LOGGED_ACTIONS
                        ],
                    )
                ],
            ),
        )
    )

    stack.output("WebAclArn", _arn(acl), "ARN of the web ACL protecting the ALB")
    stack.output("WebAclName", acl_name, "name of the web ACL")
    return stack.template()


def _arn(acl: wafv2.WebACL) -> GetAtt:
    return GetAtt(acl, "Arn")


def _visibility(metric_name: str) -> wafv2.VisibilityConfig:
    return wafv2.VisibilityConfig(CloudWatchMetricsEnabled=True, MetricName=metric_name, SampledRequestsEnabled=True)


def _rate_limit_rule(cfg: EnvConfig, acl_name: str) -> wafv2.WebACLRule:
    """Block a client IP above the limit with 429, so API clients back off instead of failing hard."""
    return wafv2.WebACLRule(
        Name="RateLimitPerIp",
        Priority=0,
        Action=wafv2.RuleAction(Block=wafv2.BlockAction(CustomResponse=wafv2.CustomResponse(ResponseCode=429))),
        Statement=wafv2.Statement(
            RateBasedStatement=wafv2.RateBasedStatement(
                AggregateKeyType="IP", Limit=cfg.waf_rate_limit, EvaluationWindowSec=RATE_WINDOW_S
            )
        ),
        VisibilityConfig=_visibility(f"{acl_name}-rate-limit-per-ip"),
    )


def body_rule_label(group: str, rule: str) -> str:
    """The label a managed body rule adds: the rule `SQLi_BODY` labels `...:sql-database:SQLi_Body`
    (AWS WAF developer guide, "AWS Managed Rules rule groups list": each rule's "Label")."""
    return f"{_GROUP_LABELS[group]}:{rule.removesuffix('_BODY')}_Body"


def _body_rules_outside_prompt_routes(acl_name: str, priority: int) -> wafv2.WebACLRule:
    """Block a request a counted body rule labelled, unless its path is a prompt route. It runs
    after the groups (labels exist only once their rules have run)."""
    labels = [
        wafv2.Statement(LabelMatchStatement=wafv2.LabelMatchStatement(Scope="LABEL", Key=body_rule_label(g, r)))
        for g, rules in PROMPT_BODY_RULES.items()
        for r in rules
    ]
    prompt_routes = [
        wafv2.Statement(
            ByteMatchStatement=wafv2.ByteMatchStatement(
                FieldToMatch=wafv2.FieldToMatch(UriPath={}),
                PositionalConstraint="STARTS_WITH",
                # Plain text, as the CloudFormation template reference documents SearchString
                # (AWS::WAFv2::WebACL ByteMatchStatement); CloudFormation encodes the API's blob.
                SearchString=prefix,
                TextTransformations=[wafv2.TextTransformation(Priority=0, Type="NONE")],
            )
        )
        for prefix in PROMPT_ROUTES
    ]
    return wafv2.WebACLRule(
        Name=BODY_RULE_NAME,
        Priority=priority,
        Action=wafv2.RuleAction(Block=wafv2.BlockAction()),
        Statement=wafv2.Statement(
            AndStatement=wafv2.AndStatement(
                Statements=[
                    wafv2.Statement(OrStatement=wafv2.OrStatement(Statements=labels)),
                    wafv2.Statement(
                        NotStatement=wafv2.NotStatement(
                            Statement=wafv2.Statement(OrStatement=wafv2.OrStatement(Statements=prompt_routes))
                        )
                    ),
                ]
            )
        ),
        VisibilityConfig=_visibility(f"{acl_name}-body-rules-outside-prompt-routes"),
    )


def _managed_group_rule(acl_name: str, priority: int, group: str, count_rules: dict[str, str]) -> wafv2.WebACLRule:
    """An AWS managed rule group with the groups' own actions, except `count_rules` (set to Count)."""
    statement = wafv2.ManagedRuleGroupStatement(VendorName="AWS", Name=group)
    if count_rules:
        statement.RuleActionOverrides = [
            wafv2.RuleActionOverride(Name=rule, ActionToUse=wafv2.RuleAction(Count=wafv2.CountAction()))
            for rule in sorted(count_rules)
        ]
    return wafv2.WebACLRule(
        Name=group,
        Priority=priority,
        OverrideAction=wafv2.OverrideAction(**{"None": {}}),  # keep the group's actions
        Statement=wafv2.Statement(ManagedRuleGroupStatement=statement),
        VisibilityConfig=_visibility(f"{acl_name}-{group}"),
    )
