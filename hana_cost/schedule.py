"""Running hours of a service under Application Auto Scaling scheduled actions.

A ScalableTarget's `ScheduledActions` set MinCapacity/MaxCapacity at cron times
(`cron(0 20 ? * MON-FRI *)`). This replays one week minute by minute (twice, so the state at
Monday 00:00 is what the previous week left) and counts task-minutes. The time zone does not
change the count, only when the hours fall.

Exported: weekly_task_hours(actions, initial, tasks), parse_cron(expr).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .errors import CostError

MINUTES_PER_WEEK = 7 * 24 * 60
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _field(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> set[int]:
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for part in text.split(","):
        bounds = [names.get(p, p) if names else p for p in part.split("-")]
        try:
            first, last = int(bounds[0]), int(bounds[-1])
        except ValueError:
            raise CostError(f"cron field {text!r} is not supported; allowed: *, numbers, ranges, lists") from None
        values.update(range(first, last + 1))
    return values


def parse_cron(expr: str) -> tuple[set[int], set[int], set[int]]:
    """`cron(0 20 ? * MON-FRI *)` -> (minutes, hours, weekdays 1=SUN..7=SAT). Day-of-month and
    month must be `*`/`?`: a weekly pattern is what a working-hours schedule is."""
    m = re.fullmatch(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)", expr.strip())
    if not m:
        raise CostError(f"schedule {expr!r} is not a cron(...) expression; allowed: cron(M H ? * DAYS *)")
    minute, hour, dom, month, dow, _year = m.groups()
    if dom not in ("*", "?") or month not in ("*", "?"):
        raise CostError(f"schedule {expr!r}: only weekly patterns are priced (day-of-month and month '*' or '?')")
    return _field(minute, 0, 59), _field(hour, 0, 23), _field(dow.upper(), 1, 7, _DAYS)


def weekly_task_hours(actions: Sequence[Mapping], initial: tuple[int, int], tasks: int) -> float:
    """Task-hours per week for a service that wants `tasks` tasks, between the capacity bounds
    `initial` (MinCapacity, MaxCapacity) as changed by `actions` (ScheduledAction dicts)."""
    fired: dict[int, tuple[int | None, int | None]] = {}
    for action in actions:
        minutes, hours, days = parse_cron(action["Schedule"])
        bounds = action.get("ScalableTargetAction") or {}
        lo, hi = bounds.get("MinCapacity"), bounds.get("MaxCapacity")
        for day in days:
            for h in hours:
                for mi in minutes:
                    # minute of the week, Monday 00:00 = 0 (cron day 2)
                    fired[((day - 2) % 7) * 1440 + h * 60 + mi] = (
                        None if lo is None else int(lo),
                        None if hi is None else int(hi),
                    )
    lo, hi = initial
    total = 0
    for week in range(2):
        for minute in range(MINUTES_PER_WEEK):
            if minute in fired:
                new_lo, new_hi = fired[minute]
                lo = lo if new_lo is None else new_lo
                hi = hi if new_hi is None else new_hi
            if week == 1:
                total += min(max(tasks, lo), hi)
    return total / 60
