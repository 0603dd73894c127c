"""`kithkeep store copy`: a SQLite history moved into PostgreSQL, resumably.

`copy_history` moves stored events as they are (ids, versions, state), in the order
they were recorded, one batch per transaction together with how far the copy has
got: interrupted at any point, it resumes after the last whole batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder

from kithkeep.domain.errors import ConfigError
from kithkeep.services.store.postgres import PgStore, is_pg_url, target_for

COPY_TRACKING_TABLE = "kithkeep_copy_tracking"

COPY_BATCH = 2000


def sqlite_path(url: str) -> Path:
    """`sqlite:///abs/path/events.sqlite` (or a plain path) as a path to an existing file."""
    raw = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    path = Path(raw).expanduser()
    if path.is_dir():
        path = path / "events.sqlite"
    if not path.is_file():
        raise ConfigError(f"{path}: no SQLite event store there")
    return path


@dataclass(frozen=True, slots=True)
class Copied:
    copied: int
    skipped: int
    total: int
    resumed_from: int
    complete: bool


def copy_history(
    source_url: str,
    target_url: str,
    home: Path | None,
    *,
    max_events: int | None = None,
    batch: int = COPY_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> Copied:
    """Copy every stored event of a SQLite store into a PostgreSQL store (resumable).

    Events the target holds already (the same aggregate and version) are skipped.
    """

    if not is_pg_url(target_url):
        raise ConfigError(
            f"--to must be a postgresql:// URL, not {target_url.split(':', maxsplit=1)[0]}"
        )
    path = sqlite_path(source_url)
    source_key = f"copy:{path.resolve()}"
    store = PgStore(target_for(target_url, home))  # creates the event store's tables
    recorder = PostgresProcessRecorder(
        store.pg_recorder.datastore,
        events_table_name=store.pg_recorder.events_table_name,
        tracking_table_name=COPY_TRACKING_TABLE,
    )
    recorder.create_table()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        (total,) = src.execute("SELECT count(*) FROM stored_events").fetchone()
        start = recorder.max_tracking_id(source_key) or 0
        position, copied, skipped = start, 0, 0
        while max_events is None or copied + skipped < max_events:
            limit = batch if max_events is None else min(batch, max_events - copied - skipped)
            rows = src.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (position, limit),
            ).fetchall()
            if not rows:
                break
            events = [StoredEvent(UUID(o), v, t, bytes(s)) for _, o, v, t, s in rows]
            tracking = Tracking(source_key, rows[-1][0])
            added = _insert_new(recorder, events, tracking)
            copied += added
            skipped += len(events) - added
            position = rows[-1][0]
            if progress is not None:
                progress(position, total)
        (left,) = src.execute(
            "SELECT count(*) FROM stored_events WHERE rowid > ?", (position,)
        ).fetchone()
    finally:
        src.close()
        store.close()
    return Copied(copied, skipped, total, start, left == 0)


def _insert_new(
    recorder: PostgresProcessRecorder, events: list[StoredEvent], tracking: Tracking
) -> int:
    """Insert the batch with its tracking; leave out what the target already holds."""
    try:
        recorder.insert_events(events, tracking=tracking)
        return len(events)
    except IntegrityError:
        pass
    held: set[tuple[UUID, int]] = set()
    for e in events:
        assert isinstance(e.originator_id, UUID)
        if recorder.select_events(
            e.originator_id, gt=e.originator_version - 1, lte=e.originator_version
        ):
            held.add((e.originator_id, e.originator_version))
    fresh = [e for e in events if (e.originator_id, e.originator_version) not in held]
    recorder.insert_events(fresh, tracking=tracking)  # also when empty: the position moves
    return len(fresh)
