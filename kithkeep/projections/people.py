"""The people view: who was in touch with self, when, and how; written page by page.

`PeopleView` is a tracking recorder of the `eventsourcing` library: each page of
view rows is committed in one transaction with the position of its last event, so
a crash leaves the view exactly at a page boundary and the projector resumes there.

`PeopleProjection` is the one implementation of what the events mean for the views;
`PeopleView` (SQLite, here) and `PgPeopleView` (PostgreSQL, `pgview.py`) only say how
rows reach their database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from kithkeep.domain.aggregates import Contact, Directives, Interaction, Referrals
from kithkeep.domain.people import Totals
from kithkeep.domain.rules import LEARN_MIN_CONTACTS, Policy, learned_by_address
from kithkeep.domain.senders import automated_reason
from kithkeep.domain.strength import Bond, half_life, strength
from kithkeep.projections.cards import apply_card, card_row
from kithkeep.projections.directives import apply_directive
from kithkeep.projections.people_sql import (
    CLEAR_AUTOMATED,
    INSERTS,
    MARK_STALE,
    MATURED,
    RECOUNT_ALL_STATS,
    RECOUNT_NAMES,
    RECOUNT_STATS,
    SETTLE_STANDING,
    UNCLASSIFIED,
    UNSETTLED,
)
from kithkeep.projections.reading import like_literal
from kithkeep.projections.rows import PageRows, Plan, add_interaction
from kithkeep.projections.schema import (
    INDEXES,
    STANDING_TRIGGER,
    TABLES,
    VIEW_TABLES,
    VIEWS_VERSION,
)
from kithkeep.projections.tally import Tally, tallied


class ViewMovedError(Exception):
    """Another projector wrote past this page first: read the log again from the view."""


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
    _tally: Tally | None = None

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

    def knows(self, address: str) -> bool:
        """Whether any interaction names this address."""
        with self._tx(commit=False) as c:
            c.execute("SELECT 1 FROM stats WHERE address = ?", (address,))
            return c.fetchone() is not None

    def count_domain(self, domain: str) -> tuple[int, int]:
        """(addresses at `@domain`, addresses in all) that interactions name."""
        with self._tx(commit=False) as c:
            c.execute(
                "SELECT count(*), coalesce(sum(CASE WHEN address LIKE ? ESCAPE '!' "
                "THEN 1 ELSE 0 END), 0) FROM stats",
                ("%" + like_literal(domain),),
            )
            known, matched = c.fetchone()
        return int(matched), int(known)

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
        rows = PageRows(bulk)
        for notification_id, e in events:
            if type(e) is tuple:  # an observation: (hex id, state)
                add_interaction(notification_id, e[0], e[1], policy, now, rows)
            elif isinstance(e, Interaction.Withdrawn | Interaction.Revised):
                plan.append(rows)
                plan.append(e.originator_id.hex)
                rows = PageRows(bulk)
            elif isinstance(e, Directives.Event | Referrals.Event):
                rows.directives.append(e)
            elif isinstance(e, Contact.Event) and (row := card_row(e, policy)) is not None:
                rows.cards.append(row)
        plan.append(rows)
        for step in plan:
            if isinstance(step, PageRows):
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
            if any(isinstance(step, PageRows) and step.bulk for step in plan):
                c.execute(MARK_STALE)
                for index in self.bulk_indexes:
                    c.execute(f"DROP INDEX IF EXISTS {index}")
                tally = tallied(tally, plan, position, tracking.application_name, now)
            else:
                tally = None
            for step in plan:
                if isinstance(step, PageRows):
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

    def _write(self, c: Any, rows: PageRows) -> None:
        self._bulk(c, "interactions", rows.interactions)
        self._bulk(c, "participants", rows.participants)
        self._bulk(c, "future", rows.future)
        self._bulk(c, "intros", rows.intros)
        self._bulk(c, "team_contacts", rows.team)
        self._bulk(c, "outbound_cc", rows.copied)
        self._bulk(c, "names", [(a, n, k) for (a, n), k in rows.names.items()])
        self._bulk(c, "self_evidence", [(a, e, k) for (a, e), k in rows.evidence.items()])
        self._upsert_stats(c, rows.stats)
        for e in rows.directives:
            apply_directive(c, e)
        for row in rows.cards:
            apply_card(c, row)

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
        for table in (
            "participants",
            "future",
            "intros",
            "team_contacts",
            "outbound_cc",
            "interactions",
        ):
            c.execute(f"DELETE FROM {table} WHERE iid IN ({marks})", iids)
        if not people:
            return
        who = ",".join("?" * len(people))
        c.execute(f"DELETE FROM stats WHERE address IN ({who})", people)
        c.execute(RECOUNT_STATS.format(where=f"AND address IN ({who})"), [now, *people])
        c.execute(f"DELETE FROM names WHERE address IN ({who})", people)
        c.execute(RECOUNT_NAMES.format(where=f"AND address IN ({who})"), people)

    def _upsert_stats(self, c: Any, stats: dict[str, Totals]) -> None:
        self._bulk(
            c,
            "stats",
            [
                (a, s.first, s.last, s.last_out, s.last_in, s.last_meeting, s.n, *s.weights())
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
            c.execute(MATURED, (now,))
            matured: dict[str, Totals] = {}
            for address, at, how, weight, reply in c.fetchall():
                matured.setdefault(address, Totals()).add(at, how, weight, bool(reply))
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
            self._classify(c)
            if recounted:
                self._standing(c)
                return  # with their names
            # The most frequent display name, kept here so that queries need not look it up.
            c.execute(
                "UPDATE stats SET name = b.name FROM (SELECT s.address, coalesce(("
                "SELECT name FROM names n WHERE n.address = s.address "
                "ORDER BY n.n DESC, n.name LIMIT 1), '') AS name FROM stats s) AS b "
                "WHERE stats.address = b.address AND stats.name != b.name"
            )
            self._standing(c)

    def _standing(self, c: Any) -> None:
        """What each changed relationship's figures make of it (`stats.worth` and the
        rest), kept for `due --json`: SQLite's views only (PostgreSQL answers in Python)."""

    def _classify(self, c: Any) -> None:
        """Each address's automated-sender rule, for those self never wrote to."""
        c.execute(CLEAR_AUTOMATED)
        c.execute(UNCLASSIFIED)
        self._bulk(c, "automated", [(automated_reason(a), a) for (a,) in c.fetchall()])


class PeopleView(PeopleProjection, SQLiteTrackingRecorder):
    """The people view in a SQLite file."""

    bulk_indexes = ("interactions_thread", "team_contacts_iid")

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self._tables()]

    def _tables(self) -> Sequence[str]:
        return (*TABLES, STANDING_TRIGGER)

    def _standing(self, c: SQLiteCursor) -> None:
        c.execute(UNSETTLED)
        rows = [(a, Bond(*figures)) for a, *figures in c.fetchall()]
        c.executemany(
            SETTLE_STANDING, [(strength(b, b.last or 0), half_life(b), a) for a, b in rows]
        )

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
