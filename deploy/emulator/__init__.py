"""The local AWS emulator: moto's server on loopback, with hana-infra's CloudFormation extensions.

    from deploy import emulator
    with emulator.start() as emu:          # in-process, 127.0.0.1, a free port
        cfn = emu.client("cloudformation")  # dummy credentials, never real AWS

`cfn_extensions` holds every change made to moto (and documents what moto still ignores);
`cfn_models` holds the CloudFormation resource types moto would otherwise skip.
Importing this package does not import moto: `start()` does.
"""

from .server import (
    ACCESS_KEY_ID,
    ACCOUNT_ID,
    DEFAULT_PORT,
    LOCAL_ENV_UNSET,
    REGION,
    SECRET_ACCESS_KEY,
    Emulator,
    EmulatorError,
    client_env,
    start,
)

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
