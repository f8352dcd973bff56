"""Render estimates: Markdown tables (readable in a terminal, pasteable into the README) and JSON.

Exported: table(estimate), reconciliation_table(estimate), assumptions_table(estimate),
compare_table(comparison), to_json(estimates, comparisons).
"""

from __future__ import annotations

from collections.abc import Sequence

from .compare import Comparison
from .estimate import Estimate
from .prices import HOURS_PER_MONTH, PRICE_DATE
from .spec_table import SPEC_TOTALS, reconcile
from .usage import ASSUMPTIONS


def _money(x: float | None) -> str:
    return "" if x is None else f"${x:,.2f}"


def _md(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(cells) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)) + " |"
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows)])


def table(est: Estimate) -> str:
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
    return f"{title}\n\n{_md(header, rows, right)}"


def assumptions_table(estimates: Sequence[Estimate]) -> str:
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
    return "Usage assumptions (`--assume NAME=VALUE` changes one):\n\n" + _md(header, rows, right)


def reconciliation_table(est: Estimate) -> str:
    rows = reconcile(est)
    if not rows:
        return ""
    body = [
        [r.service, "-" if r.spec is None else _money(r.spec), _money(r.ours), f"{r.difference:+,.2f}", r.why]
        for r in rows
    ]
    spec_total = SPEC_TOTALS[est.env]
    body.append(
        ["**TOTAL**", f"**~${spec_total}**", f"**{_money(est.total)}**", f"**{est.total - spec_total:+,.2f}**", ""]
    )
    return f"Against the spec's estimate for {est.env} (~${spec_total}/month):\n\n" + _md(
        ["Service", "Spec", "Ours", "Difference", "Why"], body, (1, 2, 3)
    )


def compare_table(cmp: Comparison) -> str:
    rows = [
        [
            s.name,
            s.change,
            _money(s.total) if s.applicable else "-",
            f"{s.saving:,.2f}" if s.applicable else s.not_applicable,
            s.note,
        ]
        for s in cmp.switches
    ]
    label = "**all applicable**" + (
        f" (without {', '.join(cmp.not_combined)}: refused together)" if cmp.not_combined else ""
    )
    rows.append([label, "", f"**{_money(cmp.all_on)}**", f"**{cmp.baseline - cmp.all_on:,.2f}**", ""])
    return (
        f"Savings switches for {cmp.env} (now ${cmp.baseline:,.2f}/month; each switch alone, then all together):\n\n"
        + _md(["Switch", "Change", "Monthly with it", "Saving", "Note"], rows, (2, 3))
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
