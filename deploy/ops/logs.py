"""`logs`: a service's CloudWatch logs, like `aws logs tail`, one colour per log stream.

The log group is `/ecs/hana-<env>/<service>` (naming.service_log_group, the group the compute
stack creates and the awslogs driver writes to). Each line is `time stream message`; the stream
is shown without its `<service>/<service>/` prefix (the awslogs prefix and the container name,
both the service here), which leaves the task id. Events come from FilterLogEvents; each page is
printed as it arrives (sorted by time within the page), so a long `--since` shows lines at once
instead of collecting every page first.

`--follow` polls until Ctrl-C (which ends it normally). Each poll re-reads a trailing window
(`LATE_WINDOW_MS` before the newest event seen, never before `--since`): CloudWatch orders events
by their own timestamps, and another task's line can be ingested after newer ones were read (the
awslogs driver sends in batches), so restarting at the newest timestamp would skip it for good.
Event ids already printed are remembered while they are inside the window, at most `MAX_SEEN`
of them, so nothing prints twice and memory stays bounded: when the cap forgets the oldest ids,
later polls start after them (a busy window shrinks rather than printing lines twice). A line
ingested later than the window is missed, as with any poller.

Exported: parse_since, log_group, Tail, COLORS, LATE_WINDOW_MS, MAX_SEEN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.engine.cfn import error_code
from deploy.errors import BadInput, DeployError
from deploy.ops.context import Ops

COLORS = ("cyan", "green", "yellow", "magenta", "blue", "bright_cyan", "bright_green", "bright_magenta", "red")
FOLLOW_INTERVAL_S = 2.0
# How far behind the newest event a poll looks again for late-ingested lines, and how many printed
# event ids `--follow` remembers (ids older than the window are forgotten sooner).
LATE_WINDOW_MS = 2 * 60 * 1000
MAX_SEEN = 20_000
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
        self.start_ms = int(start.timestamp() * 1000)
        self.newest_ms = self.start_ms  # the newest event timestamp printed so far
        self.pattern = pattern
        self.out = out
        self.color = color
        self._seen: dict[str, int] = {}  # event id -> timestamp, printed ids still inside the window (insertion order)
        self._after_forgotten_ms = self.start_ms  # past the newest id dropped by the MAX_SEEN cap
        self._colors: dict[str, str] = {}

    def once(self) -> int:
        """One pass: print every event not printed yet, page by page as FilterLogEvents returns
        them, from the trailing window (the first pass: from `start`). Returns how many were printed."""
        printed = 0
        for page in self._pages(self._window_start()):
            for e in sorted(page, key=lambda e: (e["timestamp"], e.get("ingestionTime", 0))):
                if e["eventId"] in self._seen:
                    continue
                self._seen[e["eventId"]] = e["timestamp"]
                self.newest_ms = max(self.newest_ms, e["timestamp"])
                self.out(self.format(e))
                printed += 1
        self._forget()
        return printed

    def _window_start(self) -> int:
        return max(self.start_ms, self.newest_ms - LATE_WINDOW_MS, self._after_forgotten_ms)

    def _forget(self) -> None:
        """Drop the ids the next pass cannot return (older than its window), then the oldest
        beyond MAX_SEEN."""
        floor = self._window_start()
        for event_id in [i for i, ts in self._seen.items() if ts < floor]:
            del self._seen[event_id]
        while len(self._seen) > MAX_SEEN:
            oldest = next(iter(self._seen))
            # never look below a forgotten id again: it would print twice
            self._after_forgotten_ms = max(self._after_forgotten_ms, self._seen.pop(oldest) + 1)

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

    def _pages(self, start_ms: int) -> Iterator[list[dict[str, Any]]]:
        """FilterLogEvents from `start_ms`, one list of events per page, as each page arrives."""
        from botocore.exceptions import ClientError

        client = self.ops.client("logs")
        kwargs: dict[str, Any] = {"logGroupName": self.group, "startTime": start_ms, "interleaved": True}
        if self.pattern:
            kwargs["filterPattern"] = self.pattern
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
            yield page.get("events") or []
            token = page.get("nextToken")
            if not token or token == kwargs.get("nextToken"):
                break
            kwargs["nextToken"] = token

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
