"""The views in PostgreSQL: the same projection and the same queries as on SQLite.

`PgPeopleView` is the people view as a PostgreSQL tracking recorder of the
`eventsourcing` library: `PeopleProjection` decides what each event means, this module
only says how rows reach PostgreSQL (one `INSERT ... SELECT FROM unnest(...)` per table
and page) and translates the SQLite dialect the statements and queries are written in.
`PgReader` gives the read side (`queries`, `referrals`) a connection that speaks it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any

from eventsourcing.persistence import DataError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Connection, Cursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL

from kithkeep.domain.people import Totals
from kithkeep.projections.people import PeopleProjection
from kithkeep.projections.people_sql import (
    RECOUNT_ALL,
    STATS_COLUMNS,
    UPSERT_EVIDENCE_SET,
    UPSERT_NAMES_SET,
    UPSERT_STATS_SET,
)
from kithkeep.projections.rows import Plan
from kithkeep.projections.schema import TABLES

#: Where the views' position is kept (the library's name for a projection's table).
TRACKING_TABLE = "kithkeep_views_tracking"

#: ISO-8601 of epoch seconds. Written out where it is read: `to_char` is not IMMUTABLE,
#: and wrapped in a function for generated columns it costs a call per row and column,
#: which made counting totals three times slower than on SQLite.
ISO_EXPRESSION = (
    "to_char(to_timestamp({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
)

_ISO = re.compile(r"strftime\('%Y-%m-%dT%H:%M:%S\+00:00', (.+?), 'unixepoch'\)", re.DOTALL)
#: SQLite's stored ISO columns of stats (`s.last_iso`), computed on reading here.
_ISO_COLUMN = re.compile(r"\b(\w+)\.(first|last|last_out|last_in|last_meeting)_iso\b")
_GENERATED = re.compile(r"\s*\w+_iso TEXT GENERATED ALWAYS AS \(.*?\) STORED,?")
_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)\b")
_WORDS = (
    (re.compile(r"\bINSERT OR (?:REPLACE|IGNORE) INTO\b"), "INSERT INTO"),
    (re.compile(r"\s+WITHOUT ROWID"), ""),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bjson_object\("), "json_build_object("),
    (re.compile(r"\bjson_array\("), "json_build_array("),
    (re.compile(r"\binstr\("), "strpos("),
)


@lru_cache(maxsize=512)
def pg_sql(statement: str, named: bool = False) -> str:
    """A statement written for SQLite, as PostgreSQL (and psycopg's placeholders) want it."""
    s = _ISO.sub(lambda m: ISO_EXPRESSION.format(m.group(1)), statement)
    s = _ISO_COLUMN.sub(lambda m: ISO_EXPRESSION.format(f"{m.group(1)}.{m.group(2)}"), s)
    ignore = bool(re.match(r"\s*INSERT OR (REPLACE|IGNORE)", s))
    for pattern, replacement in _WORDS:
        s = pattern.sub(replacement, s)
    s = s.replace("%", "%%")
    s = _NAMED.sub(r"%(\1)s", s) if named else s.replace("?", "%s")
    if ignore:
        # The views' rows are keyed by notification id: one already there is the same row.
        s += " ON CONFLICT DO NOTHING"
    return s


def pg_tables() -> list[str]:
    out = []
    for statement in TABLES:
        s = pg_sql(_GENERATED.sub("", statement).replace(",\n    )", "\n    )"))
        # Text compared and ordered by its code points, as SQLite does, whatever the
        # server's own collation (a tie between names, the order of a list); and faster.
        s = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', s)
        if "TABLE IF NOT EXISTS referral_marks" in s:
            # SQLite's rowid keeps the order marks were made in; here a serial does.
            s = s.rstrip().removesuffix(")") + ", rowid BIGSERIAL)"
        out.append(s)
    return out


#: Each table's columns with their PostgreSQL types, for one `unnest` insert per page.
_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "interactions": (
        ("iid", "bigint"), ("id", "text"), ("at", "bigint"), ("kind", "text"),
        ("direction", "text"), ("sender", "text"), ("subject", "text"), ("thread", "text"),
        ("audience", "bigint"), ("noise", "text"), ("replied", "text"),
    ),
    "participants": (
        ("address", "text"), ("at", "bigint"), ("iid", "bigint"), ("how", "text"),
        ("contact", "bigint"), ("name", "text"),
    ),
    "future": (("address", "text"), ("at", "bigint"), ("iid", "bigint"), ("how", "text")),
    "intros": (
        ("iid", "bigint"), ("id", "text"), ("at", "bigint"), ("kind", "text"),
        ("introducer", "text"), ("parties", "text"), ("cues", "text"), ("thread", "text"),
        ("subject", "text"), ("message_id", "text"),
    ),
    "team_contacts": (
        ("member", "text"), ("address", "text"), ("at", "bigint"), ("iid", "bigint"),
        ("how", "text"), ("contact", "bigint"),
    ),
    "names": (("address", "text"), ("name", "text"), ("n", "bigint")),
    "outbound_cc": (("iid", "bigint"), ("address", "text"), ("role", "text")),
    "self_evidence": (("address", "text"), ("evidence", "text"), ("n", "bigint")),
    "stats": tuple((c, "text" if c == "address" else "bigint") for c in STATS_COLUMNS[:-1]),
    "counted_stats": (
        *((c, "text" if c == "address" else "bigint") for c in STATS_COLUMNS[:-1]),
        ("learned", "bigint"), ("name", "text"),
    ),
}  # fmt: skip
_COLUMNS["counted_names"] = _COLUMNS["names"]
#: Rows that go into an emptied table whole (what a rebuild counted), and that table.
_COUNTED = {"counted_stats": "stats", "counted_names": "names"}
#: Tables written only by inserting new rows.
_APPEND_ONLY = frozenset(
    ("interactions", "participants", "future", "intros", "team_contacts", "outbound_cc")
)
_CONFLICT = {
    "names": UPSERT_NAMES_SET,
    "self_evidence": UPSERT_EVIDENCE_SET,
    "stats": UPSERT_STATS_SET,
}


@cache
def _unnest_insert(table: str) -> str:
    if table == "automated":
        return (
            "UPDATE stats SET automated_reason = u.reason "
            "FROM unnest(%s::text[], %s::text[]) AS u (reason, address) "
            "WHERE stats.address = u.address"
        )
    if table == "learned":
        return (
            "UPDATE stats SET learned = u.learned, dirty = 0 "
            "FROM unnest(%s::bigint[], %s::text[]) AS u (learned, address) "
            "WHERE stats.address = u.address"
        )
    columns = _COLUMNS[table]
    names = ", ".join(c for c, _ in columns)
    arrays = ", ".join(f"%s::{t}[]" for _, t in columns)
    if table == "stats":
        return (
            f"INSERT INTO stats ({names}, dirty) SELECT *, 1 FROM unnest({arrays}) "
            + _CONFLICT[table]
        )
    conflict = _CONFLICT.get(table, "ON CONFLICT DO NOTHING")
    return f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {conflict}"


class PgCursor:
    """A psycopg cursor that takes the SQLite dialect and gives tuples."""

    def __init__(self, cursor: Cursor[Any]) -> None:
        cursor.row_factory = tuple_row
        self.cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> PgCursor:
        named = isinstance(params, dict)
        self.cursor.execute(pg_sql(sql, named), params or None)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(pg_sql(sql), rows)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.cursor)


class PgPeopleView(PeopleProjection, PostgresTrackingRecorder):
    """The people view in PostgreSQL tables, beside the event store's."""

    # One pass over the names for everyone's most frequent one, not one lookup each.
    recount_all_stats = RECOUNT_ALL.format(
        name="coalesce(top.name, '')",
        join="LEFT JOIN (SELECT DISTINCT ON (address) address, name FROM names "
        "ORDER BY address, n DESC, name) AS top ON top.address = t.address",
    )

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = TRACKING_TABLE,
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        self.tracking_table = tracking_table_name
        self.sql_create_statements.extend(SQL(s) for s in pg_tables())  # type: ignore[misc]

    def _tables(self) -> Sequence[str]:
        return pg_tables()

    def write_page(self, plan: Plan, first: int | None, tracking: Tracking, now: int) -> None:
        try:
            super().write_page(plan, first, tracking, now)
        except DataError as e:
            if "0x00" not in str(e) and "NUL" not in str(e):
                raise
            # A NUL character (in a subject or a name) is text to SQLite but refused by
            # PostgreSQL: the page, rolled back, is written again with U+FFFD for it.
            super().write_page(_without_nul(plan), first, tracking, now)

    def _grown(self, c: PgCursor) -> None:
        # The totals the queries start from, whose statistics are cheap to take at once
        # (the other tables' come with autovacuum: taking them here cost a tenth of a
        # rebuild, and streaming cadences no longer needs them, see `_stream`).
        c.execute("ANALYZE stats")

    def _lock(self, c: PgCursor) -> None:
        # Several processes may project into one database: one page at a time, each
        # checking the position after the last one committed.
        c.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (self.tracking_table,))

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[PgCursor]:
        with self.datastore.transaction(commit=commit) as c:
            yield PgCursor(c)

    def _tx(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self._transaction(commit)

    def _bulk(self, c: PgCursor, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if table in _APPEND_ONLY or table in _COUNTED:
            # Rows keyed by notification id, written once (the position is checked first),
            # or a rebuild's counts into emptied tables: nothing to update, so COPY, whose
            # rows psycopg writes in C, is the fastest way in; in binary, with
            # the columns' types given, half the work of text for client and server.
            typed = _COLUMNS[table]
            names = ", ".join(c for c, _ in typed)
            into = _COUNTED.get(table, table)
            statement = f"COPY {into} ({names}) FROM STDIN (FORMAT BINARY)"
            with c.cursor.copy(statement) as copy:
                copy.set_types([t for _, t in typed])
                for row in rows:
                    copy.write_row(row)
            return
        columns = list(zip(*rows, strict=True))
        c.cursor.execute(_unnest_insert(table), [list(col) for col in columns])

    def _stream(self, c: PgCursor, sql: str, params: Sequence[Any]) -> Iterator[tuple[str, int]]:
        # A server-side cursor: after a big import every address is dirty. Planned for
        # all of its rows, not for the first ones fast (a cursor's default), which with
        # tables grown since they were last analysed took seconds where this takes
        # milliseconds.
        c.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        with c.cursor.connection.cursor(name="kithkeep_stream", row_factory=tuple_row) as named:
            named.itersize = 20_000
            named.execute(pg_sql(sql), params)
            yield from named

    def _track(self, c: PgCursor, tracking: Tracking) -> None:
        self._insert_tracking(c.cursor, tracking)


def _without_nul(plan: Plan) -> Plan:
    def clean(value: Any) -> Any:
        return value.replace("\x00", "\ufffd") if type(value) is str else value

    def rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(clean(v) for v in row) for row in rows]

    out: Plan = []
    for step in plan:
        if isinstance(step, str):
            out.append(step)
            continue
        names: Counter[tuple[str, str]] = Counter()
        for (address, name), n in step.names.items():
            names[(clean(address), clean(name))] += n
        stats: dict[str, Totals] = {}
        for address, totals in step.stats.items():
            stats.setdefault(clean(address), Totals()).merge(totals)
        out.append(
            replace(
                step,
                interactions=rows(step.interactions),
                participants=rows(step.participants),
                future=rows(step.future),
                intros=rows(step.intros),
                team=rows(step.team),
                names=names,
                stats=stats,
            )
        )
    return out


class PgReader:
    """A read-only connection for the read side, which is written for sqlite3."""

    def __init__(self, conninfo: str) -> None:
        from psycopg.types.string import TextLoader

        self.conn: Connection[Any] = Connection.connect(conninfo, autocommit=True)
        self.conn.execute("SET default_transaction_read_only = on")
        # JSON built by a query is passed on as text, as SQLite gives it.
        self.conn.adapters.register_loader("json", TextLoader)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> PgCursor:
        return PgCursor(self.conn.cursor()).execute(sql, params)

    def close(self) -> None:
        self.conn.close()
