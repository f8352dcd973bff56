"""Local mode: `python -m deploy local` (the emulator in the foreground) and what `--local` sets.

`--local` on a deploy command points it at the emulator: the endpoint (`$HANA_EMULATOR_URL`,
default http://127.0.0.1:4566), the dummy credentials, and no AWS config or credentials file, no
profile, no session token. Nothing in this mode can sign a request real AWS would accept, and
nothing is sent anywhere but the loopback address.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .server import (
    ACCESS_KEY_ID,
    ACCOUNT_ID,
    DEFAULT_PORT,
    LOCAL_ENV_UNSET,
    LOOPBACK,
    REGION,
    SECRET_ACCESS_KEY,
    EmulatorError,
    client_env,
)

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


def serve(
    port: int = DEFAULT_PORT,
    state: Path | None = None,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Run the emulator until Ctrl-C (or `stop` is set); with `state`, load it first if the file
    exists and save it on the way out."""
    started = time.perf_counter()
    from . import cfn_extensions, start
    from .state import load, save

    cfn_extensions.apply()
    loaded = load(state) if state is not None and state.exists() else None  # before anyone can connect
    emulator = start(port=port)
    try:
        echo(banner(emulator.url, time.perf_counter() - started, state, loaded))
        _wait(stop)
        echo("stopping the emulator")
        if state is not None:
            size = save(state)
            echo(f"state saved to {state} ({size / 1e6:.1f} MB)")
    finally:
        emulator.stop()


def _wait(stop: threading.Event | None) -> None:
    event = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, lambda *_: event.set())
    try:
        while not event.is_set():
            event.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)


def banner(endpoint: str, started_in: float, state: Path | None, loaded: int | None) -> str:
    default = endpoint == f"http://127.0.0.1:{DEFAULT_PORT}"
    prefix = "" if default else f"{URL_VARIABLE}={endpoint} "
    lines = [
        f"AWS emulator listening on {endpoint} (started in {started_in:.1f} s)",
        f"  account {ACCOUNT_ID}, region {REGION}, credentials {ACCESS_KEY_ID}/{SECRET_ACCESS_KEY}; loopback only",
    ]
    if state is not None:
        lines.append(f"  state: {state} ({loaded} stacks loaded)" if loaded is not None else f"  state: {state} (new)")
    else:
        lines.append("  state: in memory, gone when it stops (--state FILE keeps it)")
    lines += [
        "In another terminal:",
        f"  {prefix}python -m deploy all --local          deploy every stack of dev",
        f"  {prefix}python -m deploy status --local       stacks and endpoints",
        f"  {prefix}python -m deploy delete --local --yes",
        f"  aws --endpoint-url {endpoint} cloudformation describe-stacks   (any AWS tool, dummy credentials)",
        "Ctrl-C stops it.",
    ]
    return "\n".join(lines)


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
