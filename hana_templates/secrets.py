"""secrets: the seven Secrets Manager secrets `hana/<env>/<key>` and the KMS key encrypting them.

- `anthropic-api-key`, `openai-api-key`, `elevenlabs-api-key`: third-party API keys, JSON
  `{"api_key": ...}` as the spec's `put-secret-value` commands write. The template creates them
  with the placeholder `{"api_key": ""}`; an empty `api_key` tells the app the key is not set yet.
- `rds-master`: `{"username": <config>, "password": <generated>}`; the database stack's
  SecretTargetAttachment adds host, port, engine and dbname. The password excludes what RDS
  rejects in a master password (`/`, `@`, `"`, space) and the quote and backslash that break
  connection strings and shells (`'`, `\\`).
- `redis-auth`: `{"token": <generated>}`, the ElastiCache AUTH token: 64 letters and digits
  (ElastiCache accepts 16-128 printable characters without `@`, `"`, `/`).
- `jwt-secret`: `{"secret": <generated>}`, signs user sessions and socket.io handshakes; api and
  ws share it, so a session issued by one is accepted by the other.
- `gateway-token`: `{"token": <generated>}`, the token HANA TUI clients (OPENCLAW_GATEWAY_URL)
  present to the gateway.

A redeploy never overwrites a value a person (or a rotation) has set: CloudFormation writes a
secret's value only when its `SecretString` or `GenerateSecretString` property changes. Both
are therefore constants of the template: literal JSON and generation rules, never a Ref, Sub,
parameter, timestamp or anything else that could differ between two generations. Changing one
of them regenerates or resets the live value (for `rds-master` that breaks the database's
password), so tests pin that they stay constant.

No automatic rotation (checkov's CloudFormation rules do not ask for it; the decision per secret):
the three API keys are issued by third parties, so a rotation Lambda has nothing to call: a
person replaces them with put-secret-value. `rds-master` needs the RDS rotation Lambda in the VPC
next to the database, which belongs with the database stack (a follow-up there). `redis-auth`
rotates in two steps (modify-replication-group ROTATE, then SET once every task has restarted
with the new token): an operator procedure. Rotating `jwt-secret` signs every user out unless
the app accepts the previous secret for a grace period, and `gateway-token` is configured by
hand in every TUI client: both are rotated deliberately, not on a timer.

Secrets and the key are retained when the stack is deleted or a secret replaced. The key may be
used by principals of this account only through Secrets Manager.

Consumes: nothing. Outputs: each secret's ARN, the key's ARN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import Ref, Template, secretsmanager

from . import naming
from .config import EnvConfig
from .constructs import key_arn, kms_key, retain
from .spec import Stack, StackSpec

SPEC = StackSpec(
    name="secrets",
    description="Secrets Manager secrets (API keys, database and Redis credentials, JWT and gateway tokens)",
    outputs=(
        "AnthropicApiKeySecretArn",
        "OpenaiApiKeySecretArn",
        "ElevenlabsApiKeySecretArn",
        "RdsMasterSecretArn",
        "RedisAuthSecretArn",
        "JwtSecretArn",
        "GatewayTokenSecretArn",
        "SecretsKmsKeyArn",
    ),
)

# What RDS rejects in a master password (/ @ " and space), plus ' and \ (quoting trouble).
RDS_EXCLUDED_CHARACTERS = "/@\" '\\"


@dataclass(frozen=True)
class _Secret:
    key: str  # naming.SECRET_KEYS
    logical_id: str  # the output is `<logical_id>Arn`
    description: str
    secret_string: str | None = None
    generate: dict | None = None  # GenerateSecretString properties


def _generated(field: str, length: int) -> dict:
    """`{"<field>": <length random letters and digits>}`: safe in URLs, headers and env files."""
    return dict(SecretStringTemplate="{}", GenerateStringKey=field, PasswordLength=length, ExcludePunctuation=True)


def _secrets(cfg: EnvConfig) -> tuple[_Secret, ...]:
    api_key_placeholder = json.dumps({"api_key": ""})
    return (
        _Secret(
            "anthropic-api-key",
            "AnthropicApiKeySecret",
            'Anthropic API key, JSON {"api_key": ...}; required (set with put-secret-value)',
            secret_string=api_key_placeholder,
        ),
        _Secret(
            "openai-api-key",
            "OpenaiApiKeySecret",
            'OpenAI API key, JSON {"api_key": ...}; optional (set with put-secret-value)',
            secret_string=api_key_placeholder,
        ),
        _Secret(
            "elevenlabs-api-key",
            "ElevenlabsApiKeySecret",
            'ElevenLabs API key (voice), JSON {"api_key": ...}; optional (set with put-secret-value)',
            secret_string=api_key_placeholder,
        ),
        _Secret(
            "rds-master",
            "RdsMasterSecret",
            "PostgreSQL master credentials, JSON {username, password, host, port, engine, dbname}",
            generate=dict(
                SecretStringTemplate=json.dumps({"username": cfg.database.master_username}),
                GenerateStringKey="password",
                PasswordLength=32,
                ExcludeCharacters=RDS_EXCLUDED_CHARACTERS,
                RequireEachIncludedType=True,
            ),
        ),
        _Secret(
            "redis-auth",
            "RedisAuthSecret",
            'ElastiCache Redis AUTH token, JSON {"token": ...}',
            generate=_generated("token", 64),
        ),
        _Secret(
            "jwt-secret",
            "JwtSecret",
            'JWT signing secret for user sessions and socket.io handshakes (api and ws), JSON {"secret": ...}',
            generate=_generated("secret", 64),
        ),
        _Secret(
            "gateway-token",
            "GatewayTokenSecret",
            'Token HANA TUI clients (OPENCLAW_GATEWAY_URL) present to the gateway, JSON {"token": ...}',
            generate=_generated("token", 64),
        ),
    )


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    key, alias = kms_key(cfg, SPEC.name, "SecretsKey", "secrets", via_service="secretsmanager")
    stack.add(key)
    stack.add(alias)

    for d in _secrets(cfg):
        secret = stack.add(_secret(cfg, d, key))
        stack.output(f"{d.logical_id}Arn", Ref(secret), f"ARN of {naming.secret_name(cfg, d.key)}")
    stack.output("SecretsKmsKeyArn", key_arn(key), "KMS key encrypting the secrets")
    return stack.template()


def _secret(cfg: EnvConfig, d: _Secret, key) -> secretsmanager.Secret:
    props: dict = {}
    if d.secret_string is not None:
        props["SecretString"] = d.secret_string
    else:
        props["GenerateSecretString"] = secretsmanager.GenerateSecretString(**d.generate)
    return retain(
        secretsmanager.Secret(
            d.logical_id,
            Name=naming.secret_name(cfg, d.key),
            Description=d.description,
            KmsKeyId=key_arn(key),
            Tags=naming.tags(cfg, SPEC.name),
            **props,
        )
    )
