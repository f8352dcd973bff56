"""`push` with a fake docker on PATH (its `push` puts the image into moto's ECR), a real git
repository as the build context, and the rollout through the deployer on moto's CloudFormation."""

from __future__ import annotations

import base64
import logging
import subprocess

import pytest
from click.testing import CliRunner

from deploy.commands import cli
from deploy.engine.project import Project
from tests.ops import fakes
from tests.ops.conftest import app_for, aws_on, deploy_stacks, make_project, session

COUNTS = {"api": 1, "ws": 1, "workers": 1}


def git(cwd, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def context(tmp_path, monkeypatch):
    """The application repository: a Dockerfile, committed."""
    repo = tmp_path / "hana"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM node:22-slim\nCOPY . .\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "app")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return repo


@pytest.fixture
def docker(fake_bin, moto, monkeypatch):
    fake_bin.add("docker", fakes.DOCKER)
    fake_bin.link("git")
    monkeypatch.setenv("FAKE_ECR_URL", moto)
    return fake_bin


@pytest.fixture
def project(tmp_path, moto):
    project = make_project(tmp_path / "infra", "dev")
    deploy_stacks(moto, project, counts=COUNTS)
    return project


def aws_app(project, moto):
    return app_for(project, aws_on(moto, as_real_aws=True))


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def stack_parameters(url: str) -> dict[str, str]:
    stack = session().client("cloudformation", endpoint_url=url).describe_stacks(StackName="hana-dev-compute")
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Stacks"][0]["Parameters"]}


def ecr_tags(url: str) -> dict[str, str]:
    images = session().client("ecr", endpoint_url=url).describe_images(repositoryName="hana-dev/api")["imageDetails"]
    return {tag: i["imageDigest"] for i in images for tag in i.get("imageTags", [])}


def test_push_builds_logs_in_through_stdin_pushes_and_rolls_out(docker, context, project, moto, caplog):
    caplog.set_level(logging.INFO)  # what --debug shows
    sha = git(context, "rev-parse", "HEAD")[:12]
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/hana-dev/api"
    result = invoke(["push", "--context", str(context)], aws_app(project, moto))
    assert result.exit_code == 0, result.output

    argv = docker.argv("docker")
    assert [a[0] for a in argv] == ["version", "build", "login", "push", "push"]
    assert argv[1] == [
        "build",
        "--platform",
        "linux/amd64",
        "--file",
        str(context / "Dockerfile"),
        "--tag",
        f"{uri}:{sha}",
        "--tag",
        f"{uri}:latest",
        "--label",
        f"org.opencontainers.image.revision={git(context, 'rev-parse', 'HEAD')}",
        str(context),
    ]
    token = session().client("ecr", endpoint_url=moto).get_authorization_token()["authorizationData"][0]
    password = base64.b64decode(token["authorizationToken"]).decode().partition(":")[2]
    login = docker.calls("docker")[2]
    assert login["argv"] == ["login", "--username", "AWS", "--password-stdin", uri.split("/")[0]]
    assert login["stdin"] == password
    assert all(password not in " ".join(a) for a in argv)
    assert password not in result.output
    assert password not in caplog.text and "docker login --username AWS --password-stdin" in caplog.text
    assert argv[3:] == [["push", f"{uri}:{sha}"], ["push", f"{uri}:latest"]]

    assert set(ecr_tags(moto)) == {sha, "latest"}
    params = stack_parameters(moto)
    assert params["ImageTag"] == sha
    assert {k: params[k] for k in ("ApiDesiredCount", "WsDesiredCount", "WorkersDesiredCount")} == dict.fromkeys(
        ("ApiDesiredCount", "WsDesiredCount", "WorkersDesiredCount"), "1"
    )  # the live counts were kept
    assert f"pushed {uri}:{sha} and :latest (sha256:" in result.stdout
    assert "deploy dev: 1 stack in " in result.stdout and ": 1 updated" in result.stdout
    assert "| api     | 1/1 running |" in result.stdout
    assert f"rolling out {sha} (ImageTag latest -> {sha} in hana-dev-compute)" in result.stderr


def test_the_same_image_again_is_not_rolled_out_a_new_image_under_the_same_tag_restarts(
    docker, context, project, moto, monkeypatch
):
    app = aws_app(project, moto)
    assert invoke(["push", "--context", str(context)], app).exit_code == 0
    sha = git(context, "rev-parse", "HEAD")[:12]

    again = invoke(["push", "--context", str(context)], aws_app(project, moto))
    assert again.exit_code == 0, again.output
    assert again.stdout.strip().endswith(f"hana-dev-compute already runs {sha}, the same image: nothing to roll out")

    monkeypatch.setenv("FAKE_IMAGE", "v2")  # a rebuild of the same commit that came out different
    ecs = session().client("ecs", endpoint_url=moto)
    first = ecs.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]["deployments"][0]["id"]
    rebuilt = invoke(["push", "--context", str(context)], aws_app(project, moto))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "ECR now holds a new image under it: restarting" in rebuilt.stderr
    after = ecs.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]["deployments"][0]["id"]
    assert after != first
    assert stack_parameters(moto)["ImageTag"] == sha


def test_uncommitted_changes_get_their_own_tag(docker, context, project, moto):
    (context / "server.js").write_text("console.log('wip')\n")
    result = invoke(["push", "--context", str(context), "--no-rollout"], aws_app(project, moto))
    assert result.exit_code == 0, result.output
    sha = git(context, "rev-parse", "HEAD")[:12]
    tag = next(t for t in ecr_tags(moto) if t != "latest")
    assert tag.startswith(f"{sha}-dirty-") and len(tag) == len(sha) + len("-dirty-") + 14
    assert "(uncommitted changes in the context)" in result.stderr


def test_no_rollout_pushes_only_and_says_how_to_roll_out(docker, context, project, moto):
    result = invoke(["push", "--context", str(context), "--tag", "v1.2.3", "--no-rollout"], aws_app(project, moto))
    assert result.exit_code == 0, result.output
    assert set(ecr_tags(moto)) == {"v1.2.3", "latest"}
    assert stack_parameters(moto)["ImageTag"] == "latest"
    assert result.stdout.strip().splitlines()[-1] == (
        "not rolled out: run `python -m deploy --env dev stack compute -p ImageTag=v1.2.3` when ready"
    )


def test_a_compute_template_that_differs_from_the_deployed_one_stops_push_before_building(
    docker, context, project, moto
):
    path = project.path("compute")
    path.write_text(path.read_text().replace("RetentionInDays: 7", "RetentionInDays: 14"))
    changed = Project(project.cfg, project.stacks, project.out_dir)  # a new run reads out/ afresh
    result = invoke(["push", "--context", str(context)], aws_app(changed, moto))
    assert result.exit_code == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: out/dev/compute.yaml differs from the deployed hana-dev-compute, and a rollout")
    assert [a[0] for a in docker.argv("docker")] == ["version"]  # nothing built or pushed
    assert ecr_tags(moto) == {}


def test_a_failed_build_pushes_nothing(docker, context, project, moto, monkeypatch):
    monkeypatch.setenv("FAKE_DOCKER_BUILD", "fail")
    result = invoke(["push", "--context", str(context)], aws_app(project, moto))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        'error: docker build failed (exit 1): ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete '
        "successfully: exit code: 1"
    )
    assert "  ERROR: failed to solve" in result.stderr  # docker's own output was passed on
    assert [a[0] for a in docker.argv("docker")] == ["version", "build"]
    assert ecr_tags(moto) == {}
    assert stack_parameters(moto)["ImageTag"] == "latest"


def test_without_compute_the_image_waits_for_the_first_deploy(docker, context, tmp_path, moto):
    project = make_project(tmp_path / "infra", "dev")
    cfn = session().client("cloudformation", endpoint_url=moto)
    cfn.create_stack(StackName="hana-dev-storage", TemplateBody=project.body("storage"))
    result = invoke(["push", "--context", str(context)], aws_app(project, moto))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "hana-dev-compute is not deployed yet: its first deploy runs :latest, this image"
    )


def test_an_environment_on_graviton_gets_an_arm64_image(docker, context, tmp_path, moto):
    project = make_project(tmp_path / "infra", "lean-dev")
    assert project.cfg.savings.graviton  # lean-dev runs ARM64 tasks
    cfn = session().client("cloudformation", endpoint_url=moto)
    cfn.create_stack(StackName="hana-lean-dev-storage", TemplateBody=project.body("storage"))
    result = invoke(["--env", "lean-dev", "push", "--context", str(context)], aws_app(project, moto))
    assert result.exit_code == 0, result.output
    build = next(a for a in docker.argv("docker") if a[0] == "build")
    assert build[1:3] == ["--platform", "linux/arm64"]


def test_without_the_repository_push_says_to_deploy_storage(docker, context, tmp_path, moto):
    project = make_project(tmp_path / "infra", "dev")
    result = invoke(["push", "--context", str(context)], aws_app(project, moto))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: ECR repository hana-dev/api does not exist in us-east-1: deploy the storage stack first "
        "(`python -m deploy --env dev stack storage`)"
    )
    assert [a[0] for a in docker.argv("docker")] == ["version"]


def test_against_the_emulator_the_image_is_built_not_pushed_and_the_rollout_runs_there(docker, context, project, moto):
    result = invoke(["push", "--context", str(context), "--tag", "local1"], app_for(project, aws_on(moto)))
    assert result.exit_code == 0, result.output
    assert [a[0] for a in docker.argv("docker")] == ["version", "build"]
    assert "the local emulator has no registry" in result.stderr
    assert stack_parameters(moto)["ImageTag"] == "local1"
