"""`logs`: a service's CloudWatch logs, like `aws logs tail`, one colour per log stream.

The log group is `/ecs/hana-<env>/<service>` (naming.service_log_group, the group the compute
stack creates and the awslogs driver writes to). Each line is `time stream message`; the stream
is shown without its `<service>/<service>/` prefix (the awslogs prefix and the container name,
both the service here), which leaves the task id. Events come from FilterLogEvents, interleaved
by time; `--follow` polls from the newest timestamp seen, remembering the event ids already
printed at that timestamp so nothing prints twice, until Ctrl-C (which ends it normally).

Exported: parse_since, log_group, Tail, COLORS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.engine.cfn import error_code
from deploy.errors import BadInput, DeployError
from deploy.ops.context import Ops

COLORS = ("cyan", "green", "yellow", "magenta", "blue", "bright_cyan", "bright_green", "bright_magenta", "red")
FOLLOW_INTERVAL_S = 2.0
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SINCE = re.compile(r"^(\d+)\s*([smhdw])$")


def parse_since(text: str, now: datetime) -> datetime:
    """`10m`, `1h`, `2d`, `1w`, `45s`, or an ISO time (`2026-03-01T12:00`, UTC unless it says otherwise)."""
    value = text.strip()
    match = _SINCE.match(value.lower())
    if match:
        try:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        except OverflowError:  # beyond what a date can hold (e.g. 99999999999999d)
            raise BadInput(f"--since {text[:40]!r} reaches back before year 1; e.g. 10m, 1h, 2d, 1w") from None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"--since {text!r}: expected a duration such as 10m, 1h, 2d, or a time like 2026-03-01T12:00"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def log_group(ops: Ops, service: str) -> str:
    from hana_templates import naming

    return naming.service_log_group(ops.cfg, service)


class Tail:
    """Prints the events of one log group from `start`; `once()` for one pass, `follow()` to keep going."""

    def __init__(
        self,
        ops: Ops,
        service: str,
        start: datetime,
        pattern: str | None,
        out: Callable[[str], None],
        color: bool,
    ):
        self.ops = ops
        self.service = service
        self.group = log_group(ops, service)
        self.since_ms = int(start.timestamp() * 1000)
        self.pattern = pattern
        self.out = out
        self.color = color
        self._seen_at_since: set[str] = set()  # event ids already printed at timestamp `since_ms`
        self._colors: dict[str, str] = {}

    def once(self) -> int:
        """Print the events newer than the last pass; returns how many were printed."""
        events = self._fetch()
        printed = 0
        for e in events:
            if e["timestamp"] == self.since_ms and e["eventId"] in self._seen_at_since:
                continue
            if e["timestamp"] > self.since_ms:
                self.since_ms = e["timestamp"]
                self._seen_at_since = set()
            self._seen_at_since.add(e["eventId"])
            self.out(self.format(e))
            printed += 1
        return printed

    def follow(self, interval: float = FOLLOW_INTERVAL_S, polls: int | None = None) -> int:
        """Print events as they arrive until Ctrl-C (or `polls` passes); returns how many were printed."""
        printed = 0
        passes = 0
        try:
            while True:
                printed += self.once()
                passes += 1
                if polls is not None and passes >= polls:
                    break
                self.ops.sleep(interval)
        except KeyboardInterrupt:
            pass
        return printed

    def _fetch(self) -> list[dict[str, Any]]:
        from botocore.exceptions import ClientError

        client = self.ops.client("logs")
        kwargs: dict[str, Any] = {"logGroupName": self.group, "startTime": self.since_ms, "interleaved": True}
        if self.pattern:
            kwargs["filterPattern"] = self.pattern
        events: list[dict[str, Any]] = []
        while True:
            try:
                page = client.filter_log_events(**kwargs)
            except ClientError as err:
                if error_code(err) == "ResourceNotFoundException":
                    raise DeployError(
                        f"log group {self.group} does not exist in {self.ops.region}: deploy the compute stack "
                        f"first (`{self.ops.command} stack compute`)"
                    ) from None
                if error_code(err) == "InvalidParameterException" and self.pattern:
                    raise BadInput(f"--filter {self.pattern!r}: CloudWatch rejected the filter pattern") from None
                raise
            events += page.get("events") or []
            token = page.get("nextToken")
            if not token or token == kwargs.get("nextToken"):
                break
            kwargs["nextToken"] = token
        events.sort(key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)))
        return events

    def stream_label(self, stream: str) -> str:
        prefix = f"{self.service}/{self.service}/"
        return stream[len(prefix) :] if stream.startswith(prefix) else stream

    def format(self, event: dict[str, Any]) -> str:
        import click

        when = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        stream = event.get("logStreamName", "")
        label = self.stream_label(stream)
        if self.color:
            color = self._colors.setdefault(stream, COLORS[len(self._colors) % len(COLORS)])
            label = click.style(label, fg=color)
            stamp = click.style(stamp, dim=True)
        return f"{stamp} {label} {event.get('message', '').rstrip()}"
