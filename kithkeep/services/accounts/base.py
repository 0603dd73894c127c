"""Accounts: written into the config by `account add`, turned into sources by `sync`.

The config file stays the one place a user reads and edits; `tomlkit` appends and
removes `[[accounts]]` tables without disturbing the user's comments. Each account
type names the function that builds its `Source` (imported only when used, so a
query command never loads a provider's client library).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError, InputError
from kithkeep.services.config.settings import Account, Paths, Settings, load


@dataclass(frozen=True, slots=True)
class Wiring:
    """What building a source may need besides its account."""

    settings: Settings
    now: datetime
    local_tz: tzinfo

    @property
    def paths(self) -> Paths:
        return self.settings.paths

    def state_path(self, account: Account) -> Path:
        """The account's own connector state (remote ids → interactions)."""
        return self.settings.paths.home / "connectors" / f"{account.name}.sqlite"


Builder = Callable[[Account, Wiring], Source]

#: Account type → "module:function" building its source.
BUILDERS: dict[str, str] = {
    "folder": "kithkeep.services.accounts.base:folder_source",
    "gmail": "kithkeep.services.accounts.google:gmail_source",
    "google-calendar": "kithkeep.services.accounts.google:calendar_source",
    "outlook": "kithkeep.services.accounts.outlook:outlook_source",
    "imap": "kithkeep.services.accounts.imap:imap_source",
    "caldav": "kithkeep.services.accounts.imap:caldav_source",
}

#: Sources whose reading is local work worth a second core (network sources wait instead).
PARALLEL_TYPES = frozenset({"folder"})


def build_source(account: Account, wiring: Wiring) -> Source:
    target = BUILDERS.get(account.type)
    if target is None:
        raise ConfigError(f"account {account.name}: unknown type {account.type!r}")
    module_name, _, function = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name:
            raise
        raise ConfigError(
            f"account {account.name}: type {account.type!r} is not supported by this version"
        ) from None
    build: Builder = getattr(module, function)
    return build(account, wiring)


def folder_source(account: Account, wiring: Wiring) -> Source:
    from kithkeep.connectors.files import FileSource

    if not account.path.exists():
        raise InputError(f"{account.path}: no such file or folder")
    return FileSource(account.path, now=wiring.now, local_tz=wiring.local_tz)


def secret_name(account: str, what: str) -> str:
    """The keyring entry of one account's secret (token, password, client secret)."""
    return f"account:{account}:{what}"


#: The secrets an account may hold; `account remove` forgets them all.
SECRET_KINDS = ("token", "password", "client", "cache")


# -- the config file ---------------------------------------------------------------------


def add_account(paths: Paths, table: dict[str, Any], *, replace: bool = False) -> Account:
    """Append an `[[accounts]]` table to the config, validated; the account as loaded."""
    import tomlkit

    doc = _read_doc(paths)
    accounts = doc.get("accounts")
    if accounts is None:
        accounts = tomlkit.aot()
        doc["accounts"] = accounts
    name = table["name"]
    for i, existing in enumerate(list(accounts)):
        if existing.get("name") == name:
            if not replace:
                raise ConfigError(f"an account named {name!r} exists already")
            del accounts[i]
            break
    item = tomlkit.table()
    for key, value in table.items():
        if value is not None and value not in ("", []):
            item[key] = str(value) if isinstance(value, Path) else value
    accounts.append(item)
    _write_doc(paths, doc)
    return load(paths.home).account(name)


def remove_account(paths: Paths, name: str) -> None:
    """Take the account out of the config (its events stay)."""
    doc = _read_doc(paths)
    accounts = doc.get("accounts") or []
    for i, existing in enumerate(list(accounts)):
        if existing.get("name") == name:
            del accounts[i]
            break
    else:
        raise ConfigError(f"no account named {name!r} in {paths.config}")
    if not accounts:
        del doc["accounts"]
    _write_doc(paths, doc)


def _read_doc(paths: Paths) -> Any:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    if not paths.config.exists():
        raise ConfigError(
            f"no config at {paths.config}: run `kithkeep init --me YOU@EXAMPLE.COM` first"
        )
    try:
        return tomlkit.parse(paths.config.read_text(encoding="utf-8"))
    except (TOMLKitError, OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{paths.config}: {e}") from None


def _write_doc(paths: Paths, doc: Any) -> None:
    """Replace the config atomically, and only with a config that loads."""
    import tomlkit
    from pydantic import ValidationError

    from kithkeep.services.config.schema import SettingsModel

    tmp = paths.config.with_name(paths.config.name + ".new")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        SettingsModel.from_file(tmp)
    except ValidationError as e:
        tmp.unlink(missing_ok=True)
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "config"
        raise ConfigError(f"{where}: {first['msg']}") from None
    os.replace(tmp, paths.config)


def update_account(paths: Paths, name: str, changes: dict[str, Any]) -> Account:
    """Change some fields of an `[[accounts]]` table in place (comments elsewhere kept)."""
    doc = _read_doc(paths)
    for existing in doc.get("accounts") or []:
        if existing.get("name") == name:
            for key, value in changes.items():
                existing[key] = value
            break
    else:
        raise ConfigError(f"no account named {name!r} in {paths.config}")
    _write_doc(paths, doc)
    return load(paths.home).account(name)
