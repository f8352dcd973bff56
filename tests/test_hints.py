"""Every hint the deployer's new messages print parses as printed, in the mode it was printed in
(ARCHITECTURE principle 14): the lock refusals, the lost endpoint, the interrupted and lost-run
messages, credentials that expired mid-run (login, then resume) and the expiry warning before a
long run. The backticked `python -m deploy ...` parts are parsed like tests/test_docs.py does."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import EndpointConnectionError

from deploy.aws.session import expiry_text, unreachable_text, untrusted_endpoint_text
from deploy.engine.lock import Holder, Lock, LockHeld
from tests.deploy.fakes import FakeSsm
from tests.test_docs import parse

HINT = re.compile(r"`(python -m deploy [^`]+)`")


def _lock_refusal(prefix: str, dead: bool) -> str:
    ssm = FakeSsm()
    pid = 2**22 + 7 if dead else os.getpid()
    holder = Holder(socket.gethostname(), pid, "alice", "all", "2026-12-05T07:00:00Z", "t")
    ssm.parameters["/hana/dev/deploy-lock"] = json.dumps(holder.__dict__)
    with pytest.raises(LockHeld) as refused:
        Lock(ssm, "/hana/dev/deploy-lock", "dev", prefix).acquire("all")
    return str(refused.value)


def _messages() -> list[pytest.param]:
    from deploy.engine.plan import Deployer

    found = []
    for prefix in ("python -m deploy --env dev", "python -m deploy --env dev --local"):
        found += [
            pytest.param(_lock_refusal(prefix, dead=False), id=f"lock held [{prefix}]"),
            pytest.param(_lock_refusal(prefix, dead=True), id=f"lock stale [{prefix}]"),
        ]
        fake = type("P", (), {"command": staticmethod(lambda prefix=prefix: prefix)})
        deployer = Deployer.__new__(Deployer)
        deployer.project = fake
        flying = {"app": ("hana-dev-app", "CREATE_IN_PROGRESS")}
        found += [
            pytest.param(deployer._interrupted_message("deploy", flying), id=f"interrupted [{prefix}]"),
            pytest.param(deployer._interrupted_message("status", flying), id=f"interrupted push [{prefix}]"),
            pytest.param(deployer._lost_message("cannot reach x", "stack app", flying), id=f"lost [{prefix}]"),
        ]
        for profile in ("hana-dev", None):
            deployer.aws = type("A", (), {"profile": profile})()
            expired = deployer._expired_message("AWS stopped accepting the credentials mid-run (x)", "deploy", flying)
            found.append(pytest.param(expired, id=f"credentials expired, profile {profile} [{prefix}]"))
            at = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
            warning = expiry_text(profile, prefix, at + timedelta(minutes=12), at)
            found.append(pytest.param(warning, id=f"expiry warning, profile {profile} [{prefix}]"))
    found += _cascade_hints()
    found.append(
        pytest.param(unreachable_text(EndpointConnectionError(endpoint_url="http://127.0.0.1:4566/")), id="unreachable")
    )
    for from_env in (False, True):
        found.append(
            pytest.param(
                untrusted_endpoint_text("https://proxy.example.com", from_env, "dev"),
                id=f"untrusted endpoint [{'env' if from_env else 'flag'}]",
            )
        )
    return found


def _cascade_hints() -> list[pytest.param]:
    """`stack network` whose outputs changed names its stale dependants (deploy/engine/cascade.py)."""
    from deploy.engine import cascade
    from deploy.engine.project import Project

    found = []
    for mode in ("", "--local"):
        project = Project.default("dev")
        project.mode = mode
        stale = cascade.stale(project, "network", ["VpcId"])
        text = cascade.hint(project, "network", ["VpcId"], stale)
        found.append(pytest.param(text, id=f"cascade [{mode or 'aws'}]"))
    return found


@pytest.mark.parametrize("message", _messages())
def test_every_hint_parses_as_printed(message):
    hints = HINT.findall(message)
    assert hints, f"no hint in: {message}"
    for hint in hints:
        parse(shlex.split(hint.removeprefix("python -m deploy ")))
