"""Bootstrap: the one place that wires settings, store, views and projector together."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.persistence import PersistenceError
from eventsourcing.sqlite import SQLiteDatastore

from kithkeep.domain.errors import StoreError
from kithkeep.projections.people import PeopleProjection, PeopleView
from kithkeep.projections.projector import Caught, Projector
from kithkeep.projections.schema import APPLICATION_NAME
from kithkeep.services.store.persistence import FastJSONTranscoder
from kithkeep.services.config.settings import Settings
from kithkeep.services.store.events import Store


@dataclass
class Kit:
    settings: Settings
    store: Store
    view: PeopleProjection
    projector: Projector

    def project(self, now: datetime | None = None) -> Caught:
        moment = now or datetime.now(UTC)
        return self.projector.catch_up(self.settings.policy(), int(moment.timestamp()))

    def projecting(self, now: datetime) -> Callable[[Sequence[tuple[int, Any]]], None]:
        """A callback that projects each saved page while an import runs."""
        policy = self.settings.policy()
        moment = int(now.timestamp())
        self.view.ensure_built_for(policy, APPLICATION_NAME)

        def take(written: Sequence[tuple[int, Any]]) -> None:
            self.projector.take(written, policy, moment)

        return take

    def local_tz(self) -> tzinfo:
        return local_timezone(self.settings.timezone)


def local_timezone(name: str) -> tzinfo:
    if name != "local":
        return ZoneInfo(name)
    tz = datetime.now(UTC).astimezone().tzinfo
    return tz if tz is not None else UTC


@contextmanager
def open_kit(settings: Settings) -> Iterator[Kit]:
    """The store, views and projector: SQLite files in the home, or one PostgreSQL database."""
    datastore: Any
    view: PeopleProjection
    if settings.store_url:
        from kithkeep.services.store.postgres import open_pg

        pg, view = open_pg(settings.store_url, settings.paths.home)
        store: Store = pg
        datastore = pg.pg_recorder.datastore  # one pool for the events and the views
    else:
        store = Store(settings.paths.events)
        datastore = SQLiteDatastore(str(settings.paths.views), lock_timeout=30)
        view = PeopleView(datastore)
        try:
            view.create_table()
        except (PersistenceError, sqlite3.Error) as e:
            datastore.close()
            store.close()
            raise StoreError(
                f"cannot open the views at {settings.paths.views}: {e} (they are only derived "
                "from the events: delete that file and they are built again)"
            ) from None
    projector = Projector(APPLICATION_NAME, store.recorder, store.app.mapper, view, store.log)
    transcoder = store.app.mapper.transcoder
    if isinstance(transcoder, FastJSONTranscoder):
        projector.decode_observed = transcoder.decode_numberless
    if settings.store_url:
        # The connection pool's own threads: a forked helper never touches the pool (it
        # reads on a connection of its own), and they only ever wait for work.
        pool = f"{datastore.pool.name}-"
        projector.quiet_thread = lambda t: t.daemon and t.name.startswith(pool)
    try:
        yield Kit(settings, store, view, projector)
    finally:
        if not settings.store_url:
            datastore.close()
        store.close()
