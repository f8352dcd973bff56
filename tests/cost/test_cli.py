"""The `cost` command: tables and JSON without AWS credentials, clear one-line errors."""

import json

import pytest
import yaml
from click.testing import CliRunner

from hana_cost.cli import cost
from tests.cost import synthetic


@pytest.fixture
def out(tmp_path):
    """An out/ directory holding the synthetic dev templates."""
    (tmp_path / "dev").mkdir()
    for stack, tmpl in synthetic.templates().items():
        (tmp_path / "dev" / f"{stack}.yaml").write_text(yaml.safe_dump(tmpl))
    return tmp_path


@pytest.fixture(autouse=True)
def no_aws(monkeypatch, tmp_path):
    """No credentials anywhere: `cost` must not need them."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # No terminal width either (pytest-xdist's workers export COLUMNS=80): whole Markdown rows.
    monkeypatch.delenv("COLUMNS", raising=False)


def _run(*args):
    return CliRunner().invoke(cost, list(args), catch_exceptions=False)


def test_table_shows_floor_usage_total_and_the_spec_beside_ours(out):
    result = _run("--env", "dev", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = result.output
    for heading in ("Fixed monthly floor", "Usage (assumptions)", "**TOTAL**", "Against the spec's estimate", "nat_gb"):
        assert heading in text
    header = next(line for line in text.splitlines() if line.startswith("| Service"))
    assert [c.strip() for c in header.strip("|").split("|")][:4] == ["Service", "Resource", "Specs", "Monthly"]
    assert "AWS bills every interface endpoint in every AZ" in text
    assert "public IPv4" in text


def test_json_has_the_same_totals(out):
    result = _run("--env", "dev", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    dev = json.loads(result.output)["environments"]["dev"]
    assert dev["total"] == pytest.approx(dev["floor"] + dev["usage"], abs=0.011)
    assert dev["total"] == pytest.approx(sum(ln["monthly"] for ln in dev["lines"]), abs=0.05)
    assert {row["service"] for row in dev["spec"]} >= {"RDS PostgreSQL", "VPC Endpoints", "WAF"}
    assert dev["assumptions"]["nat_gb"] == 20


def test_assume_overrides_and_marks_the_value(out):
    base = json.loads(_run("--env", "dev", "--json", "--out", str(out)).output)["environments"]["dev"]
    more = json.loads(_run("--env", "dev", "--json", "--assume", "nat_gb=120", "--out", str(out)).output)
    assert more["environments"]["dev"]["usage"] - base["usage"] == pytest.approx(100 * 0.045, abs=0.011)
    assert "nat_gb" in _run("--env", "dev", "--assume", "nat_gb=120", "--out", str(out)).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "staging"], "unknown environment 'staging'; allowed: "),
        (["--env", "dev", "--assume", "nat_gb"], "is not NAME=NUMBER"),
        (["--env", "dev", "--assume", "gpu_hours=3"], "unknown assumption 'gpu_hours'"),
        (["--env", "dev", "--refresh"], "needs AWS credentials; none found"),
    ],
)
def test_errors_are_one_line_and_non_zero(out, args, message):
    result = CliRunner().invoke(cost, [*args, "--out", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_templates_say_how_to_make_them(tmp_path):
    result = CliRunner().invoke(cost, ["--env", "dev", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "run `make templates` first" in result.output


def test_python_m_deploy_cost_wraps_the_same_command():
    from deploy.commands import cli

    both = json.loads(CliRunner().invoke(cli, ["cost", "--env", "all", "--json"]).output)
    assert set(both["environments"]) == {"dev", "prod", "lean-dev"}
    # the group's --env picks the environment when cost's own --env is not given
    prod = json.loads(CliRunner().invoke(cli, ["--env", "prod", "cost", "--json"]).output)
    assert set(prod["environments"]) == {"prod"}
    assert prod["environments"]["prod"]["total"] == both["environments"]["prod"]["total"]
    # without any --env: every environment
    assert set(json.loads(CliRunner().invoke(cli, ["cost", "--json"]).output)["environments"]) == set(
        both["environments"]
    )
