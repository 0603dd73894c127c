"""Readers of the event store's notification log for the projector, as plain rows.

Each reader keeps a connection of its own, opened in the process that reads (a projector
may hand pages to a forked helper process, which must not use its parent's connections)
and read in autocommit, so it never holds a snapshot between pages.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from kithkeep.projections.projector import RawEvent

#: No stop: past any notification id.
_END = 2**63 - 1


class _Reader:
    """One connection per process, opened on first use; one reader at a time."""

    def __init__(self) -> None:
        self._conn: Any = None
        self._pid = 0
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        raise NotImplementedError

    def _query(self, conn: Any, start: int, limit: int, stop: int | None) -> list[RawEvent]:
        raise NotImplementedError

    def __call__(self, start: int, limit: int, stop: int | None = None) -> list[RawEvent]:
        with self._lock:
            if self._conn is None or self._pid != os.getpid():
                self._conn = self._connect()  # a forked child leaves its parent's alone
                self._pid = os.getpid()
            return self._query(self._conn, start, limit, stop)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


class SQLiteLog(_Reader):
    def __init__(self, path: Path, table: str) -> None:
        super().__init__()
        self.path = path
        self.sql = (
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
        )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=30,
        )
        return conn

    def _query(
        self, conn: sqlite3.Connection, start: int, limit: int, stop: int | None
    ) -> list[RawEvent]:
        return conn.execute(self.sql, (start, _END if stop is None else stop, limit)).fetchall()


class PgLog(_Reader):
    """Rows read in binary: the state as it is stored, not hex text to be parsed back,
    and the originator id as its 16 bytes, which the client writes out as hex."""

    def __init__(self, conninfo: str, schema: str, table: str) -> None:
        super().__init__()
        from psycopg.sql import SQL, Identifier

        self.conninfo = conninfo
        self.sql = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(Identifier(schema, table))

    def _connect(self) -> Any:
        import psycopg
        from psycopg.adapt import Loader
        from psycopg.pq import Format

        class HexUUIDLoader(Loader):
            format = Format.BINARY

            def load(self, data: Any) -> str:
                return bytes(data).hex()

        conn = psycopg.connect(self.conninfo, autocommit=True)
        conn.adapters.register_loader("uuid", HexUUIDLoader)
        return conn

    def _query(self, conn: Any, start: int, limit: int, stop: int | None) -> list[RawEvent]:
        params = (start, _END if stop is None else stop, limit)
        rows: list[RawEvent] = conn.execute(self.sql, params, binary=True).fetchall()
        return rows
