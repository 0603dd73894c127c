"""`kithkeep forget`: a person erased from every stored byte, for good.

In this order, each step safe to run again, so a forget killed at any point and run
again ends as one clean run: (1) the `Forgotten` record gains the salted hashes of their
addresses and names (from then on, whatever arrives loses them at the door); (2) logs,
digests and the daemon's state lose them; (3) every stored event naming them is
rewritten in place; (4) the views are built again from those events (on SQLite into a
new file); (5) the databases are compacted (SQLite: checkpoint and VACUUM; PostgreSQL:
VACUUM FULL), so no free page or WAL frame still holds them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kithkeep.domain.errors import ConfigError, KithkeepError
from kithkeep.domain.forgetting import Door, name_keys, salted
from kithkeep.projections import lookup, queries
from kithkeep.services.config.daemon_files import running_pid
from kithkeep.services.config.encryption import home_key
from kithkeep.services.config.settings import Paths, Settings

#: Text files in the home that may name people (the digests, the log, the daemon's state).
TEXT_FOLDERS = ("logs", "digest")
TEXT_FILES = ("daemon.json", "sources.json")


@dataclass(frozen=True, slots=True)
class Target:
    """Whom to forget: their addresses, and the names they were seen under."""

    addresses: tuple[str, ...]
    names: tuple[str, ...]
    known: bool  # seen in the views (else: only kept out from now on)


def resolve(settings: Settings, who: str) -> Target:
    """The person an address or a name stands for, with all their addresses and names."""
    from kithkeep.services.usecases.views import open_views

    query = who.strip()
    if not query:
        raise ConfigError("forget whom? give an address or a name")
    home_key(settings.paths)  # a wrong or missing key: one line, before anything else
    try:
        conn, policy = open_views(settings.paths, heavy=lambda: settings)
    except KithkeepError:
        conn = None
    found: list[queries.Person] = []
    if conn is not None:
        now = int(datetime.now(UTC).timestamp())
        everyone = queries.people(
            conn, now=now, default_cadence=policy.default_cadence_days, include_automated=True
        )
        found = lookup.find_person(everyone, query)
    if len(found) > 1:
        some = ", ".join(f"{p.name} <{p.key}>" for p in found[:5])
        raise ConfigError(f"{len(found)} people match {query!r}: {some}; give an address")
    if not found:
        if "@" not in query:
            raise ConfigError(
                f"no one matches {query!r}: give their address (an interrupted forget is "
                "finished by running it again with the address)"
            )
        return Target((query.casefold(),), (), known=False)
    p = found[0]
    names = {p.name} if p.name else set()
    assert conn is not None
    marks = ",".join("?" * len(p.addresses))
    for (name,) in conn.execute(
        f"SELECT DISTINCT name FROM names WHERE address IN ({marks}) AND name != ''",
        list(p.addresses),
    ):
        names.add(name)
    return Target(tuple(p.addresses), tuple(sorted(names)), known=True)


@dataclass(frozen=True, slots=True)
class Forgot:
    """What a forget did: addresses recorded, events rewritten, text files scrubbed."""

    addresses: int
    events: int
    files: int


def forget(settings: Settings, target: Target) -> Forgot:
    """Erase `target` from the events, the views, the text files and the free space."""
    from kithkeep.services.runtime import open_runtime
    from kithkeep.services.store import forgetting

    paths = settings.paths
    if not settings.store_url and running_pid(paths) is not None:
        raise ConfigError("the daemon is running on this home: stop it, then forget")
    now = datetime.now(UTC)
    with open_runtime(settings) as rt:
        with rt.store.forgotten() as record:
            addresses = [salted(record.salt, a.casefold()) for a in target.addresses]
            keys = name_keys(target.names, target.addresses)
            names = [salted(record.salt, k) for k in sorted(keys)]
            if set(addresses) - set(record.addresses) or set(names) - set(record.names):
                record.record(addresses, names)
        door = rt.store.door()
        assert door is not None
        files = scrub_files(paths, door)
        events = forgetting.rewrite_events(rt.store, door)
        if settings.store_url:
            rt.projector.rebuild(settings.policy(), int(now.timestamp()))
            forgetting.compact_pg(rt.store)
    if not settings.store_url:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{paths.views}{suffix}").unlink(missing_ok=True)
        forgetting.compact_sqlite(paths.events)
        for extra in sorted((paths.home / "connectors").glob("*.sqlite")):
            forgetting.compact_sqlite(extra)
        with open_runtime(settings) as rt:
            rt.project(now)
        forgetting.compact_sqlite(paths.views, home_key(paths))
    return Forgot(len(target.addresses), events, files)


def scrub_files(paths: Paths, door: Door) -> int:
    """Logs, digests and the daemon's state without the forgotten; how many changed."""
    found = [paths.home / name for name in TEXT_FILES]
    for folder in TEXT_FOLDERS:
        if (paths.home / folder).is_dir():
            found += sorted(p for p in (paths.home / folder).rglob("*") if p.is_file())
    changed = 0
    for path in found:
        try:
            text = path.read_text(errors="surrogateescape")
        except (FileNotFoundError, IsADirectoryError):
            continue
        scrubbed = "\n".join(door.scrub(line) for line in text.split("\n"))
        if scrubbed == text:
            continue
        tmp = path.with_name(path.name + ".forget")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", errors="surrogateescape") as f:
            f.write(scrubbed)
        os.replace(tmp, path)
        changed += 1
    return changed
