"""Running on PostgreSQL: create the tables, copy a SQLite history over, project live.

`copy_history` moves stored events as they are (ids, versions, state), in the order
they were recorded, one batch per transaction together with how far the copy has
got: interrupted at any point, it resumes after the last whole batch.

`project_forever` catches the views up in pages, then keeps them live with the
library's `ProjectionRunner` (LISTEN/NOTIFY), one event per transaction.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder

from kithkeep.domain.errors import ConfigError, StoreError
from kithkeep.services.config.settings import Settings

log = logging.getLogger("kithkeep.store")

COPY_TRACKING_TABLE = "kithkeep_copy_tracking"
COPY_BATCH = 2000


def migrate(settings: Settings) -> str:
    """Create the event store's and the views' tables if missing; where they are."""
    from kithkeep.services.runtime import open_kit

    _require_pg(settings)
    with open_kit(settings) as kit:
        return kit.store.where


def _require_pg(settings: Settings) -> None:
    if not settings.store_url:
        raise ConfigError(
            f"no [store] url in {settings.paths.config}: "
            "set it (or KITHKEEP_STORE__URL) to a postgresql:// URL first"
        )


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
    from kithkeep.services.store.postgres import PgStore, is_pg_url, target_for

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


# -- live projections ---------------------------------------------------------------------


def project_forever(
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    settle_every: float = 60.0,
    backoff_cap: float = 60.0,
) -> None:
    """Catch the views up, then follow the store live until SIGTERM/SIGINT (or `stop`).

    A lost connection (or any database error) stops the live runner: after a pause that
    doubles up to `backoff_cap`, the views catch up again and the runner restarts. The
    page in flight was rolled back; its tracking position says where to go on.
    """
    from eventsourcing.persistence import PersistenceError

    _require_pg(settings)
    stopping = stop or threading.Event()
    delay = 1.0
    with _signals(stopping):
        while not stopping.is_set():
            try:
                _project_live(settings, stopping, settle_every)
            except (PersistenceError, StoreError) as e:
                log.warning("projection failed=%s retry_in=%.0fs", _one_line(e), delay)
                stopping.wait(delay)
                delay = min(delay * 2, backoff_cap)
            else:
                delay = 1.0


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _project_live(settings: Settings, stopping: threading.Event, settle_every: float) -> None:
    from eventsourcing.projection import Projection, ProjectionRunner

    from kithkeep.projections.people import ViewMovedError
    from kithkeep.projections.pgview import TRACKING_TABLE, PgPeopleView
    from kithkeep.services.runtime import open_kit
    from kithkeep.services.store.postgres import PgStore
    from kithkeep.services.store.events import KithkeepApplication

    policy = settings.policy()
    with open_kit(settings) as kit:
        caught = kit.project()
        log.info(
            "projection caught up events=%d position=%d", caught.events, kit.projector.position()
        )
        assert isinstance(kit.store, PgStore)
        resolve = kit.projector._resolved

        class PeopleLive(Projection[PgPeopleView]):
            name = TRACKING_TABLE.removesuffix("_tracking")

            def process_event(self, domain_event: Any, tracking: Tracking) -> None:
                now = int(datetime.now(UTC).timestamp())
                events = resolve([(tracking.notification_id, domain_event)])
                with suppress(ViewMovedError):  # another projector wrote it first
                    self.view.apply_page(events, tracking, policy, now)

        runner: Any = ProjectionRunner(
            application_class=KithkeepApplication,
            projection_class=PeopleLive,
            view_class=PgPeopleView,
            env={**kit.store.env, "CREATE_TABLE": "no"},  # open_kit made them
        )
        last_settle = time.monotonic()
        with runner:
            while not stopping.is_set():
                runner.run_forever(timeout=1.0)
                if runner.is_interrupted.is_set() and not stopping.is_set():
                    raise StoreError("the live projection stopped")
                if time.monotonic() - last_settle >= settle_every:
                    last_settle = time.monotonic()
                    kit.view.settle(int(datetime.now(UTC).timestamp()))


@contextmanager
def _signals(stopping: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, lambda *_: stopping.set())
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
