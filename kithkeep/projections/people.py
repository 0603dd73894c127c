"""The people view: who was in touch with self, when, and how; written page by page.

`PeopleView` is a tracking recorder of the `eventsourcing` library: each page of
view rows is committed in one transaction with the position of its last event, so
a crash leaves the view exactly at a page boundary and the projector resumes there.

`PeopleProjection` is the one implementation of what the events mean for the views;
`PeopleView` (SQLite, here) and `PgPeopleView` (PostgreSQL, `pgview.py`) only say how
rows reach their database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from kithkeep.domain.aggregates import (
    AddressBook,
    Interaction,
    Referrals,
    observation_from_state,
    referral_id,
)
from kithkeep.domain.interaction import Kind
from kithkeep.domain.introductions import candidate
from kithkeep.domain.people import Totals
from kithkeep.domain.rules import (
    LEARN_MIN_CONTACTS,
    OUTBOUND,
    Policy,
    judge,
    learned_by_address,
)
from kithkeep.projections.schema import INDEXES, TABLES, VIEW_TABLES, VIEWS_VERSION

# Portable SQL (SQLite and PostgreSQL): the old value qualified, no two-argument min/max.
_PICK = (
    "CASE WHEN excluded.{c} IS NULL THEN stats.{c} WHEN stats.{c} IS NULL THEN excluded.{c} "
    "WHEN excluded.{c} {op} stats.{c} THEN excluded.{c} ELSE stats.{c} END"
)
STATS_COLUMNS = ("address", "first", "last", "last_out", "last_in", "last_meeting", "n", "dirty")
UPSERT_STATS_SET = (
    "ON CONFLICT (address) DO UPDATE SET "
    f"first = {_PICK.format(c='first', op='<')}, "
    f"last = {_PICK.format(c='last', op='>')}, "
    f"last_out = {_PICK.format(c='last_out', op='>')}, "
    f"last_in = {_PICK.format(c='last_in', op='>')}, "
    f"last_meeting = {_PICK.format(c='last_meeting', op='>')}, "
    "n = stats.n + excluded.n, dirty = 1"
)
UPSERT_NAMES_SET = "ON CONFLICT (address, name) DO UPDATE SET n = names.n + excluded.n"
_UPSERT_STATS = (
    f"INSERT INTO stats ({', '.join(STATS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
    + UPSERT_STATS_SET
)

#: Each address's totals counted again from its rows (`{where}` narrows the addresses).
#: Too few contacts to learn a cadence from (distinct days <= contacts): nothing to settle.
_TOTALS = (
    "SELECT address, min(at) AS first, max(at) AS last, "
    "max(CASE WHEN how = 'out' THEN at END) AS last_out, "
    "max(CASE WHEN how = 'in' THEN at END) AS last_in, "
    "max(CASE WHEN how = 'meet' THEN at END) AS last_meeting, count(*) AS n, "
    f"CASE WHEN count(*) >= {LEARN_MIN_CONTACTS} THEN 1 ELSE 0 END AS dirty "
    "FROM participants WHERE contact = 1 AND at <= ? {where} GROUP BY address"
)
RECOUNT_STATS = f"INSERT INTO stats ({', '.join(STATS_COLUMNS)}) " + _TOTALS
#: Every address's totals, with its most frequent display name (names counted first).
RECOUNT_ALL = (
    f"INSERT INTO stats ({', '.join(STATS_COLUMNS)}, name) SELECT t.*, {{name}} FROM ("
    + _TOTALS.format(where="")
    + ") AS t {join}"
)
RECOUNT_ALL_STATS = RECOUNT_ALL.format(
    name="coalesce((SELECT name FROM names WHERE names.address = t.address "
    "ORDER BY names.n DESC, names.name LIMIT 1), '')",
    join="",
)
RECOUNT_NAMES = (
    "INSERT INTO names SELECT address, name, count(*) FROM participants "
    "WHERE name != '' {where} GROUP BY address, name"
)

#: Rows of one page, per table: how SQLite inserts them (PostgreSQL has its own way).
INSERTS = {
    "interactions": "INSERT OR REPLACE INTO interactions VALUES (?,?,?,?,?,?,?,?,?,?)",
    "participants": "INSERT OR REPLACE INTO participants VALUES (?,?,?,?,?,?)",
    "future": "INSERT OR REPLACE INTO future VALUES (?,?,?,?)",
    "intros": "INSERT OR REPLACE INTO intros VALUES (?,?,?,?,?,?,?,?,?,?)",
    "team_contacts": "INSERT OR REPLACE INTO team_contacts VALUES (?,?,?,?,?,?)",
    "names": "INSERT INTO names VALUES (?,?,?) " + UPSERT_NAMES_SET,
    "stats": _UPSERT_STATS,
    # Into an emptied table: totals counted whole, with the learned cadence and the name.
    "counted_stats": "INSERT INTO stats (address, first, last, last_out, last_in, "
    "last_meeting, n, learned, name) VALUES (?,?,?,?,?,?,?,?,?)",
    "counted_names": "INSERT INTO names VALUES (?,?,?)",
    "learned": "UPDATE stats SET learned = ?, dirty = 0 WHERE address = ?",
}


class ViewMovedError(Exception):
    """Another projector wrote past this page first: read the log again from the view."""


@dataclass
class _PageRows:
    #: A bulk page leaves totals and names to be counted once, at `settle`.
    bulk: bool = False
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    participants: list[tuple[Any, ...]] = field(default_factory=list)
    future: list[tuple[Any, ...]] = field(default_factory=list)
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    stats: dict[str, Totals] = field(default_factory=dict)
    intros: list[tuple[Any, ...]] = field(default_factory=list)
    team: list[tuple[Any, ...]] = field(default_factory=list)
    directives: list[Any] = field(default_factory=list)


#: A page's rows, in runs, and the (hex) ids of the interactions withdrawn between them.
Plan = list["_PageRows | str"]

#: A tally holding more contacts than this is dropped (`settle` counts from the tables).
TALLY_MAX = 4_000_000


@dataclass
class _Tally:
    """What the bulk pages one projector wrote into an empty view add up to, counted as
    they are written: at `settle`, while the view holds exactly those pages, every
    address's totals, names and learned cadence come from here instead of being counted
    again from the tables (a group-by of every row, then a sort of every contact).

    Only the rows the SQL would count are counted, in the same way: a participant's
    name wherever it is given; a contact's time if it is not after `now`.
    """

    application_name: str
    now: int
    #: The view's position after the last page counted.
    upto: int = 0
    #: Contact times by how ('out', 'in', 'meet'), then by address.
    times: dict[str, defaultdict[str, list[int]]] = field(
        default_factory=lambda: {how: defaultdict(list) for how in ("out", "in", "meet")}
    )
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    contacts: int = 0

    def add(self, rows: _PageRows) -> None:
        now, times = self.now, self.times
        participants = rows.participants
        self.names.update((row[0], row[5]) for row in participants if row[5])
        for address, at, _iid, how, contact, _name in participants:
            if contact and at <= now:
                times[how][address].append(at)
        self.contacts += len(participants)

    def stats(self) -> list[tuple[Any, ...]]:
        """Rows of `stats` (with `learned` and `name`), as `settle` would count them."""
        top: dict[str, tuple[int, str]] = {}
        for (address, name), n in self.names.items():
            best = top.get(address)
            # The most frequent name; of those as frequent, the first in order.
            if best is None or n > best[0] or (n == best[0] and name < best[1]):
                top[address] = (n, name)
        out, in_, meet = self.times["out"], self.times["in"], self.times["meet"]
        everyone = sorted(out.keys() | in_.keys() | meet.keys())
        seen = {a: sorted(out.get(a, []) + in_.get(a, []) + meet.get(a, [])) for a in everyone}
        learned = dict(
            learned_by_address(
                (address, at)
                for address in everyone
                if len(seen[address]) >= LEARN_MIN_CONTACTS
                for at in seen[address]
            )
        )
        return [
            (
                address,
                seen[address][0],
                seen[address][-1],
                max(out[address]) if address in out else None,
                max(in_[address]) if address in in_ else None,
                max(meet[address]) if address in meet else None,
                len(seen[address]),
                learned.get(address),
                top[address][1] if address in top else "",
            )
            for address in everyone
        ]


class PeopleProjection:
    """What the events mean for the views: one implementation for every back end.

    A back end supplies a transaction (`_tx`), how a page's rows are inserted (`_bulk`),
    how a long query is streamed (`_stream`), the tracking insert and its table's name.
    Statements are written for SQLite; a back end may translate them.
    """

    tracking_table: str = "tracking"
    #: Indexes (of `schema.INDEXES`) a bulk backlog drops, for `settle` to build again
    #: once (written row by row they cost more than the rows). Empty on a back end shared
    #: by concurrent writers, where dropping one would lock its readers out.
    bulk_indexes: tuple[str, ...] = ()
    #: Counts every address's totals and names again (a back end may say it faster).
    recount_all_stats: str = RECOUNT_ALL_STATS
    #: What this projector's bulk pages into an empty view add up to, if it still holds.
    _tally: _Tally | None = None

    def _tx(self, *, commit: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _bulk(self, c: Any, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def _stream(self, c: Any, sql: str, params: Sequence[Any]) -> Iterable[tuple[str, int]]:
        raise NotImplementedError

    def _track(self, c: Any, tracking: Tracking) -> None:
        raise NotImplementedError

    def _lock(self, c: Any) -> None:
        """Serialise projectors of one view until the end of this transaction."""

    def _tables(self) -> Sequence[str]:
        """The views' tables, as this back end creates them."""
        return TABLES

    def _grown(self, c: Any) -> None:
        """The tables have just grown by a bulk backlog (a planner may want to know)."""

    # -- bookkeeping ------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._tx(commit=False) as c:
            c.execute("SELECT value FROM meta WHERE key = ?", (key,))
            row = c.fetchone()
        return None if row is None else str(row[0])

    def ensure_built_for(self, policy: Policy, application_name: str) -> bool:
        """Reset the view if it was built under other rules; True if it was reset."""
        stamp = f"{VIEWS_VERSION}|{policy.fingerprint()}"
        if self.meta("rules") == stamp:
            return False
        self.reset(application_name, stamp)
        return True

    def reset(self, application_name: str, stamp: str) -> None:
        """Empty views (recreated, so a new views version may change their shape)."""
        with self._tx(commit=True) as c:
            self._lock(c)
            for table in VIEW_TABLES:
                c.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in self._tables():
                c.execute(statement)
            c.execute(
                f"DELETE FROM {self.tracking_table} WHERE application_name = ?",
                (application_name,),
            )
            c.execute(
                "INSERT INTO meta VALUES ('rules', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (stamp,),
            )

    # -- writing ------------------------------------------------------------------------

    def apply_page(
        self,
        events: Sequence[tuple[int, Any]],
        tracking: Tracking,
        policy: Policy,
        now: int,
    ) -> None:
        """A page of events into the views, with its tracking position, in one transaction.

        A withdrawal removes what came before it in the page too, so rows are written in
        runs that end at each withdrawal. If the view already holds any event of the
        page (another projector was quicker), nothing is written: `ViewMovedError`.
        """
        first = events[0][0] if events else None
        self.write_page(self.plan_page(events, policy, now), first, tracking, now)

    def plan_page(
        self, events: Sequence[tuple[int, Any]], policy: Policy, now: int, *, bulk: bool = False
    ) -> Plan:
        """What a page of events writes, worked out without the database: runs of rows,
        each ended by a withdrawal (which needs the database, so it is done on writing).

        A `bulk` page (a long backlog) has the rows of its interactions only; writing it
        marks the totals stale in the same transaction, and `settle` counts them all again
        from those rows at once, which is much faster than adding to them page by page.
        """
        plan: Plan = []
        rows = _PageRows(bulk)
        for notification_id, e in events:
            if type(e) is tuple:  # an observation: (hex id, state)
                self._interaction(notification_id, e[0], e[1], policy, now, rows)
            elif isinstance(e, Interaction.Withdrawn | Interaction.Revised):
                plan.append(rows)
                plan.append(e.originator_id.hex)
                rows = _PageRows(bulk)
            elif isinstance(e, AddressBook.Event | Referrals.Event):
                rows.directives.append(e)
        plan.append(rows)
        for step in plan:
            if isinstance(step, _PageRows):
                # In the order of its primary key: a page touches fewer of the table's pages.
                step.participants.sort()
        return plan

    def write_page(self, plan: Plan, first: int | None, tracking: Tracking, now: int) -> None:
        """A planned page into the views, with its tracking position, in one transaction.

        `first` is the page's first notification id: if the view holds it already,
        nothing is written (`ViewMovedError`).
        """
        tally, self._tally = self._tally, None  # kept only if this page commits
        with self._tx(commit=True) as c:
            position = None
            if first is not None:
                self._lock(c)
                position = self._position(c, tracking.application_name)
                if position >= first:
                    raise ViewMovedError(tracking.application_name)
            if any(isinstance(step, _PageRows) and step.bulk for step in plan):
                c.execute(_MARK_STALE)
                for index in self.bulk_indexes:
                    c.execute(f"DROP INDEX IF EXISTS {index}")
                tally = _tallied(tally, plan, position, tracking.application_name, now)
            else:
                tally = None
            for step in plan:
                if isinstance(step, _PageRows):
                    self._write(c, step)
                else:
                    self._withdraw(c, step, now)
            self._track(c, tracking)
        if tally is not None:
            tally.upto = tracking.notification_id
            self._tally = tally

    def _position(self, c: Any, application_name: str) -> int:
        c.execute(
            f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ?",
            (application_name,),
        )
        row = c.fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def _write(self, c: Any, rows: _PageRows) -> None:
        self._bulk(c, "interactions", rows.interactions)
        self._bulk(c, "participants", rows.participants)
        self._bulk(c, "future", rows.future)
        self._bulk(c, "intros", rows.intros)
        self._bulk(c, "team_contacts", rows.team)
        self._bulk(c, "names", [(a, n, k) for (a, n), k in rows.names.items()])
        self._upsert_stats(c, rows.stats)
        for e in rows.directives:
            _apply_directive(c, e)

    @staticmethod
    def _withdraw(c: Any, interaction_hex: str, now: int) -> None:
        """Forget one interaction, and count its people's totals again without it."""
        c.execute("SELECT iid FROM interactions WHERE id = ?", (interaction_hex,))
        iids = [row[0] for row in c.fetchall()]
        if not iids:
            return
        marks = ",".join("?" * len(iids))
        c.execute(f"SELECT DISTINCT address FROM participants WHERE iid IN ({marks})", iids)
        people = [row[0] for row in c.fetchall()]
        for table in ("participants", "future", "intros", "team_contacts", "interactions"):
            c.execute(f"DELETE FROM {table} WHERE iid IN ({marks})", iids)
        if not people:
            return
        who = ",".join("?" * len(people))
        c.execute(f"DELETE FROM stats WHERE address IN ({who})", people)
        c.execute(RECOUNT_STATS.format(where=f"AND address IN ({who})"), [now, *people])
        c.execute(f"DELETE FROM names WHERE address IN ({who})", people)
        c.execute(RECOUNT_NAMES.format(where=f"AND address IN ({who})"), people)

    def _interaction(
        self,
        iid: int,
        hex_id: str,
        state: dict[str, Any],
        policy: Policy,
        now: int,
        rows: _PageRows,
    ) -> None:
        o = observation_from_state(state)
        j = judge(o, policy)
        at = int(o.occurred_at.timestamp())
        meeting = o.kind is Kind.MEETING
        how = "meet" if meeting else "out" if j.direction == OUTBOUND else "in"
        rows.interactions.append(
            (
                iid,
                hex_id,
                at,
                state["kind"],
                j.direction,
                o.sender.address if o.sender else "",
                o.subject,
                o.thread_key,
                j.audience,
                ",".join(j.noise),
            )
        )
        names: dict[str, str] = {}
        if o.sender and o.sender.name:
            names[o.sender.address] = o.sender.name
        for p in o.parties:
            if p.name:
                names.setdefault(p.address, p.name)
        contacts = set(j.contacts)
        members = _members(o, policy) if policy.team else ()
        for address in j.counterparts:
            name = names.get(address, "")
            is_contact = address in contacts
            rows.participants.append((address, at, iid, how, int(is_contact), name))
            if name and not rows.bulk:
                rows.names[(address, name)] += 1
            if members and policy.member_of(address) is None:
                rows.team.extend((m, address, at, iid, how, int(is_contact)) for m in members)
            if not is_contact:
                continue
            if at > now:
                rows.future.append((address, at, iid, how))
            elif not rows.bulk:
                rows.stats.setdefault(address, Totals()).add(at, how)
        found = candidate(o, policy, j.noise)
        if found is not None:
            rows.intros.append(
                (
                    iid,
                    referral_id(hex_id),
                    at,
                    found.kind,
                    found.introducer,
                    ",".join(found.parties),
                    ",".join(found.cues),
                    o.thread_key,
                    o.subject,
                    o.message_id,
                )
            )

    def _upsert_stats(self, c: Any, stats: dict[str, Totals]) -> None:
        self._bulk(
            c,
            "stats",
            [
                (a, s.first, s.last, s.last_out, s.last_in, s.last_meeting, s.n)
                for a, s in stats.items()
            ],
        )

    def settle(self, now: int) -> None:
        """Fold contacts whose time has come into the statistics; relearn cadences.

        After bulk pages, every address's totals and names are counted again first (or
        taken from what this projector counted while writing them, if the view holds
        nothing else).
        """
        tally, self._tally = self._tally, None
        with self._tx(commit=True) as c:
            self._lock(c)
            c.execute("SELECT value FROM meta WHERE key = 'totals'")
            recounted = c.fetchone() is not None
            if recounted:
                for table in ("stats", "names"):
                    c.execute(f"DELETE FROM {table}")
                if (
                    tally is not None
                    and tally.now == now
                    and tally.upto == self._position(c, tally.application_name)
                ):
                    self._bulk(c, "counted_names", [(a, n, k) for (a, n), k in tally.names.items()])
                    self._bulk(c, "counted_stats", tally.stats())
                else:
                    c.execute(RECOUNT_NAMES.format(where=""))
                    c.execute(self.recount_all_stats, (now,))
                c.execute("DELETE FROM future WHERE at <= ?", (now,))
                c.execute("DELETE FROM meta WHERE key = 'totals'")
                for index in self.bulk_indexes:
                    c.execute(INDEXES[index])
                self._grown(c)
            c.execute("SELECT address, at, how FROM future WHERE at <= ?", (now,))
            matured: dict[str, Totals] = {}
            for address, at, how in c.fetchall():
                matured.setdefault(address, Totals()).add(at, how)
            if matured:
                self._upsert_stats(c, matured)
                c.execute("DELETE FROM future WHERE at <= ?", (now,))
            # Fewer contacts than it takes to learn a cadence (distinct days <= contacts).
            c.execute(
                "UPDATE stats SET learned = NULL, dirty = 0 WHERE dirty = 1 AND n < ?",
                (LEARN_MIN_CONTACTS,),
            )
            rows = self._stream(
                c,
                "SELECT p.address, p.at FROM stats s JOIN participants p ON p.address = s.address "
                "WHERE s.dirty = 1 AND p.contact = 1 AND p.at <= ? ORDER BY p.address, p.at",
                (now,),
            )
            updates = [(learned, a) for a, learned in learned_by_address(rows)]
            self._bulk(c, "learned", updates)
            c.execute("UPDATE stats SET dirty = 0 WHERE dirty = 1")
            if recounted:
                return  # with their names
            # The most frequent display name, kept here so that queries need not look it up.
            c.execute(
                "UPDATE stats SET name = b.name FROM (SELECT s.address, coalesce(("
                "SELECT name FROM names n WHERE n.address = s.address "
                "ORDER BY n.n DESC, n.name LIMIT 1), '') AS name FROM stats s) AS b "
                "WHERE stats.address = b.address AND stats.name != b.name"
            )


_MARK_STALE = (
    "INSERT INTO meta VALUES ('totals', 'stale') ON CONFLICT (key) DO UPDATE SET value = 'stale'"
)


class PeopleView(PeopleProjection, SQLiteTrackingRecorder):
    """The people view in a SQLite file."""

    bulk_indexes = ("interactions_thread", "team_contacts_iid")

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *TABLES]

    def _tx(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)

    def _bulk(self, c: SQLiteCursor, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            c.executemany(INSERTS[table], rows)

    def _stream(
        self, c: SQLiteCursor, sql: str, params: Sequence[Any]
    ) -> Iterator[tuple[str, int]]:
        # Streamed, not fetched: after a big import every address is dirty.
        return iter(c.sqlite_cursor.execute(sql, params))

    def _track(self, c: SQLiteCursor, tracking: Tracking) -> None:
        self._insert_tracking(c, tracking)


def _tallied(
    tally: _Tally | None, plan: Plan, position: int | None, application_name: str, now: int
) -> _Tally | None:
    """The tally with a bulk page added, if it still adds up to the whole view after it:
    started on an empty view, every page since counted, none withdrawing anything."""
    if position is None or any(isinstance(step, str) for step in plan):
        return None
    if tally is None and position == 0:
        tally = _Tally(application_name, now)
    elif tally is None or (tally.upto, tally.application_name, tally.now) != (
        position,
        application_name,
        now,
    ):
        return None
    for step in plan:
        assert isinstance(step, _PageRows)
        tally.add(step)
    return tally if tally.contacts <= TALLY_MAX else None


def _members(o: Any, policy: Policy) -> tuple[str, ...]:
    """The team members on an interaction (as sender or party), each once."""
    found: dict[str, None] = {}
    for p in (o.sender, *o.parties):
        if p is not None and (m := policy.member_of(p.address)) is not None:
            found.setdefault(m, None)
    return tuple(found)


def _apply_directive(c: Any, e: Any) -> None:
    name = type(e).__name__
    if name == "Linked":
        a, b = sorted((e.a, e.b))
        c.execute("INSERT OR IGNORE INTO directives (kind, a, b) VALUES ('link', ?, ?)", (a, b))
    elif name == "Unlinked":
        a, b = sorted((e.a, e.b))
        c.execute("DELETE FROM directives WHERE kind = 'link' AND a = ? AND b = ?", (a, b))
    elif name == "CadenceSet":
        c.execute("DELETE FROM directives WHERE kind = 'cadence' AND a = ?", (e.address,))
        if e.days is not None:
            c.execute(
                "INSERT INTO directives (kind, a, value) VALUES ('cadence', ?, ?)",
                (e.address, e.days),
            )
    elif name == "Ignored":
        c.execute("INSERT OR IGNORE INTO directives (kind, a) VALUES ('ignore', ?)", (e.pattern,))
    elif name == "Unignored":
        c.execute("DELETE FROM directives WHERE kind = 'ignore' AND a = ?", (e.pattern,))
    elif name == "Logged":
        c.execute(
            "INSERT INTO referral_marks VALUES (?, 'logged', ?, ?, ?, ?)",
            (e.referral_id, int(e.made_at.timestamp()), e.a, e.b, e.note),
        )
    elif name in ("Dismissed", "Closed", "Reopened"):
        c.execute(
            "INSERT INTO referral_marks (id, kind, at) VALUES (?, ?, ?)",
            (e.referral_id, name.lower(), int(e.timestamp.timestamp())),
        )
