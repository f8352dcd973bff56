"""`python -m deploy local`: the emulator in the foreground until Ctrl-C, with optional saved state.

The client side of `--local` (endpoint, dummy credentials, a session that never reads ~/.aws) is
in client.py; this module is the server side only.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .client import ACCESS_KEY_ID, ACCOUNT_ID, DEFAULT_PORT, REGION, SECRET_ACCESS_KEY, URL_VARIABLE


def serve(
    port: int = DEFAULT_PORT,
    state: Path | None = None,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    hosted_zones: dict[str, str] | None = None,
) -> None:
    """Run the emulator until Ctrl-C, SIGTERM (or `stop` is set); with `state`, load it first if
    the file exists and save it on the way out. `hosted_zones` ({zone id: zone name}) are created
    at start unless present: the account the emulator stands for already holds them (a public zone
    comes with the domain, not from our stacks).

    SIGTERM is handled from the start (before the banner says the emulator listens), so a
    supervisor that stops it right away still gets the orderly stop and the state saved."""
    started = time.perf_counter()
    event = stop or threading.Event()
    with _sigterm_sets(event):
        from . import cfn_extensions
        from .server import start
        from .state import load, save

        cfn_extensions.apply()
        loaded = load(state) if state is not None and state.exists() else None  # before anyone can connect
        emulator = start(port=port)
        for zone_id, zone_name in (hosted_zones or {}).items():
            if not emulator.has_hosted_zone(zone_id):
                emulator.add_hosted_zone(zone_name, zone_id)
        try:
            echo(banner(emulator.url, time.perf_counter() - started, state, loaded))
            _wait(event)
            echo("stopping the emulator")
            if state is not None:
                size = save(state)
                echo(f"state saved to {state} ({size / 1e6:.1f} MB)")
        finally:
            emulator.stop()


@contextlib.contextmanager
def _sigterm_sets(event: threading.Event) -> Iterator[None]:
    """SIGTERM sets `event` inside the block (main thread only: Python runs handlers there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(event: threading.Event) -> None:
    """Until `event` is set (the SIGTERM handler sets it: the wait wakes at once) or Ctrl-C."""
    try:
        while not event.is_set():
            event.wait(0.5)
    except KeyboardInterrupt:
        pass


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
