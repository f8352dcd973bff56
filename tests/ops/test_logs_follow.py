"""`logs --follow` with a fake CloudWatch Logs client (issue #18 item 9): a line another task's
log driver delivers late (older than lines already printed) still appears, exactly once; pages
print as they arrive; the remembered event ids stay bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from deploy.ops import logs as tail_logs
from deploy.ops.logs import Tail
from hana_templates import config

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = int(START.timestamp() * 1000)


class FakeLogs:
    """FilterLogEvents over `events`: those at or after startTime, by time, `page_size` a page."""

    def __init__(self, page_size: int = 100):
        self.events: list[dict[str, Any]] = []
        self.page_size = page_size
        self.calls: list[dict[str, Any]] = []

    def add(self, event_id: str, offset_ms: int, stream: str = "api/api/t1") -> None:
        self.events.append(
            {"eventId": event_id, "timestamp": T0 + offset_ms, "logStreamName": stream, "message": event_id}
        )

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        found = sorted((e for e in self.events if e["timestamp"] >= kwargs["startTime"]), key=lambda e: e["timestamp"])
        offset = int(kwargs.get("nextToken") or 0)
        page = {"events": found[offset : offset + self.page_size]}
        if offset + self.page_size < len(found):
            page["nextToken"] = str(offset + self.page_size)
        return page


def _tail(fake: FakeLogs, printed: list[str], sleep=lambda s: None) -> Tail:
    ops = SimpleNamespace(
        cfg=config.get("dev"), client=lambda name: fake, sleep=sleep, region="us-east-1", command="python -m deploy"
    )
    return Tail(ops, "api", START, None, out=lambda line: printed.append(line.rsplit(" ", 1)[1]), color=False)


def test_a_late_ingested_older_line_from_another_task_appears_once():
    fake, printed = FakeLogs(), []
    fake.add("a1", 1_000)
    fake.add("a2", 5_000)

    def sleep(_):  # between polls task t2's driver delivers a line older than a2, and a new one arrives
        if len(fake.calls) == 1:
            fake.add("b-late", 3_000, stream="api/api/t2")
            fake.add("a3", 6_000)

    tail = _tail(fake, printed, sleep)
    assert tail.follow(polls=3) == 4
    assert printed == ["a1", "a2", "b-late", "a3"]
    # the second poll looked back over the window (clamped to --since), not from the newest line
    assert fake.calls[1]["startTime"] == T0


def test_follow_looks_back_a_bounded_window_behind_the_newest_line():
    fake, printed = FakeLogs(), []
    newest = 10 * tail_logs.LATE_WINDOW_MS
    fake.add("old", 0)
    fake.add("new", newest)
    tail = _tail(fake, printed)
    tail.follow(polls=2)
    assert fake.calls[1]["startTime"] == T0 + newest - tail_logs.LATE_WINDOW_MS
    assert printed == ["old", "new"]


def test_pages_print_as_they_arrive():
    """A long --since prints the first page before the last is read (no silent wait)."""
    fake, printed = FakeLogs(page_size=2), []
    for i in range(6):
        fake.add(f"e{i}", i * 1_000)
    calls_when_printed = []
    tail = _tail(fake, printed)
    tail.out = lambda line: calls_when_printed.append(len(fake.calls))
    assert tail.once() == 6
    assert calls_when_printed == [1, 1, 2, 2, 3, 3]


def test_remembered_event_ids_are_bounded(monkeypatch):
    monkeypatch.setattr(tail_logs, "MAX_SEEN", 5)
    fake, printed = FakeLogs(page_size=1000), []
    for i in range(50):  # all inside one window: only the cap bounds them
        fake.add(f"e{i:02d}", i)
    tail = _tail(fake, printed)
    tail.follow(polls=2)
    assert list(tail._seen) == [f"e{i}" for i in range(45, 50)]
    assert printed == [f"e{i:02d}" for i in range(50)]  # the forgotten ids are not read (and printed) again
    assert fake.calls[1]["startTime"] == T0 + 45
    fake.add("later", 3 * tail_logs.LATE_WINDOW_MS)
    tail.once()
    assert list(tail._seen) == ["later"]  # everything else fell out of the window


@pytest.mark.parametrize("polls", [1, 3])
def test_nothing_prints_twice_across_polls(polls):
    fake, printed = FakeLogs(page_size=3), []
    for i in range(7):
        fake.add(f"e{i}", i * 10)
    _tail(fake, printed).follow(polls=polls)
    assert printed == [f"e{i}" for i in range(7)]
