"""Sequential API round trips of a run (issue #17), counted, not timed.

A botocore hook on every client of the run records when each call starts and ends; every call is
held for a moment before it is sent, so calls made in parallel overlap for sure. The number of
sequential rounds is then the longest chain of calls each starting after the previous one ended.
A no-op `all` on a deployed environment must take at most 2 (round 1: every stack described;
round 2: the template checks), whatever the depth of the graph. Before the up-front read it took
two per level of the graph, plus two.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest

from deploy.aws.session import Aws, Settings
from deploy.engine.cfn import Outcome
from deploy.engine.plan import Deployer
from deploy.engine.project import Project
from hana_templates.spec import From, StackSpec
from tests.deploy import templates as T
from tests.deploy.conftest import write_project

HOLD = 0.2  # s each call waits before it is sent: parallel calls overlap (this is no time limit)


class Rounds:
    """Records (operation, stack name, start, end) of every API call of the sessions it is hooked on."""

    def __init__(self, hold: float = HOLD):
        self.hold = hold
        self.calls: list[tuple[str, str, float, float]] = []
        self._lock = threading.Lock()

    def hook(self, session: boto3.Session) -> boto3.Session:
        session.events.register("before-parameter-build", self._params)
        session.events.register("before-call", self._before)
        session.events.register("before-send", self._send)
        session.events.register("after-call", self._after)
        return session

    def _params(self, params: dict, context: dict, **_: Any) -> None:
        context["rounds.params"] = dict(params)

    def _before(self, model: Any, params: Any, context: dict, **_: Any) -> None:
        context["rounds.start"] = time.monotonic()

    def _send(self, **_: Any) -> None:
        time.sleep(self.hold)

    def _after(self, model: Any, context: dict, **_: Any) -> None:
        with self._lock:
            name = str((context.get("rounds.params") or {}).get("StackName", ""))
            self.calls.append((model.name, name, context["rounds.start"], time.monotonic()))

    def count(self) -> int:
        """The longest chain of calls, each started after the one before it ended."""
        depth: list[int] = []
        calls = sorted(self.calls, key=lambda c: c[2])
        for i, (_, _, start, _) in enumerate(calls):
            depth.append(1 + max((depth[j] for j in range(i) if calls[j][3] <= start), default=0))
        return max(depth, default=0)

    def ops(self, op: str) -> list[str]:
        return [name for o, name, _, _ in self.calls if o == op]


def hooked_aws(url: str, rounds: Rounds) -> Aws:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return Aws(Settings(env="dev", endpoint_url=url), "us-east-1", session=rounds.hook(session))


def chain(depth: int) -> dict[StackSpec, str]:
    """`depth` stacks, each reading the output of the one before it: a graph `depth` levels deep."""
    stacks = {}
    for i in range(depth):
        inputs = (From(f"c{i - 1}", "Out"),) if i else ()
        spec = StackSpec(f"c{i}", f"level {i}", inputs=inputs, outputs=("Out",))
        params = "Parameters:\n  Out:\n    Type: String\n" if i else ""
        stacks[spec] = (
            f"Description: level {i} (test)\n{params}Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
            "    Properties:\n      TopicName:\n        Fn::Sub: ${AWS::StackName}-t\n"
            "Outputs:\n  Out:\n    Value:\n      Ref: Topic\n"
        )
    return stacks


def test_the_counter_counts_sequential_calls_and_not_parallel_ones(moto):
    """The yardstick itself: three calls one after another are three rounds, three at once one."""
    rounds = Rounds(hold=0.1)
    cfn = hooked_aws(moto, rounds).client("cloudformation")
    for _ in range(3):
        cfn.list_stacks()
    assert rounds.count() == 3
    rounds.calls.clear()
    threads = [threading.Thread(target=cfn.list_stacks) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rounds.count() == 1


@pytest.mark.parametrize(
    "stacks", [pytest.param(T.STACKS, id="four-stacks-three-levels"), pytest.param(chain(6), id="chain-six-levels")]
)
def test_a_noop_all_takes_at_most_two_sequential_rounds_whatever_the_depth(moto, tmp_path, stacks):
    project = write_project(tmp_path, stacks)
    assert Deployer(project, hooked_aws(moto, Rounds(hold=0))).deploy().ok

    rounds = Rounds()
    report = Deployer(project, hooked_aws(moto, rounds)).deploy()

    assert {r.outcome for r in report.results.values()} == {Outcome.UNCHANGED}
    assert rounds.count() <= 2, sorted(rounds.calls, key=lambda c: c[2])
    # and nothing but reads: every stack described once, its template read once
    assert sorted(rounds.ops("DescribeStacks")) == sorted(project.stack_name(k) for k in [*project.order(), "main"])
    assert {op for op, *_ in rounds.calls} == {"DescribeStacks", "GetTemplate"}


def _edit(project: Project, key: str, old: str, new: str) -> Project:
    """The project with `old` replaced by `new` in the template of `key` (a new Project: bodies are cached)."""
    path = project.path(key)
    body = path.read_text()
    assert old in body
    path.write_text(body.replace(old, new))
    return Project(project.cfg, project.stacks, project.out_dir)


def test_a_change_in_net_whose_outputs_change_redeploys_its_dependants(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    aws = hooked_aws(moto, Rounds(hold=0))
    first = Deployer(project, aws).deploy()
    assert first.ok
    project = _edit(project, "net", "${AWS::StackName}-topic", "${AWS::StackName}-topic-2")  # a new TopicArn

    report = Deployer(project, aws).deploy()

    outcomes = {k: r.outcome for k, r in report.results.items()}
    assert outcomes == {
        "net": Outcome.UPDATED,
        "store": Outcome.UNCHANGED,
        "app": Outcome.UPDATED,  # its TopicArn parameter is the new topic's
        "edge": Outcome.UPDATED,  # app's Wiring output changed with it
    }
    assert report.results["net"].outputs["TopicArn"] != first.results["net"].outputs["TopicArn"]
    live = aws.client("cloudformation").describe_stacks(StackName="hana-dev-app")["Stacks"][0]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in live["Parameters"]}
    assert params["TopicArn"] == report.results["net"].outputs["TopicArn"]


def test_a_change_in_net_that_keeps_its_outputs_rechecks_its_dependants_and_leaves_them(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    aws = hooked_aws(moto, Rounds(hold=0))
    assert Deployer(project, aws).deploy().ok
    project = _edit(project, "net", "Description: net (test)", "Description: net (test, edited)")

    rounds = Rounds(hold=0)
    report = Deployer(project, hooked_aws(moto, rounds)).deploy()

    outcomes = {k: r.outcome for k, r in report.results.items()}
    assert outcomes == {
        "net": Outcome.UPDATED,
        "store": Outcome.UNCHANGED,
        "app": Outcome.UNCHANGED,
        "edge": Outcome.UNCHANGED,
    }
    # app and edge went through the scheduler after net (checked again with net's new outputs);
    # store was settled up front: described once, in round 1
    assert rounds.ops("DescribeStacks").count("hana-dev-store") == 1
    assert rounds.ops("DescribeStacks").count("hana-dev-app") >= 2


def test_plan_creates_the_change_sets_of_all_stacks_at_once(moto, tmp_path):
    """Every CreateChangeSet of `plan` waits at a barrier for the other three: one at a time would
    break it (BrokenBarrierError after its timeout, a bound on failure, not a measured time)."""
    project = write_project(tmp_path, T.STACKS)
    assert Deployer(project, hooked_aws(moto, Rounds(hold=0))).deploy().ok
    for key in ("net", "store", "app"):
        project = _edit(project, key, f"Description: {key} (test)", f"Description: {key} (test, edited)")
    project = _edit(project, "edge", '"edge (test)"', '"edge (test, edited)"')
    barrier = threading.Barrier(4, timeout=30)
    rounds = Rounds(hold=0)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def together(**_: Any) -> None:
        barrier.wait()

    session.events.register("before-call.cloudformation.CreateChangeSet", together)
    aws = Aws(Settings(env="dev", endpoint_url=moto), "us-east-1", session=rounds.hook(session))

    previews = Deployer(project, aws).plan()

    assert [p.key for p in previews] == project.order()
    assert all(p.state == "changes" for p in previews), previews
    made = [(start, end) for op, _, start, end in rounds.calls if op == "CreateChangeSet"]
    assert len(made) == 4
    assert max(start for start, _ in made) < min(end for _, end in made)  # all four in flight together


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        pytest.param(set(), [], id="nothing"),
        pytest.param({"waf"}, ["waf"], id="a-leaf"),
        pytest.param({"network"}, ["network", "database", "compute", "waf", "observability"], id="network"),
        pytest.param({"secrets"}, ["secrets", "iam", "database", "compute", "waf", "observability"], id="secrets"),
    ],
)
def test_the_scheduler_gets_the_changed_stacks_and_everything_downstream_of_them(changed, expected):
    from deploy.engine import snapshot
    from hana_templates import registry

    order = registry.order()
    deps = {k: registry.STACKS[k].upstream for k in order}
    assert snapshot.dirty(order, deps, set(order) - changed) == expected


def test_the_elapsed_time_of_a_noop_counts_from_the_survey(moto, tmp_path):
    """The summary's `in 0.2s` is the whole run: the up-front reads are most of a no-op."""
    from deploy.engine.cfn import Timing
    from deploy.engine.plan import FakeClock

    project = write_project(tmp_path, T.STACKS)
    assert Deployer(project, hooked_aws(moto, Rounds(hold=0))).deploy().ok
    clock = FakeClock()
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def tick(**_: Any) -> None:  # every API call takes one second of the fake clock
        clock.now += 1.0

    session.events.register("before-send", tick)
    aws = Aws(Settings(env="dev", endpoint_url=moto), "us-east-1", session=session)

    report = Deployer(project, aws, timing=Timing(clock=clock)).deploy()

    assert {r.outcome for r in report.results.values()} == {Outcome.UNCHANGED}
    assert report.elapsed == clock.now == 9.0  # five stacks described (with the nested master), four templates


# --- the whole command: the identity check overlaps round 1 -----------------------------------


def _cli(project: Project, aws: Aws, args: list[str]) -> Any:
    from click.testing import CliRunner

    from deploy.commands import App, cli

    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)
    return CliRunner().invoke(cli, args, obj=app)


def test_a_noop_all_command_with_its_identity_check_is_two_sequential_rounds(moto, tmp_path):
    """`python -m deploy all`: STS GetCallerIdentity (the account check and the "environment ..."
    line) runs beside the first round of reads, not before it (was three rounds)."""
    project = write_project(tmp_path, T.STACKS)
    assert Deployer(project, hooked_aws(moto, Rounds(hold=0))).deploy().ok

    rounds = Rounds()
    result = _cli(project, hooked_aws(moto, rounds), ["all"])

    assert result.exit_code == 0, result.output
    assert ": 4 unchanged" in result.stdout and "environment dev: account" in result.stderr
    assert "GetCallerIdentity" in {op for op, *_ in rounds.calls}
    assert rounds.count() <= 2, sorted(rounds.calls, key=lambda c: c[2])


def test_the_wrong_account_is_refused_before_a_noop_is_reported(moto, tmp_path):
    """The check still decides: a run in another account than the environment's ends with the
    refusal, nothing reported as unchanged (the reads before it changed nothing)."""
    from dataclasses import replace

    project = write_project(tmp_path, T.STACKS)
    assert Deployer(project, hooked_aws(moto, Rounds(hold=0))).deploy().ok
    pinned = Project(replace(project.cfg, account_id="999999999999"), project.stacks, project.out_dir)

    result = _cli(pinned, hooked_aws(moto, Rounds(hold=0)), ["all"])

    assert result.exit_code == 1
    assert "but environment dev lives in account 999999999999: refusing" in result.stderr
    assert "unchanged" not in result.stdout and "environment dev: account" not in result.stderr


def test_an_identity_failure_is_said_by_the_identity_check_even_when_the_reads_fail_too(moto, tmp_path):
    """No credentials: the survey's reads fail as well, but the line is the check's (one clear line
    naming login), as before the overlap."""
    project = write_project(tmp_path, T.STACKS)
    session = boto3.Session(region_name="us-east-1")  # no keys: every call fails to sign

    def no_credentials(**_: Any) -> None:
        from botocore.exceptions import NoCredentialsError

        raise NoCredentialsError()

    session.events.register("before-sign", no_credentials)
    aws = Aws(Settings(env="dev", endpoint_url=moto), "us-east-1", session=session)

    result = _cli(project, aws, ["all"])

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "login" in result.stderr.strip().splitlines()[-1], result.stderr
