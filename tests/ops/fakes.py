"""Fake executables on PATH (docker, git, aws, session-manager-plugin) and a scripted ECS client.

`FakeBin` is a directory that is the whole PATH during a test: a program the test did not put
there does not exist (that is how "docker is not installed" is tested). Each fake is a small
Python script (this interpreter, so it can use boto3) that appends one JSON line per call to
`<bin>/<name>.calls`: its arguments, its stdin, and the environment variables a test asks about,
then behaves as the test configured (exit status, output). `docker push` of a fake image puts
it into moto's ECR, so the ECR side of a push is real; `FAKE_IMAGE` says what the image holds.

`FakeEcs` answers describe_services from a script of states (one per poll), for the progress,
failure and timeout paths moto cannot produce (its services are stable at once).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

_PRELUDE = f"""#!{sys.executable}
import json, os, sys
NAME = os.path.basename(sys.argv[0])
HERE = os.path.dirname(os.path.abspath(sys.argv[0]))
stdin = sys.stdin.read() if sys.argv[1:2] == ["login"] else ""  # only `docker login` reads stdin
keep = os.environ.get("FAKE_RECORD_ENV", "").split(",")
record = {{"argv": sys.argv[1:], "stdin": stdin, "env": {{k: os.environ[k] for k in keep if k in os.environ}}}}
with open(os.path.join(HERE, NAME + ".calls"), "a") as f:
    f.write(json.dumps(record) + "\\n")
args = sys.argv[1:]
"""

DOCKER = """
if os.environ.get("FAKE_DOCKER_DAEMON") == "down" and args[:1] != ["--help"]:
    print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
          file=sys.stderr)
    sys.exit(1)
if args[:1] == ["version"]:
    print("28.2.2")
elif args[:1] == ["build"]:
    print("#1 [internal] load build definition from Dockerfile")
    if os.environ.get("FAKE_DOCKER_BUILD") == "fail":
        print("ERROR: failed to solve: process \\"/bin/sh -c npm ci\\" did not complete successfully: exit code: 1")
        sys.exit(1)
    print("#9 naming to done")
elif args[:1] == ["login"]:
    print("Login Succeeded")
elif args[:1] == ["push"]:
    import hashlib
    import boto3
    ref = args[1]
    repo, tag = ref.split("/", 1)[1].rsplit(":", 1)
    content = os.environ.get("FAKE_IMAGE", "v1")
    layer = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": layer, "size": 1}, "layers": [{"digest": layer, "size": 1}]}
    ecr = boto3.client("ecr", endpoint_url=os.environ["FAKE_ECR_URL"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        ecr.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass
    print(f"{tag}: digest: {layer} size: 1")
else:
    sys.exit(0)
"""

AWS_V1 = """
if args[:1] == ["--version"]:
    print("aws-cli/1.45.11 Python/3.11.7 Linux/6.18 botocore/1.43.11", file=sys.stderr)
    sys.exit(0)
print("usage: aws [options] <command> <subcommand> [<subcommand> ...]", file=sys.stderr)
sys.exit(2)
"""

AWS_V2 = """
if args[:1] == ["--version"]:
    print("aws-cli/2.27.50 Python/3.13.4 Linux/6.18 exe/x86_64.debian.13")
    sys.exit(0)
sys.exit(int(os.environ.get("FAKE_AWS_EXIT", "0")))
"""

PLUGIN = """
if args[:1] == ["--version"]:
    print(os.environ.get("FAKE_PLUGIN_VERSION", "1.2.707.0"))
    sys.exit(0)
sys.exit(int(os.environ.get("FAKE_PLUGIN_EXIT", "0")))
"""


class FakeBin:
    def __init__(self, path: Path):
        self.path = path

    def add(self, name: str, body: str) -> Path:
        program = self.path / name
        program.write_text(_PRELUDE + body)
        program.chmod(0o755)
        return program

    def link(self, name: str) -> None:
        """Make a real program (git) available in the otherwise empty PATH."""
        real = shutil.which(name, path=os.defpath + os.pathsep + "/usr/local/bin")
        assert real, f"{name} is needed by this test"
        (self.path / name).symlink_to(real)

    def calls(self, name: str) -> list[dict[str, Any]]:
        log = self.path / f"{name}.calls"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def argv(self, name: str) -> list[list[str]]:
        return [c["argv"] for c in self.calls(name)]

    def everything_called(self) -> list[str]:
        return sorted(p.name.removesuffix(".calls") for p in self.path.glob("*.calls"))


def service(
    name: str,
    desired: int,
    running: int,
    pending: int = 0,
    deployments: int = 1,
    rollout: str = "COMPLETED",
    events: list[str] | None = None,
    failed: str | None = None,
    revision: int = 1,
) -> dict[str, Any]:
    """One describe_services entry."""
    deps = [
        {
            "id": f"ecs-svc/{i}",
            "status": "PRIMARY" if i == 0 else "ACTIVE",
            "rolloutState": (("FAILED" if failed else rollout) if i == 0 else "COMPLETED"),
            "rolloutStateReason": failed or "",
        }
        for i in range(deployments)
    ]
    return {
        "serviceName": name,
        "status": "ACTIVE",
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "taskDefinition": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:{revision}",
        "deployments": deps,
        "events": [{"id": f"ev-{name}-{m}", "message": m} for m in reversed(events or [])],  # newest first
    }


class FakeEcs:
    """describe_services answers the next scripted state of each service; update_service is recorded."""

    def __init__(self, script: dict[str, list[dict[str, Any]]]):
        self.script = script  # service name -> states, one per describe; the last one repeats
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        self.calls.append(("describe_services", {"cluster": cluster, "services": services}))
        found = []
        for name in services:
            states = self.script[name]
            found.append(states.pop(0) if len(states) > 1 else states[0])
        return {"services": found, "failures": []}

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("update_service", kwargs))
        return {"service": {}}
