"""One writer per environment (issue #13): the deploy lock in SSM Parameter Store.

Unit tests run on a fake Parameter Store with AWS's documented semantics (tests/deploy/fakes.py:
FakeSsm); the race tests start two deploys at the same moment against the local emulator, many
times, and assert one complete environment and one clear refusal.
"""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest
from click.testing import CliRunner

from deploy.commands import App, cli
from deploy.engine.lock import Holder, Lock, LockHeld
from deploy.engine.plan import Deployer
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.fakes import FakeSsm

NAME = "/hana/dev/deploy-lock"


def _lock(ssm=None, **kw) -> Lock:
    return Lock(ssm or FakeSsm(), NAME, "dev", "python -m deploy --env dev", **kw)


def test_one_caller_wins_and_the_second_is_told_who_holds_it():
    ssm = FakeSsm()
    first, second = _lock(ssm), _lock(ssm)
    first.acquire("python -m deploy all (env dev)")
    with pytest.raises(LockHeld) as refused:
        second.acquire("python -m deploy stack compute (env dev)")
    text = str(refused.value)
    assert "another run holds the deploy lock of dev: `python -m deploy all (env dev)`" in text
    assert f"on {socket.gethostname()} (pid {os.getpid()})" in text
    assert "`--wait`" in text and "`python -m deploy --env dev lock break`" in text
    first.release()
    second.acquire("python -m deploy stack compute (env dev)")
    assert json.loads(ssm.parameters[NAME])["command"] == "python -m deploy stack compute (env dev)"


def test_release_never_removes_a_lock_someone_else_now_holds():
    ssm = FakeSsm()
    mine = _lock(ssm)
    mine.acquire("all")
    _lock(ssm).break_()  # someone broke it deliberately ...
    other = _lock(ssm)
    other.acquire("stack network")  # ... and took it
    mine.release()
    assert json.loads(ssm.parameters[NAME])["command"] == "stack network"


def test_a_lock_left_by_a_dead_process_here_is_called_stale_and_not_broken():
    ssm = FakeSsm()
    dead = Holder(socket.gethostname(), 2**22 + 12345, "alice", "all", "2026-12-05T07:00:00Z", "t")
    ssm.parameters[NAME] = json.dumps(dead.__dict__)
    with pytest.raises(LockHeld, match="no longer running on this machine, so the lock is stale"):
        _lock(ssm).acquire("all")
    assert NAME in ssm.parameters  # never broken silently


def test_wait_waits_for_the_holder_then_takes_the_lock():
    ssm = FakeSsm()
    holder = _lock(ssm)
    holder.acquire("all")
    slept = []
    said = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            holder.release()

    waiter = _lock(ssm, poll=0.5, sleep=sleep, emit=said.append)
    waiter.acquire("stack compute", wait=True)
    assert slept == [0.5, 0.5, 0.5]
    assert len(said) == 1 and said[0].startswith(f"waiting for the deploy lock of dev: held by `all` by {_user()}")
    assert json.loads(ssm.parameters[NAME])["command"] == "stack compute"


def _user() -> str:
    import getpass

    return getpass.getuser()


def test_an_unreadable_lock_value_still_refuses():
    ssm = FakeSsm()
    ssm.parameters[NAME] = "not json"
    with pytest.raises(LockHeld, match="unreadable lock value"):
        _lock(ssm).acquire("all")


# --- on the emulator: two deploys at the same moment ---------------------------------------------


def _app(url: str, project) -> App:
    from deploy.aws.session import Settings

    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: moto_aws(url))
    app.settings = Settings(env="dev", endpoint_url=url)
    return app


@pytest.mark.parametrize("attempt", range(12))
def test_two_deploys_at_once_give_one_environment_and_one_refusal(moto, tmp_path, attempt):
    project = write_project(tmp_path, T.STACKS)
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(i: int) -> None:
        app = _app(moto, project)
        deployer = Deployer(project, moto_aws(moto))
        start.wait()
        try:
            with app.locked():
                outcomes[i] = deployer.deploy()
        except LockHeld as err:
            outcomes[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [o for o in outcomes if isinstance(o, LockHeld)]
    reports = [o for o in outcomes if not isinstance(o, LockHeld)]
    assert len(refused) == 1 and len(reports) == 1, outcomes
    assert reports[0].ok, {k: (r.outcome, r.message) for k, r in reports[0].results.items()}
    assert "another run holds the deploy lock of dev" in str(refused[0])
    cfn = moto_aws(moto).client("cloudformation")
    live = {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}
    assert live == {f"hana-dev-{k}": "CREATE_COMPLETE" for k in ("net", "store", "app", "edge")}
    ssm = moto_aws(moto).client("ssm")
    names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    assert NAME not in names, "the lock is released"


def test_the_cli_refuses_in_one_line_and_lock_status_and_break_work(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    ssm = moto_aws(moto).client("ssm")
    other = Holder("ci-runner-7", 4242, "ci", "python -m deploy all (env dev)", "2026-12-05T07:00:00Z", "x")
    ssm.put_parameter(Name=NAME, Value=json.dumps(other.__dict__), Type="String")

    def invoke(args, stdin=None):
        return CliRunner().invoke(cli, ["--endpoint-url", moto, *args], obj=_app(moto, project), input=stdin)

    refused = invoke(["all"])
    assert refused.exit_code == 1
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: another run holds the deploy lock of dev: `python -m deploy all (env dev)` by ci on ci-runner-7"
        )
    )
    status = invoke(["lock", "status"])
    assert status.exit_code == 0 and "held by `python -m deploy all (env dev)` by ci on ci-runner-7" in status.stdout
    kept = invoke(["lock", "break"], stdin="n\n")
    assert kept.exit_code == 2  # no terminal: needs --yes
    broken = invoke(["lock", "break", "--yes"])
    assert broken.exit_code == 0 and "broke the deploy lock of dev" in broken.stdout
    assert invoke(["lock", "status"]).stdout.strip() == "the deploy lock of dev is free"
    assert invoke(["all"]).exit_code == 0


def test_a_lock_that_cannot_be_released_warns_and_never_hides_the_runs_own_error(tmp_path, capsys):
    from deploy.aws.session import Aws, Settings
    from deploy.errors import DeployError
    from tests.deploy.fakes import FakeSession, FakeSts

    class LostAfterTaking(FakeSsm):
        def get_parameter(self, Name, **_):  # noqa: N803 - the endpoint is gone by the time we release
            raise ConnectionError("gone")

    project = write_project(tmp_path, T.STACKS)
    session = FakeSession(sts=FakeSts(), ssm=LostAfterTaking())
    app = App(
        project_factory=lambda env: project, aws_factory=lambda settings, region: Aws(settings, region, session=session)
    )
    app.settings = Settings(env="dev")
    with pytest.raises(DeployError, match="the run's own failure"), app.locked():
        raise DeployError("the run's own failure")
    assert (
        "warning: could not release the deploy lock of dev (ConnectionError); once no run is active: "
        "`python -m deploy --env dev lock break`" in capsys.readouterr().err
    )
