"""Text the commands print: summaries, plans, the status tables, outputs, the delete warning.

Pure functions from results to strings, so the CLI stays thin and the wording is testable.
Tables follow the spec's markdown style, so `status` output pastes into a README unchanged.

Exported: table, summary, plan_text, status_text, endpoints, internal_resources, console_links, services_text,
outputs_text, retained_text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from deploy.engine.cfn import Outcome, Preview
from deploy.ui.progress import fmt_elapsed


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = [list(r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def summary(report: Any, env: str, reporter: Any = None) -> str:
    """One line of totals, then every stack's outcome (a failure with its reason) and its notes.
    What the run's `reporter` has shown already is left out (deploy.engine.reporting.Reporter):
    the notes, and on a terminal the stack list its live block became."""
    results = list(report.results.values())
    show_notes = not getattr(reporter, "shows_notes", False)
    show_rows = not getattr(reporter, "lists_stacks", False)
    width = max([len(r.key) for r in results] + [5])
    lines = []
    for r in results if show_rows else ():
        elapsed = fmt_elapsed(r.elapsed) if r.outcome is not Outcome.SKIPPED else ""
        text = f"  {r.key:<{width}}  {r.outcome.value:<12} {elapsed:>7}"
        if r.message:
            text += f"  {r.message}"
        lines.append(text.rstrip())
        if show_notes:
            lines += [f"  {'':<{width}}  {note}" for note in r.notes]
    counts = Counter(r.outcome.value for r in results)
    order = ["created", "updated", "unchanged", "deleted", "not deployed", "failed", "skipped"]
    totals = ", ".join(f"{counts[o]} {o}" for o in order if counts[o])
    head = f"{report.action} {env}: {len(results)} stack{'s' if len(results) != 1 else ''} in {fmt_elapsed(report.elapsed)}"
    return "\n".join([f"{head}: {totals}", *lines])


_ACTION = {"Add": "add", "Remove": "remove", "Import": "import", "Dynamic": "dynamic"}


def _label(change: Any) -> str:
    if change.action == "Modify":
        return {"True": "replace", "Conditional": "may replace"}.get(change.replacement or "", "modify")
    return _ACTION.get(change.action, change.action.lower())


def plan_text(previews: list[Preview], env: str) -> str:
    out = []
    counts: Counter[str] = Counter()
    for p in previews:
        counts[p.state] += 1
        if p.state == "unchanged":
            out.append(f"{p.name}: no changes")
        elif p.state == "blocked":
            out.append(f"{p.name}: cannot plan: {p.message}")
        elif p.state == "new":
            types = Counter(c.type for c in p.changes)
            listing = ", ".join(f"{n} {t}" for t, n in sorted(types.items()))
            note = f" ({p.message})" if p.message else ""
            out.append(f"{p.name}: new stack{note}, {len(p.changes)} resources to add: {listing}")
        elif not p.changes:
            out.append(f"{p.name}: {p.message}")
        else:
            add = sum(c.action == "Add" for c in p.changes)
            mod = sum(c.action == "Modify" for c in p.changes)
            rem = sum(c.action == "Remove" for c in p.changes)
            rep = sum(c.action == "Modify" and c.replacement in ("True", "Conditional") for c in p.changes)
            out.append(
                f"{p.name}: {add} to add, {mod} to modify ({rep} replaced), {rem} to remove"
                if rep
                else f"{p.name}: {add} to add, {mod} to modify, {rem} to remove"
            )
            lw = max(len(c.logical_id) for c in p.changes)
            for c in p.changes:
                props = f"  ({', '.join(c.properties)})" if c.properties else ""
                out.append(f"  {_label(c):<11} {c.logical_id:<{lw}}  {c.type}{props}")
    parts = [
        f"{counts[s]} {label}"
        for s, label in (("changes", "to change"), ("new", "new"), ("unchanged", "unchanged"), ("blocked", "blocked"))
        if counts[s]
    ]
    out.append(f"plan {env}: {', '.join(parts) or 'nothing'} (change sets deleted, nothing executed)")
    return "\n".join(out)


def _when(value: Any) -> str:
    if not isinstance(value, datetime):
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def endpoints(outputs: Iterable[dict[str, str]]) -> list[tuple[str, str]]:
    """The spec's "Key Endpoints" from compute's outputs `AlbDnsName` and `ServiceUrl`."""
    dns = url = None
    for out in outputs:
        dns = dns or out.get("AlbDnsName")
        url = url or out.get("ServiceUrl")
    if not dns and not url:
        return []
    base = (url or f"http://{dns}").rstrip("/")
    scheme, _, host = base.partition("://")
    ws = "wss" if scheme == "https" else "ws"
    rows = [("Load Balancer", dns)] if dns else []
    return [*rows, ("Health Check", f"{base}/health"), ("API", f"{base}/api/"), ("WebSocket", f"{ws}://{host}/ws/")]


def internal_resources(outputs: Iterable[dict[str, str]]) -> list[tuple[str, str, str]]:
    """The spec's "Internal Resources": RDS and Redis endpoint:port, the ECR repository URI (stack outputs)."""
    merged: dict[str, str] = {}
    for out in outputs:
        merged.update(out)
    rows = []
    if merged.get("DbEndpointAddress"):
        rows.append(
            (
                "RDS PostgreSQL",
                f"{merged['DbEndpointAddress']}:{merged.get('DbEndpointPort', '5432')}",
                "Only accessible from ECS tasks",
            )
        )
    if merged.get("RedisPrimaryEndpointAddress"):
        port = merged.get("RedisPrimaryEndpointPort", "6379")
        rows.append(("Redis", f"{merged['RedisPrimaryEndpointAddress']}:{port}", "Only accessible from ECS tasks"))
    if merged.get("EcrRepositoryUri"):
        rows.append(("ECR", merged["EcrRepositoryUri"], "Docker image repository"))
    return rows


def console_links(
    region: str, prefix: str, secrets_prefix: str, outputs: Iterable[dict[str, str]]
) -> list[tuple[str, str]]:
    """The spec's "AWS Console Links" for the environment's region (names from outputs, else from naming)."""
    from urllib.parse import quote

    merged: dict[str, str] = {}
    for out in outputs:
        merged.update(out)
    base = f"https://{region}.console.aws.amazon.com"
    q = f"region={region}"
    dashboard = merged.get("DashboardName", f"{prefix}-overview")
    cluster = merged.get("ClusterName", prefix)
    db = merged.get("DbInstanceIdentifier", f"{prefix}-postgres")
    return [
        ("CloudWatch Dashboard", f"{base}/cloudwatch/home?{q}#dashboards:name={dashboard}"),
        ("ECS Cluster", f"{base}/ecs/v2/clusters/{cluster}/services?{q}"),
        ("RDS Database", f"{base}/rds/home?{q}#database:id={db}"),
        ("Secrets Manager", f"{base}/secretsmanager/listsecrets?{q}&search={quote(secrets_prefix, safe='')}"),
        ("CloudFormation Stacks", f"{base}/cloudformation/home?{q}#/stacks?filteringText={prefix}"),
    ]


def services_text(rows: list[Any]) -> str:
    """The services table: tasks, task definition and image tag, rollout, the newest service event."""
    return table(
        ["Service", "Running", "Desired", "Pending", "Task definition", "Image tag", "Rollout", "Latest event"],
        [
            [
                r.key,
                str(r.running),
                str(r.desired),
                str(r.pending),
                r.revision,
                r.tag,
                r.rollout.lower().replace("_", " ") + (f" ({r.deployments} deployments)" if r.deployments > 1 else ""),
                (f"{_when(r.event_at)}: " if r.event_at else "") + _shorten(r.event, 90),
            ]
            for r in rows
        ],
    )


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status_text(
    rows: list[Any],
    env: str,
    services: list[Any] | str | None = None,
    region: str | None = None,
    prefix: str | None = None,
    secrets_prefix: str | None = None,
) -> str:
    """The stacks and Key Endpoints; with `services` (rows, or a line saying why there are none) and
    `region`, also the spec's Internal Resources, Console Links, HANA TUI line and the services."""
    stacks = table(
        ["Stack", "Status", "Last updated", "Description"],
        [
            [
                f"`{r.name}`",
                (r.status or "NOT DEPLOYED") + (" (protected)" if r.protected else ""),
                _when(r.updated),
                r.description,
            ]
            for r in rows
        ],
    )
    out = [f"### Stacks ({env})", "", stacks]
    found = endpoints(r.outputs for r in rows)
    out += ["", "### Key Endpoints", ""]
    if found:
        out.append(table(["Resource", "Endpoint"], [[f"**{k}**", f"`{v}`"] for k, v in found]))
    else:
        out.append("(none yet: the compute stack's AlbDnsName/ServiceUrl outputs appear once it is deployed)")
    if region is None:
        return "\n".join(out)
    internal = internal_resources(r.outputs for r in rows)
    out += ["", "### Internal Resources (Private Subnets)", ""]
    if internal:
        out.append(table(["Resource", "Endpoint", "Notes"], [[f"**{k}**", f"`{v}`", n] for k, v, n in internal]))
    else:
        out.append("(none yet: the database and storage stacks' outputs appear once they are deployed)")
    out += ["", "### AWS Console Links", ""]
    out += [
        f"- [{label}]({url})"
        for label, url in console_links(region, prefix or "", secrets_prefix or "", (r.outputs for r in rows))
    ]
    base = next((v for k, v in found if k == "Health Check"), None)
    if base:
        out += ["", "### HANA TUI", "", f"OPENCLAW_GATEWAY_URL={base.removesuffix('/health')} pnpm tui"]
    out += ["", "### Services", ""]
    out.append(services_text(services) if isinstance(services, list) else f"({services or 'no services'})")
    return "\n".join(out)


def outputs_text(outputs: dict[str, dict[str, str] | None], names: dict[str, str]) -> str:
    out = []
    for key, values in outputs.items():
        if values is None:
            out.append(f"{names[key]}: not deployed")
            continue
        out.append(names[key])
        if not values:
            out.append("  (no outputs)")
        width = max([len(k) for k in values] + [1])
        out += [f"  {k:<{width}}  {v}" for k, v in sorted(values.items())]
    return "\n".join(out)


def retained_text(retained: list[Any], env: str) -> str:
    if not retained:
        return "Nothing is retained: every resource is deleted with its stack."
    groups: dict[str, list[str]] = {}
    for r in retained:
        groups.setdefault(r.category, []).append(r.label)
    lines = [f"Kept after the delete (DeletionPolicy in out/{env}/*.yaml; delete them by hand if unwanted):"]
    width = max(len(c) for c in groups) + 5
    for category, labels in groups.items():
        lines.append(f"  {f'{category} ({len(labels)})':<{width}}  {', '.join(labels)}")
    return "\n".join(lines)
