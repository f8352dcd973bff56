"""The interface the engine reports progress to, and the silent default.

deploy.ui.progress implements it for a terminal and for logs; the engine only knows this module,
so it never imports the layer above it.

Exported: Reporter, NullReporter, fmt_elapsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def fmt_elapsed(seconds: float) -> str:
    """`0.4s`, `42s`, `3m05s`, `1h02m`."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


class Reporter:
    """The interface (all no-ops). `key` is the registry name of a stack.

    One display: what a reporter has shown is not shown again by the summary after the run.
    `shows_notes`: the notes reached the user as they happened (the summary leaves them out).
    `lists_stacks`: the reporter's final screen is the list of stacks with their outcomes and
    failure reasons, on the terminal the summary goes to (the summary prints only its totals)."""

    shows_notes = False
    lists_stacks = False

    def begin(self, action: str, names: Mapping[str, str], deps: Mapping[str, frozenset[str]]) -> None:
        """A run of `action` (deploy, delete, plan) over `names` (key -> stack name) starts."""

    def start(self, key: str) -> None:
        """Work on stack `key` starts."""

    def update(self, key: str, **fields: Any) -> None:
        """New state of `key`: state=, done=, total=, current=."""

    def event(self, key: str, event: dict[str, Any]) -> None:
        """A CloudFormation stack event of `key`."""

    def note(self, key: str | None, text: str) -> None:
        """Something the user should read now (recreating a stack, a warning)."""

    def finish(self, key: str, result: Any) -> None:
        """`key` is done; `result` is a cfn.Result."""

    def close(self) -> None:
        """The run is over (also after Ctrl-C)."""


class NullReporter(Reporter):
    pass
