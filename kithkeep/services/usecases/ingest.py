"""What the CLI (and later the daemon) asks for: one function per user intent."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from kithkeep.domain.errors import ConfigError, InputError, StoreError
from kithkeep.domain.rules import Policy, normalize_address
from kithkeep.projections.queries import connect
from kithkeep.services.config.settings import Paths, Settings, light_policy

Progress = Callable[[int, int], None]


def _require_me(settings: Settings) -> None:
    if not settings.me and not settings.team:
        raise ConfigError(
            f"no addresses of yours are configured in {settings.paths.config}: "
            "run `kithkeep init --me YOU@EXAMPLE.COM` first"
        )


def import_path(settings: Settings, path: Path, progress: Progress | None = None) -> Any:
    """Import a file or folder, then bring the views up to date."""
    from kithkeep.connectors.files import FileSource
    from kithkeep.services.usecases import pull as sync
    from kithkeep.services.runtime import open_kit

    _require_me(settings)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    now = datetime.now(UTC)
    with open_kit(settings) as kit:
        source = FileSource(path, now=now, local_tz=kit.local_tz())
        report = sync.run(source, kit.store, progress=progress, on_saved=kit.projecting(now))
        kit.project(now)
    return report


@dataclass
class Synced:
    """One account's sync: its report, or the one line saying why it failed."""

    account: Any
    report: Any = None
    error: str = ""


def sync_one(
    kit: Any,
    account: Any,
    now: datetime,
    *,
    parallel: bool,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    full: bool = False,
) -> Any:
    """One sync of one account under its lock: the CLI's and the daemon's alike.

    Each saved page goes into the views at once, unless the store is shared (there
    `kithkeep project` keeps them).
    """
    from kithkeep.domain.rules import judge
    from kithkeep.services.usecases import pull as sync
    from kithkeep.services.accounts.base import Wiring, build_source

    policy = kit.settings.policy()
    with kit.store.account_lock(account.name):
        source = build_source(account, Wiring(kit.settings, now, kit.local_tz()))
        return sync.run(
            source,
            kit.store,
            progress=progress,
            parallel=parallel,
            on_saved=None if kit.store.shared else kit.projecting(now),
            should_stop=should_stop,
            is_noise=lambda o: bool(judge(o, policy).noise),
            full=full,
        )


def sync_accounts(
    settings: Settings,
    names: list[str],
    *,
    full: bool = False,
    progress: Callable[[str], Progress | None] | None = None,
    debug: bool = False,
) -> list[Synced]:
    """Sync the named accounts (all enabled ones if none named), each on its own.

    One account's failure (an expired sign-in, a server down) is its own line; the
    others go on. An account synced by another process right now is left to it.
    """
    from kithkeep.domain.errors import KithkeepError
    from kithkeep.services.accounts.base import PARALLEL_TYPES
    from kithkeep.services.runtime import open_kit

    _require_me(settings)
    accounts = (
        [settings.account(n) for n in names]
        if names
        else [a for a in settings.accounts if a.enabled]
    )
    if not accounts:
        raise ConfigError(
            f"no accounts in {settings.paths.config}: add one with `kithkeep account add`"
        )
    out: list[Synced] = []
    now = datetime.now(UTC)
    with open_kit(settings) as kit:
        for account in accounts:
            try:
                report = sync_one(
                    kit,
                    account,
                    now,
                    parallel=account.type in PARALLEL_TYPES,
                    progress=progress(account.name) if progress else None,
                    full=full,
                )
                out.append(Synced(account, report))
            except KithkeepError as e:
                out.append(Synced(account, error=str(e)))
            except Exception as e:
                if debug:
                    raise
                out.append(Synced(account, error=f"unexpected {type(e).__name__} (see --debug)"))
        if not kit.store.shared:
            kit.project(now)
    return out


def open_views(paths: Paths, heavy: Callable[[], Settings]) -> tuple[sqlite3.Connection, Policy]:
    """A read-only connection to views that are up to date, and the default cadence.

    The quick path reads only sqlite3 and the TOML file; if the views lag behind the
    events or were built under other rules, the projector catches up first.
    """
    from kithkeep.services.config.settings import store_url

    if store_url(paths):
        return _open_shared_views(heavy())
    policy = light_policy(paths)
    if policy is not None and _daemon_alive(paths):
        pass  # the daemon keeps the views current; a reader must not write beside it
    elif policy is None or _views_stale(paths, policy.fingerprint()):
        settings = heavy()
        from kithkeep.services.runtime import open_kit

        with open_kit(settings) as kit:
            kit.project()
        policy = settings.policy()
    if not paths.views.exists():
        raise StoreError(f"nothing imported yet in {paths.home}: try `kithkeep import PATH`")
    return connect(paths.views), policy


def _open_shared_views(settings: Settings) -> tuple[Any, Policy]:
    """Views in PostgreSQL, caught up first (projectors on a shared store take turns)."""
    from kithkeep.services.runtime import open_kit

    with open_kit(settings) as kit:
        kit.project()
    return read_views(settings), settings.policy()


def read_views(settings: Settings) -> Any:
    """A read connection to the views, as they are: sqlite3, or PostgreSQL speaking as it."""
    if not settings.store_url:
        return connect(settings.paths.views)
    from kithkeep.projections.pgview import PgReader
    from kithkeep.services.store.postgres import connect as pg_connect
    from kithkeep.services.store.postgres import target_for

    target = target_for(settings.store_url, settings.paths.home)
    pg_connect(target).close()  # a database that is down is one clear line
    return PgReader(target.conninfo())


def _daemon_alive(paths: Paths) -> bool:
    from kithkeep.services.config.daemon_files import running_pid

    return running_pid(paths) is not None


def _views_stale(paths: Paths, fingerprint: str) -> bool:
    from kithkeep.projections.schema import APPLICATION_NAME, VIEWS_VERSION

    if not paths.events.exists():
        return False
    if not paths.views.exists():
        return True
    try:
        ev = connect(paths.events)
        (latest,) = ev.execute("SELECT max(rowid) FROM stored_events").fetchone()
        ev.close()
        v = connect(paths.views)
        row = v.execute(
            "SELECT notification_id FROM tracking WHERE application_name = ?", (APPLICATION_NAME,)
        ).fetchone()
        rules = v.execute("SELECT value FROM meta WHERE key = 'rules'").fetchone()
        v.close()
    except sqlite3.Error:
        return True
    position = row[0] if row else 0
    return (latest or 0) > position or rules is None or rules[0] != f"{VIEWS_VERSION}|{fingerprint}"


def rebuild(settings: Settings) -> Any:
    from kithkeep.services.runtime import open_kit

    with open_kit(settings) as kit:
        return kit.projector.rebuild(settings.policy(), int(datetime.now(UTC).timestamp()))


def status(paths: Paths) -> dict[str, Any]:
    info: dict[str, Any] = {
        "daemon": daemon_status(paths),
        "home": str(paths.home),
        "config": str(paths.config) if paths.config.exists() else None,
        "event_store": str(paths.events) if paths.events.exists() else None,
    }
    from kithkeep.services.config.settings import store_url

    if url := store_url(paths):
        info.update(_shared_status(paths, url))
        return info
    if not paths.events.exists():
        info["events"] = 0
        return info
    ev = connect(paths.events)
    counts = dict(ev.execute("SELECT topic, count(*) FROM stored_events GROUP BY topic").fetchall())
    info["events"] = sum(counts.values())
    info["interactions"] = sum(n for t, n in counts.items() if "Interaction.Observed" in t)
    (latest,) = ev.execute("SELECT max(rowid) FROM stored_events").fetchone()
    ev.close()
    position = 0
    if paths.views.exists():
        v = connect(paths.views)
        try:
            row = v.execute("SELECT max(notification_id) FROM tracking").fetchone()
            position = row[0] or 0
            info["people"] = v.execute("SELECT count(*) FROM stats WHERE n > 0").fetchone()[0]
        except sqlite3.Error:
            pass
        v.close()
    info["views_position"] = position
    info["views_lag"] = (latest or 0) - position
    info["sources"] = _sources(paths)
    return info


def _shared_status(paths: Paths, url: str) -> dict[str, Any]:
    """Events, views and sources of a PostgreSQL store."""
    import psycopg

    from kithkeep.services.store.postgres import connect as pg_connect
    from kithkeep.services.store.postgres import target_for

    target = target_for(url, paths.home)
    conn = pg_connect(target)
    info: dict[str, Any] = {"event_store": target.shown, "events": 0}
    try:
        counts = dict(
            conn.execute("SELECT topic, count(*) FROM kithkeep_events GROUP BY topic").fetchall()
        )
        latest = _first(conn.execute("SELECT max(notification_id) FROM kithkeep_events"))
        row = conn.execute(
            "SELECT notification_id FROM kithkeep_views_tracking WHERE application_name = %s",
            ("kithkeep",),
        ).fetchone()
        people = _first(conn.execute("SELECT count(*) FROM stats WHERE n > 0"))
    except psycopg.errors.UndefinedTable:
        info["views_lag"] = None  # `kithkeep store migrate` has not run yet
        return info
    finally:
        conn.close()
    position = row[0] if row else 0
    info.update(
        events=sum(counts.values()),
        interactions=sum(n for t, n in counts.items() if "Interaction.Observed" in t),
        people=people,
        views_position=position,
        views_lag=(latest or 0) - position,
    )
    return info


def _first(cursor: Any) -> Any:
    row = cursor.fetchone()
    return None if row is None else row[0]


def daemon_status(paths: Paths) -> dict[str, Any]:
    """Is a daemon serving this home, and how its accounts are doing."""
    from kithkeep.services.daemon.scheduler import read_state
    from kithkeep.services.config.daemon_files import running_pid

    pid = running_pid(paths)
    state = read_state(paths) or {}
    return {
        "running": pid is not None,
        "pid": pid,
        "started_at": state.get("started_at") if pid else None,
        "last_digest": state.get("last_digest"),
        "digest_error": state.get("digest_error"),
        "config_error": state.get("config_error") if pid else None,
        "accounts": list(state.get("accounts", {}).values()),
    }


def _sources(paths: Paths) -> list[str]:
    from kithkeep.domain.aggregates import SyncPosition
    from kithkeep.services.store.events import Store

    store = Store(paths.events)
    try:
        out = []
        for n in store.recorder.select_notifications(
            start=None, limit=10_000, topics=[_topic(SyncPosition.Started)]
        ):
            p: Any = store.app.repository.get(UUID(str(n.originator_id)))
            assert isinstance(p, SyncPosition)
            if not p.source_key.startswith("file:"):
                state = "synced; the next sync goes on from there"
            elif p.cursor is None:
                state = "complete"
            else:
                state = "interrupted (resumes on the next run)"
            out.append(f"{p.source_key}: last saved {p.modified_on:%Y-%m-%d %H:%M} UTC, {state}")
        return out
    finally:
        store.close()


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _address(raw: str) -> str:
    a = normalize_address(raw)
    if not a:
        raise ConfigError(f"{raw!r} is not an email address")
    return a


def _directive(settings: Settings, act: Callable[[Any], None]) -> None:
    from kithkeep.services.runtime import open_kit

    with open_kit(settings) as kit:
        with kit.store.address_book() as book:
            act(book)
        kit.project()


def set_cadence(settings: Settings, who: str, days: int | None) -> str:
    a = _address(who)
    _directive(settings, lambda book: book.set_cadence(a, days))
    return a


def ignore(settings: Settings, pattern: str, *, undo: bool) -> str:
    p = pattern.strip().lower()
    if not (p.startswith("@") and "." in p) and not normalize_address(p):
        raise ConfigError(f"{pattern!r}: expected an address or @domain")
    _directive(settings, lambda book: book.unignore(p) if undo else book.ignore(p))
    return p


def link(settings: Settings, a: str, b: str, *, undo: bool) -> tuple[str, str]:
    x, y = _address(a), _address(b)
    if x == y:
        raise ConfigError("link needs two different addresses")
    _directive(settings, lambda book: book.unlink(x, y) if undo else book.link(x, y))
    return x, y


@dataclass(frozen=True, slots=True)
class Demo:
    home: Path
    people: int
    messages: int
    meetings: int
    example: str


def demo(home: Path | None, progress: Progress | None = None) -> Demo:
    """A sample network in a fresh home, imported through the ordinary import path."""
    import tempfile

    from kithkeep.services.usecases.demo_network import write_sample_network
    from kithkeep.services.config.settings import load, write_config

    target = home or Path(tempfile.mkdtemp(prefix="kithkeep-demo-"))
    paths = Paths(target)
    now = datetime.now(UTC)
    sample = write_sample_network(target / "sample", today=now)
    write_config(paths, [sample.me], force=True)
    settings = load(target)
    import_path(settings, sample.mbox, progress)
    import_path(settings, sample.ics)
    conn = connect(paths.views)
    (example,) = conn.execute(
        "SELECT address FROM stats WHERE n > 0 ORDER BY n DESC, address LIMIT 1"
    ).fetchone()
    # Two sample introductions are there to show a dismissed and a closed one.
    marks = []
    for intro in sample.introductions:
        row = conn.execute(
            "SELECT id FROM intros WHERE message_id = ?", (intro.message_id,)
        ).fetchone()
        if intro.mark and row:
            marks.append((str(row[0]), intro.mark))
    conn.close()
    if marks:

        def mark_all(ledger: Any) -> None:
            for rid, verdict in marks:
                getattr(ledger, verdict)(rid)

        _referral_act(settings, mark_all)
    return Demo(target, sample.people, sample.messages, sample.meetings, example)


def _referral_act(settings: Settings, act: Callable[[Any], None]) -> None:
    from kithkeep.services.runtime import open_kit

    with open_kit(settings) as kit:
        with kit.store.referral_ledger() as ledger:
            act(ledger)
        kit.project()


def refer(settings: Settings, a: str, b: str, made_at: datetime, note: str) -> str:
    """Log an introduction made outside mail; its id."""
    from kithkeep.domain.aggregates import referral_id

    x, y = sorted((_address(a), _address(b)))
    if x == y:
        raise ConfigError("an introduction needs two different people")
    rid = referral_id(f"logged:{x}:{y}:{int(made_at.timestamp())}:{note}")
    _referral_act(settings, lambda ledger: ledger.log(rid, x, y, made_at, note))
    return rid


def mark_referral(settings: Settings, prefix: str, verdict: str) -> str:
    """Dismiss, close or reopen the introduction whose id starts with `prefix`."""
    rid = _find_referral(settings, prefix)
    _referral_act(settings, lambda ledger: getattr(ledger, verdict)(rid))
    return rid


def _find_referral(settings: Settings, prefix: str) -> str:
    p = prefix.strip().lower()
    if len(p) < 3:
        raise ConfigError("give at least the first 3 characters of an introduction's id")
    conn, _ = open_views(settings.paths, heavy=lambda: settings)
    try:
        ids = {
            rid
            for (rid,) in conn.execute(
                "SELECT id FROM intros WHERE kind != 'optin' AND id LIKE ? "
                "UNION SELECT id FROM referral_marks WHERE kind = 'logged' AND id LIKE ?",
                (p + "%", p + "%"),
            )
        }
    finally:
        conn.close()
    if not ids:
        raise ConfigError(f"no introduction has an id starting with {prefix!r}")
    if len(ids) > 1:
        raise ConfigError(f"{prefix!r} matches {len(ids)} introductions; give more of the id")
    return str(ids.pop())
