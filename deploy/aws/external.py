"""The programs the operations commands hand work to: docker, git, the AWS CLI and the Session
Manager plugin.

Each is looked up on PATH when it is needed (tests put fake executables first on PATH), and a
missing one is a `BadInput` line that says what to install: nothing has been changed by then.
Secrets never travel on a command line: `run(..., input=...)` feeds them through stdin, and
`describe()` (what --debug shows) prints the arguments only.

Exported: Tool, DOCKER, GIT, AWS_CLI, SSM_PLUGIN, run, version_of, parse_version.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deploy.errors import BadInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tool:
    name: str  # the executable
    what: str  # what it is, for messages
    install: str  # how to get it

    def find(self) -> str | None:
        return shutil.which(self.name)

    def require(self, purpose: str) -> str:
        """The executable's path; BadInput saying how to install it when it is not on PATH."""
        path = self.find()
        if path is None:
            raise BadInput(f"{purpose} needs {self.what}, but `{self.name}` is not on PATH: {self.install}")
        return path


DOCKER = Tool("docker", "Docker", "install Docker (https://docs.docker.com/get-docker/) and start it")
GIT = Tool("git", "git", "install git (apt-get install git), or pass --tag")
AWS_CLI = Tool("aws", "the AWS CLI v2", "Debian/Ubuntu: apt-get install awscli (v2); pip's awscli is v1")
SSM_PLUGIN = Tool(
    "session-manager-plugin",
    "the AWS Session Manager plugin",
    "install it: https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "session-manager-working-with-install-plugin.html",
)


def run(
    args: Sequence[str],
    *,
    input: str | None = None,  # noqa: A002 - subprocess's name
    capture: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a program; output captured (text) unless `capture` is False (then it talks to the terminal).
    A captured program gets `input` (or nothing) on stdin, never ours. Never raises on a non-zero
    exit: callers turn the exit status into their own message."""
    log.info("running %s", describe(args))
    stdin = None if input is not None or not capture else subprocess.DEVNULL
    return subprocess.run(  # noqa: S603 - the argument list is ours, never a shell string
        list(args),
        input=input,
        stdin=stdin,
        capture_output=capture,
        text=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def describe(args: Sequence[str]) -> str:
    """The command line as a user would type it (for logs): program name, not its full path."""
    head, *rest = list(args)
    return " ".join([os.path.basename(head), *rest])


_VERSION = re.compile(r"(\d+(?:\.\d+){0,3})")


def parse_version(text: str) -> tuple[int, ...] | None:
    """`aws-cli/2.15.0 Python/3.11` -> (2, 15, 0); `1.2.650.0` -> (1, 2, 650, 0); None if none."""
    match = _VERSION.search(text or "")
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def version_of(path: str, *args: str) -> str:
    """What `<path> <args>` prints (stdout, or stderr for the programs that print versions there)."""
    try:
        done = run([path, *args], timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr or "").strip()
