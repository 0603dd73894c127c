"""The read side: answers from the views with plain `sqlite3`, quick to import and run.

Every answer can be given as it stood at a date (`as_of`): then it is derived from
the participant rows up to that moment instead of the running totals.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass
from json import dumps
from pathlib import Path
from time import gmtime, strftime
from typing import Any, NamedTuple, TypeVar

from kithkeep.domain.card import Card
from kithkeep.domain.people import Directory, Totals, best_name
from kithkeep.domain.rules import DAY, cadence, learned_by_address
from kithkeep.domain.senders import person_automated_reason
from kithkeep.projections.book import CARD_FIELDS, AddressBook, address_book, card_json, carded
from kithkeep.projections.reading import ReadConnection
from kithkeep.projections.schema import ISO

PERSON_FIELDS = (
    "name",
    "addresses",
    "first_contact",
    "last_contact",
    "last_outbound",
    "last_inbound",
    "last_meeting",
    "interactions",
    "cadence_days",
    "cadence_source",
    "due_at",
    "overdue_days",
    *CARD_FIELDS,
    "automated_reason",
)


class Person(NamedTuple):
    """One person's answer. A tuple: `due` may build tens of thousands.

    Times are ISO-8601 strings in UTC (they sort as they compare), ready for --json.
    """

    key: str
    name: str
    addresses: tuple[str, ...]
    first_contact: str | None
    last_contact: str | None
    last_outbound: str | None
    last_inbound: str | None
    last_meeting: str | None
    interactions: int
    cadence_days: int
    cadence_source: str
    due_at: str | None
    overdue_days: int | None
    #: What the person's contact card says, if they have one.
    card: Card | None = None
    #: The automated-sender rule that fired ('' for a person): never due, listed by --all.
    automated_reason: str = ""

    def answer(self) -> Answer:
        text = dumps(self.as_json(), ensure_ascii=False, separators=(",", ":"))
        return Answer(
            self.key, self.name, self.last_contact, self.overdue_days, text, self.addresses
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name or None,
            "addresses": list(self.addresses),
            "first_contact": self.first_contact,
            "last_contact": self.last_contact,
            "last_outbound": self.last_outbound,
            "last_inbound": self.last_inbound,
            "last_meeting": self.last_meeting,
            "interactions": self.interactions,
            "cadence_days": self.cadence_days,
            "cadence_source": self.cadence_source,
            "due_at": self.due_at,
            "overdue_days": self.overdue_days,
            **card_json(self.card),
            "automated_reason": self.automated_reason or None,
        }


class Answer(NamedTuple):
    """A person as --json shows them: what sorting needs, and the JSON object's text."""

    key: str
    name: str
    last_contact: str | None
    overdue_days: int | None
    json: str
    addresses: tuple[str, ...] = ()


def iso(t: int | None) -> str | None:
    """ISO-8601 in UTC with its offset (time.strftime: a third faster than datetime)."""
    return None if t is None else strftime("%Y-%m-%dT%H:%M:%S+00:00", gmtime(t))


def connect(path: Path) -> sqlite3.Connection:
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    c.execute("PRAGMA query_only = 1")
    return c


def directory(c: ReadConnection) -> Directory:
    d = Directory()
    for kind, a, b, value in c.execute("SELECT kind, a, b, value FROM directives"):
        if kind == "link":
            d.links.append((a, b))
        elif kind == "cadence":
            d.cadences[a] = int(value)
        elif kind == "ignore":
            d.ignored.add(a)
    return d


def _rows_now(
    c: ReadConnection, now: int, d: Directory, book: AddressBook
) -> tuple[dict[str, Totals], set[str]]:
    """Running totals of linked or carded addresses and of those with contacts come due
    since the projector last ran (everyone else is answered by `_simple_now`)."""
    matured = c.execute("SELECT address, at, how FROM future WHERE at <= ?", (now,)).fetchall()
    stale = {a for a, _, _ in matured}
    wanted = sorted(stale | {a for pair in d.links for a in pair} | set(book.by_address))
    rows: dict[str, Totals] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        for a, first, last, lo, li, lm, n, learned in c.execute(
            "SELECT address, first, last, last_out, last_in, last_meeting, n, learned "
            f"FROM stats WHERE n > 0 AND address IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            rows[a] = Totals(first, last, lo, li, lm, n, learned)
    for a, at, how in matured:
        rows.setdefault(a, Totals()).add(at, how)
    return rows, stale


def _rows_as_of(c: ReadConnection, as_of: int) -> dict[str, Totals]:
    rows: dict[str, Totals] = {}
    for a, first, last, lo, li, lm, n in c.execute(
        "SELECT address, min(at), max(at), "
        "max(CASE WHEN how = 'out' THEN at END), max(CASE WHEN how = 'in' THEN at END), "
        "max(CASE WHEN how = 'meet' THEN at END), count(*) "
        "FROM participants WHERE contact = 1 AND at <= ? GROUP BY address",
        (as_of,),
    ):
        rows[a] = Totals(first, last, lo, li, lm, n)
    return rows


def _contact_times(c: ReadConnection, addresses: list[str], until: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for i in range(0, len(addresses), 500):
        chunk = addresses[i : i + 500]
        out.extend(
            c.execute(
                "SELECT address, at FROM participants WHERE contact = 1 AND at <= ? "
                f"AND address IN ({','.join('?' * len(chunk))}) ORDER BY address, at",
                [until, *chunk],
            )
        )
    return out


def _names(c: ReadConnection, addresses: list[str], as_of: int | None) -> dict[str, Counter[str]]:
    """Display names seen per address (up to `as_of`), with how often."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    wanted = set(addresses)
    if as_of is None and len(wanted) > 2000:
        # Many people: one scan of the table beats thousands of lookups.
        for a, name, n in c.execute("SELECT address, name, n FROM names"):
            if a in wanted:
                names[a][name] += n
        return names
    for i in range(0, len(addresses), 500):
        chunk = addresses[i : i + 500]
        marks = ",".join("?" * len(chunk))
        if as_of is None:
            query = f"SELECT address, name, n FROM names WHERE address IN ({marks})"
            params: list[Any] = chunk
        else:
            query = (
                "SELECT address, name, count(*) FROM participants WHERE name != '' AND at <= ? "
                f"AND address IN ({marks}) GROUP BY address, name"
            )
            params = [as_of, *chunk]
        for a, name, n in c.execute(query, params):
            names[a][name] += n
    return names


def _simple_now(
    c: ReadConnection,
    d: Directory,
    now: int,
    default_cadence: int,
    only_due: bool,
    as_json: bool,
    texts: list[str] | None = None,
    book: AddressBook | None = None,
    include_automated: bool = False,
) -> list[Person] | list[Answer]:
    """People with one address and current running totals, answered by SQLite at once.

    With `texts`, SQLite also orders them most overdue first and only their JSON text is
    appended there (the `due --json` of a store with no one to merge by hand).

    Only the clauses the user's directives need are added: most stores have none.
    """
    days = "coalesce(s.learned, :default)"
    source = "CASE WHEN s.learned IS NOT NULL THEN 'learned' ELSE 'default' END"
    joins = ""
    where = ["s.n > 0", "s.address NOT IN (SELECT address FROM future WHERE at <= :now)"]
    if d.cadences:
        joins = "LEFT JOIN directives d ON d.kind = 'cadence' AND d.a = s.address"
        days = "coalesce(d.value, s.learned, :default)"
        source = f"CASE WHEN d.value IS NOT NULL THEN 'set' ELSE {source} END"
    if not include_automated:
        where.append("coalesce(s.automated_reason, '') = ''")
    if d.links:
        where.append(
            "s.address NOT IN (SELECT a FROM directives WHERE kind = 'link' "
            "UNION SELECT b FROM directives WHERE kind = 'link')"
        )
    if book is not None and book.cards:
        where.append("s.address NOT IN (SELECT address FROM card_addresses)")
    if d.ignored:
        where.append(
            "NOT EXISTS (SELECT 1 FROM directives i WHERE i.kind = 'ignore' AND "
            "i.a IN (s.address, '@' || substr(s.address, instr(s.address, '@') + 1)))"
        )
    due = f"(s.last + {days} * 86400)"
    if only_due:
        where.append(f"{due} <= :now")
    late = f"(:now - {due})"
    overdue = f"(CASE WHEN {late} >= 0 THEN {late} / 86400 ELSE -((86399 - {late}) / 86400) END)"
    due_iso = ISO.format(due)
    source_from = f"FROM stats s {joins} WHERE {' AND '.join(where)}"
    params = {"default": default_cadence, "now": now}
    if as_json:
        # SQLite writes each JSON object itself: the answer may hold tens of thousands.
        query = f"""
            SELECT s.address, s.name, s.last_iso, {overdue} AS overdue,
                json_object('name', nullif(s.name, ''), 'addresses', json_array(s.address),
                    'first_contact', s.first_iso, 'last_contact', s.last_iso,
                    'last_outbound', s.last_out_iso, 'last_inbound', s.last_in_iso,
                    'last_meeting', s.last_meeting_iso, 'interactions', s.n,
                    'cadence_days', {days}, 'cadence_source', {source},
                    'due_at', {due_iso}, 'overdue_days', {overdue}, 'organization', NULL,
                    'title', NULL, 'birthday', NULL, 'anniversary', NULL,
                    'card_source', NULL,
                    'automated_reason', nullif(coalesce(s.automated_reason, ''), '')) AS js
            {source_from}"""
        if texts is not None:
            ordered = f"SELECT js FROM ({query}) AS q ORDER BY overdue DESC, address"
            texts.extend(js for (js,) in c.execute(ordered, params))
            return []
        return [
            Answer(a, name, last, late, js, (a,))
            for a, name, last, late, js in c.execute(query, params)
        ]
    query = f"""
        SELECT s.address, s.name, s.first_iso, s.last_iso, s.last_out_iso, s.last_in_iso,
            s.last_meeting_iso, s.n, {days}, {source}, {due_iso}, {overdue},
            coalesce(s.automated_reason, '')
        {source_from}"""
    return [
        Person(a, name, (a,), f, la, lo, li, lm, n, days, src, due, late, automated_reason=why)
        for a, name, f, la, lo, li, lm, n, days, src, due, late, why in c.execute(query, params)
    ]


def due_json(c: ReadConnection, *, now: int, default_cadence: int) -> list[str] | None:
    """`due --json` straight from SQLite, most overdue first; None if someone must be merged
    by hand first (linked addresses, or contacts come due since the projector ran)."""
    d = directory(c)
    if (
        d.links
        or carded(c)
        or c.execute("SELECT 1 FROM future WHERE at <= ? LIMIT 1", (now,)).fetchone()
    ):
        return None
    texts: list[str] = []
    _simple_now(c, d, now, default_cadence, only_due=True, as_json=True, texts=texts)
    return texts


def people(
    c: ReadConnection,
    *,
    now: int,
    default_cadence: int,
    as_of: int | None = None,
    only_due: bool = False,
    include_automated: bool = False,
) -> list[Person]:
    """Everyone self has been in touch with, as of `as_of` (else now); or just those due.
    Automated senders (`Person.automated_reason`) only with `include_automated`."""
    found = _people(c, now, default_cadence, as_of, only_due, include_automated, as_json=False)
    return [p for p in found if isinstance(p, Person)]


def answers(
    c: ReadConnection,
    *,
    now: int,
    default_cadence: int,
    as_of: int | None = None,
    only_due: bool = False,
    include_automated: bool = False,
) -> list[Answer]:
    """As `people`, ready for --json."""
    found = _people(c, now, default_cadence, as_of, only_due, include_automated, as_json=True)
    return [p if isinstance(p, Answer) else p.answer() for p in found]


def _people(
    c: ReadConnection,
    now: int,
    default_cadence: int,
    as_of: int | None,
    only_due: bool,
    include_automated: bool,
    *,
    as_json: bool,
) -> list[Person | Answer]:
    at = now if as_of is None else as_of
    d = directory(c)
    book = address_book(c)
    d.links.extend(book.links)
    if as_of is None:
        rows, stale = _rows_now(c, now, d, book)
    else:
        rows, stale = _rows_as_of(c, as_of), set()
    if d.ignored or book.own:
        # Self's own card: its addresses are self's, never a person.
        rows = {a: r for a, r in rows.items() if not d.is_ignored(a) and a not in book.own}
    chosen: list[tuple[str, list[str], Totals, int, str, int | None, int | None, str]] = []
    out: list[Person | Answer] = []
    if as_of is None:
        # Most people have one address and current running totals: SQLite answers for
        # them in one statement; only linked or just-matured addresses are merged below.
        out.extend(
            _simple_now(
                c,
                d,
                now,
                default_cadence,
                only_due,
                as_json,
                book=book,
                include_automated=include_automated,
            )
        )
    groups: dict[str, list[str]] = defaultdict(list)
    for a, key in d.groups(rows).items():
        if a in rows:
            groups[key].append(a)
    relearn = [
        a
        for members in groups.values()
        if as_of is not None or len(members) > 1 or stale.intersection(members)
        for a in members
    ]
    learned_for: dict[str, int | None] = {}
    if relearn:
        key_of = {a: key for key, members in groups.items() for a in members}
        times = sorted((key_of[a], t) for a, t in _contact_times(c, relearn, at))
        learned_for = dict(learned_by_address(times))
    for key, members in groups.items():
        total = Totals()
        for a in members:
            total.merge(rows[a])
        learned = learned_for[key] if key in learned_for else rows[members[0]].learned
        set_days = next((d.cadences[a] for a in sorted(members) if a in d.cadences), None)
        days, source = cadence(set_days, learned, default_cadence)
        due_at = None if total.last is None else total.last + days * DAY
        overdue = None if due_at is None else (at - due_at) // DAY
        why = person_automated_reason(sorted(members), wrote=total.last_out is not None)
        if why and not include_automated:
            continue
        if not only_due or (overdue is not None and overdue >= 0):
            chosen.append((key, members, total, days, source, due_at, overdue, why))
    names = _names(c, [a for item in chosen for a in item[1]], as_of)
    for key, members, total, days, source, due_at, overdue, why in chosen:
        if len(members) == 1:
            counts = names.get(key, Counter())
        else:
            counts = Counter()
            for a in members:
                counts.update(names.get(a, Counter()))
        card = book.info(members)
        out.append(
            Person(
                key,
                (card and card.name) or best_name(counts),
                tuple(sorted(members)),
                iso(total.first),
                iso(total.last),
                iso(total.last_out),
                iso(total.last_in),
                iso(total.last_meeting),
                total.n,
                days,
                source,
                iso(due_at),
                overdue,
                card,
                why,
            )
        )
    return out


Sortable = TypeVar("Sortable", Person, Answer)


def sort_people(found: list[Sortable], by: str) -> list[Sortable]:
    if by == "name":
        return sorted(found, key=lambda p: ((p.name or p.key).casefold(), p.key))
    if by == "overdue":
        return sorted(found, key=lambda p: (-(p.overdue_days or 0), p.key))
    by_key = sorted(found, key=lambda p: p.key)
    return sorted(by_key, key=lambda p: p.last_contact or "", reverse=True)


def due(found: list[Sortable]) -> list[Sortable]:
    """Those due now or before (overdue by 0 days or more), most overdue first."""
    return sort_people(
        [p for p in found if p.overdue_days is not None and p.overdue_days >= 0], "overdue"
    )


@dataclass(frozen=True, slots=True)
class Entry:
    at: int
    kind: str
    direction: str
    subject: str
    counts: bool
    noise: str
    #: 'to' (self wrote to them), 'from' (they wrote), 'cc' (they were on mail someone
    #: else wrote), 'meeting'.
    role: str = ""


def timeline(
    c: ReadConnection,
    addresses: tuple[str, ...],
    until: int,
    limit: int = 50,
    member: str | None = None,
) -> list[Entry]:
    """The latest interactions with these addresses; on a team's store (`member`), the
    subjects of other members' mail are left out."""
    marks = ",".join("?" * len(addresses))
    subject, params = "i.subject", [*addresses, *addresses, until, limit]
    if member is not None:
        subject = (
            "CASE WHEN EXISTS (SELECT 1 FROM team_contacts t WHERE t.iid = i.iid "
            "AND t.member = ?) THEN i.subject ELSE '' END"
        )
        params = [member, *params]
    rows = c.execute(
        f"SELECT i.at, i.kind, i.direction, {subject}, max(p.contact), i.noise, "
        f"CASE WHEN i.kind = 'meeting' THEN 'meeting' WHEN i.direction = 'outbound' "
        f"THEN 'to' WHEN i.sender IN ({marks}) THEN 'from' ELSE 'cc' END "
        "FROM participants p JOIN interactions i ON i.iid = p.iid "
        f"WHERE p.address IN ({marks}) AND p.at <= ? "
        "GROUP BY i.iid ORDER BY i.at DESC, i.iid DESC LIMIT ?",
        params,
    ).fetchall()
    return [Entry(at, kind, d, s, bool(k), noise, r) for at, kind, d, s, k, noise, r in rows]
