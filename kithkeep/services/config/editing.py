"""In-place edits of the config file's `[[accounts]]` tables, keeping the user's comments.

The config file stays the one place a user reads and edits; `tomlkit` appends and
removes tables without disturbing anything else in it, and a change is written only
when the whole file still loads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.settings import Account, Paths, config_text, load

#: A value of an `[[accounts]]` table as kithkeep writes it (None and "" are left out).
TomlValue = str | int | float | bool | Path | list[str] | None


def add_account(paths: Paths, table: Mapping[str, TomlValue], *, replace: bool = False) -> Account:
    """Append an `[[accounts]]` table to the config, validated; the account as loaded."""
    import tomlkit

    doc = _read_doc(paths)
    accounts = doc.get("accounts")
    if accounts is None:
        accounts = tomlkit.aot()
        doc["accounts"] = accounts
    name = str(table["name"])
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


def init_config(paths: Paths, me: list[str], *, force: bool) -> Path | None:
    """A new config naming `me`, checked before it is written; never over an existing
    one unless `force`, and then its `[[accounts]]` tables are carried over and the old
    file is kept beside it (the backup's path is returned)."""
    import shutil
    from datetime import UTC, datetime

    import tomlkit

    text = config_text(me)
    if not paths.config.exists():
        paths.home.mkdir(parents=True, exist_ok=True)
        _write_doc(paths, tomlkit.parse(text))
        return None
    if not force:
        raise ConfigError(
            f"{paths.config} exists and is kept; change your addresses with `kithkeep me add`, "
            "or start it again with `init --force` (a backup is kept)"
        )
    doc = tomlkit.parse(text)
    accounts = _read_doc(paths).get("accounts")
    if accounts:
        doc["accounts"] = accounts
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = paths.config.with_name(f"{paths.config.name}.{stamp}.bak")
    shutil.copy2(paths.config, backup)
    _write_doc(paths, doc)
    return backup


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

    from kithkeep.services.config.schema import SettingsModel, explain

    tmp = paths.config.with_name(paths.config.name + ".new")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        SettingsModel.from_file(tmp)
    except ValidationError as e:
        tmp.unlink(missing_ok=True)
        raise ConfigError(explain(e)) from None
    os.replace(tmp, paths.config)


def update_account(paths: Paths, name: str, changes: Mapping[str, TomlValue]) -> Account:
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


def set_me(paths: Paths, add: str = "", remove: str = "") -> tuple[str, ...]:
    """Add an address to `me` (or take one out), changing nothing else in the file: the
    array is edited in place, so comments and `[[accounts]]` tables stay as they were."""
    import tomlkit

    doc = _read_doc(paths)
    me = doc.get("me")
    if me is None:
        me = tomlkit.array()
        doc["me"] = me
    present = [str(a).lower() for a in me]
    if add and add not in present:
        me.append(add)
    if remove:
        if remove not in present:
            raise ConfigError(f"{remove} is not one of your addresses in {paths.config}")
        del me[present.index(remove)]
    _write_doc(paths, doc)
    return load(paths.home).me
