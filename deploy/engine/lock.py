"""One writer per environment: the deploy lock, held in AWS so every machine sees it.

The lock is the SSM parameter `/hana/<env>/deploy-lock` (hana_templates.naming.deploy_lock). Taking
it is `PutParameter` without `Overwrite`: SSM creates the parameter only if it does not exist and
otherwise answers `ParameterAlreadyExists` ("The parameter already exists. You can't create
duplicate parameters."; `Overwrite` defaults to false: SSM API reference, PutParameter, and
botocore's SSM.Client.exceptions.ParameterAlreadyExists). So of two callers exactly one wins,
with no table or bucket to create first. Its value says who holds it: host, process, user, the
command and the start time, and a random token that only the holder knows.

Why SSM: a standard parameter costs nothing, needs no bootstrap resource (a DynamoDB table or
an S3 bucket would have to exist before the first deploy, and be deployed by something), lives in
the environment's account and region, and is readable with the AWS CLI
(`aws ssm get-parameter --name /hana/dev/deploy-lock`).

Every writing command takes it (all, stack, main, delete, push's rollout, scale, restart, secrets
set); read-only commands never do. A second writer refuses in one line naming the holder, or with
`--wait` waits for it. A lock left by a process that died is never broken silently: `lock break`
shows the holder and asks first. Releasing deletes the parameter only while it still holds our
token.

Exported: Lock, Holder, LockHeld.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from deploy.engine.cfn import error_code
from deploy.errors import DeployError


class LockHeld(DeployError):
    """Another run holds the environment's lock."""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    user: str
    command: str
    since: str  # ISO 8601, UTC
    token: str

    @classmethod
    def me(cls, command: str) -> Holder:
        try:
            user = getpass.getuser()
        except Exception:  # no login name (some containers): the lock still works
            user = "?"
        return cls(
            host=socket.gethostname(),
            pid=os.getpid(),
            user=user,
            command=command,
            since=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            token=secrets.token_hex(8),
        )

    @classmethod
    def parse(cls, text: str) -> Holder:
        try:
            data = json.loads(text)
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError):
            return cls(host="?", pid=0, user="?", command="(unreadable lock value)", since="?", token="")

    def describe(self) -> str:
        return f"`{self.command}` by {self.user} on {self.host} (pid {self.pid}) since {self.since}"

    def dead_here(self) -> bool:
        """The holder ran on this machine and its process is gone: the lock is stale (never broken
        silently, but the refusal says so)."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class Lock:
    """The deploy lock of one environment: `with lock.held(command, wait=False): ...`."""

    def __init__(
        self,
        ssm: Any,
        name: str,
        env: str,
        hint: str,
        poll: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        emit: Callable[[str], None] = lambda text: None,
    ):
        self.ssm = ssm
        self.name = name
        self.env = env
        self.hint = hint  # `python -m deploy --env dev` (with --local where it applies)
        self.poll = poll
        self.sleep = sleep
        self.emit = emit
        self.mine: Holder | None = None

    def holder(self) -> Holder | None:
        try:
            reply = self.ssm.get_parameter(Name=self.name)
        except Exception as err:
            if error_code(err) == "ParameterNotFound":
                return None
            raise
        return Holder.parse(reply["Parameter"]["Value"])

    def try_acquire(self, command: str) -> Holder | None:
        """Take the lock; None when taken, else the current holder."""
        me = Holder.me(command)
        for _ in range(3):  # the holder may release between our put and our get: try again
            try:
                self.ssm.put_parameter(
                    Name=self.name,
                    Value=json.dumps(asdict(me), sort_keys=True),
                    Type="String",
                    Overwrite=False,
                    Description=f"hana-infra deploy lock of {self.env}: one writer at a time (python -m deploy)",
                )
            except Exception as err:
                if error_code(err) != "ParameterAlreadyExists":
                    raise
                holder = self.holder()
                if holder is not None:
                    return holder
                continue
            self.mine = me
            return None
        return Holder("?", 0, "?", "(taken and released repeatedly)", "?", "")

    def acquire(self, command: str, wait: bool = False, cancel: threading.Event | None = None) -> None:
        announced = False
        while True:
            holder = self.try_acquire(command)
            if holder is None:
                return
            if not wait:
                raise LockHeld(self._refusal(holder))
            if not announced:
                self.emit(f"waiting for the deploy lock of {self.env}: held by {holder.describe()}")
                announced = True
            if cancel is not None and cancel.is_set():
                raise LockHeld(self._refusal(holder))
            self.sleep(self.poll)

    def release(self) -> None:
        """Give the lock back, only while it is still ours (someone may have broken it)."""
        if self.mine is None:
            return
        mine, self.mine = self.mine, None
        current = self.holder()
        if current is not None and current.token == mine.token:
            try:
                self.ssm.delete_parameter(Name=self.name)
            except Exception as err:
                if error_code(err) != "ParameterNotFound":
                    raise

    def break_(self) -> Holder | None:
        """Remove the lock whoever holds it (the `lock break` command asks first). Returns who held it."""
        holder = self.holder()
        if holder is None:
            return None
        try:
            self.ssm.delete_parameter(Name=self.name)
        except Exception as err:
            if error_code(err) != "ParameterNotFound":
                raise
        return holder

    def _refusal(self, holder: Holder) -> str:
        text = f"another run holds the deploy lock of {self.env}: {holder.describe()}"
        if holder.dead_here():
            return (
                f"{text}; that process is no longer running on this machine, so the lock is stale: "
                f"check nothing is deploying, then `{self.hint} lock break`"
            )
        return (
            f"{text}; wait for it (`--wait`), or if that run is dead: `{self.hint} lock status`, "
            f"then `{self.hint} lock break`"
        )
