"""`health`: GET the load balancer's `/health` and report the status and the latency.

The URL is the compute stack's `ServiceUrl` output (`https://<domain>` with a domain, otherwise
`http://<ALB DNS name>`), falling back to `http://<AlbDnsName>`, plus `/health`: the path the ALB
routes to the api service (compute.ROUTES). The compute stack is `hana-<env>-compute`, or the
`Compute` child of the nested deployment `hana-<env>`. Nothing else is ever called: redirects are reported,
not followed, and proxies from the environment are not used. Against the local emulator the
load balancer is a name without a server behind it, so only a loopback URL is called there.

Exported: Probe, health_url, probe, summary.
"""

from __future__ import annotations

import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from deploy.engine.cfn import outputs_of
from deploy.errors import BadInput, DeployError
from deploy.ops.context import Ops

PATH = "/health"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_BODY_PREVIEW = 200


@dataclass(frozen=True)
class Probe:
    url: str
    status: int | None  # None: no HTTP answer (refused, timeout, DNS)
    reason: str
    seconds: float
    body: str = ""

    @property
    def healthy(self) -> bool:
        return self.status == 200

    def line(self) -> str:
        took = f"{self.seconds * 1000:.0f} ms"
        if self.status is None:
            return f"GET {self.url}: no answer after {took} ({self.reason})"
        body = f"  {self.body}" if self.body else ""
        return f"GET {self.url}: {self.status} {self.reason} in {took}{body}"


def health_url(ops: Ops, compute_stack: str, main_stack: str, local: bool) -> str:
    """`<ServiceUrl>/health` from the compute stack's outputs: the separate stack `compute_stack`,
    or the `Compute` child of the nested deployment `main_stack`."""
    name, outputs = _compute_outputs(ops, compute_stack, main_stack)
    base = outputs.get("ServiceUrl") or (f"http://{outputs['AlbDnsName']}" if outputs.get("AlbDnsName") else None)
    if not base:
        raise DeployError(f"{name} has no ServiceUrl or AlbDnsName output: redeploy it")
    url = base.rstrip("/") + PATH
    if urlparse(url).scheme not in ("http", "https"):
        raise DeployError(f"{name}'s ServiceUrl {base!r} is not an http(s) URL")
    host = urlparse(url).hostname or ""
    if local and host not in _LOOPBACK:
        raise BadInput(
            f"the emulator's load balancer {host} serves no traffic: `health` calls only the URL in "
            f"{name}'s outputs, so run it against AWS"
        )
    return url


def _compute_outputs(ops: Ops, compute_stack: str, main_stack: str) -> tuple[str, dict[str, str]]:
    from botocore.exceptions import ClientError

    from hana_templates.main import logical_id

    cfn = ops.client("cloudformation")

    def describe(name: str) -> dict[str, Any] | None:
        try:
            stacks = cfn.describe_stacks(StackName=name)["Stacks"]
        except ClientError as err:
            if "does not exist" in str(err):
                return None
            raise
        return stacks[0] if stacks else None

    stack = describe(compute_stack)
    if stack is None:
        try:
            child = cfn.describe_stack_resource(StackName=main_stack, LogicalResourceId=logical_id("compute"))
        except ClientError as err:
            if "does not exist" not in str(err):
                raise
        else:
            stack = describe(child["StackResourceDetail"]["PhysicalResourceId"])
    if stack is None:
        raise DeployError(
            f"{compute_stack} is not deployed, so there is no load balancer to call: `{ops.command} stack compute`"
        )
    return stack["StackName"], outputs_of(stack)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # report a 3xx as it is: we call the URL from the outputs and nothing else


def probe(url: str, timeout: float = 10.0, clock: Callable[[], float] = time.perf_counter) -> Probe:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "hana-deploy-health"})  # noqa: S310 - http(s) only
    start = clock()
    try:
        with opener.open(request, timeout=timeout) as reply:
            body = reply.read(4096)
            return Probe(url, reply.status, reply.reason, clock() - start, _preview(body))
    except urllib.error.HTTPError as err:
        body = err.read(4096) if err.fp is not None else b""
        return Probe(url, err.code, err.reason, clock() - start, _preview(body))
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return Probe(url, None, " ".join(str(reason).split()) or type(err).__name__, clock() - start)


def _preview(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= _BODY_PREVIEW else text[: _BODY_PREVIEW - 1] + "…"


def summary(probes: list[Probe]) -> str:
    ok = sum(p.healthy for p in probes)
    ms = sorted(p.seconds * 1000 for p in probes)
    return (
        f"{ok}/{len(probes)} healthy; latency min {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, "
        f"max {ms[-1]:.0f} ms"
    )
