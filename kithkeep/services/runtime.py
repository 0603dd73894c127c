"""The runtime: the one place that wires settings, event store, views and projector.

`open_runtime` opens them together (SQLite files in the home, or one PostgreSQL
database) and closes them together. Use cases run on a `Runtime`; nothing else opens a
store. May import `services.store` and `services.config`, never the use cases, the
daemon or the CLI.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from eventsourcing.persistence import PersistenceError

from kithkeep.domain.errors import StoreError
from kithkeep.projections.people import PeopleProjection, PeopleView
from kithkeep.projections.projector import Caught, Projector
from kithkeep.projections.schema import APPLICATION_NAME
from kithkeep.services.config.encryption import home_key
from kithkeep.services.config.settings import Settings
from kithkeep.services.store.cipher import cipher_env, views_datastore
from kithkeep.services.store.cipher import errors as cipher_errors
from kithkeep.services.store.events import Store, Written
from kithkeep.services.store.health import damage, is_empty
from kithkeep.services.store.orphans import die_with_parent
from kithkeep.services.store.persistence import FastJSONTranscoder

log = logging.getLogger(__name__)

#: Called with each page an import or sync has just saved.
OnSaved = Callable[[Written], None]


@dataclass
class Runtime:
    """An open store with its views and the projector between them."""

    settings: Settings
    store: Store
    view: PeopleProjection
    projector: Projector

    def project(self, now: datetime | None = None) -> Caught:
        moment = now or datetime.now(UTC)
        return self.projector.catch_up(self.settings.policy(), int(moment.timestamp()))

    def projecting(self, now: datetime) -> OnSaved:
        """A callback that projects each saved page while an import runs."""
        policy = self.settings.policy()
        moment = int(now.timestamp())
        self.view.ensure_built_for(policy, APPLICATION_NAME)

        def take(written: Written) -> None:
            self.projector.take(written, policy, moment)

        return take

    def local_tz(self) -> tzinfo:
        return local_timezone(self.settings.timezone)


def check_views(views: Path, events: Path, latest: int) -> None:
    """Views that are damaged, or tracked past the events, are moved aside (to be built
    again from the events); events that are gone while the views remember them are
    refused, since the views are then the only copy and must not be emptied."""
    problem = damage(views)
    if not problem and views.exists():
        try:
            position = tracked_position(views)
        except sqlite3.Error as e:
            problem = str(e)
        else:
            if position > latest:
                problem = f"tracked past the events ({position} > {latest})"
    if problem:
        aside = views.with_name(f"{views.name}.damaged")
        views.replace(aside)
        for extra in ("-wal", "-shm"):
            views.with_name(views.name + extra).unlink(missing_ok=True)
        log.warning(
            "views %s: %s; moved to %s and built again from the events", views, problem, aside
        )


def refuse_lost_events(views: Path, events: Path) -> None:
    """Refuse to start a new event store where the views were built from one (the events
    file gone or emptied): the views are then the only copy, and must not be emptied."""
    if (events.exists() and not is_empty(events)) or damage(views) or not views.exists():
        return
    try:
        position = tracked_position(views)
    except sqlite3.Error:
        return
    if position:
        raise StoreError(
            f"the event store {events} is empty or gone, but the views were built from "
            f"{position} events: restore it from a backup (or move {views.name} aside to "
            "start afresh)"
        )


def tracked_position(views: Path) -> int:
    """How far the views say they have read the events (0: not at all)."""
    c = sqlite3.connect(f"file:{views}?mode=ro", uri=True, timeout=30)
    try:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "tracking" not in tables:
            return 0
        row = c.execute(
            "SELECT max(notification_id) FROM tracking WHERE application_name = ?",
            (APPLICATION_NAME,),
        ).fetchone()
        return int(row[0] or 0)
    finally:
        c.close()


def local_timezone(name: str) -> tzinfo:
    if name != "local":
        return ZoneInfo(name)
    tz = datetime.now(UTC).astimezone().tzinfo
    return tz if tz is not None else UTC


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """The store, views and projector: SQLite files in the home, or one PostgreSQL database."""
    view: PeopleProjection
    sqlite_views = None
    pool_threads = ""
    # An encrypted home's key, checked before anything is opened (a wrong one writes nothing).
    key = home_key(settings.paths)
    if settings.store_url:
        from kithkeep.services.store.postgres import open_pg

        pg, view = open_pg(settings.store_url, settings.paths.home, cipher_env(key))
        store: Store = pg
        # One pool for the events and the views; its own threads only ever wait for work.
        pool_threads = f"{pg.pg_recorder.datastore.pool.name}-"
    else:
        refuse_lost_events(settings.paths.views, settings.paths.events)
        store = Store(settings.paths.events, cipher_env(key))
        if key is None:  # SQLCipher's views are checked as they open, with their key
            try:
                check_views(
                    settings.paths.views, settings.paths.events, store.max_notification_id()
                )
            except StoreError:
                store.close()
                raise
        sqlite_views = views_datastore(settings.paths.views, key)
        view = PeopleView(sqlite_views)
        try:
            view.create_table()
        except (PersistenceError, sqlite3.Error, *cipher_errors(key)) as e:  # type: ignore[misc]
            sqlite_views.close()
            store.close()
            raise StoreError(
                f"cannot open the views at {settings.paths.views}: {e} (they are only derived "
                "from the events: delete that file and they are built again)"
            ) from None
    projector = Projector(APPLICATION_NAME, store.recorder, store.app.mapper, view, store.log)
    transcoder = store.app.mapper.transcoder
    cipher = store.app.mapper.cipher
    if isinstance(transcoder, FastJSONTranscoder):
        decode = transcoder.decode_numberless
        projector.decode_observed = (
            decode if cipher is None else (lambda state: decode(cipher.decrypt(state)))
        )
    projector.in_helper = die_with_parent
    if pool_threads:
        # A forked helper never touches the pool (it reads on a connection of its own).
        projector.quiet_thread = lambda t: t.daemon and t.name.startswith(pool_threads)
    try:
        yield Runtime(settings, store, view, projector)
    finally:
        if sqlite_views is not None:
            sqlite_views.close()
        store.close()
