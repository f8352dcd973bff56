"""Credentials and the preflight: each problem is one line that says what to run; the account
an environment pins is the only one it deploys to; we say where we are before changing anything."""

from __future__ import annotations

import dataclasses

import pytest

from deploy.aws.session import Aws, Identity, Settings
from deploy.errors import DeployError
from hana_templates import config
from tests.deploy.conftest import moto_aws
from tests.deploy.fakes import FakeSession, FakeSts, client_error


def test_an_unknown_profile_says_how_to_set_it_up():
    with pytest.raises(DeployError, match=r"AWS profile 'nope' is not in your AWS config.*login --profile nope`"):
        Aws(Settings(profile="nope"), "us-east-1").identity()


def test_a_missing_or_expired_sso_token_says_to_log_in(tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    cfg.write_text(
        "[profile hana-dev]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = AdministratorAccess\n"
        "region = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    with pytest.raises(DeployError) as caught:
        Aws(Settings(profile="hana-dev"), "us-east-1").identity()
    assert str(caught.value) == (
        "the SSO session of profile hana-dev is missing or expired: run `python -m deploy login --profile hana-dev`"
    )


def test_no_credentials_at_all_says_to_choose_a_profile():
    with pytest.raises(DeployError, match=r"^no AWS credentials: pass --profile NAME \(or set AWS_PROFILE\)"):
        Aws(Settings(), "us-east-1").identity()


def test_rejected_credentials_say_to_log_in_again():
    class Expired(FakeSts):
        def get_caller_identity(self):
            raise client_error("ExpiredToken", "The security token included in the request is expired")

    aws = Aws(Settings(profile="hana-dev"), "us-east-1", session=FakeSession(sts=Expired()))
    with pytest.raises(DeployError, match=r"rejected the credentials of profile hana-dev \(ExpiredToken\)"):
        aws.identity()


def test_an_environment_pinned_to_an_account_refuses_any_other():
    cfg = dataclasses.replace(config.get("prod"), account_id="222222222222")
    aws = Aws(Settings(profile="hana-dev"), "us-east-1", session=FakeSession(sts=FakeSts("111111111111")))
    with pytest.raises(DeployError) as caught:
        aws.preflight(cfg)
    message = str(caught.value)
    assert "profile hana-dev signed in to account 111111111111" in message
    assert "environment prod lives in account 222222222222: refusing to deploy there" in message


def test_the_pinned_account_passes(env):
    cfg = dataclasses.replace(config.get(env), account_id="111111111111")
    aws = Aws(Settings(), "us-east-1", session=FakeSession(sts=FakeSts("111111111111")))
    assert aws.preflight(cfg).account == "111111111111"


def test_the_preflight_line_names_account_role_profile_and_region():
    aws = Aws(Settings(profile="hana-dev"), "us-east-1", session=FakeSession(sts=FakeSts()))
    assert aws.describe(config.get("dev")) == (
        "environment dev: account 123456789012, role AdministratorAccess (SSO), session alice "
        "(profile hana-dev), us-east-1"
    )


@pytest.mark.parametrize(
    ("arn", "principal"),
    [
        ("arn:aws:sts::1:assumed-role/AWSReservedSSO_PowerUser_abcdef0123/bob", "role PowerUser (SSO), session bob"),
        ("arn:aws:sts::1:assumed-role/deployer/ci-run-7", "role deployer, session ci-run-7"),
        ("arn:aws:iam::1:user/ops/carol", "user carol"),
        ("arn:aws:iam::1:root", "root"),
    ],
)
def test_principals_read_naturally(arn, principal):
    assert Identity("1", arn).principal == principal


def test_a_local_endpoint_works_without_any_credentials(moto):
    aws = Aws(Settings(endpoint_url=moto), "us-east-1")
    assert aws.identity().account == "123456789012"
    assert f"via {moto}" in aws.describe(config.get("dev"))


def test_clients_share_region_endpoint_and_retry_policy(moto):
    aws = moto_aws(moto)
    client = aws.client("cloudformation")
    assert client is aws.client("cloudformation")
    assert client.meta.endpoint_url == moto
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.retries["mode"] == "standard"
