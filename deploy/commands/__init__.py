"""The command line of `python -m deploy` (click): the top layer of the deployer.

One module per command group, each exporting `COMMANDS`; this package adds them to the root group
(`group.cli`), so no command module imports another and nothing imports this package back:

    group.py        the root group: global options, App (per-invocation state), the error boundary
    surface.py      shared by all: spec names answered with ours, the Global options of every help,
                    --version, the services as a click type
    stacks.py       all, stack, plan, status, outputs, delete, main   (over deploy.engine)
    operations.py   push, scale, restart, logs, secrets, exec, health   (over deploy.ops, deploy.aws)
    login.py        login: the SSO sign-in, creating the profile if missing   (over deploy.aws.login)
    diagnosis.py    events, stopped, doctor, drift   (over deploy.ops: services, doctor, drift)
    lock.py         lock status, lock break: the environment's deploy lock (deploy/engine/lock.py)
    local.py        local: the emulator in the foreground (hana_emulator, imported lazily)
    cost.py         cost (over hana_cost)

May import every lower layer (deploy.ui, deploy.ops, deploy.engine, deploy.aws, deploy.errors).
Nothing heavy is imported at start-up (no boto3, no troposphere, no moto): `--help` stays fast.

Exported: cli, App.
"""

from deploy.commands import cost, diagnosis, local, lock, login, operations, stacks
from deploy.commands.group import App, cli

for _module in (stacks, login, operations, diagnosis, lock, local, cost):
    for _command in _module.COMMANDS:
        cli.add_command(_command)

__all__ = ["App", "cli"]
