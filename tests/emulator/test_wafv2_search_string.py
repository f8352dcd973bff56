"""The emulator's WebACL takes a byte match's search string as CloudFormation documents it (plain
`SearchString` or `SearchStringBase64`, exactly one: CloudFormation template reference,
AWS::WAFv2::WebACL ByteMatchStatement) and answers GetWebACL as WAF does: `SearchString` a blob,
which boto3 hands back as bytes."""

from __future__ import annotations

import pytest

from hana_emulator.models.base import EmulatorResourceError
from hana_emulator.models.wafv2 import api_statement
from tests.emulator.helpers import apply_stack, events

_VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


def _match(**search) -> dict:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": "STARTS_WITH",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            **search,
        }
    }


def _acl(statement: dict) -> dict:
    return {
        "Resources": {
            "Acl": {
                "Type": "AWS::WAFv2::WebACL",
                "Properties": {
                    "Name": "acl",
                    "Scope": "REGIONAL",
                    "DefaultAction": {"Allow": {}},
                    "VisibilityConfig": _VIS,
                    "Rules": [
                        {
                            "Name": "r",
                            "Priority": 0,
                            "Action": {"Block": {}},
                            "Statement": {"NotStatement": {"Statement": statement}},
                            "VisibilityConfig": _VIS,
                        }
                    ],
                },
            }
        }
    }


@pytest.mark.parametrize(
    "search",
    [
        pytest.param({"SearchString": "/api/"}, id="plain"),
        pytest.param({"SearchStringBase64": "L2FwaS8="}, id="base64"),
    ],
)
def test_get_web_acl_returns_the_search_string_as_bytes(cfn, emu, search):
    assert apply_stack(cfn, "s", _acl(_match(**search)))["StackStatus"] == "CREATE_COMPLETE"
    waf = emu.client("wafv2")
    (summary,) = waf.list_web_acls(Scope="REGIONAL")["WebACLs"]
    acl = waf.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    match = acl["Rules"][0]["Statement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert match["SearchString"] == b"/api/"


@pytest.mark.parametrize(
    ("search", "message"),
    [
        pytest.param({"SearchString": "/api/", "SearchStringBase64": "L2FwaS8="}, "SearchString and", id="both"),
        pytest.param({}, "neither", id="neither"),
        pytest.param({"SearchStringBase64": "/api/"}, "not base64", id="not-base64"),
    ],
)
def test_a_byte_match_needs_exactly_one_valid_search_string(search, message):
    with pytest.raises(EmulatorResourceError, match=message):
        api_statement({"AndStatement": {"Statements": [_match(**search)]}})


def test_a_stack_with_both_search_strings_rolls_back(cfn):
    both = _match(SearchString="/api/", SearchStringBase64="L2FwaS8=")
    assert apply_stack(cfn, "s", _acl(both))["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("WAFInvalidParameterException" in r[2] for r in events(cfn, "s"))
