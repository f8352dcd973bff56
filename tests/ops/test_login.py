"""`login`: the device authorization flow through botocore's Stubber, the token cache botocore
reads back, AWS CLI v2 (and v1, which has no `sso login`) as fake executables, and the profile
errors."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from botocore.tokens import SSOTokenProvider
from botocore.utils import JSONFileCache, SSOTokenLoader
from click.testing import CliRunner

from deploy.aws import login as sso
from deploy.aws.session import Aws
from deploy.commands import cli
from tests.deploy.fakes import FakeSession, FakeSts
from tests.ops import fakes
from tests.ops.conftest import app_for, make_project

CONFIG = """\
[profile hana-dev]
sso_session = hana
sso_account_id = 123456789012
sso_role_name = AdministratorAccess
region = us-east-1

[sso-session hana]
sso_start_url = https://hana.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile keys]
region = us-east-1

[profile dangling]
sso_session = gone

[profile half]
sso_start_url = https://half.awsapps.com/start
"""
URL = "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH"


@pytest.fixture
def aws_config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "aws-config"
    path.write_text(CONFIG)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return path


@pytest.fixture
def oidc(monkeypatch):
    """The sso-oidc client the device flow makes, stubbed (nothing is sent)."""
    made = []

    def make(region):
        client = boto3.Session().client("sso-oidc", region_name=region)
        stub = Stubber(client)
        stub.activate()
        made.append((region, client, stub))
        return client

    monkeypatch.setattr(sso, "make_oidc_client", make)
    return made


def script(stub, scopes=("sso:account:access",), start_url="https://hana.awsapps.com/start", answers=("ok",)):
    register = {"clientName": "hana-deploy", "clientType": "public"}
    if scopes:
        register["scopes"] = list(scopes)
    stub.add_response(
        "register_client",
        {"clientId": "cid", "clientSecret": "csecret", "clientIdIssuedAt": 1, "clientSecretExpiresAt": 1900000000},
        register,
    )
    stub.add_response(
        "start_device_authorization",
        {
            "deviceCode": "device-code",
            "userCode": "ABCD-EFGH",
            "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
            "verificationUriComplete": URL,
            "expiresIn": 600,
            "interval": 1,
        },
        {"clientId": "cid", "clientSecret": "csecret", "startUrl": start_url},
    )
    expected = {
        "grantType": sso.DEVICE_GRANT,
        "deviceCode": "device-code",
        "clientId": "cid",
        "clientSecret": "csecret",
    }
    for answer in answers:
        if answer == "ok":
            stub.add_response(
                "create_token",
                {"accessToken": "the-access-token", "tokenType": "Bearer", "expiresIn": 28800, "refreshToken": "rt"},
                expected,
            )
        else:
            stub.add_client_error(
                "create_token", service_error_code=answer, http_status_code=400, expected_params=expected
            )


def app_signed_in(tmp_path, sleeps=None):
    aws = Aws.__new__(Aws)  # built lazily by the app: the identity after login

    def factory(settings, region):
        Aws.__init__(aws, settings, region, session=FakeSession(sts=FakeSts()))
        return aws

    app = app_for(make_project(tmp_path / "infra", "dev"), None)
    app.aws_factory = factory
    if sleeps is not None:
        app.timing.sleep = sleeps.append
    return app


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def cache_file(home: Path, key: str) -> Path:
    return home / ".aws" / "sso" / "cache" / f"{hashlib.sha1(key.encode()).hexdigest()}.json"  # noqa: S324 - botocore's key


def test_device_flow_caches_a_token_botocore_reads_and_refreshes(aws_config, oidc, fake_bin, tmp_path, monkeypatch):
    sleeps: list[float] = []
    app = app_signed_in(tmp_path, sleeps)

    def stubbed(region):
        client = boto3.Session().client("sso-oidc", region_name=region)
        stub = Stubber(client)
        script(stub, answers=("AuthorizationPendingException", "SlowDownException", "ok"))
        stub.activate()
        oidc.append((region, client, stub))
        return client

    monkeypatch.setattr(sso, "make_oidc_client", stubbed)
    result = invoke(["--profile", "hana-dev", "login"], app)
    assert result.exit_code == 0, result.output
    ((region, _, stub),) = oidc
    assert region == "us-east-1"
    stub.assert_no_pending_responses()
    assert sleeps == [1.0, 6.0]  # the service's interval, +5 s after "slow down"

    assert "AWS CLI v2 is not installed (pip's v1 has no `sso login`): signing in with the device" in result.stderr
    assert f"  open  {URL}" in result.stderr
    assert "  code  ABCD-EFGH" in result.stderr
    assert result.stdout.startswith(
        "signed in: account 123456789012, role AdministratorAccess (SSO), session alice (profile hana-dev); "
        "SSO token valid until "
    )

    home = Path.home()
    path = cache_file(home, "hana")  # sso-session: the sha1 of the session name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = json.loads(path.read_text())
    assert token["startUrl"] == "https://hana.awsapps.com/start"
    assert token["region"] == "us-east-1"
    assert token["accessToken"] == "the-access-token"
    assert token["refreshToken"] == "rt" and token["clientId"] == "cid" and token["clientSecret"] == "csecret"
    assert token["registrationExpiresAt"] == "2030-03-17T17:46:40Z"
    expires = datetime.strptime(token["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(hours=7, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=8)

    # botocore's own SSO token provider, for this profile, finds and accepts it ...
    session = botocore.session.Session(profile="hana-dev")
    provider = SSOTokenProvider(session, cache=JSONFileCache(str(path.parent)), profile_name="hana-dev")
    assert provider.load_token().get_frozen_token().token == "the-access-token"

    # ... and, near its expiry, refreshes it on its own with the registration and refresh token we cached
    path.write_text(
        json.dumps({**token, "expiresAt": (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    )
    refresher = boto3.Session().client("sso-oidc", region_name="us-east-1")
    with Stubber(refresher) as stub:
        stub.add_response(
            "create_token",
            {"accessToken": "refreshed", "tokenType": "Bearer", "expiresIn": 28800, "refreshToken": "rt2"},
            {"grantType": "refresh_token", "clientId": "cid", "clientSecret": "csecret", "refreshToken": "rt"},
        )
        provider = SSOTokenProvider(session, cache=JSONFileCache(str(path.parent)), profile_name="hana-dev")
        provider.__dict__["_client"] = refresher  # botocore's CachedProperty slot for its sso-oidc client
        assert provider.load_token().get_frozen_token().token == "refreshed"


def test_a_legacy_profile_is_keyed_by_its_start_url(aws_config, oidc, fake_bin, tmp_path, monkeypatch):
    def stubbed(region):
        client = boto3.Session().client("sso-oidc", region_name=region)
        stub = Stubber(client)
        script(stub, scopes=(), start_url="https://legacy.awsapps.com/start")
        stub.activate()
        oidc.append((region, client, stub))
        return client

    monkeypatch.setattr(sso, "make_oidc_client", stubbed)
    result = invoke(["--profile", "legacy", "login", "--no-browser"], app_signed_in(tmp_path))
    assert result.exit_code == 0, result.output
    assert oidc[0][0] == "eu-west-1"
    path = cache_file(Path.home(), "https://legacy.awsapps.com/start")
    token = SSOTokenLoader(cache=JSONFileCache(str(path.parent)))("https://legacy.awsapps.com/start")
    assert token["accessToken"] == "the-access-token"
    assert set(token) == {"startUrl", "region", "accessToken", "expiresAt"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ExpiredTokenException", "error: the sign-in code expired before it was approved: run login again"),
        ("AccessDeniedException", "error: the sign-in was denied in the browser: nothing was cached"),
    ],
)
def test_an_expired_or_denied_sign_in_caches_nothing(aws_config, fake_bin, tmp_path, monkeypatch, answer, expected):
    def stubbed(region):
        client = boto3.Session().client("sso-oidc", region_name=region)
        stub = Stubber(client)
        script(stub, answers=(answer,))
        stub.activate()
        return client

    monkeypatch.setattr(sso, "make_oidc_client", stubbed)
    result = invoke(["--profile", "hana-dev", "login"], app_signed_in(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == expected
    assert not (Path.home() / ".aws" / "sso" / "cache").exists()


def test_aws_cli_v2_does_the_login_when_installed(aws_config, oidc, fake_bin, tmp_path):
    fake_bin.add("aws", fakes.AWS_V2)
    result = invoke(["--profile", "hana-dev", "login", "--no-browser"], app_signed_in(tmp_path))
    assert result.exit_code == 0, result.output
    assert fake_bin.argv("aws") == [["--version"], ["sso", "login", "--profile", "hana-dev", "--no-browser"]]
    assert oidc == []  # the built-in flow was not used
    assert result.stdout.strip() == (
        "signed in: account 123456789012, role AdministratorAccess (SSO), session alice (profile hana-dev)"
    )


def test_a_failed_aws_sso_login_is_one_line(aws_config, oidc, fake_bin, tmp_path, monkeypatch):
    fake_bin.add("aws", fakes.AWS_V2)
    monkeypatch.setenv("FAKE_AWS_EXIT", "255")
    result = invoke(["--profile", "hana-dev", "login"], app_signed_in(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == "error: `aws sso login --profile hana-dev` failed (exit 255)"


@pytest.mark.parametrize("cli_version", ["v1", "v2"])
def test_v1_or_device_flow_flag_use_the_built_in_flow(aws_config, fake_bin, tmp_path, monkeypatch, cli_version):
    fake_bin.add("aws", fakes.AWS_V1 if cli_version == "v1" else fakes.AWS_V2)

    def stubbed(region):
        client = boto3.Session().client("sso-oidc", region_name=region)
        stub = Stubber(client)
        script(stub)
        stub.activate()
        return client

    monkeypatch.setattr(sso, "make_oidc_client", stubbed)
    args = ["--profile", "hana-dev", "login", *(["--device-flow"] if cli_version == "v2" else [])]
    result = invoke(args, app_signed_in(tmp_path))
    assert result.exit_code == 0, result.output
    assert [a for a in fake_bin.argv("aws") if a != ["--version"]] == []  # `aws sso login` never ran
    assert cache_file(Path.home(), "hana").exists()


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            "nope",
            "error: AWS profile 'nope' is not in {config} (profiles there: dangling, half, hana-dev, keys, legacy): "
            "to create it, pass --sso-start-url ... --sso-region ... --account-id ... --role-name ... (and --yes), "
            "or run login in a terminal to be asked",
        ),
        (
            "keys",
            "error: profile keys has no SSO settings (sso_session, or sso_start_url and sso_region) in {config}: "
            "login refreshes SSO sessions only; a profile with access keys needs no login",
        ),
        ("dangling", "error: profile dangling uses sso_session gone, but {config} has no [sso-session gone] section"),
        ("half", "error: profile half in {config} has sso_start_url but no sso_region"),
    ],
)
def test_profile_problems_are_one_line_before_anything_is_sent(aws_config, oidc, fake_bin, tmp_path, profile, expected):
    fake_bin.add("aws", fakes.AWS_V2)
    result = invoke(["--profile", profile, "login"], app_signed_in(tmp_path))
    assert result.exit_code == 2
    assert result.output.strip() == expected.format(config=aws_config)
    assert fake_bin.calls("aws") == [] and oidc == []
