"""The deployer's one error type for expected failures, printed by the CLI as one line.

`DeployError` is a `HanaError` (the generator's error type), so a bad environment config and a
deploy problem reach the user the same way. `exit_code` says how the process ends:
1 for an operation that failed, 2 for bad input (nothing was changed), 130 for Ctrl-C.
"""

from __future__ import annotations

from hana_templates.errors import HanaError


class DeployError(HanaError):
    """An expected failure; the message is one line saying what went wrong and what to run."""

    exit_code = 1


class BadInput(DeployError):
    """The command line, the environment or out/ is wrong; nothing was sent to AWS."""

    exit_code = 2


class Interrupted(DeployError):
    """Ctrl-C: we stopped waiting; the message lists what is still changing in AWS."""

    exit_code = 130
