"""`kithkeep status`: where the data lives, what is stored, how far the views have got,
and how the daemon's accounts are doing (read from its state file, not from the daemon).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from kithkeep.domain.errors import StoreError
from kithkeep.projections.queries import connect
from kithkeep.projections.reading import ReadConnection
from kithkeep.projections.schema import APPLICATION_NAME
from kithkeep.services.config.daemon_files import read_state, running_pid
from kithkeep.services.config.encryption import encrypted, home_key
from kithkeep.services.config.settings import Paths, store_url
from kithkeep.services.store.health import damage

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow


class DaemonStatus(TypedDict):
    running: bool
    pid: int | None
    started_at: str | None
    last_digest: str | None
    digest_error: str | None
    config_error: str | None
    #: Each account's `AccountState` as the daemon last wrote it, and whether it is healthy.
    accounts: list[dict[str, object]]


class Status(TypedDict, total=False):
    """What `status --json` prints, in this order; keys a store does not have are left out."""

    daemon: DaemonStatus
    home: str
    config: str | None
    event_store: str | None
    events: int
    interactions: int
    people: int | None
    #: Addresses that are probably self's, not yet added (`kithkeep me suggest`).
    self_suggestions: list[str]
    views_position: int
    views_lag: int | None
    #: Why the views will be built again (damaged), when they will.
    views: str
    sources: list[str]


def status(paths: Paths) -> Status:
    home_key(paths)  # an encrypted home: a wrong or missing key stops here, nothing opened
    info: Status = {
        "daemon": daemon_status(paths),
        "home": str(paths.home),
        "config": str(paths.config) if paths.config.exists() else None,
        "event_store": str(paths.events) if paths.events.exists() else None,
    }
    if url := store_url(paths):
        info.update(_shared_status(paths, url))
        return info
    if not paths.events.exists():
        info["events"] = 0
        return info
    if problem := damage(paths.events):
        raise StoreError(f"the event store {paths.events} is {problem}; restore it from a backup")
    from kithkeep.services.runtime import refuse_lost_events  # the store's library: not before

    refuse_lost_events(paths.views, paths.events)  # emptied, while the views remember it
    ev = connect(paths.events)
    try:
        topics = ev.execute("SELECT topic, count(*) FROM stored_events GROUP BY topic")
        counts = dict(topics.fetchall())
        (latest,) = ev.execute("SELECT max(rowid) FROM stored_events").fetchone()
    except sqlite3.OperationalError as e:
        if "no such table" not in str(e):
            raise StoreError(f"the event store {paths.events}: {e}") from None
        counts, latest = {}, 0  # the store is being created this very moment
    except sqlite3.Error as e:
        raise StoreError(f"the event store {paths.events}: {e}") from None
    finally:
        ev.close()
    info["events"] = sum(counts.values())
    info["interactions"] = sum(n for t, n in counts.items() if "Interaction.Observed" in t)
    position = 0
    if not encrypted(paths) and (problem := damage(paths.views)):
        info["views"] = f"{problem}: built again from the events by the next command"
    elif paths.views.exists():
        from kithkeep.services.usecases.views import views_file

        v = views_file(paths)
        try:
            row = v.execute(
                "SELECT max(notification_id) FROM tracking WHERE application_name = ?",
                (APPLICATION_NAME,),
            ).fetchone()
            position = row[0] or 0
            info["people"] = v.execute("SELECT count(*) FROM stats WHERE n > 0").fetchone()[0]
            info["self_suggestions"] = _pending(paths, v)
        except sqlite3.Error:
            pass
        v.close()
    info["views_position"] = position
    info["views_lag"] = (latest or 0) - position
    info["sources"] = _sources(paths)
    return info


def _shared_status(paths: Paths, url: str) -> Status:
    """Events, views and sources of a PostgreSQL store."""
    from psycopg.errors import UndefinedTable

    from kithkeep.services.store.postgres import connect as pg_connect
    from kithkeep.services.store.postgres import target_for

    target = target_for(url, paths.home)
    conn = pg_connect(target)
    info: Status = {"event_store": target.shown, "events": 0}
    try:
        counts: dict[str, int] = dict(
            conn.execute("SELECT topic, count(*) FROM kithkeep_events GROUP BY topic").fetchall()
        )
        latest = _first(conn.execute("SELECT max(notification_id) FROM kithkeep_events"))
        row = conn.execute(
            "SELECT notification_id FROM kithkeep_views_tracking WHERE application_name = %s",
            ("kithkeep",),
        ).fetchone()
        people = _first(conn.execute("SELECT count(*) FROM stats WHERE n > 0"))
    except UndefinedTable:
        info["views_lag"] = None  # `kithkeep store migrate` has not run yet
        return info
    finally:
        conn.close()
    position = row[0] if row else 0
    info["events"] = sum(counts.values())
    info["interactions"] = sum(n for t, n in counts.items() if "Interaction.Observed" in t)
    info["people"] = people
    info["views_position"] = position
    info["views_lag"] = (latest or 0) - position
    return info


def _first(cursor: psycopg.Cursor[TupleRow]) -> int | None:
    row = cursor.fetchone()
    return None if row is None else row[0]


def daemon_status(paths: Paths) -> DaemonStatus:
    """Is a daemon serving this home, and how its accounts are doing."""
    pid = running_pid(paths)
    state = read_state(paths)
    if state is None:
        return DaemonStatus(
            running=pid is not None,
            pid=pid,
            started_at=None,
            last_digest=None,
            digest_error=None,
            config_error=None,
            accounts=[],
        )
    return DaemonStatus(
        running=pid is not None,
        pid=pid,
        started_at=state.started_at if pid else None,
        last_digest=state.last_digest,
        digest_error=state.digest_error,
        config_error=state.config_error if pid else None,
        # A stopped daemon runs nothing next.
        accounts=[
            {**a.as_json(), **({} if pid else {"next_run": None})} for a in state.accounts.values()
        ],
    )


def _sources(paths: Paths) -> list[str]:
    from kithkeep.domain.aggregates import SyncPosition
    from kithkeep.services.store.cipher import cipher_env
    from kithkeep.services.store.events import Store

    store = Store(paths.events, cipher_env(home_key(paths)))
    notes = read_notes(paths)
    try:
        out = []
        for n in store.recorder.select_notifications(
            start=None, limit=10_000, topics=[_topic(SyncPosition.Started)]
        ):
            p: object = store.app.repository.get(UUID(str(n.originator_id)))
            assert isinstance(p, SyncPosition)
            note = notes.pop(p.source_key, None)
            if note and note.get("error"):
                state = f"partial: {note['error']}"
            elif not p.source_key.startswith("file:"):
                state = "synced; the next sync goes on from there"
            elif p.cursor is not None:
                state = "interrupted (resumes on the next run)"
            elif note and note.get("problems"):
                state = f"partial: {note['problems']} unreadable ({note.get('example', '')})"
            else:
                state = "complete"
            out.append(f"{p.source_key}: last saved {p.modified_on:%Y-%m-%d %H:%M} UTC, {state}")
        for key, note in sorted(notes.items()):
            if note.get("error"):  # failed before saving anything
                out.append(f"{key}: nothing saved, partial: {note['error']}")
        return out
    finally:
        store.close()


def notes_path(paths: Paths) -> Path:
    return paths.home / "sources.json"


def read_notes(paths: Paths) -> dict[str, dict[str, object]]:
    """How each source's last import or sync ended, beyond its cursor: problems, an error."""
    try:
        data = json.loads(notes_path(paths).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def note_source(
    paths: Paths, key: str, *, problems: int = 0, example: str = "", error: str = ""
) -> None:
    """Remember how a source's last run ended, for `status` (complete, or partial and why)."""
    notes = read_notes(paths)
    notes[key] = {"problems": problems, "example": example, "error": error}
    path = notes_path(paths)
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(notes))
        os.replace(tmp, path)
    except OSError:
        pass  # a note for `status`, not the truth: the events are


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _pending(paths: Paths, views: ReadConnection) -> list[str]:
    """Addresses that are probably self's, not yet added (`kithkeep me suggest`)."""
    from kithkeep.projections.suggestions import self_suggestions
    from kithkeep.services.config.settings import light_policy

    policy = light_policy(paths)
    if policy is None:
        return []
    return [s.addresses[0] for s in self_suggestions(views, policy.me)]
