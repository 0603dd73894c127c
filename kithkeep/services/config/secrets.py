"""Secrets (passwords, tokens): the OS keyring, else a file only the user can read.

Never logged, never put in an event or an error message. The file fallback is
`$KITHKEEP_HOME/secrets.json`, created with mode 0600 and replaced atomically; one that
group or others can read is refused (`privacy.check_secret_file`).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from kithkeep.services.config.privacy import check_secret_file
from kithkeep.services.config.settings import Paths

SERVICE = "kithkeep"


def _username(paths: Paths, name: str) -> str:
    return f"{paths.home.resolve()}:{name}"


def _file(paths: Paths) -> Path:
    return paths.home / "secrets.json"


def _read_file(paths: Paths) -> dict[str, str]:
    check_secret_file(_file(paths))
    try:
        data = json.loads(_file(paths).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_file(paths: Paths, data: dict[str, str]) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    tmp = _file(paths).with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, _file(paths))


def set_secret(paths: Paths, name: str, value: str) -> str:
    """Keep a secret; where it went ("keyring" or the file's path)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, _username(paths, name), value)
    except KeyringError:
        data = _read_file(paths)
        data[name] = value
        _write_file(paths, data)
        return str(_file(paths))
    return "keyring"


def get_secret(paths: Paths, name: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        found = keyring.get_password(SERVICE, _username(paths, name))
    except KeyringError:
        found = None
    return found if found is not None else _read_file(paths).get(name)


def delete_secret(paths: Paths, name: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    with contextlib.suppress(KeyringError):
        keyring.delete_password(SERVICE, _username(paths, name))
    data = _read_file(paths)
    if data.pop(name, None) is not None:
        _write_file(paths, data)
