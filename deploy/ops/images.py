"""`push`: build the application image, push it to ECR, roll the services onto it.

1. Local checks first, nothing changed yet: the build context and Dockerfile exist, docker is
   installed and its daemon answers, the tag is known. The tag is the git commit of the context
   (12 hex digits); a working tree with uncommitted changes gets `<commit>-dirty-<UTC time>`, so
   an image is never mistaken for a commit it is not. `--tag` chooses one instead.
2. AWS checks: the repository `hana-<env>/api` exists (storage stack), and for the rollout, the
   compute stack is deployed from exactly the template in out/<env>/compute.yaml, so the rollout
   changes the image and nothing else.
3. `docker build --platform <cfg.image_platform>` (linux/amd64, or linux/arm64 when the
   environment's Graviton switch makes the task definitions ARM64) tagged `<tag>` and
   `latest`; ECR login with a token from boto3 (GetAuthorizationToken) piped to
   `docker login --password-stdin`, never on a command line or in a log; `docker push` of both tags.
4. Rollout (unless --no-rollout): the compute stack's `ImageTag` parameter through the deployer.
   A nested deployment (`python -m deploy main`) is rolled out through the master `hana-<env>`:
   its ImageTag (main.yaml passes it to the Compute child) changes, from the deployed template,
   with every `*DesiredCount` at the live count and every other parameter UsePreviousValue, so
   only the compute child is updated; its failed resource is what a failure reports.

Why the parameter and not new task definition revisions: the task definitions are resources of
the compute stack. A revision registered beside CloudFormation is drift: the next deploy of
compute would put the services back on the stack's ImageTag (an older image), and a rollback
of the stack would not know about it. Updating the parameter keeps CloudFormation the source of
truth: the image a service runs is always the stack's ImageTag, CloudFormation waits for the
ECS deployment and rolls the stack back if the circuit breaker stops it, and desired counts are
kept live (plan.ecs_live_value). When the tag is already the stack's (the same commit pushed
again) and ECR now holds a different image under it, the running services are restarted
instead (ECS pulls the tag again; the task definitions stay CloudFormation's).

With the local emulator there is no registry: the image is built and tagged, not pushed, and
the rollout runs against the emulator.

Exported: BuildSpec, build_spec, docker_ready, Repository, repository, registry_login, build,
push, remote_digest, later_rollout, RolloutCheck, check_rollout, rollout, live_counts, child_failure.
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy.aws.external import DOCKER, GIT, run
from deploy.engine.cfn import USABLE, error_code
from deploy.errors import BadInput, DeployError
from deploy.ops.context import Ops

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class BuildSpec:
    context: Path
    dockerfile: Path
    tag: str
    revision: str | None  # the git commit, when the context is in a repository
    dirty: bool = False


def build_spec(
    context: str, dockerfile: str | None, tag: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> BuildSpec:
    ctx = Path(context)
    if not ctx.is_dir():
        raise BadInput(f"--context {context}: no such directory")
    df = Path(dockerfile) if dockerfile else ctx / "Dockerfile"
    if not df.is_file():
        raise BadInput(f"{df} does not exist: pass --dockerfile PATH (or --context DIR with a Dockerfile)")
    revision, dirty = _git_state(ctx, required=tag is None)
    if tag is not None:
        if tag == "latest" or not _TAG.match(tag):
            raise BadInput(
                f"--tag {tag!r}: a Docker tag is 1-128 letters, digits, _ . - (not starting with . or -), "
                "and not `latest` (every push moves latest itself)"
            )
        return BuildSpec(ctx, df, tag, revision, dirty)
    assert revision is not None
    short = revision[:12]
    return BuildSpec(ctx, df, f"{short}-dirty-{now():%Y%m%d%H%M%S}" if dirty else short, revision, dirty)


def _git_state(ctx: Path, required: bool) -> tuple[str | None, bool]:
    git = GIT.find()
    if git is None:
        if required:
            GIT.require("tagging the image with the git commit")
        return None, False
    head = run([git, "rev-parse", "HEAD"], cwd=str(ctx))
    if head.returncode != 0:
        if required:
            raise BadInput(
                f"{ctx} is not in a git repository: the image is tagged with the commit it was built from; "
                "pass --tag to choose a tag"
            )
        return None, False
    status = run([git, "status", "--porcelain", "--", "."], cwd=str(ctx))
    return head.stdout.strip(), bool(status.stdout.strip())


def docker_ready() -> str:
    """The docker executable, after checking its daemon answers; BadInput otherwise (nothing changed)."""
    docker = DOCKER.require("push")
    done = run([docker, "version", "--format", "{{.Server.Version}}"], timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        text = " ".join((done.stderr or done.stdout or "").split())
        if "permission denied" in text.lower():
            raise BadInput(
                "docker cannot reach its daemon (permission denied on its socket): add your user to the "
                "`docker` group and log in again, or run with sudo"
            )
        reason = f" ({text[:160]})" if text else ""
        raise BadInput(
            f"the Docker daemon is not running{reason}: start Docker (Docker Desktop, or "
            "`sudo systemctl start docker`) and retry"
        )
    return docker


@dataclass(frozen=True)
class Repository:
    name: str  # hana-dev/api
    uri: str  # <account>.dkr.ecr.<region>.amazonaws.com/hana-dev/api

    @property
    def registry(self) -> str:
        return self.uri.split("/", 1)[0]


def repository(ops: Ops) -> Repository:
    from botocore.exceptions import ClientError

    from hana_templates import naming

    name = naming.ecr_repository(ops.cfg)
    try:
        repos = ops.client("ecr").describe_repositories(repositoryNames=[name])["repositories"]
    except ClientError as err:
        if error_code(err) == "RepositoryNotFoundException":
            raise DeployError(
                f"ECR repository {name} does not exist in {ops.region}: deploy the storage stack first "
                f"(`{ops.command} stack storage`)"
            ) from None
        raise
    return Repository(name, repos[0]["repositoryUri"])


def remote_digest(ops: Ops, repo: Repository, tag: str) -> str | None:
    """The digest ECR holds under `tag`, None when it has no such image."""
    from botocore.exceptions import ClientError

    try:
        details = ops.client("ecr").describe_images(repositoryName=repo.name, imageIds=[{"imageTag": tag}])
    except ClientError as err:
        if error_code(err) == "ImageNotFoundException":
            return None
        raise
    images = details.get("imageDetails") or []
    return images[0].get("imageDigest") if images else None


def registry_login(ops: Ops, docker: str, repo: Repository) -> None:
    """`docker login` to the repository's registry with an ECR token; the password goes through stdin only."""
    data = ops.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    done = run([docker, "login", "--username", user, "--password-stdin", repo.registry], input=password)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
        raise DeployError(f"docker login to {repo.registry} failed: {lines[-1].strip() if lines else 'no reason'}")


def _stream(args: list[str], emit: Callable[[str], None]) -> tuple[int, list[str]]:
    """Run a long docker command, passing its output on line by line; (exit status, last lines)."""
    from deploy.aws.external import describe

    emit(f"$ {describe(args)}")
    tail: list[str] = []
    with subprocess.Popen(  # noqa: S603 - our argument list, no shell
        args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            emit(f"  {line}")
            tail = [*tail[-4:], line]
        return proc.wait(), tail


def build(ops: Ops, docker: str, spec: BuildSpec, repo: Repository) -> None:
    # The task definitions' CPU architecture (config.EnvConfig.image_platform), not this machine's.
    args = [docker, "build", "--platform", ops.cfg.image_platform, "--file", str(spec.dockerfile)]
    args += ["--tag", f"{repo.uri}:{spec.tag}", "--tag", f"{repo.uri}:latest"]
    if spec.revision:
        args += ["--label", f"org.opencontainers.image.revision={spec.revision}"]
    args.append(str(spec.context))
    status, tail = _stream(args, ops.emit)
    if status != 0:
        raise DeployError(f"docker build failed (exit {status}): {tail[-1] if tail else 'no output'}")


def push(ops: Ops, docker: str, repo: Repository, tags: list[str]) -> None:
    for tag in tags:
        status, tail = _stream([docker, "push", f"{repo.uri}:{tag}"], ops.emit)
        if status != 0:
            raise DeployError(f"docker push of {repo.uri}:{tag} failed (exit {status}): {tail[-1] if tail else ''}")


# --- rollout ------------------------------------------------------------------------------------


def later_rollout(ops: Ops, project: Any, tag: str, context: str) -> str:
    """After `push --no-rollout`: the command that rolls `tag` out. `stack compute -p ImageTag=<tag>`,
    or in a nested deployment (whose children `stack` refuses) `push` again with the same tag and
    context: the image is rebuilt from docker's cache, then rolled out through the master."""
    import shlex

    from botocore.exceptions import ClientError

    from deploy.engine.project import MAIN

    try:
        stacks = ops.client("cloudformation").describe_stacks(StackName=project.stack_name(MAIN)).get("Stacks")
    except ClientError as err:
        if error_code(err) != "ValidationError" or "does not exist" not in str(err):
            raise
        stacks = []
    if any(s.get("StackStatus") != "DELETE_COMPLETE" for s in stacks or []):
        return f"{project.command()} push --context {shlex.quote(context)} --tag {tag}"
    return f"{project.command()} stack compute -p ImageTag={tag}"


@dataclass
class RolloutCheck:
    stack: str  # what the rollout updates: hana-<env>-compute, or the nested master hana-<env>
    live_tag: str | None  # the stack's ImageTag now; None: compute is not deployed
    nested: bool = False  # through the master's ImageTag (the compute child is `child`)
    child: str | None = None

    @property
    def key(self) -> str:
        """The key of the rollout's result in its RunReport."""
        return "main" if self.nested else "compute"


def check_rollout(deployer: Any) -> RolloutCheck:
    """Before building: the rollout can change the image and nothing else. BadInput otherwise."""
    from deploy.engine.project import MAIN, parse_template

    project = deployer.project
    master = deployer.ops.describe(project.stack_name(MAIN))
    if master is not None:
        return _check_nested(deployer, master)
    name = project.stack_name("compute")
    project.check(["compute"])
    live = deployer.ops.describe(name)
    if live is None:
        return RolloutCheck(name, None)
    status = live["StackStatus"]
    if status not in USABLE:
        raise BadInput(f"{name} is {status}: wait for it (or fix it) before a rollout, or push with --no-rollout")
    body = deployer.aws.client("cloudformation").get_template(StackName=live["StackId"], TemplateStage="Original")[
        "TemplateBody"
    ]
    local = project.body("compute")
    same = body == local if isinstance(body, str) else body == parse_template(local)
    if not same:
        raise BadInput(
            f"out/{project.env}/compute.yaml differs from the deployed {name}, and a rollout would deploy those "
            f"changes too: see them with `{project.command()} plan compute`, deploy them with the image in one go "
            f"(`{project.command()} stack compute -p ImageTag=<tag>` after `push --no-rollout`), or push with "
            "--no-rollout"
        )
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in live.get("Parameters") or []}
    return RolloutCheck(name, params.get("ImageTag"))


def _check_nested(deployer: Any, master: dict[str, Any]) -> RolloutCheck:
    """A nested deployment (`python -m deploy main`): the image reaches the compute child through the
    master's ImageTag parameter (main.yaml passes `Ref ImageTag` to Compute), so the rollout is an
    update of the master. AWS: "We strongly recommend that updates to nested stacks are run from the
    parent stack" (AWS::CloudFormation::Stack, CloudFormation Template Reference)."""
    project = deployer.project
    name = master["StackName"]
    status = master["StackStatus"]
    if status not in USABLE:
        raise BadInput(f"{name} is {status}: wait for it (or fix it) before a rollout, or push with --no-rollout")
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in master.get("Parameters") or []}
    if "ImageTag" not in params:
        raise BadInput(
            f"the nested stack {name} declares no ImageTag parameter, so a rollout cannot reach its compute child: "
            f"deploy the current main.yaml first (`{project.command()} main`), or push with --no-rollout"
        )
    deployer.find_nested()
    child = project.children.get("compute")
    if child is None:
        raise BadInput(
            f"the nested stack {name} has no compute child: deploy it (`{project.command()} main`), or push "
            "with --no-rollout"
        )
    return RolloutCheck(name, params["ImageTag"], nested=True, child=child)


def rollout(deployer: Any, check: RolloutCheck, tag: str) -> Any:
    """Roll the services onto `tag`: the compute stack's ImageTag through the deployer, or for a nested
    deployment the master's (`_rollout_nested`). Returns the deployer's RunReport; a failed result's
    message says what failed (for a nested deployment: the compute child's failed resource)."""
    if not check.nested:
        return deployer.deploy(["compute"], overrides={"ImageTag": tag})
    return _rollout_nested(deployer, check, tag)


def _rollout_nested(deployer: Any, check: RolloutCheck, tag: str) -> Any:
    """Update the master from its deployed template (the children keep theirs: only the image changes)
    with ImageTag=`tag`, each `*DesiredCount` at the service's live desired count (so a rollout never
    resets what `scale` or autoscaling set) and UsePreviousValue for every other parameter.
    CloudFormation "updates the resources of modified nested stacks, but doesn't update the resources
    of unmodified nested stacks" (AWS::CloudFormation::Stack): only Compute changes."""
    import json

    from deploy.engine.cfn import Request
    from deploy.engine.nested import MAX_INLINE_BODY_BYTES, key_function, template_url
    from deploy.engine.plan import FOLLOW
    from deploy.engine.project import MAIN, parse_template

    project = deployer.project
    cfn = deployer.aws.client("cloudformation")
    master = deployer.ops.describe(check.stack)
    if master is None:
        raise DeployError(f"{check.stack} disappeared before the rollout: nothing was changed")
    body = cfn.get_template(StackName=master["StackId"], TemplateStage="Original")["TemplateBody"]
    template = body if isinstance(body, dict) else parse_template(body)
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    declared = {
        k: None if p.get("Default") is None else str(p["Default"])
        for k, p in (template.get("Parameters") or {}).items()
    }
    live_params = {p["ParameterKey"]: p.get("ParameterValue") or "" for p in master.get("Parameters") or []}
    parameters = {"ImageTag": tag, **live_counts(deployer, declared)}
    url = None
    if len(text.encode()) > MAX_INLINE_BODY_BYTES:  # deployed from the bucket (nested.Nested.deploy): same key
        bucket = live_params.get("TemplateBucket", "")
        url = template_url(bucket, deployer.aws.region, key_function()(MAIN, text))
    if project.has_main() and _local_differs(project.body(MAIN), template):
        deployer.reporter.note(
            MAIN,
            f"out/{project.env}/main.yaml differs from the deployed {check.stack}: this rollout changes the image "
            f"only; `{project.command()} plan` shows the rest, `{project.command()} main` deploys it",
        )
    request = Request(
        key=MAIN,
        name=check.stack,
        body=text,
        parameters=parameters,
        defaults=declared,
        keep_live=tuple(k for k in declared if k not in parameters),
        tags=[{"Key": t["Key"], "Value": t["Value"]} for t in master.get("Tags") or []],
        termination_protection=deployer.protected,
        template_url=url,
        command=project.command(),
    )
    marker = _newest_event(cfn, check.child)
    # Ctrl-C: follow the master's update with `status`; `main` would deploy out/'s other changes too.
    report = deployer.run("deploy", [MAIN], {}, lambda _key: deployer.ops.deploy(request), resume=FOLLOW)
    result = report.results[MAIN]
    if not result.outcome.ok:
        child = check.child or "compute"
        why = child_failure(cfn, child, marker)
        after = deployer.ops.describe(check.stack)
        status = after["StackStatus"] if after else "gone"
        if status == "UPDATE_ROLLBACK_COMPLETE":
            then = f"{check.stack} rolled back ({status}): the services keep their image"
        elif status == "UPDATE_ROLLBACK_FAILED":
            then = f"{check.stack} is {status}: after fixing it run `{project.command()} main --continue-rollback`"
        else:
            then = f"{check.stack} is {status}"
        if why:
            result.message = f"{child}: {why}; {then}"
    return report


def _local_differs(body: str, template: dict[str, Any]) -> bool:
    """out/<env>/main.yaml is not the deployed master's template (or does not parse: not ours to fix here)."""
    import yaml

    from deploy.engine.project import parse_template

    try:
        return parse_template(body) != template
    except (yaml.YAMLError, BadInput):
        return True


def live_counts(deployer: Any, declared: dict[str, str | None]) -> dict[str, str]:
    """`{<X>DesiredCount: live desired count}` for the master's count parameters, read from ECS by
    the services' names (plan.ecs_live_value -> engine/counts.py), never from the master's previous
    value (its stale "0"). A count that exists but cannot be read raises CountUnreadable: the
    rollout stops before the update, never guesses."""
    from deploy.engine.plan import ecs_live_value

    value = ecs_live_value(deployer.aws, deployer.project, deployer.timing, deployer.cancel)
    counts = {}
    for name in declared:
        count = value(name, {})
        if count is not None:
            counts[name] = count
    return counts


def _newest_event(cfn: Any, stack: str | None) -> str | None:
    if not stack:
        return None
    events = cfn.describe_stack_events(StackName=stack).get("StackEvents") or []
    return events[0]["EventId"] if events else None


def child_failure(cfn: Any, stack: str, marker: str | None) -> str | None:
    """The first resource failure in `stack`'s events after the event `marker` (the newest before
    the rollout): `ApiTaskDefinition (AWS::ECS::TaskDefinition): <reason>`. "Resource update
    cancelled" is the consequence of another failure, so it comes last."""
    from botocore.exceptions import ClientError

    fresh: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StackName": stack}
    try:
        while True:
            page = cfn.describe_stack_events(**kwargs)
            for e in page.get("StackEvents") or []:
                if e["EventId"] == marker:
                    break
                fresh.append(e)
            else:
                if page.get("NextToken"):
                    kwargs["NextToken"] = page["NextToken"]
                    continue
            break
    except ClientError:
        return None
    failed = [
        e
        for e in reversed(fresh)
        if str(e.get("ResourceStatus", "")).endswith("_FAILED")
        and e.get("ResourceType") != "AWS::CloudFormation::Stack"
    ]
    failed.sort(key=lambda e: "cancel" in str(e.get("ResourceStatusReason") or "").lower())
    if not failed:
        return None
    e = failed[0]
    reason = " ".join(str(e.get("ResourceStatusReason") or "no reason given").split())
    return f"{e.get('LogicalResourceId')} ({e.get('ResourceType')}): {reason}"
