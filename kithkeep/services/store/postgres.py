"""The event store on PostgreSQL: the library's PostgreSQL persistence, shared by processes.

Several daemons may write at once: the library serialises inserts (notification ids are
committed in order), `save_page` filters and retries on a duplicate, and each account is
synced by one process at a time under a PostgreSQL advisory lock.

The password comes from the URL, else the keyring (`kithkeep store password`), else
libpq's own `PGPASSFILE` / `~/.pgpass`; it never appears in an error or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow, tuple_row
from psycopg.sql import SQL, Identifier
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from kithkeep.domain.errors import ConfigError, StoreError
from kithkeep.services.store.events import AccountBusyError, Store, StoreUnavailableError
from kithkeep.services.store.logreader import PgLog
from kithkeep.services.store.persistence import BatchPostgresRecorder, text_array

if TYPE_CHECKING:
    from kithkeep.projections.pgview import PgPeopleView

log = logging.getLogger("kithkeep.store")

#: The secret's name under which `kithkeep store password` keeps the database password.
PASSWORD_SECRET = "store-password"
SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class PgTarget:
    """Where a PostgreSQL store is: parsed from its URL, the password kept apart."""

    host: str
    port: int
    dbname: str
    user: str
    password: str = ""

    @property
    def shown(self) -> str:
        """The URL without its password, for messages."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def conninfo(self, **extra: str | int) -> str:
        return make_conninfo(
            "",
            host=self.host,
            port=self.port,
            dbname=self.dbname,
            user=self.user,
            password=self.password or None,
            connect_timeout=5,
            **extra,
        )

    def scrub(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text


def is_pg_url(url: str) -> bool:
    return url.split(":", 1)[0].lower() in SCHEMES


def parse_url(url: str, password: str | None = None) -> PgTarget:
    """`postgresql://user[:password]@host[:port]/dbname`; a password given here wins."""
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise ConfigError("the store URL is not a valid postgresql:// URL") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ConfigError(f"store URL: expected postgresql://..., not {parts.scheme}://")
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname:
        raise ConfigError("store URL: expected postgresql://USER@HOST[:PORT]/DATABASE")
    import getpass

    return PgTarget(
        host=parts.hostname,
        port=port,
        dbname=dbname,
        user=unquote(parts.username or "") or getpass.getuser(),
        password=password if password is not None else unquote(parts.password or ""),
    )


def target_for(url: str, home: Path | None = None) -> PgTarget:
    """The URL's target, with the password from the keyring if the URL has none."""
    target = parse_url(url)
    if target.password or home is None:
        return target
    from kithkeep.services.config.secrets import get_secret
    from kithkeep.services.config.settings import Paths

    secret = get_secret(Paths(home), PASSWORD_SECRET)
    return parse_url(url, secret) if secret else target


class PgStore(Store):
    """The event store in a PostgreSQL database (tables created if missing)."""

    shared = True

    def __init__(
        self, target: PgTarget, *, create: bool = True, cipher: Mapping[str, str] | None = None
    ) -> None:
        self.target = target
        self.env = env = {
            **(cipher or {}),
            "CREATE_TABLE": "yes" if create else "no",
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": get_topic(BatchPostgresRecorder),
            "POSTGRES_DBNAME": target.dbname,
            "POSTGRES_HOST": target.host,
            "POSTGRES_PORT": str(target.port),
            "POSTGRES_USER": target.user,
            "POSTGRES_PASSWORD": target.password,
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_PRE_PING": "yes",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
        }
        try:
            self._start(env, target.shown)
        except StoreError as e:
            raise type(e)(target.scrub(str(e))) from None  # still retried if unavailable
        assert isinstance(self.recorder, PostgresApplicationRecorder)
        self.pg_recorder = self.recorder
        self.where = target.shown
        datastore = self.pg_recorder.datastore
        self.log = PgLog(target.conninfo(), datastore.schema, self.pg_recorder.events_table_name)

    def _events_of(self, hex_ids: list[str], columns: str, condition: str) -> list[Any]:
        rows: list[Any] = []
        table = Identifier(self.pg_recorder.datastore.schema, self.pg_recorder.events_table_name)
        query = SQL("SELECT {} FROM {} WHERE originator_id = ANY(%s::uuid[]) AND {}").format(
            SQL(columns),
            table,
            SQL(condition),
        )
        with self.pg_recorder.datastore.transaction(commit=False) as c:
            c.row_factory = tuple_row  # type: ignore[assignment]
            for i in range(0, len(hex_ids), 5000):
                # One array literal: psycopg would write an array of UUIDs out element by
                # element in Python.
                chunk = text_array(hex_ids[i : i + 5000])
                c.execute(query, (chunk,))
                rows.extend((row[0].hex, *row[1:]) for row in c.fetchall())  # type: ignore[index]
        return rows

    def account_lock(self, account: str) -> AbstractContextManager[object]:
        return advisory_lock(self.target, f"kithkeep:account:{account}")


def open_pg(
    url: str, home: Path, cipher: Mapping[str, str] | None = None
) -> tuple[PgStore, PgPeopleView]:
    """The store and its views in PostgreSQL, their tables made if missing.

    A connection lost while opening (a server restarting, an administrator's cut) is
    tried again a few times, backing off, before it is reported: a daemon starting just
    then would otherwise stop. A server that refuses the connection is reported at once.
    """
    target = target_for(url, home)
    try:
        for attempt in Retrying(
            retry=retry_if_exception_type(_LOST),
            stop=stop_after_attempt(6),
            wait=wait_exponential(multiplier=0.2, max=5),
            reraise=True,
        ):
            with attempt:
                return _open(target, cipher)
    except StoreError:
        raise
    except _LOST as e:
        first = (target.scrub(str(e)).strip().splitlines() or [type(e).__name__])[0]
        raise StoreError(f"lost the connection to {target.shown}: {first}") from None
    raise AssertionError("unreachable: Retrying returns or raises")


#: A connection that went away after it was made (not one refused).
_LOST = (psycopg.OperationalError, OperationalError, InterfaceError, StoreUnavailableError)


def _open(
    target: PgTarget, cipher: Mapping[str, str] | None = None
) -> tuple[PgStore, PgPeopleView]:
    from kithkeep.projections.pgview import PgPeopleView

    create = not schema_ready(target)
    with schema_lock(target) if create else nullcontext():
        pg = PgStore(target, create=create, cipher=cipher)
        try:
            view = PgPeopleView(pg.pg_recorder.datastore)
            if create:
                view.create_table()
        except BaseException:
            pg.close()
            raise
    return pg, view


def schema_ready(target: PgTarget) -> bool:
    """Are the store's and the views' tables there? (Then no DDL: `CREATE INDEX IF NOT
    EXISTS` locks its table even when the index exists, and would deadlock with writers.)"""
    conn = connect(target)
    try:
        row = conn.execute(
            "SELECT to_regclass('kithkeep_events') IS NOT NULL "
            "AND to_regclass('kithkeep_views_tracking') IS NOT NULL "
            "AND to_regclass('team_contacts') IS NOT NULL"
        ).fetchone()
        return bool(row and row[0])
    finally:
        conn.close()


@contextmanager
def schema_lock(target: PgTarget) -> Iterator[None]:
    """Held while tables and functions are created: processes starting together take turns
    (PostgreSQL refuses two concurrent `CREATE OR REPLACE FUNCTION`s of one function)."""
    conn = connect(target)
    try:
        conn.execute("SELECT pg_advisory_lock(hashtextextended('kithkeep:schema', 0))")
        yield
    finally:
        conn.close()


@contextmanager
def advisory_lock(target: PgTarget, key: str) -> Iterator[object]:
    """A session advisory lock on its own connection; AccountBusyError if another holds it.

    A process that dies mid-sync drops its connection, and the lock with it.
    """
    conn = connect(target)
    try:
        row = conn.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)
        ).fetchone()
        if not (row and row[0]):
            raise AccountBusyError(f"{key.rsplit(':', 1)[-1]} is being synced by another process")
        yield conn
    finally:
        conn.close()


def connect(target: PgTarget, **extra: str | int) -> psycopg.Connection[TupleRow]:
    try:
        return psycopg.connect(target.conninfo(**extra), autocommit=True)
    except psycopg.Error as e:
        first = target.scrub(str(e)).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"cannot connect to {target.shown}: {first}") from None
