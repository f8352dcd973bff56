"""What every day-to-day operations command (login, push, scale, logs, secrets, exec, health,
restart) works with, and how its AWS failures reach the user.

`Ops` bundles the AWS clients (the deployer's `session.Aws`: same profile, region, endpoint and
retry policy, so `--endpoint-url` and the emulator's `--local` apply to these commands too), the
environment's config, the command prefix used in hints, the pacing of waits and where progress
lines go. `aws_errors()` turns AWS failures into one `DeployError` line: credential problems say
what to run (session.translate_credential_errors), anything else names the call and AWS's answer.

Exported: Ops, aws_errors, ECS_TIMING, is_aws_error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deploy.engine.cfn import Timing, is_aws_error
from deploy.errors import DeployError
from hana_templates.config import EnvConfig

# ECS and CloudWatch waits: a task starts in 30-90 s, a rollout drains targets for minutes.
ECS_TIMING = Timing(poll_min=2.0, poll_max=10.0, backoff=1.5, timeout=20 * 60.0)


@dataclass
class Ops:
    aws: Any  # session.Aws (or a test double with .client(name), .region, .settings)
    cfg: EnvConfig
    command: str  # `python -m deploy --env dev`: how hints tell the user to run us
    timing: Timing = field(default_factory=lambda: ECS_TIMING)
    emit: Callable[[str], None] = lambda text: None  # progress and notes (stderr)
    cancel: threading.Event = field(default_factory=threading.Event)

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    @property
    def env(self) -> str:
        return self.cfg.name

    @property
    def region(self) -> str:
        return self.aws.region

    @property
    def settings(self) -> Any:
        return self.aws.settings

    def clock(self) -> float:
        return self.timing.clock()

    def sleep(self, seconds: float) -> None:
        """Sleep (or the test's stand-in); Ctrl-C arrives as KeyboardInterrupt."""
        if self.timing.sleep is not None:
            self.timing.sleep(seconds)
        else:
            import time

            time.sleep(seconds)


@contextlib.contextmanager
def aws_errors(settings: Any) -> Iterator[None]:
    """One DeployError line for any AWS failure inside the block."""
    from deploy.aws.session import translate_credential_errors
    from deploy.engine.cfn import error_text

    with translate_credential_errors(settings):
        try:
            yield
        except Exception as err:
            if not is_aws_error(err) or _is_credential_error(err):
                raise
            operation = getattr(err, "operation_name", None)
            raise DeployError(f"{operation + ' failed: ' if operation else ''}{error_text(err)}") from err


def _is_credential_error(err: BaseException) -> bool:
    """Left to translate_credential_errors (it knows what to tell the user)."""
    import botocore.exceptions as bce

    from deploy.aws.session import REJECTED, is_unreachable
    from deploy.engine.cfn import error_code

    credential_types = (
        bce.NoCredentialsError,
        bce.PartialCredentialsError,
        bce.CredentialRetrievalError,
        bce.SSOError,
        bce.TokenRetrievalError,
        bce.ProfileNotFound,
    )
    return isinstance(err, credential_types) or is_unreachable(err) or error_code(err) in REJECTED
