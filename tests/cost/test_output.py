"""What `cost` prints (issue #17): every --refresh failure is one clear line (no HTML, no
"unexpected X"); tables fit the terminal; `--env all` starts with a one-screen summary; savings in $."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from click.testing import CliRunner

from hana_cost import refresh
from hana_cost.errors import CostError, CostInputError

HTML = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"


@pytest.fixture(autouse=True)
def no_aws(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "config").write_text("[profile known]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def pricing(endpoint: str | None = None):
    return boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and "<" not in text and "unexpected" not in text, text
    assert text.startswith("--refresh")
    return text


def test_an_html_error_page_is_named_by_its_status_never_printed():
    client = pricing()
    with Stubber(client) as stub:
        stub.add_client_error("get_products", "500", HTML, http_status_code=500)
        with pytest.raises(CostError) as err:
            refresh.refresh(client=client)
    assert "answered HTTP 500 with no AWS error" in one_line(err)


def test_the_emulator_without_a_price_list_api_is_one_line():
    import hana_emulator as emulator

    with emulator.start() as emu:
        client = emu.session().client("pricing", endpoint_url=emu.url)
        with pytest.raises(CostError) as err:
            refresh.refresh(client=client)
    line = one_line(err)
    assert f"{emu.url} has no Price List API" in line and "without --local" in line


def test_an_unknown_profile_is_bad_input_in_one_line():
    with pytest.raises(CostInputError) as err:
        refresh.refresh(profile="nope")
    line = one_line(err)
    assert "the AWS profile 'nope' is not in your AWS config" in line
    assert err.value.exit_code == 2


def test_an_unknown_profile_through_the_deployer_is_one_line_not_unexpected(monkeypatch):
    from deploy.commands import cli
    from deploy.commands.group import App

    monkeypatch.setenv("AWS_PROFILE", "nope")
    result = CliRunner().invoke(cli, ["cost", "--refresh"], obj=App())
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --refresh: the AWS profile 'nope'"), result.output


def test_an_unknown_profile_through_python_m_hana_cost_exits_2_too():
    """The standalone CLI (`python -m hana_cost`) treats bad input as the deployer does: exit 2."""
    from hana_cost.cli import cost

    result = CliRunner().invoke(cost, ["--env", "dev", "--refresh", "--profile", "nope"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "the AWS profile 'nope' is not in your AWS config" in lines[0], result.output


def test_no_credentials_is_one_line():
    with pytest.raises(CostError) as err:
        refresh.refresh()
    assert "needs AWS credentials; none found" in one_line(err)


def test_an_unreachable_endpoint_is_one_line():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CostError) as err:
        refresh.refresh(client=pricing(f"http://127.0.0.1:{port}"))
    assert f"cannot reach the Price List API at http://127.0.0.1:{port}" in one_line(err)


def test_an_aws_refusal_keeps_its_code_and_message():
    client = pricing()
    with Stubber(client) as stub:
        stub.add_client_error("get_products", "AccessDeniedException", "not allowed to call GetProducts")
        with pytest.raises(CostError) as err:
            refresh.refresh(client=client)
    assert "refused the request: AccessDeniedException: not allowed to call GetProducts" in one_line(err)


# --- fitting the terminal, the summary first, $ on savings ------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def at_80_columns() -> str:
    """`python -m deploy cost --compare` (every environment) on an 80-column terminal."""
    from deploy.commands import cli
    from deploy.commands.group import App

    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["cost", "--compare"], obj=App())
    assert result.exit_code == 0, result.output
    return result.stdout


def _section(text: str, title: str) -> list[list[str]]:
    """The rows (cells) of the table under the first line starting with `title`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip() and rows:
            break
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_every_line_fits_an_80_column_terminal(at_80_columns):
    too_wide = [line for line in at_80_columns.splitlines() if len(line) > 80]
    assert not too_wide, too_wide[:3]


def test_every_environment_is_summarized_first(at_80_columns):
    from hana_templates import config

    first_screen = at_80_columns.split("\n\n### ")[0]
    assert first_screen.startswith("Monthly cost, us-east-1 on-demand prices of ")
    rows = _section(first_screen, "Monthly cost")[2:]
    assert [r[0] for r in rows] == list(config.ENVIRONMENTS)
    assert len(first_screen.splitlines()) <= 24  # one screen


def test_savings_and_differences_carry_their_dollar_sign(at_80_columns):
    savings = _section(at_80_columns, "Savings switches for dev")[2:]
    amounts = [r[3].strip("*") for r in savings if r[2].strip("*").startswith("$")]  # applicable switches
    assert amounts and all(a.startswith("$") for a in amounts), amounts
    differences = [r[3].strip("*") for r in _section(at_80_columns, "Against the spec's estimate for dev")[2:] if r[3]]
    assert differences and all(d[:2] in ("+$", "-$") for d in differences), differences


def test_the_readme_and_docs_show_the_real_summary():
    from hana_cost import report
    from hana_cost.estimate import for_env
    from hana_templates import config

    real = report.summary_table([for_env(env) for env in config.ENVIRONMENTS])
    for page in ("README.md", "docs/cost.md"):
        assert f"```text\n{real}\n```" in (ROOT / page).read_text(), f"{page}: paste the output of `make cost`"


def test_a_wide_table_wraps_its_text_columns_and_keeps_every_word():
    from hana_cost.report import _md

    rows = [["alpha", "a long explanation that goes on and on about why", "$1,234.56"], ["beta", "short", "$1.00"]]
    text = _md(["Name", "Why", "Monthly"], rows, right=(2,), width=40)
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines)
    why = " ".join(line.split("|")[2].strip() for line in lines[2:4] + lines[4:6] if line.split("|")[2].strip())
    assert "a long explanation that goes on and on about why" in why
    assert "| $1,234.56 |" in lines[2]  # numbers are never wrapped
    assert _md(["Name", "Why", "Monthly"], rows, right=(2,)).count("\n") == 3  # no width: one line per row


def test_a_table_that_cannot_fit_is_split_with_its_first_column_in_both():
    from hana_cost.report import _md

    header = ["Service", "Resource", "Specs", "Monthly", "At max", "Arithmetic"]
    rows = [["RDS PostgreSQL", "hana-prod-postgres", "db.r6g.large Multi-AZ", "$328.50", "$328.50", "2 x 730 h"]]
    text = _md(header, rows, right=(3, 4), width=50)
    assert all(len(line) <= 50 for line in text.splitlines())
    tables = text.split("\n\n")
    assert len(tables) == 2 and all(t.startswith("| Service") for t in tables)


def test_no_terminal_means_no_limit(monkeypatch):
    import os

    from hana_cost.cli import terminal_width

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda *a: (_ for _ in ()).throw(OSError("not a terminal")))
    assert terminal_width() is None
    monkeypatch.setenv("COLUMNS", "93")
    assert terminal_width() == 93
