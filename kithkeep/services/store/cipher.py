"""An encrypted home's files: events through the library's cipher, views through SQLCipher.

The events keep the library's own encryption (`eventsourcing.cryptography.AESCipher`,
AES-256-GCM with a fresh nonce per event, configured through the application's
environment): each stored state is ciphertext, while ids, versions, topics and the
order of the log stay readable, as the library leaves them. The views, which are read
by SQL (joins and sorts on addresses and names), are one SQLCipher 4 file instead
(AES-256 pages with an HMAC each), opened with the raw key; with no key they are not a
database at all. Nothing here imports SQLCipher or the library until it is used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kithkeep.services.config.encryption import HomeKey

if TYPE_CHECKING:
    from eventsourcing.sqlite import SQLiteDatastore

CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"


def cipher_env(key: HomeKey | None) -> dict[str, str]:
    """The application's environment for encrypted events (empty: in clear)."""
    if key is None:
        return {}
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key.events}


def connect(
    path: Path,
    key: HomeKey,
    *,
    read_only: bool = False,
    timeout: float = 30,
    isolation_level: str | None = "",
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """A SQLCipher connection to `path`, keyed (SQLCipher's, with sqlite3's very API)."""
    from sqlcipher3 import dbapi2

    target = f"file:{path}?mode=ro" if read_only else str(path)
    conn: sqlite3.Connection = dbapi2.connect(
        target,
        uri=read_only,
        timeout=timeout,
        isolation_level=isolation_level,
        check_same_thread=check_same_thread,
    )
    conn.execute(f"PRAGMA key = {key.views}")
    if read_only:
        conn.execute("PRAGMA query_only = 1")
    return conn


def read_views(path: Path, key: HomeKey | None) -> sqlite3.Connection:
    """The read side's connection to the views file, in clear or through SQLCipher."""
    if key is None:
        from kithkeep.projections.queries import connect as plain

        return plain(path)
    return connect(path, key, read_only=True)


def views_datastore(path: Path, key: HomeKey | None) -> SQLiteDatastore:
    """The library's SQLite datastore for the views, its connections SQLCipher's if keyed."""
    from eventsourcing.sqlite import SQLiteDatastore

    datastore = SQLiteDatastore(str(path), lock_timeout=30)
    if key is not None:
        datastore.pool = _pool(path, key)
    return datastore


def _pool(path: Path, key: HomeKey) -> Any:
    from eventsourcing.persistence import (
        IntegrityError,
        InterfaceError,
        OperationalError,
        PersistenceError,
    )
    from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool
    from sqlcipher3 import dbapi2

    class SQLCipherConnection(SQLiteConnection):
        """SQLCipher's errors as the library's (it knows only sqlite3's)."""

        @contextmanager
        def transaction(self, *, commit: bool) -> Iterator[Any]:
            try:
                with super().transaction(commit=commit) as curs:
                    yield curs
            except dbapi2.OperationalError as e:
                raise OperationalError(e) from e
            except dbapi2.IntegrityError as e:
                raise IntegrityError(e) from e
            except dbapi2.InterfaceError as e:
                raise InterfaceError(e) from e
            except dbapi2.Error as e:
                raise PersistenceError(e) from e

    class SQLCipherPool(SQLiteConnectionPool):
        """The library's pool, its connections opened with SQLCipher and keyed first."""

        def _create_connection(self) -> SQLiteConnection:
            try:
                c = connect(
                    path,
                    key,
                    check_same_thread=False,
                    isolation_level=None,
                    timeout=self.lock_timeout or 30,
                )
                c.execute("PRAGMA journal_mode=WAL")
            except dbapi2.Error as e:
                raise InterfaceError(e) from e
            self.is_journal_mode_wal = True
            c.row_factory = dbapi2.Row
            return SQLCipherConnection(sqlite_conn=c, max_age=self.max_age)

    return SQLCipherPool(db_name=str(path), lock_timeout=30)


def is_plain_sqlite(path: Path) -> bool:
    """Whether a file is a SQLite database in clear (SQLCipher's start with random bytes)."""
    try:
        with path.open("rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def errors(key: HomeKey | None) -> tuple[type[Exception], ...]:
    """SQLCipher's exception classes, where a key means it is in use (else none)."""
    if key is None:
        return ()
    from sqlcipher3 import dbapi2

    return (dbapi2.Error,)
