"""`delete --purge`'s removal (deploy/engine/purge.py) on fakes: a purge that stops halfway (a refused
call) says where and that running it again finishes; the second run skips what is gone and does the
rest; secrets keep their recovery window unless forced; snapshots stay unless asked."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.engine import purge
from deploy.engine.kept import Kept, Snapshot
from deploy.errors import DeployError
from tests.deploy.fakes import client_error


class Fake:
    """One service: records every call; `fail` maps a method to the error it raises once."""

    def __init__(self, calls: list[tuple[str, dict]], fail: dict[str, Exception], gone: set[str]):
        self.calls, self.fail, self.gone = calls, fail, gone

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append((method, kwargs))
            if method in self.fail:
                raise self.fail.pop(method)
            ident = next((str(v) for v in kwargs.values() if isinstance(v, str)), "")
            if ident in self.gone:
                raise client_error("ResourceNotFoundException", "gone", method)
            if method.startswith("delete") or method == "schedule_key_deletion":
                self.gone.add(ident)
            return {}

        return call


class Aws:
    def __init__(self, fail: dict[str, Exception] | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.gone: set[str] = set()
        self.fail = fail or {}

    def client(self, _service: str) -> Any:
        return Fake(self.calls, self.fail, self.gone)


def _survey() -> purge.Survey:
    kept = [
        Kept("storage", "ApiRepository", "AWS::ECR::Repository", "hana-dev/api", "hana-dev/api"),
        Kept("secrets", "JwtSecret", "AWS::SecretsManager::Secret", "hana/dev/jwt", "arn:jwt"),
        Kept("network", "FlowLogGroup", "AWS::Logs::LogGroup", "/vpc/hana-dev/flow-logs", "/vpc/hana-dev/flow-logs"),
        Kept("messaging", "Q", "AWS::SQS::Queue", "hana-dev-q", "http://q/hana-dev-q"),
        Kept("network", "FlowLogKey", "AWS::KMS::Key", "KMS key k-1", "k-1"),
    ]
    snap = Snapshot("database", "Database", "rds", "final-1", "hana-dev-postgres")
    return purge.Survey(kept, {}, [snap])


OPTIONS = {"force_secrets": False, "delete_snapshots": False, "key_window": 7}


def test_an_interrupted_purge_says_where_and_the_next_run_finishes_it():
    aws = Aws(fail={"delete_log_group": client_error("AccessDeniedException", "no", "DeleteLogGroup")})
    with pytest.raises(DeployError) as stopped:
        purge.remove(aws, _survey(), **OPTIONS)
    assert str(stopped.value).startswith("purge stopped at log group /vpc/hana-dev/flow-logs: AccessDeniedException")
    assert "run the same command again to finish" in str(stopped.value)
    assert "queue" not in str(aws.calls) and "schedule_key_deletion" not in str(aws.calls)  # nothing after it

    lines = purge.remove(aws, _survey(), **OPTIONS)  # the same survey: what is gone is skipped
    assert lines[:2] == ["ECR repository hana-dev/api: gone already", "secret hana/dev/jwt: gone already"]
    assert lines[2:4] == ["log group /vpc/hana-dev/flow-logs: deleted", "queue hana-dev-q: deleted"]
    assert lines[4].startswith("KMS key k-1: deletion scheduled in 7 days")
    assert ("schedule_key_deletion", {"KeyId": "k-1", "PendingWindowInDays": 7}) in aws.calls
    assert not any(m == "delete_db_snapshot" for m, _ in aws.calls)  # the final snapshot stays


def test_secrets_keep_their_recovery_window_unless_forced_and_snapshots_go_only_when_asked():
    aws = Aws()
    purge.remove(aws, _survey(), **OPTIONS)
    assert ("delete_secret", {"SecretId": "arn:jwt", "RecoveryWindowInDays": 30}) in aws.calls
    forced = Aws()
    purge.remove(forced, _survey(), force_secrets=True, delete_snapshots=True, key_window=30)
    assert ("delete_secret", {"SecretId": "arn:jwt", "ForceDeleteWithoutRecovery": True}) in forced.calls
    assert ("delete_repository", {"repositoryName": "hana-dev/api", "force": True}) in forced.calls
    assert ("delete_db_snapshot", {"DBSnapshotIdentifier": "final-1"}) in forced.calls


def test_the_listing_says_what_each_holds_and_what_happens_to_it():
    s = _survey()
    s.holds = {s.kept[1]: "a value is set"}
    text = purge.listing(s, **OPTIONS)
    assert "  secret hana/dev/jwt: a value is set -> deleted with a 30-day recovery window" in text
    assert "KMS key k-1: ? -> deletion scheduled in 7 days" in text
    assert "rds snapshot final-1 of hana-dev-postgres: kept (--delete-snapshots deletes it)" in text


# --- through the command, on the emulator with the small test stacks (a retained queue and log group) ---


def test_purge_asks_for_the_name_and_a_wrong_answer_changes_nothing(moto, tmp_path):
    from deploy.commands import App
    from tests.deploy import templates as T
    from tests.deploy.conftest import moto_aws, write_project
    from tests.deploy.test_cli import invoke

    project = write_project(tmp_path, T.STACKS)
    aws = moto_aws(moto)

    def app() -> App:
        return App(project_factory=lambda env: project, aws_factory=lambda s, r: aws, interactive=lambda: True)

    assert invoke(["all"], app()).exit_code == 0
    queues = aws.client("sqs").list_queues()["QueueUrls"]
    wrong = invoke(["delete", "--purge"], app(), input="prod\n")
    assert wrong.exit_code == 1 and "not confirmed: nothing was deleted" in wrong.stderr
    assert "queue " in wrong.stdout and "about 0 messages -> deleted" in wrong.stdout  # listed before asking
    assert aws.client("sqs").list_queues()["QueueUrls"] == queues
    assert len(aws.client("cloudformation").describe_stacks()["Stacks"]) == 4

    done = invoke(["delete", "--purge"], app(), input="dev\n")
    assert done.exit_code == 0, done.output
    assert aws.client("cloudformation").describe_stacks()["Stacks"] == []
    assert not aws.client("sqs").list_queues().get("QueueUrls")
    assert "/test/hana-dev-app" not in str(aws.client("logs").describe_log_groups()["logGroups"])
