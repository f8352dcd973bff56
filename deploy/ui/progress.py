"""What the user sees while stacks change.

On a terminal, `LiveReporter` keeps one line per stack, redrawn in place twice a second, so
parallel stacks stay readable: state, elapsed time, resources done/total, the resource being
worked on. Messages (notes, failures) print above the block. Anywhere else (CI logs, a pipe),
`PlainReporter` prints one timestamped line per stack event instead: nothing is redrawn.
The interface and the silent `NullReporter` are in deploy.engine.reporting.

Reporters are called from the worker threads; every method takes the reporter's lock.

Exported: PlainReporter, LiveReporter, make_reporter (and fmt_elapsed, Reporter, NullReporter,
re-exported from deploy.engine.reporting for the callers that render).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from deploy.engine.reporting import NullReporter, Reporter, fmt_elapsed

_GREEN, _RED, _YELLOW, _DIM, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"
_DONE = ("created", "updated", "unchanged", "deleted", "not deployed")
_MARK = {
    "created": "✓",
    "updated": "✓",
    "unchanged": "=",
    "deleted": "✓",
    "not deployed": "·",
    "failed": "✗",
    "skipped": "-",
    "interrupted": "!",
}


@dataclass
class _Row:
    name: str
    deps: frozenset[str]
    state: str = "waiting"
    started: float | None = None
    ended: float | None = None
    done: int = 0
    total: int | None = None
    current: str = ""
    outcome: str | None = None
    message: str = ""


class PlainReporter(Reporter):
    """One line per event, for logs: `[  12.3s] network  Vpc AWS::EC2::VPC CREATE_COMPLETE`."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()
        self._width = 10
        self._action = "deploy"

    def _line(self, key: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"[{self.clock() - self._t0:7.1f}s] {key:<{self._width}} {text}\n")
            self.stream.flush()

    def begin(self, action: str, names: Mapping[str, str], deps: Mapping[str, frozenset[str]]) -> None:
        self._t0 = self.clock()
        self._action = action
        self._width = max([len(k) for k in names] + [6])

    def start(self, key: str) -> None:
        self._line(key, f"{self._action} started")

    def event(self, key: str, event: dict[str, Any]) -> None:
        reason = event.get("ResourceStatusReason") or ""
        logical = event.get("LogicalResourceId", "")
        rtype = event.get("ResourceType", "")
        text = f"{logical} {rtype} {event.get('ResourceStatus', '')}"
        self._line(key, text + (f": {' '.join(reason.split())}" if reason else ""))

    def note(self, key: str | None, text: str) -> None:
        self._line(key or "", text)

    def finish(self, key: str, result: Any) -> None:
        outcome = result.outcome.value
        tail = f": {result.message}" if result.message else ""
        self._line(key, f"{outcome} in {fmt_elapsed(result.elapsed)}{tail}")


class LiveReporter(Reporter):
    """One line per stack, redrawn in place (ANSI cursor movement); notes print above the block."""

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        refresh: float = 0.5,
        color: bool = True,
        width: Callable[[], int] | None = None,
    ):
        self.stream = stream
        self.clock = clock
        self.refresh = refresh
        self.color = color
        self.width = width or (lambda: shutil.get_terminal_size((100, 24)).columns)
        self.rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._drawn = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._key_width = 10

    def begin(self, action: str, names: Mapping[str, str], deps: Mapping[str, frozenset[str]]) -> None:
        with self._lock:
            self.rows = {k: _Row(name=n, deps=frozenset(deps.get(k, ())) & set(names)) for k, n in names.items()}
            self._key_width = max([len(k) for k in names] + [6])
            self._draw()
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh):
            with self._lock:
                self._draw()

    def start(self, key: str) -> None:
        with self._lock:
            row = self.rows.get(key)
            if row:
                row.started = self.clock()
                row.state = "starting"
                self._draw()

    def update(self, key: str, **fields: Any) -> None:
        with self._lock:
            row = self.rows.get(key)
            if row is None:
                return
            for name, value in fields.items():
                if value is not None:
                    setattr(row, name, value)
            self._draw()

    def note(self, key: str | None, text: str) -> None:
        with self._lock:
            self._erase()
            self.stream.write(f"{key + ': ' if key else ''}{text}\n")
            self._draw()

    def finish(self, key: str, result: Any) -> None:
        with self._lock:
            row = self.rows.get(key)
            if row is None:
                return
            row.ended = self.clock()
            row.outcome = result.outcome.value
            if result.outcome.ok and row.total:
                row.done = row.total  # (an emulator may send no per-resource events)
            row.message = result.message
            row.current = ""
            if result.outcome.value == "failed":
                self._erase()
                self.stream.write(self._paint(_RED, f"{key}: failed: {result.message}") + "\n")
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        with self._lock:
            self._draw()
            self._drawn = 0  # the final block stays on screen

    # --- drawing (lock held) ---------------------------------------------------------------

    def _paint(self, color: str, text: str) -> str:
        return f"{color}{text}{_RESET}" if self.color else text

    def _erase(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _draw(self) -> None:
        lines = [self._format(k, row) for k, row in self.rows.items()]
        out = f"\x1b[{self._drawn}F" if self._drawn else ""
        out += "".join(f"\x1b[2K{line}\n" for line in lines)
        self.stream.write(out)
        self.stream.flush()
        self._drawn = len(lines)

    def _format(self, key: str, row: _Row) -> str:
        now = self.clock()
        elapsed = ""
        if row.started is not None:
            elapsed = fmt_elapsed((row.ended or now) - row.started)
        count = f"{row.done}/{row.total}" if row.total else ""
        if row.outcome:
            color = _GREEN if row.outcome not in ("failed", "skipped", "interrupted") else _RED
            if row.outcome == "skipped":
                color = _YELLOW
            state = f"{_MARK.get(row.outcome, ' ')} {row.outcome}"
            detail = row.message if row.outcome in ("skipped",) else ""
        elif row.started is None:
            color = _DIM
            waiting = sorted(d for d in row.deps if self.rows[d].outcome not in _DONE)
            state = "waiting"
            detail = f"for {', '.join(waiting)}" if waiting else ""
        else:
            color = _YELLOW
            state = row.state
            detail = row.current
        plain_width = self._key_width + 2 + 30 + 2 + 7 + 2 + 9 + 2
        text = f"  {key:<{self._key_width}} {state:<30} {elapsed:>7}  {count:>9}  {detail}"
        limit = max(20, self.width() - 1)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        if not self.color:
            return text
        head = text[: min(len(text), plain_width)]
        return self._paint(color, head) + text[len(head) :]


def make_reporter(stream: TextIO, mode: str = "auto") -> Reporter:
    """`auto`: the live display on a terminal (not TERM=dumb), plain lines otherwise."""
    import os

    if mode == "auto":
        tty = hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"
        mode = "live" if tty else "plain"
    if mode == "live":
        return LiveReporter(stream, color="NO_COLOR" not in os.environ)
    if mode == "quiet":
        return NullReporter()
    return PlainReporter(stream)
