"""The project layer and the printed views: what is retained comes from the templates' own
DeletionPolicy, stale out/ is detected like `generate.py --check`, tables and plans read well."""

from __future__ import annotations

import shutil

import pytest

from deploy.aws.session import Aws, Settings
from deploy.engine.cfn import Change, Outcome, Preview, Result
from deploy.engine.plan import RunReport
from deploy.engine.project import DEFAULT_OUT, Project, _generator_problems, parse_template
from deploy.errors import BadInput
from deploy.ui import views
from hana_templates import config, registry
from tests import tmpl
from tests.deploy.fakes import FakeCfn, FakeSession, FakeSts


def test_the_retained_list_is_every_resource_the_templates_keep(env):
    project = Project.default(env)
    retained = project.retained(account="123456789012")
    expected = {
        (stack, logical)
        for stack in registry.STACKS
        for logical, res in tmpl.template(env, stack)["Resources"].items()
        if res.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate", "Snapshot")
    }
    assert {(r.stack, r.logical_id) for r in retained} == expected
    assert expected, "the stacks keep their data on delete"


def test_retained_resources_are_grouped_and_named(env):
    retained = Project.default(env).retained(account="123456789012")
    text = views.retained_text(retained, env)
    assert text.startswith(f"Kept after the delete (DeletionPolicy in out/{env}/*.yaml")
    assert f"hana-{env}-agent-runs.fifo" in text
    queues = [r for r in retained if r.type == "AWS::SQS::Queue"]
    assert {r.category for r in queues} == {"SQS queues"}


def test_a_snapshot_policy_is_shown_as_a_final_snapshot():
    from deploy.engine.project import Retained

    r = Retained("database", "Db", "AWS::RDS::DBInstance", "Snapshot", "hana-dev-postgres")
    assert (r.category, r.label) == ("RDS snapshots", "final snapshot of hana-dev-postgres")


def test_stale_and_missing_templates_are_found_like_generate_check(tmp_path, env):
    shutil.copytree(DEFAULT_OUT / env, tmp_path / env)
    cfg = config.get(env)
    assert _generator_problems(cfg, tmp_path) == []
    path = tmp_path / env / "messaging.yaml"
    path.write_text(path.read_text() + "# edited by hand\n")
    assert _generator_problems(cfg, tmp_path) == ["messaging.yaml stale"]
    path.unlink()
    assert _generator_problems(cfg, tmp_path) == ["messaging.yaml missing"]


def test_the_real_out_directory_is_current(env):
    Project.default(env).check()


def test_stacks_resolve_by_short_or_full_name(env):
    project = Project.default(env)
    assert project.resolve("messaging") == project.resolve(f"hana-{env}-messaging") == "messaging"
    with pytest.raises(BadInput) as caught:
        project.resolve("hana-x")
    assert str(caught.value) == f"unknown stack 'hana-x'; valid stacks: {', '.join(registry.order())}"


def test_short_form_yaml_is_understood():
    body = "Resources:\n  A:\n    Type: X\n    Properties:\n      B: !GetAtt C.Arn\n      D: !Ref E\n      F: !Sub '${G}'\n"
    props = parse_template(body)["Resources"]["A"]["Properties"]
    assert props == {"B": {"Fn::GetAtt": ["C", "Arn"]}, "D": {"Ref": "E"}, "F": {"Fn::Sub": "${G}"}}


# --- views ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        pytest.param(
            {"AlbDnsName": "alb.example"},
            [
                ("Load Balancer", "alb.example"),
                ("Health Check", "http://alb.example/health"),
                ("API", "http://alb.example/api/"),
                ("WebSocket", "ws://alb.example/ws/"),
            ],
            id="http",
        ),
        pytest.param(
            {"AlbDnsName": "alb.example", "ServiceUrl": "https://api.hana.example.com"},
            [
                ("Load Balancer", "alb.example"),
                ("Health Check", "https://api.hana.example.com/health"),
                ("API", "https://api.hana.example.com/api/"),
                ("WebSocket", "wss://api.hana.example.com/ws/"),
            ],
            id="https",
        ),
        pytest.param({}, [], id="not-deployed"),
    ],
)
def test_key_endpoints_come_from_the_compute_outputs(outputs, expected):
    assert views.endpoints([{}, outputs]) == expected


def test_plan_lists_replacements_first(tmp_path):
    fake = FakeCfn()
    fake.add_stack("hana-dev-app", "UPDATE_COMPLETE", template="old")

    def change(action, logical, replacement=None, names=()):
        details = [{"Target": {"Attribute": "Properties", "Name": n}} for n in names]
        rc = {"Action": action, "LogicalResourceId": logical, "ResourceType": "AWS::X::Y", "Details": details}
        if replacement:
            rc["Replacement"] = replacement
        return {"Type": "Resource", "ResourceChange": rc}

    fake.changes["hana-dev-app"] = [
        change("Add", "New"),
        change("Modify", "Tweaked", "False", ["Tags"]),
        change("Remove", "Gone"),
        change("Modify", "Maybe", "Conditional", ["Engine"]),
        change("Modify", "Swapped", "True", ["Name", "Name"]),
    ]
    from deploy.engine.cfn import Request
    from deploy.engine.stackops import StackOps

    req = Request("app", "hana-dev-app", "Resources: {}\n", {}, {})
    preview = StackOps(fake).preview(req, {})

    assert [c.logical_id for c in preview.changes] == ["Swapped", "Gone", "Maybe", "Tweaked", "New"]
    assert fake.change_sets == {}  # never executed, always deleted
    text = views.plan_text([preview], "dev").splitlines()
    assert text[0] == "hana-dev-app: 1 to add, 3 to modify (2 replaced), 1 to remove"
    assert text[1].split() == ["replace", "Swapped", "AWS::X::Y", "(Name)"]
    assert text[3].split()[:2] == ["may", "replace"]


def test_a_new_stack_is_planned_from_its_template_without_touching_aws():
    fake = FakeCfn()
    from deploy.engine.cfn import Request
    from deploy.engine.stackops import StackOps

    resources = {"A": {"Type": "AWS::SNS::Topic"}, "B": {"Type": "AWS::SNS::Topic"}, "C": {"Type": "AWS::SQS::Queue"}}
    preview = StackOps(fake).preview(Request("net", "hana-dev-net", "", {}, {}), resources)
    assert preview.state == "new"
    assert fake.ops() == ["describe_stacks"]
    line = views.plan_text([preview], "dev").splitlines()[0]
    assert line == "hana-dev-net: new stack, 3 resources to add: 2 AWS::SNS::Topic, 1 AWS::SQS::Queue"


def test_the_summary_lists_every_stack_and_the_totals():
    results = {
        "net": Result("net", "hana-dev-net", Outcome.CREATED, 62.0),
        "app": Result("app", "hana-dev-app", Outcome.FAILED, 3.5, message="Queue (AWS::SQS::Queue): bad"),
        "edge": Result("edge", "hana-dev-edge", Outcome.SKIPPED, message="app failed"),
    }
    text = views.summary(RunReport("deploy", results, 65.5), "dev").splitlines()
    assert text[0] == "deploy dev: 3 stacks in 1m05s: 1 created, 1 failed, 1 skipped"
    assert text[1].split() == ["net", "created", "1m02s"]
    assert text[2].split()[:3] == ["app", "failed", "3.5s"] and text[2].endswith("Queue (AWS::SQS::Queue): bad")
    assert text[3].split() == ["edge", "skipped", "app", "failed"]


def test_status_marks_stacks_not_deployed(tmp_path):
    from deploy.engine.plan import Deployer
    from tests.deploy import templates as T
    from tests.deploy.conftest import write_project

    project = write_project(tmp_path, T.STACKS)
    fake = FakeCfn()
    fake.add_stack("hana-dev-net", "CREATE_COMPLETE", protected=True)
    aws = Aws(Settings(), "us-east-1", session=FakeSession(cloudformation=fake, sts=FakeSts()))
    rows = Deployer(project, aws).status()
    text = views.status_text(rows, "dev")
    assert "| `hana-dev-net`   | CREATE_COMPLETE (protected) | 2026-01-01 00:00 UTC | a topic" in text
    assert "| `hana-dev-edge`  | NOT DEPLOYED" in text
    assert "(none yet" in text


def test_previews_report_stuck_stacks_instead_of_planning(tmp_path):
    from deploy.engine.cfn import Request
    from deploy.engine.stackops import StackOps

    fake = FakeCfn()
    fake.add_stack("hana-dev-app", "UPDATE_ROLLBACK_FAILED")
    preview: Preview = StackOps(fake).preview(Request("app", "hana-dev-app", "", {}, {}), {})
    assert (preview.state, preview.message) == ("blocked", "UPDATE_ROLLBACK_FAILED: deploy needs --continue-rollback")
    assert "create_change_set" not in fake.ops()
    assert isinstance(Change("Add", "A", "T").rank, int)
