"""`secrets list` and `secrets set`: the seven `hana/<env>/<key>` secrets without ever showing a value.

`list` shows each secret's state, when it last changed and which services read it. The state
needs the value (an API key secret holds the placeholder `{"api_key": ""}` until someone sets
it), so it is read, classified and dropped: only the words set / empty / no value / ... leave
this module. A value never reaches a message, a log line or a command line.

`set` writes the JSON shape the services read (contract in CONTRACTS.md): `{"api_key": ...}` for
the three API keys; `{"token": ...}`, `{"secret": ...}`, and for `rds-master` the stored JSON with
its `password` replaced. It refuses, before anything is sent: an empty value, whitespace or
control characters (a paste gone wrong), a key pasted into the wrong secret (by the providers'
prefixes: `sk-ant-` is Anthropic, any other `sk-` is OpenAI; ElevenLabs keys have neither), and
the generated secrets without `--overwrite-generated`, because their value lives on elsewhere:
RDS and ElastiCache keep the password and the AUTH token they were created with, user sessions
are signed with the JWT secret, TUI clients hold the gateway token.

ECS injects secrets when a task starts, so the services that read a secret
(hana_templates.naming.SERVICE_SECRETS) see a new value only after a restart.

Exported: Kind, KINDS, resolve, validate, payload, readers, SecretRow, list_rows, set_value, SecretInfo, get.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deploy.engine.cfn import error_code
from deploy.errors import BadInput, DeployError
from deploy.ops.context import Ops
from hana_templates.config import EnvConfig

_PROVIDERS = {
    "anthropic": ("an Anthropic key", "sk-ant-", "anthropic-api-key"),
    "openai": ("an OpenAI key", "sk- or sk-proj-", "openai-api-key"),
}


def _provider(value: str) -> str | None:
    if value.startswith("sk-ant-"):
        return "anthropic"
    if value.startswith("sk-"):  # sk-, sk-proj-, sk-svcacct-, sk-admin-
        return "openai"
    return None


@dataclass(frozen=True)
class Kind:
    key: str
    field: str  # the JSON key holding the value
    label: str
    generated: bool = False
    provider: str | None = None  # API keys: the provider whose prefix the value must carry
    min_length: int = 1
    max_length: int = 4096
    forbidden: str = ""  # characters the consumer rejects
    consequence: str = ""  # what overwriting a generated secret does

    def check(self, value: str) -> tuple[str, bool] | None:
        """The problem with `value` for this secret (never quoting it) and whether --force may
        override it (a key without its provider's prefix: the format may have changed), or None."""
        if not self.min_length <= len(value) <= self.max_length:
            return f"{self.label} is {self.min_length}-{self.max_length} characters long (this is {len(value)})", False
        bad = sorted({c for c in value if c in self.forbidden})
        if bad:
            return f"{self.label} must not contain {' '.join(bad)}", False
        if not self.key.endswith("-api-key"):
            return None
        got = _provider(value)
        if got == self.provider:
            return None
        if got is not None:
            what, prefix, home = _PROVIDERS[got]
            return f"this looks like {what} ({prefix}...), not {self.label}: it belongs in {home}", False
        what, prefix, _ = _PROVIDERS[self.provider]  # type: ignore[index]
        return (
            f"{self.label.removeprefix('an ')}s start with {prefix}, this value does not (--force if the format changed)",
            True,
        )


def _kinds() -> dict[str, Kind]:
    from hana_templates import naming
    from hana_templates.secrets import RDS_EXCLUDED_CHARACTERS

    kinds = [
        Kind("anthropic-api-key", "api_key", "an Anthropic API key", provider="anthropic", min_length=20),
        Kind("openai-api-key", "api_key", "an OpenAI API key", provider="openai", min_length=20),
        Kind("elevenlabs-api-key", "api_key", "an ElevenLabs API key", min_length=20),
        Kind(
            naming.RDS_MASTER_SECRET,
            "password",
            "the PostgreSQL master password",
            generated=True,
            min_length=8,
            max_length=128,
            forbidden=RDS_EXCLUDED_CHARACTERS,
            consequence="it changes the secret, not the database: set the same password on the RDS instance "
            "(aws rds modify-db-instance --master-user-password) or every task fails to connect",
        ),
        Kind(
            naming.REDIS_AUTH_SECRET,
            "token",
            "the Redis AUTH token",
            generated=True,
            min_length=16,
            max_length=128,
            forbidden='@"/',
            consequence="it changes the secret, not Redis: rotate the token on the replication group too "
            "(modify-replication-group --auth-token-update-strategy ROTATE) or every task fails to connect",
        ),
        Kind(
            naming.JWT_SECRET,
            "secret",
            "the JWT signing secret",
            generated=True,
            min_length=32,
            consequence="every user session signed with the old secret stops working once api and ws restart",
        ),
        Kind(
            naming.GATEWAY_TOKEN_SECRET,
            "token",
            "the gateway token",
            generated=True,
            min_length=32,
            consequence="every HANA TUI client must be given the new token",
        ),
    ]
    assert [k.key for k in kinds] == list(naming.SECRET_KEYS), "a secret key without a Kind"
    return {k.key: k for k in kinds}


KINDS: Callable[[], dict[str, Kind]] = _kinds  # built on use: naming imports troposphere


def resolve(cfg: EnvConfig, name: str) -> Kind:
    """`anthropic-api-key`, `hana/dev/anthropic-api-key` or `anthropic` -> its Kind; BadInput otherwise."""
    from hana_templates import naming

    kinds = KINDS()
    key = name.strip()
    prefix = naming.secret_name(cfg, "")
    if key.startswith(prefix):
        key = key[len(prefix) :]
    elif key.count("/") == 2:
        raise BadInput(f"secret {name!r} is not one of {cfg.name}'s (they are named {prefix}<key>)")
    if key not in kinds and f"{key}-api-key" in kinds:
        key = f"{key}-api-key"
    if key not in kinds:
        raise BadInput(f"unknown secret {name!r}; the secrets are: {', '.join(kinds)}")
    return kinds[key]


def validate(kind: Kind, value: str, *, force: bool = False, overwrite_generated: bool = False) -> None:
    """BadInput for an obviously wrong value; nothing has been sent when this raises."""
    nothing = "nothing was written"
    if value == "":
        raise BadInput(f"the value is empty: {nothing}")
    if any(c.isspace() for c in value):
        raise BadInput(f"the value contains whitespace (a space or line break from the paste?): {nothing}")
    if not value.isprintable() or not value.isascii():
        raise BadInput(f"the value contains control or non-ASCII characters (terminal paste codes?): {nothing}")
    if kind.generated and not overwrite_generated:
        raise BadInput(
            f"{kind.key} is generated by the secrets stack and used elsewhere ({kind.consequence}); "
            f"overwriting it needs --overwrite-generated: {nothing}"
        )
    problem = kind.check(value)
    if problem is not None and not (force and problem[1]):
        raise BadInput(f"{problem[0]}: {nothing}")


def payload(kind: Kind, value: str, current: str | None) -> str:
    """The SecretString to write: `{field: value}`, or for rds-master the stored JSON with `password` replaced."""
    from hana_templates import naming

    if kind.key == naming.RDS_MASTER_SECRET:
        try:
            stored = json.loads(current or "")
        except ValueError:
            stored = None
        if not isinstance(stored, dict) or "username" not in stored:
            raise DeployError(f"{kind.key} does not hold the JSON with a username that the database stack wrote")
        return json.dumps({**stored, kind.field: value})
    return json.dumps({kind.field: value})


def readers(key: str) -> list[str]:
    """The services whose tasks get this secret injected (hana_templates.naming.SERVICE_SECRETS)."""
    from hana_templates.naming import SERVICE_SECRETS

    return [svc for svc, keys in SERVICE_SECRETS.items() if key in keys]


# --- list ---------------------------------------------------------------------------------------


@dataclass
class SecretRow:
    key: str
    name: str
    state: str  # set, empty, no value, missing, not JSON, no <field>, unknown (...)
    changed: datetime | None
    readers: list[str]
    generated: bool
    managed: bool = True  # False: under hana/<env>/ but not one of ours

    @property
    def needs_value(self) -> bool:
        return self.managed and not self.generated and self.state in ("empty", "no value")


def list_rows(ops: Ops) -> list[SecretRow]:
    from hana_templates import naming

    sm = ops.client("secretsmanager")
    prefix = naming.secret_name(ops.cfg, "")
    found: dict[str, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"Filters": [{"Key": "name", "Values": [prefix]}], "MaxResults": 100}
    while True:
        page = sm.list_secrets(**kwargs)
        for meta in page.get("SecretList") or []:
            if meta.get("Name", "").startswith(prefix):
                found[meta["Name"]] = meta
        token = page.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    rows = []
    for key, kind in KINDS().items():
        name = naming.secret_name(ops.cfg, key)
        meta = found.pop(name, None)
        state = "missing" if meta is None else _state(sm, name, kind)
        changed = None if meta is None else (meta.get("LastChangedDate") or meta.get("CreatedDate"))
        rows.append(SecretRow(key, name, state, changed, readers(key), kind.generated))
    for name, meta in sorted(found.items()):
        rows.append(
            SecretRow(
                name[len(prefix) :],
                name,
                "not read (not managed by hana-infra)",
                meta.get("LastChangedDate") or meta.get("CreatedDate"),
                [],
                False,
                managed=False,
            )
        )
    return rows


def _state(sm: Any, name: str, kind: Kind) -> str:
    """What the stored value is, in words; the value itself goes no further than this function."""
    from botocore.exceptions import ClientError

    try:
        text = sm.get_secret_value(SecretId=name).get("SecretString")
    except ClientError as err:
        code = error_code(err)
        if code == "ResourceNotFoundException":
            return "no value"
        if code in ("AccessDeniedException", "AccessDenied"):
            return "unknown (no read access)"
        if code == "DecryptionFailure":
            return "unknown (cannot decrypt: KMS)"
        raise
    if text is None:
        return "not JSON"
    try:
        data = json.loads(text)
    except ValueError:
        return "not JSON"
    if not isinstance(data, dict):
        return "not JSON"
    if kind.field not in data:
        return f"no {kind.field}"
    return "set" if str(data[kind.field]).strip() else "empty"


# --- set ----------------------------------------------------------------------------------------


def set_value(ops: Ops, kind: Kind, value: str) -> str:
    """Write the value (as its JSON shape) as the secret's new current version; returns the secret name."""
    from botocore.exceptions import ClientError

    from hana_templates import naming

    sm = ops.client("secretsmanager")
    name = naming.secret_name(ops.cfg, kind.key)
    current = None
    try:
        if kind.key == naming.RDS_MASTER_SECRET:
            current = sm.get_secret_value(SecretId=name).get("SecretString")
        else:
            sm.describe_secret(SecretId=name)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            raise DeployError(
                f"secret {name} does not exist in {ops.region}: deploy the secrets stack first "
                f"(`{ops.command} stack secrets`)"
            ) from None
        raise
    sm.put_secret_value(SecretId=name, SecretString=payload(kind, value, current))
    return name


# --- get ----------------------------------------------------------------------------------------


@dataclass
class SecretInfo:
    """What `secrets get` shows: metadata and which JSON keys hold something, never a value."""

    key: str
    name: str
    arn: str
    description: str
    created: datetime | None
    changed: datetime | None
    accessed: datetime | None
    kms_key: str
    rotation: bool
    readers: list[str]
    state: str  # set, empty, no value, not JSON, no <field>
    keys: dict[str, str]  # JSON key -> set / empty (the values are dropped)

    def as_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "key": self.key,
            "name": self.name,
            "arn": self.arn,
            "description": self.description,
            "created": when(self.created),
            "changed": when(self.changed),
            "accessed": when(self.accessed),
            "kms_key": self.kms_key,
            "rotation": self.rotation,
            "readers": self.readers,
            "state": self.state,
            "keys": self.keys,
        }


def get(ops: Ops, kind: Kind, reveal: bool = False) -> tuple[SecretInfo, str | None]:
    """The secret's metadata and the state of each JSON key; the SecretString itself only with
    `reveal` (the caller prints it to stdout and nowhere else)."""
    from botocore.exceptions import ClientError

    from hana_templates import naming

    sm = ops.client("secretsmanager")
    name = naming.secret_name(ops.cfg, kind.key)
    try:
        meta = sm.describe_secret(SecretId=name)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            raise DeployError(
                f"secret {name} does not exist in {ops.region}: deploy the secrets stack first "
                f"(`{ops.command} stack secrets`)"
            ) from None
        raise
    text: str | None = None
    try:
        with _no_wire_logs():
            text = sm.get_secret_value(SecretId=name).get("SecretString")
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
    keys: dict[str, str] = {}
    state = "no value"
    if text is not None:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            keys = {k: ("set" if str(v).strip() else "empty") for k, v in data.items()}
            state = keys.get(kind.field, f"no {kind.field}")
        else:
            state = "not JSON"
    info = SecretInfo(
        key=kind.key,
        name=name,
        arn=meta.get("ARN", ""),
        description=meta.get("Description", ""),
        created=meta.get("CreatedDate"),
        changed=meta.get("LastChangedDate"),
        accessed=meta.get("LastAccessedDate"),
        kms_key=meta.get("KmsKeyId", "") or "aws/secretsmanager",
        rotation=bool(meta.get("RotationEnabled")),
        readers=readers(kind.key),
        state=state,
        keys=keys,
    )
    return info, (text if reveal else None)


@contextlib.contextmanager
def _no_wire_logs() -> Iterator[None]:
    """No log record while a value is in flight: botocore logs response bodies at DEBUG, and a
    user's `--debug` (or a logging set-up of their own) must not copy a secret into a log."""
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)
