"""An AWS-style answer for the services moto does not emulate (the Price List API, `pricing`, ...).

moto's dispatcher finds no backend for such a request and fails inside itself: the client gets an
HTML "500 Internal Server Error" page (and retries it), and the emulator's terminal a traceback
per request (`cost --refresh --local` printed three). Here the request is answered the way an AWS
service answers an operation it does not offer: HTTP 501 with the error code `NotImplemented`
(the code and status Amazon S3 documents for "functionality that is not implemented", Amazon S3
API Reference, Error responses: List of error codes), in the request's protocol (a JSON body with
`__type` for X-Amz-Target calls, the query protocol's XML `ErrorResponse` otherwise), so botocore
raises a ClientError that names the service and the operation. botocore does not retry a 501
(its transient statuses are 500, 502, 503 and 504).

Exported: dispatcher(create_backend_app) -> the WSGI application used by server.start().
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

CODE = "NotImplemented"
STATUS = "501 Not Implemented"


def service_of(environ: dict[str, Any]) -> str:
    """The service a SigV4-signed request is for: the `<service>` of its credential scope
    (`Credential=AKID/20261205/us-east-1/pricing/aws4_request`), else its host's first label."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if m := re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request", auth):
        return m.group(1)
    return environ.get("HTTP_HOST", "").split(".")[0] or "unknown"


def operation_of(environ: dict[str, Any], body: bytes) -> str:
    """`GetProducts` from `X-Amz-Target: AWSPriceListService.GetProducts`, or the query's Action."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(body.decode("utf-8", "replace")).get("Action") or parse_qs(environ.get("QUERY_STRING", "")).get(
        "Action"
    )
    return action[0] if action else "the request"


def not_implemented(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI answer: 501 NotImplemented, saying which service and operation the emulator lacks."""
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    body = environ["wsgi.input"].read(size) if size else b""
    service, operation = service_of(environ), operation_of(environ, body)
    message = (
        f"the local emulator does not implement the {service} API ({operation}): moto has no {service} "
        "backend; this call works against AWS"
    )
    if environ.get("HTTP_X_AMZ_TARGET") or "json" in environ.get("CONTENT_TYPE", ""):
        payload = json.dumps({"__type": CODE, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", CODE)]
    else:
        payload = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{CODE}</Code><Message>{message}</Message></Error>"
            "<RequestId>hana-emulator</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    start_response(STATUS, [*headers, ("Content-Length", str(len(payload)))])
    return [payload]


UNSUPPORTED = "hana_unsupported"  # the "backend" of a request moto has none for


def dispatcher(create_backend_app: Callable[[str], Any]) -> Any:
    """moto's DomainDispatcherApplication, answering `not_implemented` where moto finds no backend
    for the request's host (moto would print a warning, then fail creating an app for None)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class Dispatcher(DomainDispatcherApplication):
        def get_backend_for_host(self, host: str | None) -> Any:
            if host and "amazonaws.com" in host:
                for backend, pattern in self.backend_url_patterns:
                    if pattern.match(f"http://{host}"):
                        return backend
                return UNSUPPORTED
            return super().get_backend_for_host(host)

    def create_app(backend: Any) -> Any:
        return not_implemented if backend == UNSUPPORTED else create_backend_app(backend)

    return Dispatcher(create_app)
