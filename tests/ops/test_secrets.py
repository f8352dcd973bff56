"""`secrets list` and `secrets set` against moto's Secrets Manager (and ECS for the restart offer):
states without values, the JSON shapes the services read, the readers from naming.SERVICE_SECRETS,
the generated secrets' guard."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from deploy.commands import cli
from deploy.ops import secrets as ops_secrets
from hana_templates import naming
from hana_templates.naming import SERVICE_SECRETS
from tests.ops.conftest import app_for, aws_on, deploy_stacks, make_project, session

ANTHROPIC = "sk-ant-api03-" + "A1b2" * 20
OPENAI = "sk-proj-" + "x9Y8" * 12


def create_secrets(url: str, env: str = "dev") -> None:
    """The seven secrets as the secrets stack leaves them (moto's CloudFormation skips secrets)."""
    sm = session().client("secretsmanager", endpoint_url=url)
    for key in naming.API_KEY_SECRETS:
        sm.create_secret(Name=f"hana/{env}/{key}", SecretString=json.dumps({"api_key": ""}))
    sm.create_secret(
        Name=f"hana/{env}/rds-master",
        SecretString=json.dumps({"username": "hana_admin", "password": "p" * 32, "host": "db", "port": 5432}),
    )
    sm.create_secret(Name=f"hana/{env}/redis-auth", SecretString=json.dumps({"token": "t" * 64}))
    sm.create_secret(Name=f"hana/{env}/jwt-secret", SecretString=json.dumps({"secret": "s" * 64}))
    sm.create_secret(Name=f"hana/{env}/gateway-token", SecretString=json.dumps({"token": "g" * 64}))


def stored(url: str, name: str) -> dict:
    return json.loads(
        session().client("secretsmanager", endpoint_url=url).get_secret_value(SecretId=name)["SecretString"]
    )


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, "dev")


@pytest.fixture
def app(moto, project):
    create_secrets(moto)
    return app_for(project, aws_on(moto))


def invoke(args, app, input=None):  # noqa: A002
    return CliRunner().invoke(cli, args, obj=app, input=input)


def test_list_shows_states_and_readers_never_values(app, moto, caplog):
    caplog.set_level(logging.INFO)  # what --debug shows
    sm = session().client("secretsmanager", endpoint_url=moto)
    sm.put_secret_value(SecretId="hana/dev/openai-api-key", SecretString=json.dumps({"api_key": OPENAI}))
    sm.create_secret(Name="hana/dev/someone-elses")

    result = invoke(["secrets", "list"], app)
    assert result.exit_code == 0, result.output
    rows = {
        cells[0].strip("` "): [c.strip() for c in cells[1:]]
        for cells in (line.strip("|").split("|") for line in result.stdout.splitlines()[2:])
        if len(cells) == 4
    }
    assert {k: v[0] for k, v in rows.items()} == {
        "hana/dev/anthropic-api-key": "empty",
        "hana/dev/openai-api-key": "set",
        "hana/dev/elevenlabs-api-key": "empty",
        "hana/dev/rds-master": "set (generated)",
        "hana/dev/redis-auth": "set (generated)",
        "hana/dev/jwt-secret": "set (generated)",
        "hana/dev/gateway-token": "set (generated)",
        "hana/dev/someone-elses": "not read (not managed by hana-infra)",
    }
    for key, readers in ((k, [s for s, keys in SERVICE_SECRETS.items() if k in keys]) for k in naming.SECRET_KEYS):
        assert rows[f"hana/dev/{key}"][2] == ", ".join(readers)
    assert rows["hana/dev/anthropic-api-key"][1].endswith(" UTC")
    for value in (OPENAI, "p" * 32, "t" * 64, "s" * 64, "g" * 64, "hana_admin"):
        assert value not in result.output and value not in caplog.text
    assert (
        "anthropic-api-key (required) has no value yet: `python -m deploy --env dev secrets set anthropic-api-key`"
        in (result.stdout)
    )


def test_list_says_missing_secrets_are_missing(moto, project):
    result = invoke(["secrets", "list"], app_for(project, aws_on(moto)))
    assert result.exit_code == 0
    assert result.stdout.count("| missing ") == 7


def test_set_from_stdin_writes_the_api_key_shape_and_says_who_reads_it(app, moto):
    result = invoke(["secrets", "set", "anthropic"], app, input=ANTHROPIC + "\n")
    assert result.exit_code == 0, result.output
    assert stored(moto, "hana/dev/anthropic-api-key") == {"api_key": ANTHROPIC}
    assert ANTHROPIC not in result.output
    assert (
        result.stdout.splitlines()[0] == 'hana/dev/anthropic-api-key: new value stored as {"api_key": ...} (not shown)'
    )
    # compute is not deployed here: the readers are named, nothing is restarted
    assert "api, workers read it when their tasks start (the ECS cluster hana-dev does not exist" in result.stdout


def test_set_through_the_hidden_prompt_then_restart_the_readers_that_run(moto, project):
    create_secrets(moto)
    deploy_stacks(moto, project, counts={"api": 1, "ws": 1, "workers": 0})
    app = app_for(project, aws_on(moto), interactive=True)
    ecs = session().client("ecs", endpoint_url=moto)
    first = ecs.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]["deployments"][0]["id"]

    result = invoke(["secrets", "set", "openai-api-key"], app, input=f"{OPENAI}\ny\n")
    assert result.exit_code == 0, result.output
    assert stored(moto, "hana/dev/openai-api-key") == {"api_key": OPENAI}
    assert OPENAI not in result.output
    assert "Restart api now so they read the new value? [Y/n]" in result.output  # workers has 0 tasks
    assert result.stdout.strip().splitlines()[-1] == "restarted api: they run with the new value"
    after = ecs.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]["deployments"][0]["id"]
    assert after != first


def test_no_restart_prints_the_command(moto, project):
    create_secrets(moto)
    deploy_stacks(moto, project, counts={"api": 1, "ws": 1, "workers": 1})
    app = app_for(project, aws_on(moto))
    result = invoke(["secrets", "set", "elevenlabs-api-key", "--no-restart"], app, input="sk_" + "0f" * 24)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "api, workers keep the old value until restarted: `python -m deploy --env dev restart api workers`"
    )


def test_overwriting_rds_master_keeps_the_rest_of_its_json(app, moto):
    result = invoke(
        ["secrets", "set", "rds-master", "--overwrite-generated", "--no-restart"], app, input="N3w-Passw0rd-For-The-DB"
    )
    assert result.exit_code == 0, result.output
    assert stored(moto, "hana/dev/rds-master") == {
        "username": "hana_admin",
        "password": "N3w-Passw0rd-For-The-DB",
        "host": "db",
        "port": 5432,
    }
    assert "warning: rds-master: it changes the secret, not the database" in result.stderr


def test_force_accepts_a_new_key_format_but_never_another_providers_key(app, moto):
    odd = "ant-" + "k" * 40
    assert invoke(["secrets", "set", "anthropic-api-key"], app, input=odd).exit_code == 2
    assert invoke(["secrets", "set", "anthropic-api-key", "--force", "--no-restart"], app, input=odd).exit_code == 0
    assert stored(moto, "hana/dev/anthropic-api-key") == {"api_key": odd}
    assert invoke(["secrets", "set", "anthropic-api-key", "--force"], app, input=OPENAI).exit_code == 2


def test_setting_a_secret_that_is_not_deployed_says_to_deploy_secrets(moto, project):
    result = invoke(["secrets", "set", "anthropic-api-key"], app_for(project, aws_on(moto)), input=ANTHROPIC)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: secret hana/dev/anthropic-api-key does not exist in us-east-1: deploy the secrets stack first "
        "(`python -m deploy --env dev stack secrets`)"
    )


def test_every_secret_has_a_kind_and_readers_match_the_iam_grants():
    kinds = ops_secrets.KINDS()
    assert list(kinds) == list(naming.SECRET_KEYS)
    for key in naming.SECRET_KEYS:
        assert ops_secrets.readers(key) == [svc for svc, keys in SERVICE_SECRETS.items() if key in keys]
        assert ops_secrets.readers(key), f"nobody reads {key}"
    assert [k for k, kind in kinds.items() if kind.generated] == [
        naming.RDS_MASTER_SECRET,
        naming.REDIS_AUTH_SECRET,
        naming.JWT_SECRET,
        naming.GATEWAY_TOKEN_SECRET,
    ]


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("anthropic-api-key", ANTHROPIC, True),
        ("openai-api-key", OPENAI, True),
        ("openai-api-key", "sk-" + "a" * 40, True),
        ("openai-api-key", "sk-svcacct-" + "a" * 40, True),
        ("elevenlabs-api-key", "sk_" + "0f" * 24, True),  # ElevenLabs: sk_ with an underscore, or plain hex
        ("elevenlabs-api-key", "0f" * 16, True),
        ("elevenlabs-api-key", ANTHROPIC, False),
        ("elevenlabs-api-key", OPENAI, False),
        ("anthropic-api-key", OPENAI, False),
        ("openai-api-key", ANTHROPIC, False),
    ],
)
def test_key_prefixes(key, value, ok):
    problem = ops_secrets.KINDS()[key].check(value)
    assert (problem is None) is ok, problem
