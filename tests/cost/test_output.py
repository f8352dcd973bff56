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
