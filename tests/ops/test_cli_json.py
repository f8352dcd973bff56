"""`--json` of the read-only operations commands (issue #17): `secrets list --json` and `health
--json` print nothing but JSON on stdout, with the keys docs/operations.md ("JSON output") lists;
hints and errors stay on stderr."""

from __future__ import annotations

import json

from click.testing import CliRunner

from deploy.commands import cli
from tests.ops.conftest import app_for, aws_on, deploy_stacks, make_project
from tests.ops.test_health import Server
from tests.ops.test_secrets import create_secrets

SECRET_KEYS = {"key", "name", "state", "generated", "managed", "needs_value", "changed", "readers"}


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def test_secrets_list_json(moto, tmp_path):
    create_secrets(moto)
    result = invoke(["secrets", "list", "--json"], app_for(make_project(tmp_path, "dev"), aws_on(moto)))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)  # nothing else on stdout
    assert all(set(r) == SECRET_KEYS for r in rows)
    by_key = {r["key"]: r for r in rows}
    assert by_key["anthropic-api-key"]["state"] == "empty" and by_key["anthropic-api-key"]["needs_value"] is True
    assert by_key["rds-master"]["state"] == "set" and by_key["rds-master"]["generated"] is True
    assert by_key["rds-master"]["changed"].endswith("Z")
    assert "p" * 32 not in result.output  # never a value
    # the "has no value yet" hints go to stderr, still pasteable
    assert "anthropic-api-key (required) has no value yet: `python -m deploy --env dev secrets set" in result.stderr


def test_health_json(moto, tmp_path):
    server = Server()
    try:
        project = make_project(tmp_path, "dev", service_url=server.url)
        deploy_stacks(moto, project)
        app = app_for(project, aws_on(moto))
        healthy = invoke(["health", "--json", "--repeat", "2"], app)
        assert healthy.exit_code == 0, healthy.output
        document = json.loads(healthy.stdout)
        assert set(document) == {"env", "url", "healthy", "probes"}
        assert document["url"] == f"{server.url}/health" and document["healthy"] is True
        assert [set(p) for p in document["probes"]] == [{"status", "reason", "seconds", "body"}] * 2
        assert document["probes"][0]["status"] == 200

        server.status, server.body = 503, b"down"
        app._aws = app._project = None
        sick = invoke(["health", "--json"], app)
        assert sick.exit_code == 1
        assert json.loads(sick.stdout)["healthy"] is False  # the JSON, then the one error line on stderr
        assert sick.stderr.strip().splitlines()[-1].startswith("error: dev is not healthy: 503")
    finally:
        server.httpd.shutdown()
