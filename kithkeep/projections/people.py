"""The people view: who was in touch with self, when, and how; written page by page.

`PeopleView` is a tracking recorder of the `eventsourcing` library: each page of
view rows is committed in one transaction with the position of its last event, so
a crash leaves the view exactly at a page boundary and the projector resumes there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
from kithkeep.domain.rules import OUTBOUND, Policy, counterparts, judge, learned_by_address
from kithkeep.projections.schema import TABLES, VIEW_TABLES, VIEWS_VERSION

_PICK = (
    "CASE WHEN excluded.{c} IS NULL THEN {c} WHEN {c} IS NULL THEN excluded.{c} "
    "ELSE {f}({c}, excluded.{c}) END"
)
_UPSERT_STATS = (
    "INSERT INTO stats (address, first, last, last_out, last_in, last_meeting, n, dirty) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (address) DO UPDATE SET "
    f"first = {_PICK.format(c='first', f='min')}, "
    f"last = {_PICK.format(c='last', f='max')}, "
    f"last_out = {_PICK.format(c='last_out', f='max')}, "
    f"last_in = {_PICK.format(c='last_in', f='max')}, "
    f"last_meeting = {_PICK.format(c='last_meeting', f='max')}, "
    "n = n + excluded.n, dirty = 1"
)


@dataclass
class _PageRows:
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    participants: list[tuple[Any, ...]] = field(default_factory=list)
    future: list[tuple[Any, ...]] = field(default_factory=list)
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    stats: dict[str, Totals] = field(default_factory=dict)
    intros: list[tuple[Any, ...]] = field(default_factory=list)
    directives: list[Any] = field(default_factory=list)


class PeopleView(SQLiteTrackingRecorder):
    """Interactions, participants and per-address contact statistics."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *TABLES]

    # -- bookkeeping ------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self.datastore.transaction(commit=False) as c:
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
        with self.datastore.transaction(commit=True) as c:
            for table in VIEW_TABLES:
                c.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in TABLES:
                c.execute(statement)
            c.execute("DELETE FROM tracking WHERE application_name = ?", (application_name,))
            c.execute("INSERT OR REPLACE INTO meta VALUES ('rules', ?)", (stamp,))

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
        runs that end at each withdrawal.
        """
        with self.datastore.transaction(commit=True) as c:
            rows = _PageRows()
            for notification_id, e in events:
                if isinstance(e, Interaction.Observed):
                    self._interaction(notification_id, e, policy, now, rows)
                elif isinstance(e, Interaction.Withdrawn | Interaction.Revised):
                    self._write(c, rows)
                    rows = _PageRows()
                    self._withdraw(c, e.originator_id.hex, now)
                elif isinstance(e, AddressBook.Event | Referrals.Event):
                    rows.directives.append(e)
            self._write(c, rows)
            self._insert_tracking(c, tracking)

    def _write(self, c: SQLiteCursor, rows: _PageRows) -> None:
        c.executemany(
            "INSERT OR REPLACE INTO interactions VALUES (?,?,?,?,?,?,?,?,?,?)", rows.interactions
        )
        c.executemany("INSERT OR REPLACE INTO participants VALUES (?,?,?,?,?,?)", rows.participants)
        c.executemany("INSERT OR REPLACE INTO future VALUES (?,?,?,?)", rows.future)
        c.executemany("INSERT OR REPLACE INTO intros VALUES (?,?,?,?,?,?,?,?,?,?)", rows.intros)
        c.executemany(
            "INSERT INTO names VALUES (?,?,?) "
            "ON CONFLICT (address, name) DO UPDATE SET n = n + excluded.n",
            [(a, n, k) for (a, n), k in rows.names.items()],
        )
        self._upsert_stats(c, rows.stats)
        for e in rows.directives:
            _apply_directive(c, e)

    @staticmethod
    def _withdraw(c: SQLiteCursor, interaction_hex: str, now: int) -> None:
        """Forget one interaction, and count its people's totals again without it."""
        c.execute("SELECT iid FROM interactions WHERE id = ?", (interaction_hex,))
        iids = [row[0] for row in c.fetchall()]
        if not iids:
            return
        marks = ",".join("?" * len(iids))
        c.execute(f"SELECT DISTINCT address FROM participants WHERE iid IN ({marks})", iids)
        people = [row[0] for row in c.fetchall()]
        for table in ("participants", "future", "intros", "interactions"):
            c.execute(f"DELETE FROM {table} WHERE iid IN ({marks})", iids)
        if not people:
            return
        who = ",".join("?" * len(people))
        c.execute(f"DELETE FROM stats WHERE address IN ({who})", people)
        c.execute(
            "INSERT INTO stats (address, first, last, last_out, last_in, last_meeting, n, dirty) "
            "SELECT address, min(at), max(at), max(CASE WHEN how = 'out' THEN at END), "
            "max(CASE WHEN how = 'in' THEN at END), max(CASE WHEN how = 'meet' THEN at END), "
            f"count(*), 1 FROM participants WHERE contact = 1 AND at <= ? AND address IN ({who}) "
            "GROUP BY address",
            [now, *people],
        )
        c.execute(f"DELETE FROM names WHERE address IN ({who})", people)
        c.execute(
            "INSERT INTO names SELECT address, name, count(*) FROM participants "
            f"WHERE name != '' AND address IN ({who}) GROUP BY address, name",
            people,
        )

    def _interaction(self, iid: int, e: Any, policy: Policy, now: int, rows: _PageRows) -> None:
        o = observation_from_state(e.__dict__)
        j = judge(o, policy)
        at = int(o.occurred_at.timestamp())
        meeting = o.kind is Kind.MEETING
        how = "meet" if meeting else "out" if j.direction == OUTBOUND else "in"
        rows.interactions.append(
            (
                iid,
                e.originator_id.hex,
                at,
                o.kind.value,
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
        for address in counterparts(o, policy):
            name = names.get(address, "")
            is_contact = address in contacts
            rows.participants.append((address, at, iid, how, int(is_contact), name))
            if name:
                rows.names[(address, name)] += 1
            if not is_contact:
                continue
            if at <= now:
                rows.stats.setdefault(address, Totals()).add(at, how)
            else:
                rows.future.append((address, at, iid, how))
        found = candidate(o, policy, j.noise)
        if found is not None:
            rows.intros.append(
                (
                    iid,
                    referral_id(e.originator_id.hex),
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

    @staticmethod
    def _upsert_stats(c: SQLiteCursor, stats: dict[str, Totals]) -> None:
        c.executemany(
            _UPSERT_STATS,
            [
                (a, s.first, s.last, s.last_out, s.last_in, s.last_meeting, s.n)
                for a, s in stats.items()
            ],
        )

    def settle(self, now: int) -> None:
        """Fold contacts whose time has come into the statistics; relearn cadences."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("SELECT address, at, how FROM future WHERE at <= ?", (now,))
            matured: dict[str, Totals] = {}
            for address, at, how in c.fetchall():
                matured.setdefault(address, Totals()).add(at, how)
            if matured:
                self._upsert_stats(c, matured)
                c.execute("DELETE FROM future WHERE at <= ?", (now,))
            # Streamed, not fetched: after a big import every address is dirty.
            rows = c.sqlite_cursor.execute(
                "SELECT p.address, p.at FROM stats s JOIN participants p ON p.address = s.address "
                "WHERE s.dirty = 1 AND p.contact = 1 AND p.at <= ? ORDER BY p.address, p.at",
                (now,),
            )
            updates = [(learned, a) for a, learned in learned_by_address(rows)]
            c.executemany("UPDATE stats SET learned = ?, dirty = 0 WHERE address = ?", updates)
            c.execute("UPDATE stats SET dirty = 0 WHERE dirty = 1")
            # The most frequent display name, kept here so that queries need not look it up.
            c.execute(
                "UPDATE stats SET name = b.name FROM (SELECT s.address, coalesce(("
                "SELECT name FROM names n WHERE n.address = s.address "
                "ORDER BY n.n DESC, n.name LIMIT 1), '') AS name FROM stats s) AS b "
                "WHERE stats.address = b.address AND stats.name != b.name"
            )


def _apply_directive(c: SQLiteCursor, e: Any) -> None:
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
