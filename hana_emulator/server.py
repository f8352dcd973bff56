"""The emulator process part: moto's threaded server on loopback, with our extensions applied.

    with emulator.start() as emu:            # port 0: the OS picks a free port
        cfn = emu.client("cloudformation")
        ...
        emu.reset()                          # forget every resource, keep the server

moto is imported here, lazily, so `import hana_emulator` stays cheap for the CLI. The constants
and the client side (dummy credentials, `client_env`, `session`) live in client.py.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from .client import ACCOUNT_ID, LOOPBACK, REGION, EmulatorError, client_env

POLL_INTERVAL = 0.1  # seconds: how soon serve_forever notices stop()


class Emulator:
    """A running emulator. `url` is its endpoint; `stop()` (or leaving the `with`) ends it."""

    def __init__(self, server: Any, thread: threading.Thread, started_in: float):
        self._server = server
        self._thread = thread
        self.host, self.port = server.server_address[:2]
        self.started_in = started_in  # seconds, for the figures in the README
        self._session: Any = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def account_id(self) -> str:
        return ACCOUNT_ID

    @property
    def region(self) -> str:
        return REGION

    @property
    def running(self) -> bool:
        return self._server is not None

    def env(self) -> dict[str, str]:
        """See `client_env`."""
        return client_env(self.url)

    def session(self) -> Any:
        """A boto3 session with the dummy credentials (no profile, no config file read); one per
        emulator, so its clients share botocore's loaded service models."""
        if self._session is None:
            from .client import session

            self._session = session(REGION)
        return self._session

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for `service` bound to this emulator."""
        return self.session().client(service, endpoint_url=self.url, **kwargs)

    def reset(self) -> None:
        """Forget every stack and resource in every service (the server keeps running)."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()

    def add_hosted_zone(self, name: str, zone_id: str | None = None) -> str:
        """Create a public Route 53 hosted zone, with a chosen id if given (an environment whose
        config names an existing zone, such as prod, needs it before its stacks can deploy).
        Returns the zone id."""
        from moto.route53.models import route53_backends

        backend = route53_backends[ACCOUNT_ID]["aws"]
        zone = backend.create_hosted_zone(name, private_zone=False)
        current = zone.id.replace("/hostedzone/", "")
        if zone_id and zone_id != current:
            backend.zones[zone_id] = backend.zones.pop(current)
            zone.resource_id = zone_id
            current = zone_id
        return current

    def has_hosted_zone(self, zone_id: str) -> bool:
        from moto.route53.models import route53_backends

        return zone_id in route53_backends[ACCOUNT_ID]["aws"].zones

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Emulator {self.url}{'' if self.running else ' (stopped)'}>"


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise EmulatorError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def start(host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> Emulator:
    """Start the emulator in this process (a daemon thread) and return once it listens.

    Only loopback addresses are accepted: the emulator has no authentication, and its
    CloudFormation runs whatever template it is given. `port=0` picks a free port (`.port`).
    `quiet` silences the per-request log lines of the HTTP server.
    """
    if host not in LOOPBACK:
        raise EmulatorError(f"the emulator listens on loopback only (127.0.0.1, localhost, ::1), not {host!r}")
    t0 = time.perf_counter()
    from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from . import cfn_extensions, unsupported

    cfn_extensions.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING if quiet else logging.INFO)
    logging.getLogger("moto").setLevel(logging.ERROR)
    app = unsupported.dispatcher(create_backend_app)  # a service moto lacks: an AWS-style error, no traceback
    if port:
        _check_free(host, port)
    try:
        # Bind here, in the caller's thread, so a taken port is an error and not a hang.
        server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit) as err:  # werkzeug exits on "address in use"
        raise EmulatorError(f"cannot listen on {host}:{port}: {getattr(err, 'strerror', None) or 'in use'}") from None
    # serve_forever checks for shutdown() every poll_interval (0.5 s by default): 0.1 s makes a stop
    # (SIGTERM, Ctrl-C, the end of a test) take ~0.1 s instead of ~0.5 s; idle cost: 10 wake-ups a second.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL},
        name=f"emulator:{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return Emulator(server, thread, time.perf_counter() - t0)
