"""The cfn-guard gate (tests/guard_gate.py) itself: it can fail, and every exception carries its reason.

`make security` runs the real cfn-guard; these tests pin the gate's judgement on small inputs,
and check every suppression in out/ has a reason."""

from pathlib import Path

import pytest
import yaml

from tests import guard_gate

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "out").glob("*/*.yaml"))
REASON = "the spec mandates this exact value"


def _report(*failures):
    """A cfn-guard structured report with one failing resource per (file, logical id, rule)."""
    files = {}
    for name, logical_id, rule in failures:
        files.setdefault(name, []).append(
            {
                "Rule": {
                    "name": rule,
                    "checks": [{"Clause": {"Unary": {"check": {"path": f"/Resources/{logical_id}/Properties"}}}}],
                }
            }
        )
    return [{"name": f"/x/out/dev/{name}", "status": "FAIL", "not_compliant": nc} for name, nc in files.items()]


@pytest.mark.parametrize(
    ("failures", "suppressed", "problems"),
    [
        pytest.param([], {}, [], id="clean"),
        pytest.param([("a.yaml", "Db", "r1")], {}, ["a.yaml: Db fails r1"], id="unsuppressed-finding"),
        pytest.param([("a.yaml", "Db", "r1")], {("a.yaml", "Db", "r1"): REASON}, [], id="suppressed-with-reason"),
        pytest.param(
            [("a.yaml", "Db", "r1")],
            {("a.yaml", "Db", "r1"): ""},
            ["a.yaml: Db suppresses r1 without a reason"],
            id="suppressed-without-reason",
        ),
        pytest.param(
            [("a.yaml", "Db", "r1")],
            {("a.yaml", "Other", "r1"): REASON},
            ["a.yaml: Db fails r1", "a.yaml: Other suppresses r1, which it no longer fails: remove it"],
            id="suppression-on-another-resource",
        ),
    ],
)
def test_gate_judgement(failures, suppressed, problems):
    assert guard_gate.judge(guard_gate.findings(_report(*failures)), suppressed) == problems


def test_suppressions_are_read_from_metadata_with_their_reasons():
    template = {
        "Resources": {
            "Db": {
                "Metadata": {
                    "guard": {"SuppressedRules": ["r1", "r2"]},
                    "hana": {"guard-reasons": {"r1": REASON}},
                }
            },
            "Plain": {},
        }
    }
    assert guard_gate.suppressions(template) == {("Db", "r1"): REASON, ("Db", "r2"): ""}


def _resources():
    for path in TEMPLATES:
        for logical_id, resource in yaml.safe_load(path.read_text())["Resources"].items():
            if "guard" in resource.get("Metadata", {}):
                yield pytest.param(resource, id=f"{path.parent.name}/{path.stem}/{logical_id}")


@pytest.mark.parametrize("resource", list(_resources()))
def test_every_guard_suppression_names_its_reason(resource):
    reasons = resource["Metadata"].get("hana", {}).get("guard-reasons", {})
    for rule in resource["Metadata"]["guard"]["SuppressedRules"]:
        assert len(reasons.get(rule, "").strip()) > 15, f"cfn-guard {rule} suppressed without a reason"


# issue 16: a cfn-guard finding may be suppressed only for what the spec mandates, what AWS forces,
# or a setting that is there but the rule cannot see (tested elsewhere). Each reason names its kind.
ALLOWED_KINDS = {
    "the spec mandates": ("the spec",),
    "AWS forces": ("AWS forces", "AWS supports only"),
    "the rule cannot see a setting that is there": ("the rule cannot see", "the rule knows only"),
}


def _reasons():
    for path in TEMPLATES:
        for logical_id, resource in yaml.safe_load(path.read_text())["Resources"].items():
            for rule, reason in resource.get("Metadata", {}).get("hana", {}).get("guard-reasons", {}).items():
                yield pytest.param(reason, id=f"{path.parent.name}/{path.stem}/{logical_id}/{rule}")


@pytest.mark.parametrize("reason", list(_reasons()))
def test_every_guard_suppression_is_one_of_the_allowed_kinds(reason):
    kinds = [kind for kind, marks in ALLOWED_KINDS.items() if any(m in reason for m in marks)]
    assert kinds, f"not one of {sorted(ALLOWED_KINDS)}: fix the finding instead ({reason!r})"


@pytest.mark.parametrize(
    "reason",
    [
        "judgement: nothing consumes bucket events",
        "OPEN GAP, not an exception: notifications need a DLQ",
    ],
)
def test_a_judgement_or_a_gap_is_not_an_allowed_kind(reason):
    assert not any(m in reason for marks in ALLOWED_KINDS.values() for m in marks)
