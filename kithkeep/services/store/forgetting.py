"""Stored events rewritten in place (to forget a person, or to encrypt a home), then the
space they held compacted.

The `eventsourcing` library treats stored events as immutable, and kithkeep does too
everywhere else; forgetting is the one, deliberate exception (see the README: why
rewriting in place rather than crypto-shredding). Each stored event that names a
forgotten person is decoded with the application's own mapper parts (transcoder, then
compressor and cipher, whichever are configured), loses them, and is written back under
the same originator id and version, so the aggregates' histories, the notification ids
and the views' positions stay as they were. Afterwards nothing is left in the database
files: SQLite is checkpointed and vacuumed (free pages and WAL emptied), PostgreSQL's
table is rewritten with VACUUM FULL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kithkeep.domain.errors import StoreError
from kithkeep.domain.forgetting import FORGOTTEN, Door
from kithkeep.services.config.encryption import HomeKey
from kithkeep.services.store.events import Store

#: Event fields whose text may hold a forgotten name (scrubbed word by word).
_TEXT_FIELDS = ("subject", "note")
_PAGE = 2000


def rewrite_events(store: Store, door: Door) -> int:
    """Take the forgotten out of every stored event; how many events were rewritten."""
    mapper = store.app.mapper

    def change(state: bytes) -> bytes | None:
        plain = state
        if mapper.cipher:
            plain = mapper.cipher.decrypt(plain)
        if mapper.compressor:
            plain = mapper.compressor.decompress(plain)
        data = mapper.transcoder.decode(plain)
        if not isinstance(data, dict) or not _scrub_state(data, door):
            return None
        new = mapper.transcoder.encode(data)
        if mapper.compressor:
            new = mapper.compressor.compress(new)
        if mapper.cipher:
            new = mapper.cipher.encrypt(new)
        return new

    return rewrite_states(store, change)


def rewrite_states(store: Store, change: Callable[[bytes], bytes | None]) -> int:
    """Every stored state passed through `change` (None: left as it is), a page of
    events per transaction, in the log's order; how many were rewritten."""
    rewritten = 0
    start = 0
    while True:
        rows = store.log(start, _PAGE)
        if not rows:
            return rewritten
        updates: list[tuple[bytes, Any, int]] = []
        for nid, originator_id, version, _topic, state in rows:
            start = nid
            new = change(bytes(state))
            if new is not None:
                updates.append((new, originator_id, version))
        if updates:
            _write(store, updates)
            rewritten += len(updates)


def encrypt_events(store: Store) -> int:
    """Encrypt in place every stored event still in clear (the store's cipher is set);
    an event that decrypts already is left, so a rerun goes on where one stopped."""
    cipher = store.app.mapper.cipher
    assert cipher is not None

    def change(state: bytes) -> bytes | None:
        try:
            cipher.decrypt(state)
        except ValueError:
            return bytes(cipher.encrypt(state))
        return None

    return rewrite_states(store, change)


def _scrub_state(state: dict[str, Any], door: Door) -> bool:
    """Take the forgotten out of one event's state, in place; whether anything changed."""
    changed = False
    sender = state.get("sender")
    if isinstance(sender, list) and sender and door.gone(str(sender[0])):
        state["sender"] = None
        changed = True
    card = state.get("card")  # an address-book card of theirs: nothing of it is kept
    if isinstance(card, dict) and any(door.gone(str(a)) for a in card.get("addresses", [])):
        state["card"] = {k: ([] if isinstance(v, list) else "") for k, v in card.items()}
        state["card"]["name"] = FORGOTTEN
        changed = True
    parties = state.get("parties")
    if isinstance(parties, list):
        kept = [p for p in parties if not (isinstance(p, list) and p and door.gone(str(p[0])))]
        if len(kept) != len(parties):
            state["parties"] = kept
            changed = True
    for key, value in state.items():
        if not isinstance(value, str) or key in ("natural_key", "message_id", "thread_key"):
            continue
        if key in _TEXT_FIELDS:
            scrubbed = door.scrub(value)
        elif "@" in value and door.gone(value):
            scrubbed = FORGOTTEN  # a directive's or a logged referral's address
        else:
            continue
        if scrubbed != value:
            state[key] = scrubbed
            changed = True
    return changed


def _write(store: Store, updates: list[tuple[bytes, Any, int]]) -> None:
    recorder: Any = store.recorder
    table = recorder.events_table_name
    if store.shared:
        from psycopg.sql import SQL, Identifier

        query = SQL(
            "UPDATE {} SET state = %s WHERE originator_id = %s::uuid AND originator_version = %s"
        ).format(Identifier(recorder.datastore.schema, table))
        with recorder.datastore.transaction(commit=True) as c:
            c.executemany(query, updates)
        return
    with recorder.datastore.transaction(commit=True) as c:
        c.executemany(
            f"UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            updates,
        )


def compact_sqlite(path: Path, key: HomeKey | None = None) -> None:
    """Empty the WAL and the free pages of a SQLite file: what was rewritten is gone.

    With `key`, the file is SQLCipher's (an encrypted home's views)."""
    if not path.exists():
        return
    try:
        if key is None:
            c = sqlite3.connect(path, timeout=30, isolation_level=None)
        else:
            from kithkeep.services.store.cipher import connect

            c = connect(path, key, timeout=30, isolation_level=None)
        try:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.execute("VACUUM")
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            c.close()
    except sqlite3.Error as e:
        raise StoreError(f"cannot compact {path}: {e}") from None
    except Exception as e:  # SQLCipher's errors are its own classes
        if type(e).__module__.startswith("sqlcipher3"):
            raise StoreError(f"cannot compact {path}: {e}") from None
        raise


def compact_pg(store: Store) -> None:
    """Rewrite the events table (VACUUM FULL): no old row versions are left in its files."""
    from psycopg.sql import SQL, Identifier

    from kithkeep.services.store.postgres import PgStore, connect

    assert isinstance(store, PgStore)
    recorder: Any = store.recorder
    table = Identifier(recorder.datastore.schema, recorder.events_table_name)
    conn = connect(store.target)
    try:
        conn.execute(SQL("VACUUM FULL {}").format(table))
    finally:
        conn.close()
