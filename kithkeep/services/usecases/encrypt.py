"""Encrypting a home: from the start (`init --encrypt`), or one in use (`kithkeep encrypt`).

`encrypt` is resumable: `encryption.json` is written first (state "encrypting", which
every other command refuses), then each stored event still in clear is encrypted in
place, a page per transaction (an event that already decrypts is left: a rerun goes on
where a killed one stopped, and no event is lost or added); then the views in clear and
the digests are deleted, the events file vacuumed (no clear page left in its free space
or WAL), the state set to "encrypted", and the views built again, encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kithkeep.domain.errors import ConfigError
from kithkeep.services.config import encryption
from kithkeep.services.config.daemon_files import running_pid
from kithkeep.services.config.settings import Paths, Settings


@dataclass(frozen=True, slots=True)
class Encrypted:
    events: int  # encrypted by this run
    removed: int  # files in clear deleted (views, digests)


def start_encrypted(paths: Paths) -> str:
    """A new home, encrypted from its first event; where its key lives."""
    if encryption.encrypted(paths):
        raise ConfigError(f"{paths.home} is encrypted already")
    if paths.events.exists():
        raise ConfigError(f"{paths.home} holds events already: `kithkeep encrypt` encrypts them")
    encryption.create(paths, state=encryption.ENCRYPTED)
    data = encryption.described(paths) or {}
    return "the OS keyring" if data.get("key") == "keyring" else "your passphrase"


def encrypt_home(settings: Settings) -> Encrypted:
    """Encrypt the events (and, on SQLite, the views) of a home in use; resumable."""
    from kithkeep.services.runtime import open_runtime
    from kithkeep.services.store import forgetting
    from kithkeep.services.store.cipher import cipher_env
    from kithkeep.services.store.forgetting import encrypt_events

    paths = settings.paths
    data = encryption.described(paths)
    if data is not None and data.get("state") == encryption.ENCRYPTED:
        raise ConfigError(f"{paths.home} is encrypted already")
    if not settings.store_url and running_pid(paths) is not None:
        raise ConfigError("the daemon is running on this home: stop it, then encrypt")
    key = (
        encryption.create(paths, state=encryption.ENCRYPTING)
        if data is None
        else encryption.home_key(paths, finished=False)
    )
    assert key is not None
    removed = 0
    if settings.store_url:
        from kithkeep.services.store.postgres import open_pg

        pg, _view = open_pg(settings.store_url, paths.home, cipher_env(key))
        try:
            done = encrypt_events(pg)
            forgetting.compact_pg(pg)
        finally:
            pg.close()
    else:
        from kithkeep.services.store.cipher import is_plain_sqlite
        from kithkeep.services.store.events import Store

        store = Store(paths.events, cipher_env(key))
        try:
            done = encrypt_events(store)
        finally:
            store.close()
        if is_plain_sqlite(paths.views):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{paths.views}{suffix}").unlink(missing_ok=True)
            removed += 1
        forgetting.compact_sqlite(paths.events)
    digests = paths.home / "digest"
    for old in sorted(digests.glob("*.md")) if digests.is_dir() else ():
        old.unlink()
        removed += 1
    encryption.mark(paths, encryption.ENCRYPTED)
    with open_runtime(settings) as rt:
        rt.project()
    return Encrypted(done, removed)
