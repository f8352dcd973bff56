"""Saving and restoring the emulator's state (`python -m deploy local --state FILE`).

The state is moto's service backends (every stack, resource, secret value and S3 object), pickled
in one graph so the references between them survive. moto's objects hold a few things pickle
cannot take as they are (locks, RSA keys of KMS and CloudFormation): they are rebuilt on load.
The file is only for this emulator and this exact moto version: it records both and refuses
anything else rather than half-load it. It is local, unencrypted test data: do not put real
secrets in an emulator whose state you save.
"""

from __future__ import annotations

import copyreg
import pickle
import threading
from pathlib import Path
from typing import Any

FORMAT = 1
# Modules that held pickled classes once: a state saved before hana_emulator/cfn_models.py became
# the hana_emulator/models/ package names its resource models by the old module.
_MOVED_MODULES = {"hana_emulator.cfn_models": "hana_emulator.models"}


class StateError(Exception):
    """The state file cannot be read or written (one line for the user)."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(_MOVED_MODULES.get(module, module), name)


def _rebuild_rsa_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _reduce_rsa_key(key: Any) -> tuple[Any, tuple[bytes]]:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return _rebuild_rsa_key, (pem,)


def _rlock() -> Any:
    return threading.RLock()


def _lock() -> Any:
    return threading.Lock()


def _register_reducers() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_type = type(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    copyreg.pickle(rsa_type, _reduce_rsa_key)
    copyreg.pickle(type(threading.RLock()), lambda _: (_rlock, ()))
    copyreg.pickle(type(threading.Lock()), lambda _: (_lock, ()))


def _backend_dicts() -> dict[str, Any]:
    from moto import backends
    from moto.core.base_backend import BackendDict

    found = {}
    for name in backends.list_of_moto_modules():
        try:
            backend_dict = backends.get_backend(name)  # type: ignore[call-overload]
        except Exception:  # a service whose optional dependencies are missing
            continue
        if isinstance(backend_dict, BackendDict):
            found[name] = backend_dict
    return found


def snapshot() -> dict[str, dict[str, dict[str, Any]]]:
    """`{service: {account: {region: backend}}}` for every backend that holds something."""
    state = {}
    for name, backend_dict in _backend_dicts().items():
        accounts = {account: dict(regions.items()) for account, regions in list(backend_dict.items()) if len(regions)}
        if accounts:
            state[name] = accounts
    return state


def save(path: Path) -> int:
    """Write the state to `path` (atomically); returns its size in bytes."""
    import moto

    _register_reducers()
    from .engine import LOCK

    with LOCK:
        try:
            blob = pickle.dumps(
                {"format": FORMAT, "moto": moto.__version__, "backends": snapshot()}, protocol=pickle.HIGHEST_PROTOCOL
            )
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            raise StateError(f"cannot save the emulator state: {err}") from None
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(blob)
        tmp.replace(path)
    except OSError as err:
        raise StateError(f"cannot write {path}: {err.strerror or err}") from None
    return len(blob)


def load(path: Path) -> int:
    """Put the state saved in `path` into moto's backends; returns the number of stacks."""
    import moto

    _register_reducers()
    try:
        with path.open("rb") as file:
            data = _Unpickler(file).load()  # noqa: S301 - our own file, written by save()
    except OSError as err:
        raise StateError(f"cannot read {path}: {err.strerror or err}") from None
    except Exception as err:
        raise StateError(f"{path} is not an emulator state file ({type(err).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f"{path} is not an emulator state file of format {FORMAT}")
    if data.get("moto") != moto.__version__:
        raise StateError(f"{path} was saved with moto {data.get('moto')}, this emulator runs {moto.__version__}")
    dicts = _backend_dicts()
    for name, accounts in data["backends"].items():
        backend_dict = dicts.get(name)
        if backend_dict is None:
            continue
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backend_dict[account][region] = backend
    stacks = 0
    for regions in data["backends"].get("cloudformation", {}).values():
        stacks += sum(len(backend.stacks) for backend in regions.values())
    return stacks
