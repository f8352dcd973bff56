"""`logs` against moto's CloudWatch Logs: the service's group, time order across streams, --since,
--filter, one colour per stream, --follow printing each event once, a missing group."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from deploy.commands import cli
from deploy.errors import BadInput
from deploy.ops.logs import COLORS, parse_since
from tests.ops.conftest import app_for, aws_on, make_project, session

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def put(url: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    logs = session().client("logs", endpoint_url=url)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        # "now" when the events are written, not when the module was imported: under xdist a test may
        # run minutes after collection, and the events must still fall in the window it asks for.
        logEvents=[{"timestamp": int(time.time() * 1000) - ago_s * 1000, "message": m} for ago_s, m in events],
    )


@pytest.fixture
def app(moto, tmp_path):
    put(moto, "/ecs/hana-dev/api", "api/api/task1", [(300, "listening on 3000"), (60, "ERROR db timeout")])
    put(moto, "/ecs/hana-dev/api", "api/api/task2", [(120, "GET /health 200")])
    put(moto, "/ecs/hana-dev/api", "api/api/task1-old", [(7200, "yesterday's news")])
    put(moto, "/ecs/hana-dev/workers", "workers/workers/w1", [(30, "run 42 done")])
    return app_for(make_project(tmp_path, "dev"), aws_on(moto))


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def messages(stdout: str) -> list[str]:
    return [line.split(" ", 2)[2] for line in ANSI.sub("", stdout).splitlines()]


def test_logs_default_to_the_api_the_last_10_minutes_in_time_order(app):
    result = invoke(["logs"], app)
    assert result.exit_code == 0, result.output
    assert messages(result.stdout) == ["listening on 3000", "GET /health 200", "ERROR db timeout"]
    first = result.stdout.splitlines()[0].split(" ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first[0])
    assert first[1] == "task1"  # the stream without its api/api/ prefix: the task id
    assert result.stderr.startswith("/ecs/hana-dev/api since ")
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal


def test_since_filter_and_service(app):
    assert messages(invoke(["logs", "--since", "3h"], app).stdout)[0] == "yesterday's news"
    assert messages(invoke(["logs", "--filter", "ERROR"], app).stdout) == ["ERROR db timeout"]
    assert messages(invoke(["logs", "workers"], app).stdout) == ["run 42 done"]


def test_each_stream_has_its_own_colour(app):
    result = invoke(["logs", "--color"], app)
    colours = {}
    for line in result.stdout.splitlines():
        stamp, label, _ = line.split(" ", 2)
        colours.setdefault(ANSI.sub("", label), ANSI.findall(label)[0])
    assert list(colours) == ["task1", "task2"]
    assert len(set(colours.values())) == 2
    assert len(COLORS) >= 6


def test_follow_prints_each_event_once_and_ctrl_c_ends_it_normally(app, moto):
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:  # between the first and the second poll, a new event arrives
            put(moto, "/ecs/hana-dev/api", "api/api/task2", [(0, "new request")])
        if len(polls) == 3:
            raise KeyboardInterrupt

    app.timing.sleep = sleep
    result = invoke(["logs", "-f"], app)
    assert result.exit_code == 0, result.output
    assert messages(result.stdout) == ["listening on 3000", "GET /health 200", "ERROR db timeout", "new request"]
    assert polls == [2.0, 2.0, 2.0]
    assert "(following: Ctrl-C to stop)" in result.stderr


def test_a_missing_log_group_says_to_deploy_compute(moto, tmp_path):
    app = app_for(make_project(tmp_path, "dev"), aws_on(moto))
    result = invoke(["logs", "ws"], app)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: log group /ecs/hana-dev/ws does not exist in us-east-1: deploy the compute stack first "
        "(`python -m deploy --env dev stack compute`)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", datetime(2026, 3, 1, 11, 50, tzinfo=UTC)),
        ("1h", datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
        ("2d", datetime(2026, 2, 27, 12, 0, tzinfo=UTC)),
        ("1w", datetime(2026, 2, 22, 12, 0, tzinfo=UTC)),
        ("45s", datetime(2026, 3, 1, 11, 59, 15, tzinfo=UTC)),
        ("2026-03-01T08:30", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
        ("2026-03-01T08:30:00Z", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_since_accepts_durations_and_times(text, expected):
    assert parse_since(text, datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) == expected


@pytest.mark.parametrize("text", ["", "1x", "-5m", "yesterday", "10 minutes"])
def test_since_refuses_anything_else(text):
    with pytest.raises(BadInput, match="expected a duration such as 10m"):
        parse_since(text, datetime(2026, 3, 1, tzinfo=UTC))
