"""The up-front read of a run: every stack's state in one parallel round, the no-op check of every
stack in a second, so a no-op `all` costs two sequential rounds of API calls whatever the graph's
depth (issue #17: on real AWS each round trip costs 100-300 ms).

Round 1, `read`: DescribeStacks for every stack the run touches (its own, the upstream stacks it
reads outputs from, and the nested master `hana-<env>`), one call per stack, all in parallel.
One DescribeStacks *without* a StackName would answer them all in one call, but it "describes all
resources in the account, which can impact performance", needs the ListStacks permission too, and
is paginated by NextToken (DescribeStacks API reference, StackName and NextToken): in an account
with many stacks that is several *sequential* pages. One call per stack is one round, always.

Round 2, `unchanged`: for each deployed stack whose parameters (resolved from the upstream outputs
read in round 1), tags and termination protection already match, the template check (GetTemplate,
in StackOps.is_unchanged), all in parallel. Deploy-time parameters that keep their live value
(the ECS desired counts read by ecs_live_value) take no part in the check (they are kept at their
live value either way), so round 2 reads no ECS service.

`dirty` then says which stacks must go through the scheduler: the changed ones and every stack
downstream of one (its inputs may change when the upstream stack's outputs do; the scheduler checks
it again with the new outputs).

Exported: Survey, Snapshot, read, unchanged, dirty, unchanged_result, parallel, WIDTH.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from deploy.engine.cfn import DONE_OK, Outcome, Request, Result, outputs_of

# Calls of one round in flight at once: every stack of an environment (ten with the nested master)
# plus the upstream stacks, so a round is never split into two waves by the pool.
WIDTH = 16


def parallel(fn: Callable[[str], Any], keys: Iterable[str]) -> dict[str, Any]:
    """`fn(key)` for every key, all at once (at most WIDTH threads); key -> result, in order."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    with ThreadPoolExecutor(max_workers=min(WIDTH, len(keys)), thread_name_prefix="read") as pool:
        return dict(zip(keys, pool.map(fn, keys), strict=True))


@dataclass
class Survey:
    """What a deploy would do (Deployer.survey): `todo` enters the scheduler, `done` is unchanged."""

    order: list[str]
    outside: list[str]  # upstream stacks of `order` outside it (their outputs are read)
    live: dict[str, dict[str, Any] | None]
    todo: list[str]
    done: dict[str, Result]
    deps: dict[str, frozenset[str]]
    keys: list[str] | None
    overrides: dict[str, str]
    continue_rollback: bool
    started: float = 0.0  # Timing.clock() when the survey began: the run's elapsed time counts from it


@dataclass
class Snapshot:
    """What round 1 read: key -> the described stack, None when it does not exist."""

    live: dict[str, dict[str, Any] | None]


def read(describe: Callable[[str], dict[str, Any] | None], names: Mapping[str, str]) -> Snapshot:
    """Round 1: `describe(name)` for every key -> stack name, in parallel."""
    return Snapshot(parallel(lambda k: describe(names[k]), names))


def unchanged(
    keys: Iterable[str],
    live: Mapping[str, dict[str, Any] | None],
    request: Callable[[str], Request | None],
    is_unchanged: Callable[[Request, dict[str, Any]], bool],
) -> set[str]:
    """Round 2: the stacks of `keys` already at their request (None: cannot say without the
    scheduler, e.g. an upstream output is missing). Cheap checks first (no call); the template
    check (one GetTemplate per stack) for the rest, in parallel."""
    candidates: dict[str, tuple[Request, dict[str, Any]]] = {}
    for key in keys:
        stack = live.get(key)
        if stack is None or stack["StackStatus"] not in DONE_OK:
            continue
        req = request(key)
        if req is None:
            continue
        if req.termination_protection and not stack.get("EnableTerminationProtection"):
            continue  # the scheduler's deploy turns it on
        candidates[key] = (req, stack)
    same = parallel(lambda k: is_unchanged(*candidates[k]), candidates)
    return {k for k, ok in same.items() if ok}


def dirty(order: Iterable[str], deps: Mapping[str, Iterable[str]], same: set[str]) -> list[str]:
    """The stacks of `order` (topological) that go through the scheduler: not unchanged, or
    downstream of one that is not."""
    out: list[str] = []
    for key in order:
        if key not in same or any(d in out for d in deps.get(key, ())):
            out.append(key)
    return out


def unchanged_result(key: str, name: str, live: dict[str, Any] | None) -> Result:
    """The Result of a stack the survey found unchanged: its live outputs and status."""
    stack = live or {}
    return Result(key, name, Outcome.UNCHANGED, outputs=outputs_of(stack), status=stack.get("StackStatus"))
