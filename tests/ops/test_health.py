"""`health` calls exactly `<ServiceUrl>/health` from the compute stack's outputs (a server on
127.0.0.1 here) and reports status and latency; anything but 200 is exit 1."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from deploy.commands import cli
from tests.ops.conftest import app_for, aws_on, deploy_stacks, make_project


class Server:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.status = 200
        self.body = b'{"status":"ok","version":"0f3c9a2b7d1e"}'
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                outer.paths.append(self.path)
                self.send_response(outer.status)
                if outer.status in (301, 302):
                    self.send_header("Location", "http://example.com/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()


@pytest.fixture
def app(moto, tmp_path, server):
    project = make_project(tmp_path, "dev", service_url=server.url)
    deploy_stacks(moto, project)
    return app_for(project, aws_on(moto))


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def test_healthy(app, server):
    result = invoke(["health"], app)
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert line.startswith(f"GET {server.url}/health: 200 OK in ")
    assert line.endswith(' ms  {"status":"ok","version":"0f3c9a2b7d1e"}')
    assert server.paths == ["/health"]


def test_repeat_reports_the_latency_spread(app, server):
    result = invoke(["health", "--repeat", "3"], app)
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1].startswith("3/3 healthy; latency min ")
    assert server.paths == ["/health"] * 3


def test_unhealthy_is_exit_1(app, server):
    server.status, server.body = 503, b"database unreachable"
    result = invoke(["health"], app)
    assert result.exit_code == 1
    assert "503 Service Unavailable in " in result.stdout and "database unreachable" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: dev is not healthy: 503 Service Unavailable from {server.url}/health"
    )


def test_a_redirect_is_reported_not_followed(app, server):
    server.status = 301
    result = invoke(["health"], app)
    assert result.exit_code == 1
    assert server.paths == ["/health"]  # example.com was never called
    assert "301 Moved Permanently" in result.stdout


def test_no_answer(moto, tmp_path):
    project = make_project(tmp_path, "dev", service_url="http://127.0.0.1:9")  # discard port: nothing listens
    deploy_stacks(moto, project)
    result = invoke(["health", "--timeout", "2"], app_for(project, aws_on(moto)))
    assert result.exit_code == 1
    assert result.stdout.startswith("GET http://127.0.0.1:9/health: no answer after ")
    assert result.stderr.strip().splitlines()[-1].startswith("error: dev is not healthy: no answer (")


def test_without_compute_there_is_nothing_to_call(moto, tmp_path):
    result = invoke(["health"], app_for(make_project(tmp_path, "dev"), aws_on(moto)))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: hana-dev-compute is not deployed, so there is no load balancer to call: "
        "`python -m deploy --env dev stack compute`"
    )


def test_against_the_emulator_only_a_loopback_url_is_called(moto, tmp_path):
    project = make_project(tmp_path, "dev")  # ServiceUrl: an ELB name, as the emulator makes them
    deploy_stacks(moto, project)
    result = invoke(["health"], app_for(project, aws_on(moto)))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the emulator's load balancer hana-test-alb-1.us-east-1.elb.amazonaws.com serves no traffic: "
        "`health` calls only the URL in hana-dev-compute's outputs, so run it against AWS"
    )
