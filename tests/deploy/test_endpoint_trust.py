"""issue #18 item 10: an endpoint not on this machine gets the real profile's signed calls and
answers the account check itself, so it needs the named opt-in --trust-endpoint; so do the
endpoints boto3 takes by itself from the environment and the AWS config (AWS SDKs and Tools
reference guide, "Service-specific endpoints": AWS_ENDPOINT_URL_<SERVICE>, a profile's
endpoint_url / services; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them off)."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from deploy.aws.session import Aws, Settings, configured_endpoints, untrusted_endpoint_text
from deploy.commands import cli
from deploy.commands.group import App, hoist_global_options
from deploy.errors import BadInput
from tests.test_docs import parse

REMOTE = "https://aws-proxy.example.com"
HINT = re.compile(r"`(python -m deploy [^`]+)`")


def _refusal(args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    return line


def test_a_remote_endpoint_url_is_refused_in_one_line_naming_the_flag():
    line = _refusal(["--endpoint-url", REMOTE, "status"])
    assert line.startswith(f"error: --endpoint-url {REMOTE} is not on this machine")
    assert "--trust-endpoint" in line and "account check" in line


def test_a_remote_aws_endpoint_url_left_in_the_shell_is_refused_and_named():
    line = _refusal(["status"], env={"AWS_ENDPOINT_URL": REMOTE})
    assert line.startswith(f"error: $AWS_ENDPOINT_URL={REMOTE} is not on this machine")
    assert "unset AWS_ENDPOINT_URL, or add --trust-endpoint" in line


@pytest.mark.parametrize("from_env", [False, True])
def test_the_refusal_hint_parses_as_printed(from_env):
    (hint,) = HINT.findall(untrusted_endpoint_text(REMOTE, from_env, "prod"))
    assert parse(shlex.split(hint)[3:]) == ["status"]
    assert "--trust-endpoint" in hint and "--env prod" in hint


@pytest.mark.parametrize("url", ["http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566"])
def test_an_endpoint_on_this_machine_needs_no_opt_in(url):
    assert Settings(endpoint_url=url).local


def test_trust_endpoint_accepts_it_and_the_printed_hints_carry_it():
    settings = Settings(endpoint_url=REMOTE, trust_endpoint=True)
    app = App(project_factory=lambda env: type("P", (), {"mode": ""})())
    app.settings = settings
    assert app.project().mode == f"--endpoint-url {REMOTE} --trust-endpoint"
    assert hoist_global_options(["status", "--trust-endpoint"], cli.commands) == ["--trust-endpoint", "status"]


def test_trusted_service_endpoints_without_an_endpoint_url_keep_the_flag_in_hints():
    app = App(project_factory=lambda env: type("P", (), {"mode": ""})())
    app.settings = Settings(trust_endpoint=True)
    assert app.project().mode == "--trust-endpoint"


def test_the_mode_prefix_of_spec_name_hints_carries_the_flag():
    from deploy.commands.surface import mode_prefix

    ctx = cli.make_context("python -m deploy", ["--endpoint-url", REMOTE, "--trust-endpoint", "status"])
    assert mode_prefix(ctx) == f"python -m deploy --endpoint-url {REMOTE} --trust-endpoint"


def test_settings_refuse_a_remote_endpoint_without_the_flag():
    with pytest.raises(BadInput, match="add --trust-endpoint"):
        Settings(endpoint_url=REMOTE)


# --- the endpoints boto3 applies by itself --------------------------------------------------------


def test_a_service_specific_endpoint_variable_is_refused_without_the_flag(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9999")
    with pytest.raises(BadInput) as refused:
        Aws(Settings(), "us-east-1")
    message = str(refused.value)
    assert "AWS_ENDPOINT_URL_STS=http://127.0.0.1:9999" in message and "--trust-endpoint" in message
    assert "\n" not in message


def test_with_the_flag_boto3_honours_it(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", REMOTE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = Aws(Settings(trust_endpoint=True), "us-east-1")
    assert aws.client("sts").meta.endpoint_url == REMOTE
    assert aws.client("cloudformation").meta.endpoint_url == "https://cloudformation.us-east-1.amazonaws.com"


def test_a_profile_endpoint_in_the_aws_config_is_refused(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text(f"[default]\nendpoint_url = {REMOTE}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(BadInput, match="`endpoint_url` in the AWS config profile"):
        Aws(Settings(), "us-east-1")


def test_an_explicit_endpoint_wins_so_nothing_else_is_refused(monkeypatch, moto):
    """An endpoint passed to the client overrides the configured ones (the same reference guide)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", REMOTE)
    aws = Aws(Settings(endpoint_url=moto), "us-east-1")
    assert aws.client("sts").meta.endpoint_url == moto


@pytest.mark.parametrize(
    ("environ", "scoped", "found"),
    [
        pytest.param({}, {}, [], id="none"),
        pytest.param({"AWS_ENDPOINT_URL_S3": "http://x"}, {}, ["AWS_ENDPOINT_URL_S3=http://x"], id="env"),
        pytest.param({"AWS_ENDPOINT_URL_S3": ""}, {}, [], id="empty-env"),
        pytest.param({}, {"services": "local"}, ["`services` in the AWS config profile"], id="services"),
        pytest.param(
            {"AWS_ENDPOINT_URL_S3": "http://x", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, {}, [], id="ignored"
        ),
        pytest.param({}, {"endpoint_url": "http://x", "ignore_configured_endpoint_urls": "true"}, [], id="ignored-cfg"),
    ],
)
def test_configured_endpoints(environ, scoped, found):
    assert configured_endpoints(environ, scoped) == found
