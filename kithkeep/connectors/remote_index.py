"""Which remote items stand for which interaction: what a provider's "deleted" means.

Providers report deletions by their own ids (a Gmail message id, a Graph id, an IMAP
UID in a folder, a CalDAV href), never by the headers kithkeep keys interactions on.
The index keeps (scope, remote id) -> natural key for one account, in a small SQLite
file of its own. One interaction can stand behind several remote items (the same
message in INBOX and Archive): it is withdrawn only when its last item goes.

Crash safety without a shared transaction: remember items *before* the page that holds
them is handed over, and forget them only *after* the page that withdraws them was
saved (the next step of the page generator). A crash in between repeats work; it
never loses a withdrawal.

Every account keeps its own index; the other accounts' are its `peers`, read only: a key
one of them still holds is no orphan, so a deletion at one account never withdraws an
interaction another account still has. Files (an import, a folder account) hold nothing
back: a snapshot cannot say when a message is gone, and a mailbox imported once would
otherwise keep every message deleted from it since.

Items handed over in a numbered page are `held` with its number until the cursor saved
after it says that page was saved (`settle`): a sync stopped or killed right after
saving a page never resumes its generator, and a page handed over but never saved must
not count as stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    scope TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    sweep INTEGER NOT NULL DEFAULT 0,
    held INTEGER,
    PRIMARY KEY (scope, remote_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_by_key ON items (natural_key);
"""
#: Added after the first release: an index made before it gains the column.
_HELD = "ALTER TABLE items ADD COLUMN held INTEGER"

_CHUNK = 500


class RemoteIndex:
    def __init__(self, path: Path, peers: Sequence[Path] = ()) -> None:
        self.path = path
        #: The other accounts' indexes: what they hold is not orphaned here.
        self.peers = tuple(p for p in peers if p != path)
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        # Opened on first use, in the process that uses it.
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # in WAL: never corrupt, fewer syncs
            conn.executescript(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(items)")}
            if "held" not in columns:
                conn.execute(_HELD)
            self._conn = conn
        return self._conn

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction (the connection is in autocommit, where `with conn` would
        commit each row of an `executemany` on its own: eight times slower)."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def remember(
        self,
        scope: str,
        items: Iterable[tuple[str, str]],
        sweep: int = 0,
        *,
        page: int | None = None,
    ) -> None:
        """(remote id, natural key) pairs now held in `scope`; with `page`, held by that
        numbered page until `settle` says whether it was saved."""
        rows = [(scope, rid, key, sweep, page) for rid, key in items if key]
        with self._writing():
            self.conn.executemany(
                "INSERT INTO items (scope, remote_id, natural_key, sweep, held) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, remote_id) DO UPDATE SET "
                "natural_key = excluded.natural_key, sweep = excluded.sweep, held = excluded.held",
                rows,
            )

    def settle(self, scope: str, saved: int) -> None:
        """Pages up to number `saved` were saved: their items are held no more; items of
        later pages were never saved, and are forgotten (a sync reads them again)."""
        with self._writing():
            self.conn.execute(
                "DELETE FROM items WHERE scope = ? AND (held > ? OR sweep < 0)", (scope, saved)
            )
            self.conn.execute(
                "UPDATE items SET held = NULL WHERE scope = ? AND held IS NOT NULL", (scope,)
            )

    def keys(self, scope: str, remote_ids: Sequence[str]) -> dict[str, str]:
        """The natural keys of these remote items, where known."""
        out: dict[str, str] = {}
        for chunk in _chunks(remote_ids):
            out.update(
                self.conn.execute(
                    f"SELECT remote_id, natural_key FROM items WHERE scope = ? "
                    f"AND remote_id IN ({','.join('?' * len(chunk))})",
                    [scope, *chunk],
                ).fetchall()
            )
        return out

    def orphaned_by(self, scope: str, remote_ids: Sequence[str]) -> list[str]:
        """Natural keys that no remote item would stand for once these are forgotten."""
        keys = set(self.keys(scope, remote_ids).values())
        if not keys:
            return []
        going = set(remote_ids)
        orphans = []
        for key in sorted(keys):
            holders = self.conn.execute(
                "SELECT scope, remote_id FROM items WHERE natural_key = ?", (key,)
            ).fetchall()
            if all(s == scope and r in going for s, r in holders):
                orphans.append(key)
        held = self._held_by_peers(orphans)
        return [k for k in orphans if k not in held]

    def _held_by_peers(self, keys: Sequence[str]) -> set[str]:
        """Which of these natural keys another index of the home still holds."""
        held: set[str] = set()
        for peer in self.peers if keys else ():
            try:
                conn = sqlite3.connect(f"file:{peer}?mode=ro", uri=True, timeout=30)
            except sqlite3.Error:
                continue
            try:
                held.update(_found(conn, keys))
            finally:
                conn.close()
        return held

    def forget(self, scope: str, remote_ids: Sequence[str]) -> None:
        with self._writing():
            for chunk in _chunks(remote_ids):
                self.conn.execute(
                    f"DELETE FROM items WHERE scope = ? "
                    f"AND remote_id IN ({','.join('?' * len(chunk))})",
                    [scope, *chunk],
                )

    def forget_scope(self, scope: str) -> None:
        with self._writing():
            self.conn.execute("DELETE FROM items WHERE scope = ?", (scope,))

    # A full listing: mark what is still there, then the rest is gone.

    def next_sweep(self, scope: str) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(sweep), 0) FROM items WHERE scope = ?", (scope,)
        ).fetchone()
        return int(row[0]) + 1

    def not_swept(self, scope: str, sweep: int) -> list[str]:
        """Remote ids of `scope` a full listing marked with `sweep` did not see.

        Items a later listing marked were seen after it: a sweep resumed late (its page
        was not saved before a crash) must not take them for gone.
        """
        return [
            r
            for (r,) in self.conn.execute(
                "SELECT remote_id FROM items WHERE scope = ? AND sweep < ? ORDER BY remote_id",
                (scope, sweep),
            )
        ]

    def remote_ids(self, scope: str) -> list[str]:
        """Every remote id held in `scope`."""
        return [
            r
            for (r,) in self.conn.execute(
                "SELECT remote_id FROM items WHERE scope = ? ORDER BY remote_id", (scope,)
            )
        ]

    def count(self, scope: str | None = None) -> int:
        if scope is None:
            row = self.conn.execute("SELECT COUNT(*) FROM items").fetchone()
        else:
            row = self.conn.execute(
                "SELECT COUNT(*) FROM items WHERE scope = ?", (scope,)
            ).fetchone()
        return int(row[0])


def _found(conn: sqlite3.Connection, keys: Sequence[str]) -> set[str]:
    """Which of `keys` a peer holds; none if it is no index (yet)."""
    found: set[str] = set()
    try:
        for chunk in _chunks(keys):
            found.update(
                k
                for (k,) in conn.execute(
                    f"SELECT DISTINCT natural_key FROM items "
                    f"WHERE natural_key IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
    except sqlite3.Error:
        return found  # not an index (an account never synced has none)
    return found


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
