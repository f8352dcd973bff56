"""Render estimates: Markdown tables (readable in a terminal, pasteable into the README) and JSON.

Exported: summary_table(estimates), table(estimate), reconciliation_table(estimate),
assumptions_table(estimates), compare_table(comparison), to_json(estimates, comparisons); each
table takes `width` (the terminal's columns): text columns wrap so the table fits.
"""

from __future__ import annotations

from collections.abc import Sequence

from .compare import Comparison
from .estimate import Estimate
from .prices import HOURS_PER_MONTH, PRICE_DATE
from .spec_table import BUDGETS, SPEC_TOTALS, reconcile
from .usage import ASSUMPTIONS


def _money(x: float | None) -> str:
    return "" if x is None else f"${x:,.2f}"


def _signed(x: float) -> str:
    """`+$2.40`, `-$0.25`."""
    return f"{'-' if x < 0 else '+'}${abs(x):,.2f}"


def _para(text: str, width: int | None) -> str:
    """A line of prose, wrapped to `width` when given."""
    if not width or len(text) <= width:
        return text
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def summary_table(estimates: Sequence[Estimate], width: int | None = None) -> str:
    """One screen for every environment: floor, usage, total, at max tasks, and the figure it is
    held against (the spec's estimate, or a budget)."""
    rows = []
    for est in estimates:
        target = ""
        if est.env in SPEC_TOTALS:
            target = f"spec ~${SPEC_TOTALS[est.env]:,}"
        elif est.env in BUDGETS:
            target = f"budget ${BUDGETS[est.env]:,}"
        rows.append(
            [est.env, _money(est.floor), _money(est.usage_total), _money(est.total), _money(est.total_at_max), target]
        )
    dated = estimates[0].prices.dated if estimates else PRICE_DATE
    title = f"Monthly cost, {dated}, {HOURS_PER_MONTH} h/month (each environment in detail below):"
    header = ["Environment", "Floor", "Usage", "Total", "At max tasks", "Target"]
    return _para(title, width) + "\n\n" + _md(header, rows, (1, 2, 3, 4), width)


def _md(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = (), width: int | None = None
) -> str:
    """A Markdown table. With `width` (the terminal's columns), text columns are narrowed and their
    cells wrapped onto continuation rows (blank in the other columns) until the table fits; numbers
    (the `right` columns) are never wrapped. A table that cannot fit is split in two."""
    header = [str(c) for c in header]
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    if width:
        widths = _fit(widths, header, rows, right, width)
        if 4 + sum(widths) + 3 * (len(widths) - 1) > width and len(header) > 2:
            # Too many columns for this terminal even wrapped: split the table, the first column in both.
            half = (len(header) + 1) // 2
            parts = [list(range(half)), [0, *range(half, len(header))]]
            return "\n\n".join(
                _md(
                    [header[i] for i in cols],
                    [[r[i] for i in cols] for r in rows],
                    [cols.index(i) for i in right if i in cols],
                    width,
                )
                for cols in parts
            )
    lines: list[str] = []

    def fmt(row: Sequence[str]) -> None:
        cells = [_wrap(c, w) if i not in right else [c] for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        for k in range(max(len(c) for c in cells)):
            parts = [
                (c[k] if k < len(c) else "").rjust(w) if i in right else (c[k] if k < len(c) else "").ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            lines.append("| " + " | ".join(parts) + " |")

    fmt(header)
    lines.append(
        "| " + " | ".join(("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)) + " |"
    )
    for r in rows:
        fmt(r)
    return "\n".join(lines)


MIN_TEXT = 10  # a text column is never narrowed below this (nor below its longest word)


def _fit(
    widths: list[int], header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int], width: int
) -> list[int]:
    """Column widths that fit `width`: one column at a time loses a character, the one whose loss
    adds the fewest wrapped lines to the table (ties: the widest), so short columns (Service)
    stay whole while long prose (Specs, Arithmetic, Why) wraps."""
    widths = list(widths)
    words = [[w for r in [header, *rows] for w in r[i].split()] for i in range(len(widths))]
    whole = {  # first keep words whole (up to 24 characters: hana-dev-postgres is not cut)...
        i: min(widths[i], max(MIN_TEXT, *(min(len(w), 24) for w in words[i])))
        for i in range(len(widths))
        if i not in right
    }
    narrow = {i: min(widths[i], MIN_TEXT) for i in whole}  # ...then, if it must be, cut them
    cache: dict[tuple[int, int], list[int]] = {}

    def heights(i: int, w: int) -> list[int]:
        if (i, w) not in cache:
            cache[i, w] = [len(_wrap(r[i], w)) for r in rows]
        return cache[i, w]

    def total(trial: list[int]) -> int:
        cols = [heights(i, trial[i]) if i in whole else [1] * len(rows) for i in range(len(trial))]
        return sum(max(col[r] for col in cols) for r in range(len(rows)))

    def cost(i: int) -> tuple[int, int]:
        trial = list(widths)
        trial[i] -= 1
        return (total(trial), -widths[i])

    for floor in (whole, narrow):
        while 4 + sum(widths) + 3 * (len(widths) - 1) > width:
            shrinkable = [i for i in floor if widths[i] > floor[i]]
            if not shrinkable:
                break  # as narrow as it gets: a very small terminal wraps the rest
            widths[min(shrinkable, key=cost)] -= 1
    return widths


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    import textwrap

    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def table(est: Estimate, width: int | None = None) -> str:
    """The estimate as the spec shapes it: service, resource, specs, monthly cost, and the total;
    the fixed floor first, usage-priced lines after it."""
    show_max = any(ln.at_max is not None for ln in est.lines)
    header = ["Service", "Resource", "Specs", "Monthly", *(["At max tasks"] if show_max else []), "Arithmetic"]
    rows: list[list[str]] = []

    def add(lines, label: str, subtotal: float, subtotal_max: float) -> None:
        for ln in lines:
            rows.append(
                [
                    ln.service,
                    ln.resource,
                    ln.specs,
                    _money(ln.monthly),
                    *([_money(ln.at_max)] if show_max else []),
                    ln.formula,
                ]
            )
        rows.append(
            [
                "",
                f"**{label}**",
                "",
                f"**{_money(subtotal)}**",
                *([f"**{_money(subtotal_max)}**"] if show_max else []),
                "",
            ]
        )

    fixed = [ln for ln in est.lines if not ln.usage]
    used = [ln for ln in est.lines if ln.usage]
    add(fixed, "Fixed monthly floor", est.floor, sum(ln.monthly_at_max for ln in fixed))
    add(used, "Usage (assumptions)", est.usage_total, sum(ln.monthly_at_max for ln in used))
    rows.append(
        [
            "**TOTAL**",
            "",
            "",
            f"**{_money(est.total)}**",
            *([f"**{_money(est.total_at_max)}**"] if show_max else []),
            "",
        ]
    )
    right = (3, 4) if show_max else (3,)
    title = (
        f"### {est.env}: ~${est.total:,.0f}/month "
        f"(floor ${est.floor:,.2f} + usage ${est.usage_total:,.2f}; {est.prices.dated}, {HOURS_PER_MONTH} h/month)"
    )
    return f"{_para(title, width)}\n\n{_md(header, rows, right, width)}"


def assumptions_table(estimates: Sequence[Estimate], width: int | None = None) -> str:
    """The usage assumptions, one column per environment; `*` marks a value set with --assume."""
    rows = [
        [
            name,
            *(f"{est.usage[name]:g}{'*' if name in est.usage.overridden else ''}" for est in estimates),
            a.unit,
            a.why,
        ]
        for name, a in ASSUMPTIONS.items()
    ]
    header = ["Assumption", *(est.env for est in estimates), "Unit", "What"]
    right = tuple(range(1, 1 + len(estimates)))
    return "Usage assumptions (`--assume NAME=VALUE` changes one):\n\n" + _md(header, rows, right, width)


def reconciliation_table(est: Estimate, width: int | None = None) -> str:
    rows = reconcile(est)
    if not rows:
        return ""
    body = [
        [r.service, "-" if r.spec is None else _money(r.spec), _money(r.ours), _signed(r.difference), r.why]
        for r in rows
    ]
    spec_total = SPEC_TOTALS[est.env]
    body.append(
        ["**TOTAL**", f"**~${spec_total}**", f"**{_money(est.total)}**", f"**{_signed(est.total - spec_total)}**", ""]
    )
    return f"Against the spec's estimate for {est.env} (~${spec_total}/month):\n\n" + _md(
        ["Service", "Spec", "Ours", "Difference", "Why"], body, (1, 2, 3), width
    )


def compare_table(cmp: Comparison, width: int | None = None) -> str:
    rows = [
        [
            s.name,
            s.change,
            _money(s.total) if s.applicable else "-",
            _money(s.saving) if s.applicable else s.not_applicable,
            s.note,
        ]
        for s in cmp.switches
    ]
    label = "**all applicable**" + (
        f" (without {', '.join(cmp.not_combined)}: refused together)" if cmp.not_combined else ""
    )
    rows.append([label, "", f"**{_money(cmp.all_on)}**", f"**{_money(cmp.baseline - cmp.all_on)}**", ""])
    title = f"Savings switches for {cmp.env} (now ${cmp.baseline:,.2f}/month; each switch alone, then all together):"
    return (
        _para(title, width)
        + "\n\n"
        + _md(["Switch", "Change", "Monthly with it", "Saving", "Note"], rows, (2, 3), width)
    )


def to_json(estimates: Sequence[Estimate], comparisons: Sequence[Comparison] = ()) -> dict:
    cmp_by_env = {c.env: c for c in comparisons}
    result = {"price_date": PRICE_DATE, "region": "us-east-1", "hours_per_month": HOURS_PER_MONTH, "environments": {}}
    for est in estimates:
        entry = {
            "prices": est.prices.dated,
            "floor": round(est.floor, 2),
            "usage": round(est.usage_total, 2),
            "total": round(est.total, 2),
            "total_at_max": round(est.total_at_max, 2),
            "lines": [
                {
                    "service": ln.service,
                    "resource": ln.resource,
                    "specs": ln.specs,
                    "monthly": round(ln.monthly, 2),
                    "at_max": None if ln.at_max is None else round(ln.at_max, 2),
                    "usage": ln.usage,
                    "arithmetic": ln.formula,
                    "stack": ln.stack,
                }
                for ln in est.lines
            ],
            "assumptions": dict(est.usage.values),
            "spec": [
                {"service": r.service, "spec": r.spec, "ours": round(r.ours, 2), "why": r.why} for r in reconcile(est)
            ],
        }
        if est.env in cmp_by_env:
            c = cmp_by_env[est.env]
            entry["savings"] = {
                s.name: {
                    "change": s.change,
                    "total": round(s.total, 2),
                    "saving": round(s.saving, 2),
                    "not_applicable": s.not_applicable or None,
                }
                for s in c.switches
            } | {"all": {"total": round(c.all_on, 2), "saving": round(c.baseline - c.all_on, 2)}}
        result["environments"][est.env] = entry
    return result
