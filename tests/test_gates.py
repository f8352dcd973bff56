"""The lint gates themselves: they can fail, and every exception to them carries its reason."""

import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "out").glob("*/*.yaml"))


def _resources():
    for path in TEMPLATES:
        for logical_id, resource in yaml.safe_load(path.read_text())["Resources"].items():
            yield pytest.param(resource, id=f"{path.parent.name}/{path.stem}/{logical_id}")


@pytest.mark.parametrize("resource", list(_resources()))
def test_every_suppression_names_its_reason(resource):
    metadata = resource.get("Metadata", {})
    for skip in metadata.get("checkov", {}).get("skip", []):
        assert len(skip.get("comment", "").strip()) > 15, f"checkov {skip['id']} suppressed without a reason"
    ignored = metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
    reasons = metadata.get("hana", {}).get("cfn-lint-reasons", {})
    for rule in ignored:
        assert len(reasons.get(rule, "").strip()) > 15, f"cfn-lint {rule} suppressed without a reason"


def test_cfn_lint_gate_reports_informational_findings(tmp_path):
    """The gate's configuration really finds things, informational rules included."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Parameters:\n  Unused:\n    Type: String\n"
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 99999\n"
    )
    cfg = yaml.safe_load((ROOT / ".cfnlintrc.yaml").read_text())
    assert "I" in cfg["include_checks"]
    result = subprocess.run(
        [str(ROOT / ".venv/bin/cfn-lint"), "--include-checks", *cfg["include_checks"], "--", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "W2001" in result.stdout  # unused parameter
    assert "E3034" in result.stdout  # visibility timeout out of range
