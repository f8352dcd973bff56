"""The engine's vocabulary: stack statuses, Outcome/Result/Request, Timing, Pacer, Change/Preview,
AWS error helpers and the throttling-aware Api wrapper. One stack's operation is in stackops.py.

Exported: Outcome, Result, Request, Timing, Pacer, Cancelled, Unreachable, CredentialsExpired, Change,
Preview, Api, outputs_of, error_code, error_text, is_aws_error, MAX_INLINE_BODY_BYTES, and the status
sets (DONE_OK, USABLE, ...).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from deploy.errors import DeployError

THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
}
# TemplateBody is limited to 51,200 bytes; bigger templates go through S3 as TemplateURL (up to 1 MB):
# CloudFormation quotas, "Template body size in a request: 51,200 bytes".
MAX_INLINE_BODY_BYTES = 51_200
NO_CHANGES = ("didn't contain changes", "No updates are to be performed", "No changes to deploy")
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# The stack's resources are in place: dependents may start (cleanup of replaced resources goes on).
DONE_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "IMPORT_COMPLETE"}
# Settled enough to stop waiting (the outcome is known; a rollback's cleanup may still run).
SETTLED_EARLY = {"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"}
FAILED_CREATE = {"ROLLBACK_COMPLETE", "CREATE_FAILED", "ROLLBACK_FAILED"}
USABLE = DONE_OK | {
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "IMPORT_ROLLBACK_COMPLETE",
}


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    ABSENT = "not deployed"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"

    @property
    def ok(self) -> bool:
        return self in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.DELETED, Outcome.ABSENT)


@dataclass
class Result:
    key: str
    name: str
    outcome: Outcome
    elapsed: float = 0.0
    message: str = ""  # why it failed or was skipped
    outputs: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # CloudFormation's last word on the stack
    notes: list[str] = field(default_factory=list)  # things the user should know (recreated, protection, ...)


@dataclass
class Request:
    """Everything needed to deploy one stack; built by plan.py from the project."""

    key: str  # registry name, `network`
    name: str  # stack name, `hana-dev-network`
    body: str
    parameters: dict[str, str]  # explicit values: upstream outputs and --parameter overrides
    defaults: dict[str, str | None]  # the template's parameters and their defaults
    keep_live: tuple[str, ...] = ()  # deploy-time parameters that keep their live value on update
    tags: list[dict[str, str]] = field(default_factory=list)
    termination_protection: bool = False
    template_url: str | None = None  # used instead of the body for create/update (big templates)
    continue_rollback: bool = False
    command: str = "python -m deploy"  # for hints: how the user runs us
    # `all --adopt`: existing resources the stack is created from first (IMPORT change set, adopt.py)
    imports: tuple[dict[str, Any], ...] = ()
    import_body: str = ""


@dataclass
class Timing:
    """How often a wait polls (watch.py explains the policy, docs/deployer.md states the figures).

    Against AWS: 2 s after something happened, x1.5 per quiet poll up to 5 s, up to 10 s once
    nothing happened for 4 min (RDS, ECS rollouts), each delay +-20 % (jitter); DescribeStacks
    only on a stack-level event or every 6th poll. `Timing.local()` is for the emulator on this
    machine: no quota to share there, and its operations finish in well under a second."""

    poll_min: float = 2.0
    poll_max: float = 5.0
    backoff: float = 1.5
    poll_long: float = 10.0  # the cap once nothing happened for `long_after` seconds
    long_after: float = 240.0
    jitter: float = 0.2  # each delay x uniform(1 - jitter, 1 + jitter)
    status_every: int = 6  # DescribeStacks at least every Nth poll, whatever the events say
    timeout: float = 2 * 3600.0  # per wait; RDS and CloudFront can take long, but not this long
    throttle_attempts: int = 6
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] | None = None  # tests: record instead of sleeping

    @classmethod
    def local(cls) -> Timing:
        """The emulator on loopback: short polls, no jitter (nothing else polls it, no quota)."""
        return cls(poll_min=0.2, poll_max=1.0, poll_long=1.0, jitter=0.0, status_every=1)

    def delays(self) -> Any:
        """The poll delays when nothing happens: poll_min, x backoff, ... capped at poll_max
        (before jitter, and before `poll_long` takes over in a long quiet wait)."""
        delay = self.poll_min
        while True:
            yield delay
            delay = min(self.poll_max, delay * self.backoff)


class Cancelled(Exception):
    """The user pressed Ctrl-C: stop waiting."""


class Unreachable(DeployError):
    """The endpoint stopped answering mid-run: the whole run stops (every other call would fail the
    same way, each after its retries), naming what is still changing in AWS."""


class CredentialsExpired(Unreachable):
    """The credentials stopped working mid-run (an expired SSO token or role session): like a lost
    endpoint, every other call would fail the same way, so the run stops, naming what is still
    changing in AWS and how to sign in again. CloudFormation carries on without us."""


class Pacer:
    """Sleeps between polls (cancel-aware) with backoff that resets when something happened, the
    longer cap after a long quiet spell, and jitter."""

    def __init__(self, timing: Timing, cancel: threading.Event):
        self.timing = timing
        self.cancel = cancel
        self._delays = timing.delays()
        self._quiet_since = timing.clock()
        self._last = timing.poll_min

    def reset(self) -> None:
        self._delays = self.timing.delays()
        self._quiet_since = self.timing.clock()

    def wait(self, changed: bool = False) -> None:
        t = self.timing
        if changed:
            self.reset()
        delay = next(self._delays)
        if t.clock() - self._quiet_since >= t.long_after and t.poll_long > delay:
            delay = self._last = min(t.poll_long, max(delay, self._last * t.backoff))
        else:
            self._last = delay
        if t.jitter:
            delay *= 1 - t.jitter + 2 * t.jitter * random.random()  # noqa: S311 - spreading polls, not crypto
        self.pause(delay)

    def pause(self, seconds: float) -> None:
        if self.timing.sleep is not None:
            self.timing.sleep(seconds)
            if self.cancel.is_set():
                raise Cancelled
        elif self.cancel.wait(seconds):
            raise Cancelled


@dataclass(frozen=True)
class Change:
    action: str  # Add, Modify, Remove, Import, Dynamic
    logical_id: str
    type: str
    replacement: str | None = None  # True, False, Conditional (Modify only)
    properties: tuple[str, ...] = ()  # changed property names (Modify)

    @property
    def rank(self) -> int:
        """Most dangerous first: replacements, removals, conditional replacements, modifications, additions."""
        if self.action == "Modify" and self.replacement == "True":
            return 0
        if self.action == "Remove":
            return 1
        if self.action == "Modify" and self.replacement == "Conditional":
            return 2
        return {"Modify": 3, "Import": 4, "Dynamic": 4, "Add": 5}.get(self.action, 6)


@dataclass
class Preview:
    key: str
    name: str
    state: str  # new, changes, unchanged, blocked
    changes: list[Change] = field(default_factory=list)
    message: str = ""


def error_code(err: BaseException) -> str:
    response = getattr(err, "response", None) or {}
    return response.get("Error", {}).get("Code", "")


def error_text(err: BaseException) -> str:
    """`ValidationError: Template format error: ...` for a ClientError, the message otherwise."""
    response = getattr(err, "response", None)
    if response:
        e = response.get("Error", {})
        return f"{e.get('Code', '?')}: {e.get('Message', '')}".strip()
    text = " ".join(str(err).split())
    if type(err).__name__ == "ResponseParserError":  # an HTML error page instead of AWS's XML
        status = "HTTP 500 Internal Server Error" if "500 Internal Server Error" in text else "no AWS answer"
        return f"the endpoint sent an unreadable answer ({status}); a local emulator may not implement this call"
    return text[:300]


def outputs_of(stack: dict[str, Any] | None) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in (stack or {}).get("Outputs") or []}


class Api:
    """A boto3 client whose calls are retried on throttling (jittered exponential backoff,
    cancel-aware), on top of botocore's own retries."""

    def __init__(self, client: Any, pacer: Pacer, attempts: int):
        self.client = client
        self.pacer = pacer
        self.attempts = max(1, attempts)

    def __call__(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        for attempt in range(self.attempts):
            try:
                return getattr(self.client, operation)(**kwargs)
            except ClientError as err:
                if error_code(err) not in THROTTLING or attempt == self.attempts - 1:
                    raise
                self.pacer.pause(min(20.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))  # noqa: S311
        raise AssertionError("unreachable")


def is_aws_error(err: BaseException) -> bool:
    """A failed AWS call: an error answer, a transport problem, or an answer botocore cannot parse
    (an emulator's HTTP 500 page)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    return isinstance(err, ClientError | BotoCoreError | ResponseParserError)
