"""The client side of the emulator: what a deploy command needs to talk to it, and nothing of moto.

`--local` on a deploy command points it at the emulator: the endpoint (`$HANA_EMULATOR_URL`,
default http://127.0.0.1:4566), the dummy credentials, and no AWS config or credentials file, no
profile, no session token. Nothing in this mode can sign a request real AWS would accept, and
nothing is sent anywhere but the loopback address.

Importing this module is cheap (no moto, no boto3 at import): the deployer imports it lazily.

Exported: ACCOUNT_ID, REGION, DEFAULT_PORT, ACCESS_KEY_ID, SECRET_ACCESS_KEY, LOOPBACK,
URL_VARIABLE, LOCAL_ENV_UNSET, EmulatorError, client_env, url, activate, session, wait_until_up.
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import urlparse

# What moto answers for every request: sts get-caller-identity gives this account.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
DEFAULT_PORT = 4566
# Dummy credentials. moto accepts anything; real AWS rejects these, which is the point.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class EmulatorError(Exception):
    """The emulator cannot start (port taken, non-loopback address)."""


def client_env(url: str, region: str = REGION) -> dict[str, str]:
    """Environment variables that point every AWS SDK at the emulator and nowhere else.

    The dummy keys win over any profile, SSO session or instance role, and the config and
    credentials files are neutralised, so nothing in this mode can reach or sign for real AWS.
    Apply with `os.environ.update(...)` after removing `LOCAL_ENV_UNSET`.
    """
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


# Variables that would otherwise pick a profile, a session or another endpoint.
LOCAL_ENV_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")


URL_VARIABLE = "HANA_EMULATOR_URL"


def url() -> str:
    """The emulator `--local` talks to; only a loopback URL is accepted."""
    value = os.environ.get(URL_VARIABLE) or f"http://127.0.0.1:{DEFAULT_PORT}"
    parsed = urlparse(value)
    if parsed.scheme != "http" or parsed.hostname not in LOOPBACK or not parsed.port:
        raise EmulatorError(f"{URL_VARIABLE}={value!r}: the emulator is http://127.0.0.1:<port> (loopback only)")
    return value.rstrip("/")


def activate(endpoint: str) -> None:
    """Point this process (and anything it starts) at the emulator and at nothing else."""
    for name in LOCAL_ENV_UNSET:
        os.environ.pop(name, None)
    os.environ.update(client_env(endpoint))


def session(region: str = REGION) -> Any:
    """A boto3 session with the dummy credentials that never reads ~/.aws or AWS_PROFILE."""
    import boto3
    import botocore.session
    from botocore.configprovider import ConstantProvider

    core = botocore.session.Session()
    providers = core.get_component("config_store")
    for name, value in (("config_file", os.devnull), ("credentials_file", os.devnull), ("profile", None)):
        providers.set_config_provider(name, ConstantProvider(value))
    return boto3.Session(
        botocore_session=core,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=region,
    )


def wait_until_up(endpoint: str, timeout: float = 15.0) -> None:
    """Block until an emulator answers at `endpoint` (used by `make demo`)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310 - loopback http
                return
        except OSError:
            if time.monotonic() > deadline:
                raise EmulatorError(f"no emulator answered at {endpoint} within {timeout:.0f} s") from None
            time.sleep(0.1)
