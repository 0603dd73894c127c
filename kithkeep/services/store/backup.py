"""`kithkeep backup PATH`: a consistent copy of a SQLite home, taken while it is in use.

Each SQLite file is copied with SQLite's online backup API in one step, inside one read
transaction: a snapshot as of that moment, whatever the daemon writes meanwhile. The
views are not copied: a projector in the middle of a long backlog settles its totals only
at the end, so a copy of them could hold a moment no query ever saw; they are built again
from the copied events when the copy is first asked. The copy is written beside PATH and
renamed into place once whole: an interrupted backup leaves no half home behind.
Sign-ins (the keyring, `secrets.json`) are not copied: they belong to the machine.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import NamedTuple

from kithkeep.domain.errors import ConfigError, StoreError
from kithkeep.services.config.encryption import HomeKey, home_key
from kithkeep.services.config.settings import Paths
from kithkeep.services.store import cipher

#: Plain files copied as they are (small; written whole and replaced atomically).
PLAIN_FILES = ("config.toml", "daemon.json", "encryption.json", "sources.json")
PLAIN_FOLDERS = ("digest",)


class Backed(NamedTuple):
    """What a backup wrote."""

    target: Path
    databases: int
    files: int


def backup(paths: Paths, target: Path) -> Backed:
    """Copy the home at `paths` to `target` (which must not exist yet)."""
    target = target.expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} exists: a backup goes to a new folder")
    if target.resolve().is_relative_to(paths.home.resolve()):
        raise ConfigError(f"{target} is inside the home: a backup goes elsewhere")
    if not paths.events.exists():
        raise StoreError(f"nothing to back up in {paths.home}: no event store there")
    key = home_key(paths)  # an encrypted home's views are copied through SQLCipher
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o700)
    databases = files = 0
    try:
        for source in _databases(paths):
            dest = partial / source.relative_to(paths.home)
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            copy_database(source, dest, key if source == paths.views else None)
            databases += 1
        for name in PLAIN_FILES:
            if (paths.home / name).is_file():
                shutil.copyfile(paths.home / name, partial / name)
                files += 1
        for folder in PLAIN_FOLDERS:
            if (paths.home / folder).is_dir():
                shutil.copytree(paths.home / folder, partial / folder)
                files += sum(1 for p in (partial / folder).rglob("*") if p.is_file())
        if target.exists():
            target.rmdir()
        partial.rename(target)
    except (OSError, sqlite3.Error, *cipher.errors(key)) as e:  # type: ignore[misc]
        shutil.rmtree(partial, ignore_errors=True)
        raise StoreError(f"cannot back up {paths.home} to {target}: {e}") from None
    return Backed(target, databases, files)


def _databases(paths: Paths) -> list[Path]:
    """The connectors' indexes, then the events (never the views: they are derived)."""
    others = sorted((paths.home / "connectors").glob("*.sqlite"))
    found = [*others, paths.events]
    return [p for p in found if p.is_file()]


def copy_database(source: Path, dest: Path, key: HomeKey | None = None) -> None:
    """One SQLite file, copied in one step of the online backup API (a snapshot); with
    `key`, a SQLCipher file, copied encrypted with the same key."""
    if key is None:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(dest)
    else:
        src = cipher.connect(source, key, read_only=True, timeout=30)
        dst = cipher.connect(dest, key)
    try:
        src.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dst.close()
        src.close()
