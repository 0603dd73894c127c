"""`kithkeep project`: the views of a PostgreSQL store kept live.

`project_forever` catches the views up in pages, then keeps them live with the
library's `ProjectionRunner` (LISTEN/NOTIFY), one event per transaction.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection, ProjectionRunner

from kithkeep.domain.errors import StoreError
from kithkeep.projections.people import ViewMovedError
from kithkeep.projections.pgview import TRACKING_TABLE, PgPeopleView
from kithkeep.services.config.settings import Settings
from kithkeep.services.runtime import open_runtime
from kithkeep.services.store.events import KithkeepApplication
from kithkeep.services.store.postgres import PgStore
from kithkeep.services.usecases.views import require_pg

log = logging.getLogger("kithkeep.store")


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

    require_pg(settings)
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
    policy = settings.policy()
    with open_runtime(settings) as rt:
        caught = rt.project()
        log.info(
            "projection caught up events=%d position=%d", caught.events, rt.projector.position()
        )
        assert isinstance(rt.store, PgStore)
        resolve = rt.projector._resolved

        class PeopleLive(Projection[PgPeopleView]):
            name = TRACKING_TABLE.removesuffix("_tracking")

            def process_event(
                self, domain_event: DomainEventProtocol[UUID], tracking: Tracking
            ) -> None:
                now = int(datetime.now(UTC).timestamp())
                events = resolve([(tracking.notification_id, domain_event)])
                with suppress(ViewMovedError):  # another projector wrote it first
                    self.view.apply_page(events, tracking, policy, now)

        runner: ProjectionRunner[KithkeepApplication, PgPeopleView] = ProjectionRunner(
            application_class=KithkeepApplication,
            projection_class=PeopleLive,
            view_class=PgPeopleView,
            env={**rt.store.env, "CREATE_TABLE": "no"},  # open_runtime made them
        )
        last_settle = time.monotonic()
        with runner:
            while not stopping.is_set():
                runner.run_forever(timeout=1.0)
                if runner.is_interrupted.is_set() and not stopping.is_set():
                    raise StoreError("the live projection stopped")
                if time.monotonic() - last_settle >= settle_every:
                    last_settle = time.monotonic()
                    rt.view.settle(int(datetime.now(UTC).timestamp()))


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
