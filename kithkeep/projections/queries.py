"""The read side: answers from the views with plain `sqlite3`, quick to import and run.

Every answer can be given as it stood at a date (`as_of`): then it is derived from
the participant rows up to that moment instead of the running totals.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from kithkeep.domain.people import Directory, Totals, best_name
from kithkeep.domain.rules import DAY, cadence, learned_by_address
from kithkeep.domain.senders import person_automated_reason
from kithkeep.domain.strength import DUE, WEIGHTS, Bond
from kithkeep.projections import due_sql, standing
from kithkeep.projections.answers import PERSON_FIELDS, Answer, Person, iso
from kithkeep.projections.book import AddressBook, address_book, carded
from kithkeep.projections.people_sql import MATURED
from kithkeep.projections.reading import ReadConnection
from kithkeep.projections.schema import ISO, head_members

# Answers are built in answers.py; the read side's callers find them here as before.
__all__ = [
    "PERSON_FIELDS",
    "Answer",
    "Person",
    "Sortable",
    "answers",
    "connect",
    "directory",
    "due",
    "due_json",
    "iso",
    "people",
    "sort_people",
]


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
        marks = ",".join("?" * len(chunk))
        for a, first, last, lo, li, lm, n, learned, wo, wi, wm, r in c.execute(
            "SELECT address, first, last, last_out, last_in, last_meeting, n, learned, "
            f"w_out, w_in, w_meet, replies FROM stats WHERE n > 0 AND address IN ({marks})",
            chunk,
        ):
            rows[a] = Totals(first, last, lo, li, lm, n, learned, wo, wi, wm, r)
    if matured:
        for a, at, how, weight, reply in c.execute(MATURED, (now,)):
            rows.setdefault(a, Totals()).add(at, how, weight, bool(reply))
    return rows, stale


def _rows_as_of(c: ReadConnection, as_of: int) -> dict[str, Totals]:
    query = standing.TOTALS_AS_OF.format(where="")
    return {a: standing.totals_row(rest) for a, *rest in c.execute(query, (as_of,))}


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


class _Found(NamedTuple):
    """A person before their standing is worked out: as a Person, or as --json text."""

    key: str
    addresses: tuple[str, ...]
    bond: Bond
    days: int
    source: str
    person: Person | None
    answer: Answer | None


class _Clauses(NamedTuple):
    """The parts of a statement over `stats` that answers for one-address people."""

    days: str
    source: str
    overdue: str
    due_iso: str
    source_from: str
    params: dict[str, int]

    def json_object(self) -> str:
        """A person's JSON object (as `Answer.json`), written by SQLite."""
        return f"""json_object({head_members("s.")},
                    'cadence_days', {self.days}, 'cadence_source', {self.source},
                    'due_at', {self.due_iso}, 'overdue_days', {self.overdue},
                    'organization', NULL, 'title', NULL, 'birthday', NULL,
                    'anniversary', NULL, 'card_source', NULL,
                    'automated_reason', nullif(coalesce(s.automated_reason, ''), ''))"""


def _clauses(
    d: Directory,
    now: int,
    default_cadence: int,
    only_due: bool,
    book: AddressBook | None,
    include_automated: bool,
) -> _Clauses:
    """Only the clauses the user's directives need are added: most stores have none."""
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
        # Neither dormant nor one-way (as `strength.state` says; left to it to confirm).
        horizon = f"{WEIGHTS.dormant_rhythms} * {days}"
        floor = float(WEIGHTS.dormant_min_days)
        longest = f"(CASE WHEN {horizon} > {floor} THEN {horizon} ELSE {floor} END)"
        where.append(f"(:now - s.last) <= {longest} * 86400")
        set_ = "d.value IS NOT NULL OR " if d.cadences else ""
        where.append(f"({set_}s.w_meet > 0 OR (s.w_out > 0 AND (s.w_in > 0 OR s.replies > 0)))")
    late = f"(:now - {due})"
    overdue = f"(CASE WHEN {late} >= 0 THEN {late} / 86400 ELSE -((86399 - {late}) / 86400) END)"
    due_iso = ISO.format(due)
    source_from = f"FROM stats s {joins} WHERE {' AND '.join(where)}"
    params = {"default": default_cadence, "now": now}
    return _Clauses(days, source, overdue, due_iso, source_from, params)


def _simple_now(
    c: ReadConnection,
    d: Directory,
    now: int,
    default_cadence: int,
    only_due: bool,
    as_json: bool,
    book: AddressBook | None = None,
    include_automated: bool = False,
) -> list[_Found]:
    """People with one address and current running totals, answered by SQLite at once
    (with `as_json`, SQLite writes each JSON object too: there may be tens of thousands)."""
    q = _clauses(d, now, default_cadence, only_due, book, include_automated)
    days, source, overdue, due_iso, source_from, params = q
    figures = "s.first, s.last, s.n, s.w_out, s.w_in, s.w_meet, s.learned, s.replies"  # a Bond
    if as_json:
        query = f"""
            SELECT s.address, s.name, s.last_iso, {overdue}, {days}, {source}, {figures},
                {q.json_object()} AS js
            {source_from}"""
        rows = c.execute(query, params)
        # fmt: off
        return [
            _Found(a, (a,), Bond(f, la, n, wo, wi, wm, learned, r), days_, src, None,
                   Answer(a, name, last, late_, js, (a,)))
            for a, name, last, late_, days_, src, f, la, n, wo, wi, wm, learned, r, js in rows
        ]
        # fmt: on
    query = f"""
        SELECT s.address, s.name, s.first_iso, s.last_iso, s.last_out_iso, s.last_in_iso,
            s.last_meeting_iso, s.n, {days}, {source}, {due_iso}, {overdue}, {figures},
            coalesce(s.automated_reason, '')
        {source_from}"""
    # A row: the person's fields but `addresses`, then the figures of their bond.
    # fmt: off
    return [
        _Found(r[0], (r[0],), Bond(r[12], r[13], r[14], r[15], r[16], r[17], r[18], r[19]),
               r[8], r[9], Person(r[0], r[1], (r[0],), r[2], r[3], r[4], r[5], r[6], r[7],
                                  r[8], r[9], r[10], r[11], automated_reason=r[20]), None)
        for r in c.execute(query, params)
    ]
    # fmt: on


def _finish(
    c: ReadConnection, found: list[_Found], at: int, only_due: bool
) -> list[Person | Answer]:
    """Each person with where they stand at `at`: strength, tier, state; for `due`, only
    those due, with what is at stake and why; otherwise whether they are fading."""
    kept = []
    for f in found:
        st = standing.standing(f.bond, at, f.days, f.source == "set")
        if not only_due or st.state == DUE:
            kept.append((f, st))
    fading: set[str] = set()
    if not only_due:
        fading = standing.fading(
            c, [(f.key, f.addresses, f.bond, st.strength) for f, st in kept], at
        )
    out: list[Person | Answer] = []
    for f, st in kept:
        if f.answer is not None:
            if only_due:
                extra = standing.due_fields(f.bond, st, at, f.days, f.source)
            else:
                extra = (
                    f',"strength":{round(st.strength)},"tier":"{st.tier}",'
                    f'"state":"{st.state}","fading":{"true" if f.key in fading else "false"}'
                )
            text = f.answer.json[:-1] + extra + "}"
            out.append(f.answer._replace(json=text, stake=st.stake, strength=round(st.strength)))
        elif f.person is not None:
            p = f.person._replace(
                strength=round(st.strength), tier=st.tier, state=st.state, bond=f.bond
            )
            if only_due:
                why = standing.why(f.bond, st, at, f.days, f.source)
                p = p._replace(at_stake=round(st.stake, 1), why=why)
            else:
                p = p._replace(fading=f.key in fading)
            out.append(p)
    return out


def due_json(c: ReadConnection, *, now: int, default_cadence: int) -> list[str] | None:
    """`due --json` straight from SQLite, what is at stake first; None if someone must be
    merged by hand first (linked addresses, or contacts come due since the projector ran)."""
    d = directory(c)
    if (
        d.links
        or carded(c)
        or c.execute("SELECT 1 FROM future WHERE at <= ? LIMIT 1", (now,)).fetchone()
    ):
        return None
    if isinstance(c, sqlite3.Connection):
        # SQLite works out what is at stake too, from what the projection keeps of each
        # relationship (its `pow` is C's, as Python's is: the same doubles), in the
        # statement that writes the JSON.
        q = _clauses(d, now, default_cadence, True, None, False)
        query = due_sql.due_json(q.days, q.source, q.due_iso, q.overdue, q.source_from)
        return [row[0] for row in c.execute(query, q.params)]
    found = _simple_now(c, d, now, default_cadence, only_due=True, as_json=True)
    answers = [a for a in _finish(c, found, now, only_due=True) if isinstance(a, Answer)]
    return [a.json for a in due(answers)]


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
    chosen: list[
        tuple[str, list[str], Totals, int, str, int | None, int | None, int | None, str]
    ] = []
    found: list[_Found] = []
    if as_of is None:
        # Most people have one address and current running totals: SQLite answers for
        # them in one statement; only linked or just-matured addresses are merged below.
        found.extend(
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
            chosen.append((key, members, total, days, source, due_at, overdue, learned, why))
    names = _names(c, [a for item in chosen for a in item[1]], as_of)
    for key, members, total, days, source, due_at, overdue, learned, why in chosen:
        if len(members) == 1:
            counts = names.get(key, Counter())
        else:
            counts = Counter()
            for a in members:
                counts.update(names.get(a, Counter()))
        card = book.info(members)
        # fmt: off
        person = Person(
            key, (card and card.name) or best_name(counts), tuple(sorted(members)),
            iso(total.first), iso(total.last), iso(total.last_out), iso(total.last_in),
            iso(total.last_meeting), total.n, days, source, iso(due_at), overdue, card,
            automated_reason=why,
        )
        # fmt: on
        b = standing.bond(total, learned)
        found.append(_Found(key, person.addresses, b, days, source, person, None))
    return _finish(c, found, at, only_due)


Sortable = TypeVar("Sortable", Person, Answer)


def sort_people(found: list[Sortable], by: str) -> list[Sortable]:
    if by == "name":
        return sorted(found, key=lambda p: ((p.name or p.key).casefold(), p.key))
    if by == "overdue":
        return sorted(found, key=lambda p: (-(p.overdue_days or 0), p.key))
    if by == "strength":
        return sorted(found, key=lambda p: (-p.strength, p.key))
    by_key = sorted(found, key=lambda p: p.key)
    return sorted(by_key, key=lambda p: p.last_contact or "", reverse=True)


def due(found: list[Sortable]) -> list[Sortable]:
    """Those due (answers asked with `only_due`), what is at stake first."""
    return sorted(
        found,
        key=lambda p: (-(p.stake if isinstance(p, Answer) else p.at_stake or 0.0), p.key),
    )
