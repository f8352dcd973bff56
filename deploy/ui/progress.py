"""What the user sees while stacks change: one display, nothing said twice.

On a terminal, `LiveReporter` keeps one line per stack, redrawn in place twice a second, so
parallel stacks stay readable: state, elapsed time, resources done/total, the resource being
worked on. Notes print above the block. When the run is over the block becomes the list of
outcomes (each failed stack with its reason, once, under its line); the command's summary then
adds only its totals line (`lists_stacks`) when it goes to the same terminal.

Anywhere else (CI logs, a pipe), `PlainReporter` prints lines that are never redrawn: the stack
level transitions (CREATE_IN_PROGRESS, ROLLBACK_IN_PROGRESS, ..., `created in 42s`) and the
failed resources; the reasons are in the summary that follows the run. `--verbose` adds every
CloudFormation event with its reason (on a terminal, above the live block).
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


def event_line(event: dict[str, Any]) -> str:
    """`Vpc AWS::EC2::VPC CREATE_FAILED: The CIDR is invalid` (the reason on one line)."""
    reason = " ".join((event.get("ResourceStatusReason") or "").split())
    text = f"{event.get('LogicalResourceId', '')} {event.get('ResourceType', '')} {event.get('ResourceStatus', '')}"
    return text + (f": {reason}" if reason else "")


def _is_failed_resource(event: dict[str, Any], stack_name: str) -> bool:
    """A resource (not the stack itself) that failed, and not merely cancelled because another did."""
    own = event.get("ResourceType") == "AWS::CloudFormation::Stack" and event.get("LogicalResourceId") == stack_name
    reason = (event.get("ResourceStatusReason") or "").lower()
    return not own and str(event.get("ResourceStatus", "")).endswith("_FAILED") and "cancel" not in reason


class PlainReporter(Reporter):
    """Lines for logs, never redrawn: `[  12.3s] network  CREATE_IN_PROGRESS`, the failed resources,
    `[  40.1s] network  created in 27.8s`. With `verbose`, every event with its reason."""

    shows_notes = True

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic, verbose: bool = False):
        self.stream = stream
        self.clock = clock
        self.verbose = verbose
        self._t0 = clock()
        self._lock = threading.Lock()
        self._width = 10
        self._action = "deploy"
        self._names: Mapping[str, str] = {}
        self._state: dict[str, str] = {}

    def _line(self, key: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"[{self.clock() - self._t0:7.1f}s] {key:<{self._width}} {text}\n")
            self.stream.flush()

    def begin(self, action: str, names: Mapping[str, str], deps: Mapping[str, frozenset[str]]) -> None:
        self._t0 = self.clock()
        self._action = action
        self._names = names
        self._state = {}
        self._width = max([len(k) for k in names] + [6])

    def start(self, key: str) -> None:
        if self.verbose:
            self._line(key, f"{self._action} started")

    def update(self, key: str, **fields: Any) -> None:
        """A new *_IN_PROGRESS state of the stack is a transition worth a line (the final state is
        the finish line); the events say the same in verbose mode."""
        state = fields.get("state")
        if not state or self.verbose or not state.endswith("_IN_PROGRESS") or self._state.get(key) == state:
            return
        self._state[key] = state
        self._line(key, state)

    def event(self, key: str, event: dict[str, Any]) -> None:
        if self.verbose:
            self._line(key, event_line(event))
        elif _is_failed_resource(event, self._names.get(key, "")):
            self._line(
                key,
                f"{event.get('LogicalResourceId', '')} {event.get('ResourceType', '')} "
                f"{event.get('ResourceStatus', '')}",
            )

    def note(self, key: str | None, text: str) -> None:
        self._line(key or "", text)

    def finish(self, key: str, result: Any) -> None:
        outcome = result.outcome.value
        if result.outcome.value == "skipped":
            self._line(key, f"skipped: {result.message}" if result.message else "skipped")
            return
        # A failure's reason is said once, in the summary after the run.
        tail = f": {result.message}" if result.message and outcome != "failed" else ""
        self._line(key, f"{outcome} in {fmt_elapsed(result.elapsed)}{tail}")


class LiveReporter(Reporter):
    """One line per stack, redrawn in place (ANSI cursor movement); notes print above the block.
    `lists_stacks`: the summary goes to this terminal too, so it shows only its totals."""

    shows_notes = True

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        refresh: float = 0.5,
        color: bool = True,
        width: Callable[[], int] | None = None,
        verbose: bool = False,
        lists_stacks: bool = False,
    ):
        self.stream = stream
        self.verbose = verbose
        self.lists_stacks = lists_stacks
        self._final = False
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
            self._final = False
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
        self._above(f"{key + ': ' if key else ''}{text}")

    def event(self, key: str, event: dict[str, Any]) -> None:
        if self.verbose:
            self._above(f"{key}: {event_line(event)}")

    def _above(self, line: str) -> None:
        with self._lock:
            self._erase()
            self.stream.write(line + "\n")
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
            self._draw()  # a failure's reason: shortened on its line now, in full once the run is over

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        with self._lock:
            self._final = True
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
        lines = []
        for key, row in self.rows.items():
            lines.append(self._format(key, row))
            if self._final and row.outcome == "failed" and row.message:
                lines += self._wrapped(row.message)
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
            detail = row.message if row.outcome in ("skipped", "interrupted") or not self._final else ""
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
        text = f"  {key:<{self._key_width}} {state:<30} {elapsed:>7}  {count:>9}  {detail}".rstrip()
        limit = max(20, self.width() - 1)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        if not self.color:
            return text
        head = text[: min(len(text), plain_width)]
        return self._paint(color, head) + text[len(head) :]

    def _wrapped(self, text: str) -> list[str]:
        """`text` in full under its stack's line, wrapped to the terminal, indented."""
        import textwrap

        indent = " " * (self._key_width + 5)
        width = max(40, self.width() - 1)
        return textwrap.wrap(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent)


def _isatty(stream: Any) -> bool:
    import os

    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


def make_reporter(stream: TextIO, mode: str = "auto", verbose: bool = False, summary: Any = None) -> Reporter:
    """`auto`: the live display on a terminal (not TERM=dumb), plain lines otherwise. `summary` is
    the stream the command's summary goes to (stdout): when it is a terminal too, the live block
    is the stack list and the summary says only its totals."""
    import os
    import sys

    if mode == "auto":
        mode = "live" if _isatty(stream) else "plain"
    if mode == "live":
        lists = _isatty(sys.stdout if summary is None else summary)
        return LiveReporter(stream, color="NO_COLOR" not in os.environ, verbose=verbose, lists_stacks=lists)
    if mode == "quiet":
        return NullReporter()
    return PlainReporter(stream, verbose=verbose)
