"""The views: opened for reading (caught up first when they lag), rebuilt, migrated.

Query commands come through `open_views`, whose quick path reads only sqlite3 and the
TOML file, so they start fast.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kithkeep.domain.errors import ConfigError, StoreError
from kithkeep.domain.rules import Policy
from kithkeep.projections.queries import connect
from kithkeep.projections.reading import ReadConnection
from kithkeep.projections.schema import APPLICATION_NAME, VIEWS_VERSION
from kithkeep.services.config.daemon_files import running_pid
from kithkeep.services.config.encryption import home_key
from kithkeep.services.config.settings import Paths, Settings, light_policy, store_url
from kithkeep.services.store.writer import OnWait, writing

if TYPE_CHECKING:
    from kithkeep.projections.projector import Caught


def open_views(paths: Paths, heavy: Callable[[], Settings]) -> tuple[ReadConnection, Policy]:
    """A read-only connection to views that are up to date, and the default cadence.

    The quick path reads only sqlite3 and the TOML file; if the views lag behind the
    events or were built under other rules, the projector catches up first.
    """
    home_key(paths)  # an encrypted home: a wrong or missing key stops here, nothing opened
    if store_url(paths):
        return _open_shared_views(heavy())
    policy = light_policy(paths)
    if policy is not None and _daemon_alive(paths):
        pass  # the daemon keeps the views current; a reader must not write beside it
    elif policy is None or _views_stale(paths, policy.fingerprint()):
        settings = heavy()
        from kithkeep.services.runtime import open_runtime  # the store: not for quick reads

        with open_runtime(settings) as rt:
            rt.project()
        policy = settings.policy()
    if not paths.views.exists():
        raise NothingImportedError(
            f"nothing imported yet in {paths.home}: try `kithkeep import PATH`"
        )
    return views_file(paths), policy


def views_file(paths: Paths) -> ReadConnection:
    """A read connection to the views file: sqlite3, or SQLCipher in an encrypted home."""
    key = home_key(paths)
    if key is None:
        return connect(paths.views)
    from kithkeep.services.store.cipher import read_views

    return read_views(paths.views, key)


class NothingImportedError(StoreError):
    """The home holds no views yet: a new home, or its first import still running."""


def open_views_or_empty(
    paths: Paths, heavy: Callable[[], Settings]
) -> tuple[ReadConnection, Policy, str | None]:
    """`open_views`, or empty views and the reason when nothing is imported yet: a query
    on a new home answers "no one", not an error (a status bar polls from the first second)."""
    try:
        conn, policy = open_views(paths, heavy)
    except NothingImportedError as e:
        from kithkeep.projections.schema import TABLES

        empty = sqlite3.connect(":memory:")
        for statement in TABLES:
            empty.execute(statement)
        return empty, light_policy(paths) or Policy.of([]), str(e)
    return conn, policy, None


def _open_shared_views(settings: Settings) -> tuple[ReadConnection, Policy]:
    """Views in PostgreSQL, caught up first (projectors on a shared store take turns)."""
    from kithkeep.services.runtime import open_runtime

    with open_runtime(settings) as rt:
        rt.project()
    return read_views(settings), settings.policy()


def read_views(settings: Settings) -> ReadConnection:
    """A read connection to the views, as they are: sqlite3, or PostgreSQL speaking as it."""
    if not settings.store_url:
        return views_file(settings.paths)
    from kithkeep.projections.pgview import PgReader
    from kithkeep.services.store.postgres import connect as pg_connect
    from kithkeep.services.store.postgres import target_for

    target = target_for(settings.store_url, settings.paths.home)
    pg_connect(target).close()  # a database that is down is one clear line
    return PgReader(target.conninfo())


def _daemon_alive(paths: Paths) -> bool:
    return running_pid(paths) is not None


def _views_stale(paths: Paths, fingerprint: str) -> bool:
    if not paths.events.exists():
        return False
    if not paths.views.exists():
        return True
    try:
        ev = connect(paths.events)
        (latest,) = ev.execute("SELECT max(rowid) FROM stored_events").fetchone()
        ev.close()
        v = views_file(paths)
        row = v.execute(
            "SELECT notification_id FROM tracking WHERE application_name = ?", (APPLICATION_NAME,)
        ).fetchone()
        rules = v.execute("SELECT value FROM meta WHERE key = 'rules'").fetchone()
        v.close()
    except sqlite3.Error:
        return True
    except Exception as e:  # SQLCipher's errors are its own classes
        if type(e).__module__.startswith("sqlcipher3"):
            return True
        raise
    position = row[0] if row else 0
    return (
        (latest or 0) != position or rules is None or rules[0] != f"{VIEWS_VERSION}|{fingerprint}"
    )


def rebuild(settings: Settings, on_wait: OnWait | None = None) -> Caught:
    """Replay every event into fresh views (the events are checked first: views are
    never emptied for events that cannot be read)."""
    from kithkeep.services.runtime import open_runtime

    with writing(settings, "rebuild", on_wait), open_runtime(settings) as rt:
        return rt.projector.rebuild(settings.policy(), int(datetime.now(UTC).timestamp()))


def migrate(settings: Settings) -> str:
    """Create the event store's and the views' tables if missing; where they are."""
    from kithkeep.services.runtime import open_runtime

    require_pg(settings)
    with open_runtime(settings) as rt:
        return rt.store.where


def require_pg(settings: Settings) -> None:
    """Refuse, in one line, what only a PostgreSQL store can do."""
    if not settings.store_url:
        raise ConfigError(
            f"no [store] url in {settings.paths.config}: "
            "set it (or KITHKEEP_STORE__URL) to a postgresql:// URL first"
        )
