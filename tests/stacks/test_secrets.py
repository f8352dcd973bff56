"""secrets: the seven secrets in the shapes the app reads, generated safely, never overwritten, retained."""

import json
from pathlib import Path

import pytest
import yaml

from hana_templates import config, registry
from tests.tmpl import props, resources, template

# The spec's five plus the platform's two, as `hana/<env>/<key>`.
KEYS = (
    "anthropic-api-key",
    "openai-api-key",
    "elevenlabs-api-key",
    "rds-master",
    "redis-auth",
    "jwt-secret",
    "gateway-token",
)
API_KEYS = KEYS[:3]
# key -> the JSON field the generated value goes into.
GENERATED = {"rds-master": "password", "redis-auth": "token", "jwt-secret": "secret", "gateway-token": "token"}
KEY_ARN = {"Fn::GetAtt": ["SecretsKey", "Arn"]}
OUT = Path(__file__).resolve().parents[2] / "out"


def _secrets(env) -> dict[str, dict]:
    """key -> secret resource."""
    prefix = f"hana/{env}/"
    found = {}
    for secret in resources(template(env, "secrets"), "AWS::SecretsManager::Secret").values():
        name = props(secret)["Name"]
        assert name.startswith(prefix), name
        found[name.removeprefix(prefix)] = secret
    return found


def _generate(env, key) -> dict:
    return props(_secrets(env)[key])["GenerateSecretString"]


def test_seven_secrets_named_as_the_spec(env):
    assert sorted(_secrets(env)) == sorted(KEYS)


@pytest.mark.parametrize("key", API_KEYS)
def test_api_keys_start_as_an_empty_placeholder_in_the_put_secret_value_shape(env, key):
    p = props(_secrets(env)[key])
    assert json.loads(p["SecretString"]) == {"api_key": ""}
    assert "GenerateSecretString" not in p


@pytest.mark.parametrize("key", GENERATED)
def test_generated_secrets_have_their_json_shape(env, key):
    gen = _generate(env, key)
    assert "SecretString" not in props(_secrets(env)[key])
    assert gen["GenerateStringKey"] == GENERATED[key]
    template_fields = json.loads(gen["SecretStringTemplate"])
    if key == "rds-master":
        assert template_fields == {"username": config.get(env).database.master_username}
    else:
        assert template_fields == {}


def test_rds_password_avoids_characters_rds_rejects(env):
    gen = _generate(env, "rds-master")
    # RDS rejects / @ " and space in a master password; ' and \ break connection strings and shells.
    assert set("/@\" '\\") <= set(gen["ExcludeCharacters"])
    assert gen.get("IncludeSpace", False) is False
    assert 16 <= gen["PasswordLength"] <= 128


def test_redis_token_is_a_valid_elasticache_auth_token(env):
    gen = _generate(env, "redis-auth")
    # ElastiCache AUTH: 16-128 printable characters, none of @ " /.
    assert 16 <= gen["PasswordLength"] <= 128
    assert gen.get("ExcludePunctuation") is True or set('@"/') <= set(gen.get("ExcludeCharacters", ""))
    assert gen.get("IncludeSpace", False) is False


@pytest.mark.parametrize("key", ("jwt-secret", "gateway-token"))
def test_tokens_are_long_and_safe_in_headers_and_urls(env, key):
    gen = _generate(env, key)
    assert gen["PasswordLength"] >= 32
    assert gen.get("ExcludePunctuation") is True


def _value_properties(tmpl: dict) -> dict:
    """key -> the properties CloudFormation writes the secret's value from."""
    out = {}
    for secret in resources(tmpl, "AWS::SecretsManager::Secret").values():
        p = props(secret)
        out[p["Name"]] = {k: p[k] for k in ("SecretString", "GenerateSecretString") if k in p}
    return out


def _intrinsics(value) -> list[str]:
    if isinstance(value, dict):
        found = [k for k in value if k == "Ref" or k.startswith("Fn::")]
        return found + [i for v in value.values() for i in _intrinsics(v)]
    if isinstance(value, list):
        return [i for v in value for i in _intrinsics(v)]
    return []


def test_value_properties_are_constants_so_a_redeploy_never_overwrites_a_value(env, monkeypatch):
    """CloudFormation rewrites a secret's value only when SecretString/GenerateSecretString
    change: they must not depend on anything that differs between two generations (the process
    environment, the clock, the machine), so two builds and the committed template agree."""
    cfg = config.get(env)
    first = _value_properties(registry.BUILDERS["secrets"](cfg).to_dict())
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("HANA_ENV", "other")
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    second = _value_properties(registry.BUILDERS["secrets"](cfg).to_dict())
    committed = _value_properties(yaml.safe_load((OUT / env / "secrets.yaml").read_text()))
    assert first == second == committed
    assert len(first) == len(KEYS)
    for name, value in first.items():
        assert _intrinsics(value) == [], f"{name}: its value properties use {_intrinsics(value)}"
        assert len(value) == 1, f"{name}: exactly one of SecretString / GenerateSecretString"


def test_every_secret_is_encrypted_with_the_stack_key_through_secrets_manager_only(env):
    tmpl = template(env, "secrets")
    for key, secret in _secrets(env).items():
        assert props(secret)["KmsKeyId"] == KEY_ARN, key
    key = tmpl["Resources"]["SecretsKey"]
    assert props(key)["EnableKeyRotation"] is True
    via = [s for s in props(key)["KeyPolicy"]["Statement"] if "StringEquals" in s.get("Condition", {})]
    assert [s["Condition"]["StringEquals"]["kms:ViaService"] for s in via] == [
        {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
    ]
    assert tmpl["Outputs"]["SecretsKmsKeyArn"]["Value"] == KEY_ARN


def test_every_output_is_the_arn_of_its_secret(env):
    tmpl = template(env, "secrets")
    ids = {
        props(s)["Name"].split("/")[-1]: logical_id
        for logical_id, s in resources(tmpl, "AWS::SecretsManager::Secret").items()
    }
    expected = {
        "anthropic-api-key": "AnthropicApiKeySecretArn",
        "openai-api-key": "OpenaiApiKeySecretArn",
        "elevenlabs-api-key": "ElevenlabsApiKeySecretArn",
        "rds-master": "RdsMasterSecretArn",
        "redis-auth": "RedisAuthSecretArn",
        "jwt-secret": "JwtSecretArn",
        "gateway-token": "GatewayTokenSecretArn",
    }
    for key, output in expected.items():
        assert tmpl["Outputs"][output]["Value"] == {"Ref": ids[key]}, output  # Ref of a secret is its ARN


def test_every_secret_and_the_key_are_retained(env):
    tmpl = template(env, "secrets")
    for rtype in ("AWS::SecretsManager::Secret", "AWS::KMS::Key"):
        for logical_id, res in resources(tmpl, rtype).items():
            assert (res["DeletionPolicy"], res["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), logical_id
