"""What the user sees: on a terminal one line per stack redrawn in place, in CI plain event lines."""

from __future__ import annotations

import io
import re

from deploy.engine.cfn import Outcome, Result
from deploy.ui.progress import LiveReporter, PlainReporter, fmt_elapsed, make_reporter

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NAMES = {"network": "hana-dev-network", "storage": "hana-dev-storage", "database": "hana-dev-database"}
DEPS = {"database": frozenset({"network"})}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(raw: str) -> list[str]:
    """What a terminal shows: replay cursor-up (ESC[nF) and clear-to-end (ESC[J) over written lines."""
    lines: list[str] = []
    row = 0
    for token in re.split(r"(\x1b\[\d*F|\x1b\[J|\n)", raw):
        if not token:
            continue
        if m := re.fullmatch(r"\x1b\[(\d*)F", token):
            row -= int(m.group(1) or 1)
        elif token == "\x1b[J":
            del lines[row:]
        elif token == "\n":
            row += 1
        else:
            text = ANSI.sub("", token)
            while len(lines) <= row:
                lines.append("")
            lines[row] = text
    return lines


def test_the_live_display_keeps_one_line_per_stack():
    out, clock = io.StringIO(), Clock()
    live = LiveReporter(out, clock=clock, refresh=3600, color=False, width=lambda: 120)
    live.begin("deploy", NAMES, DEPS)
    live.start("network")
    live.start("storage")
    clock.now += 42
    live.update("network", state="CREATE_IN_PROGRESS", done=12, total=40, current="NatGateway1 (AWS::EC2::NatGateway)")
    live.finish("storage", Result("storage", "hana-dev-storage", Outcome.UNCHANGED, 0.4))
    live.note("network", "something worth reading")
    live.close()

    shown = screen(out.getvalue())
    assert shown[0] == "network: something worth reading"  # notes print above the block
    rows = shown[1:]
    assert len(rows) == 3
    assert rows[0].split()[:5] == ["network", "CREATE_IN_PROGRESS", "42s", "12/40", "NatGateway1"]
    assert rows[1].split()[:3] == ["storage", "=", "unchanged"]
    assert rows[2].split() == ["database", "waiting", "for", "network"]


def test_the_live_display_never_wraps():
    out = io.StringIO()
    live = LiveReporter(out, clock=Clock(), refresh=3600, color=False, width=lambda: 40)
    live.begin("deploy", NAMES, DEPS)
    live.start("network")
    live.update("network", state="CREATE_IN_PROGRESS", current="AVeryLongLogicalIdThatWouldWrap (AWS::X::Y)")
    live.close()
    assert all(len(line) <= 39 for line in screen(out.getvalue()))


def test_a_failure_is_printed_in_full_under_its_line_once_the_run_is_over():
    out = io.StringIO()
    live = LiveReporter(out, clock=Clock(), refresh=3600, color=False, width=lambda: 60)
    live.begin("deploy", NAMES, DEPS)
    live.start("network")
    message = "ROLLBACK_COMPLETE: Vpc (AWS::EC2::VPC): The CIDR '10.0.0.0/8' is invalid and much too long to fit"
    live.finish("network", Result("network", "hana-dev-network", Outcome.FAILED, 3.0, message=message))
    during = screen(out.getvalue())
    assert during[0].split()[:3] == ["network", "✗", "failed"] and during[0].endswith("…")  # shortened meanwhile
    live.close()
    shown = screen(out.getvalue())
    assert shown[0].split() == ["network", "✗", "failed", "0.0s"]
    assert all(len(line) <= 59 for line in shown)
    under = shown[1 : next(i for i, line in enumerate(shown) if line.split()[0] == "storage")]
    assert " ".join(" ".join(under).split()) == message  # wrapped under the line, in full, once


def test_plain_lines_for_logs():
    out, clock = io.StringIO(), Clock()
    plain = PlainReporter(out, clock=clock)
    plain.begin("deploy", NAMES, DEPS)
    plain.start("network")
    clock.now += 1.5
    plain.event(
        "network",
        {
            "LogicalResourceId": "Vpc",
            "ResourceType": "AWS::EC2::VPC",
            "ResourceStatus": "CREATE_FAILED",
            "ResourceStatusReason": "The CIDR is invalid",
        },
    )
    plain.update("network", state="CREATE_IN_PROGRESS")
    plain.update("network", state="CREATE_IN_PROGRESS")  # no change, no line
    plain.update("network", state="ROLLBACK_IN_PROGRESS")
    plain.update("network", state="ROLLBACK_COMPLETE")  # the final state is the finish line
    clock.now += 1.0
    plain.finish("network", Result("network", "hana-dev-network", Outcome.FAILED, 2.5, message="Vpc: invalid"))
    assert out.getvalue().splitlines() == [
        "[    1.5s] network  Vpc AWS::EC2::VPC CREATE_FAILED",  # the reason: once, in the summary
        "[    1.5s] network  CREATE_IN_PROGRESS",
        "[    1.5s] network  ROLLBACK_IN_PROGRESS",
        "[    2.5s] network  failed in 2.5s",
    ]
    assert "\x1b" not in out.getvalue()


def test_the_live_display_is_only_for_terminals(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(make_reporter(Tty()), LiveReporter)
    assert isinstance(make_reporter(io.StringIO()), PlainReporter)
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(make_reporter(Tty()), PlainReporter)


def test_elapsed_times_read_naturally():
    assert [fmt_elapsed(s) for s in (0.42, 42, 185, 3720)] == ["0.4s", "42s", "3m05s", "1h02m"]
