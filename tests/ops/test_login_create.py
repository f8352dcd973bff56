"""`login` for a profile that does not exist yet: the values asked for (or given as options), the
`[sso-session]` + `[profile]` sections shown, then appended to $AWS_CONFIG_FILE after a yes; the
rest of the file is never rewritten. The layout is the AWS CLI's manual IAM Identity Center
configuration (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html)."""

from __future__ import annotations

import configparser
import stat

import botocore.session
import pytest
from click.testing import CliRunner

from deploy.aws import login as sso
from deploy.commands import cli
from tests.ops import fakes
from tests.ops.test_login import app_signed_in

EXISTING = """\
# my own notes, kept as they are
[default]
region = eu-west-1

[profile other]
region = eu-central-1
"""
FLAGS = [
    "--sso-start-url",
    "https://my-org.awsapps.com/start",
    "--sso-region",
    "us-east-1",
    "--account-id",
    "123456789012",
    "--role-name",
    "AdministratorAccess",
]


def invoke(args, app, input=None):  # noqa: A002
    return CliRunner().invoke(cli, args, obj=app, input=input)


@pytest.fixture
def aws_config(tmp_path, monkeypatch):
    path = tmp_path / "aws" / "config"
    path.parent.mkdir()
    path.write_text(EXISTING)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return path


def read(path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(path.read_text())
    return parser


def test_flags_and_yes_write_the_profile_then_log_in(aws_config, fake_bin, tmp_path):
    fake_bin.add("aws", fakes.AWS_V2)
    result = invoke(["--profile", "hana-dev", "login", *FLAGS, "--yes"], app_signed_in(tmp_path))
    assert result.exit_code == 0, result.output
    text = aws_config.read_text()
    assert text.startswith(EXISTING)  # appended; nothing before it changed
    parser = read(aws_config)
    assert dict(parser["sso-session hana"]) == {
        "sso_start_url": "https://my-org.awsapps.com/start",
        "sso_region": "us-east-1",
        "sso_registration_scopes": "sso:account:access",
    }
    assert dict(parser["profile hana-dev"]) == {
        "sso_session": "hana",
        "sso_account_id": "123456789012",
        "sso_role_name": "AdministratorAccess",
        "region": "us-east-1",
    }
    # botocore reads it back as an SSO profile: what `login` and every later command use
    full = botocore.session.Session().full_config
    assert full["profiles"]["hana-dev"]["sso_session"] == "hana"
    assert sso.sso_profile("hana-dev").start_url == "https://my-org.awsapps.com/start"
    assert f"to be appended to {aws_config}:" in result.stderr
    assert "  [profile hana-dev]" in result.stderr
    assert fake_bin.argv("aws")[-1] == ["sso", "login", "--profile", "hana-dev"]
    assert result.stdout.strip().startswith("signed in: account 123456789012")


def test_the_values_are_asked_for_in_a_terminal_and_the_write_is_confirmed(aws_config, fake_bin, tmp_path):
    fake_bin.add("aws", fakes.AWS_V2)
    app = app_signed_in(tmp_path)
    app.interactive = lambda: True
    answers = "https://my-org.awsapps.com/start\nus-east-1\n123456789012\nReadOnly\ny\n"
    result = invoke(["--profile", "hana-dev", "login"], app, answers)
    assert result.exit_code == 0, result.output
    assert "AWS profile 'hana-dev' is not in" in result.stderr
    assert read(aws_config)["profile hana-dev"]["sso_role_name"] == "ReadOnly"


def test_a_no_writes_nothing(aws_config, fake_bin, tmp_path):
    fake_bin.add("aws", fakes.AWS_V2)
    app = app_signed_in(tmp_path)
    app.interactive = lambda: True
    result = invoke(["--profile", "hana-dev", "login", *FLAGS], app, "n\n")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == f"error: not confirmed: {aws_config} is unchanged"
    assert aws_config.read_text() == EXISTING
    assert fake_bin.calls("aws") == []


def test_an_existing_session_of_the_same_portal_is_reused(aws_config, fake_bin, tmp_path):
    fake_bin.add("aws", fakes.AWS_V2)
    aws_config.write_text(
        EXISTING + "\n[sso-session corp]\nsso_start_url = https://my-org.awsapps.com/start\nsso_region = us-east-1\n"
    )
    before = aws_config.read_text()
    result = invoke(["--profile", "hana-prod", "login", *FLAGS, "--yes"], app_signed_in(tmp_path))
    assert result.exit_code == 0, result.output
    assert aws_config.read_text().startswith(before)
    parser = read(aws_config)
    assert parser["profile hana-prod"]["sso_session"] == "corp"
    assert [s for s in parser.sections() if s.startswith("sso-session")] == ["sso-session corp"]


def test_a_new_config_file_is_private(tmp_path, monkeypatch, fake_bin):
    fake_bin.add("aws", fakes.AWS_V2)
    path = tmp_path / "new" / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    result = invoke(["--profile", "hana-dev", "login", *FLAGS, "--yes"], app_signed_in(tmp_path))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [],
            "error: AWS profile 'hana-dev' is not in {config} (profiles there: default, other): to create it, pass "
            "--sso-start-url ... --sso-region ... --account-id ... --role-name ... (and --yes), "
            "or run login in a terminal to be asked",
        ),
        (
            FLAGS[:4],
            "error: AWS profile 'hana-dev' is not in {config} (profiles there: default, other): to create it, pass "
            "--account-id ... --role-name ... (and --yes), or run login in a terminal to be asked",
        ),
        (FLAGS, "error: AWS profile 'hana-dev' is not in {config} (profiles there: default, other): pass --yes"),
        (
            [*FLAGS[:1], "http://my-org.awsapps.com/start", *FLAGS[2:], "--yes"],
            "error: SSO start URL 'http://my-org.awsapps.com/start': expected https://...",
        ),
        ([*FLAGS[:5], "1234", *FLAGS[6:], "--yes"], "error: account id '1234': expected 12 digits"),
        ([*FLAGS[:3], "useast1", *FLAGS[4:], "--yes"], "error: SSO region 'useast1': expected a region"),
    ],
    ids=["nothing-given", "half-given", "no-yes", "http-url", "short-account", "bad-region"],
)
def test_without_a_terminal_bad_or_missing_values_are_one_line_and_nothing_is_written(
    aws_config, fake_bin, tmp_path, args, expected
):
    fake_bin.add("aws", fakes.AWS_V2)
    result = invoke(["--profile", "hana-dev", "login", *args], app_signed_in(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith(expected.format(config=aws_config))
    assert aws_config.read_text() == EXISTING
    assert fake_bin.calls("aws") == []


def test_the_new_profile_options_on_an_existing_profile_are_refused(aws_config, fake_bin, tmp_path):
    fake_bin.add("aws", fakes.AWS_V2)
    result = invoke(["--profile", "other", "login", *FLAGS[:2]], app_signed_in(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --sso-start-url: only for a new profile; other exists in {aws_config}"


def test_new_profile_text_names_a_clashing_session_anew():
    existing = "[sso-session hana]\nsso_start_url = https://elsewhere.awsapps.com/start\nsso_region = eu-west-1\n"
    new = sso.NewProfile(
        "hana-dev", "https://my-org.awsapps.com/start", "us-east-1", "123456789012", "Admin", "us-east-1"
    )
    text, name = sso.new_profile_text(new, existing)
    assert name == "hana-hana-dev"
    assert text.startswith("[sso-session hana-hana-dev]\nsso_start_url = https://my-org.awsapps.com/start\n")
