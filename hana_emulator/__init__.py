"""The local AWS emulator: moto's server on loopback, with hana-infra's CloudFormation extensions.

A server, not part of the deployer: `python -m deploy` imports it lazily (`local`, `--local`)
and never the other way round (this package imports nothing from `deploy`).

    import hana_emulator as emulator
    with emulator.start() as emu:          # in-process, 127.0.0.1, a free port
        cfn = emu.client("cloudformation")  # dummy credentials, never real AWS

`cfn_extensions.apply()` installs every change made to moto; its docstring says which module
holds each (the stack engine, change sets, template language, ...) and what moto still ignores.
`models` holds the CloudFormation resource types moto would otherwise skip, one module per service.
`client` is what a deploy command needs to talk to it; `server` starts it; `local` runs it in
the foreground; `state` saves and loads it.
Importing this package does not import moto: `start()` does.
"""

from .client import (
    ACCESS_KEY_ID,
    ACCOUNT_ID,
    DEFAULT_PORT,
    LOCAL_ENV_UNSET,
    REGION,
    SECRET_ACCESS_KEY,
    EmulatorError,
    client_env,
)
from .server import Emulator, start

__all__ = [
    "ACCESS_KEY_ID",
    "ACCOUNT_ID",
    "DEFAULT_PORT",
    "LOCAL_ENV_UNSET",
    "REGION",
    "SECRET_ACCESS_KEY",
    "Emulator",
    "EmulatorError",
    "client_env",
    "start",
]
