"""Birthdays and anniversaries from contact cards: which come round in the next days.

Each occasion is given once per person, whichever of their cards says it (a person
with a card from a `.vcf` and one from Google has one birthday), with when self was
last in touch with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kithkeep.domain.card import within
from kithkeep.domain.people import Directory
from kithkeep.projections.book import address_book
from kithkeep.projections.queries import Person, people
from kithkeep.projections.reading import ReadConnection

KINDS = ("birthday", "anniversary")


@dataclass(frozen=True, slots=True)
class Occasion:
    on: date
    kind: str
    name: str
    addresses: tuple[str, ...]
    #: When self was last in touch (ISO-8601), or None.
    last_contact: str | None
    #: How many years it marks (an age), when the card gives the year.
    years: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "kind": self.kind,
            "name": self.name or None,
            "addresses": list(self.addresses),
            "last_contact": self.last_contact,
            "years": self.years,
        }


def day_of(at: int) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def upcoming(
    c: ReadConnection, *, at: int, days: int, default_cadence: int, as_of: int | None = None
) -> list[Occasion]:
    """Occasions from the day of `at` to `days` days after it, soonest first."""
    today = day_of(at)
    book = address_book(c)
    if not book.cards:
        return []
    found = people(c, now=at, default_cadence=default_cadence, as_of=as_of)
    # One person: the addresses their cards and their links join (with or without mail).
    links = list(book.links)
    links += [(p.addresses[0], a) for p in found for a in p.addresses[1:]]
    joined = Directory(links=links).groups(
        [*book.by_address, *(a for p in found for a in p.addresses)]
    )
    person_of: dict[str, Person] = {joined[a]: p for p in found for a in p.addresses}
    members: dict[str, set[str]] = {}
    for a, root in joined.items():
        members.setdefault(root, set()).add(a)
    seen: set[tuple[str, str]] = set()
    out: list[Occasion] = []
    for hex_id in sorted(book.cards):
        card = book.cards[hex_id]
        addresses = book.addresses.get(hex_id, [])
        if book.own.intersection(addresses):
            continue  # self's own card
        who = joined[addresses[0]] if addresses else "card:" + hex_id
        person = person_of.get(who)
        everyone = tuple(sorted(members.get(who, ())))
        for kind in KINDS:
            value = getattr(card, kind)
            on = within(value, today, days) if value else None
            if on is None or (who, kind) in seen:
                continue
            seen.add((who, kind))
            year = int(value[:4]) if value[:4].isdigit() else None
            out.append(
                Occasion(
                    on,
                    kind,
                    (person.name if person else "") or card.name,
                    everyone,
                    person.last_contact if person else None,
                    None if year is None else on.year - year,
                )
            )
    return sorted(out, key=lambda o: (o.on, o.name.casefold(), o.kind))


def when_words(on: date, today: date) -> str:
    """'today', 'tomorrow', 'on Thursday' (within a week), else 'on 12 March'."""
    gap = (on - today).days
    if gap == 0:
        return "today"
    if gap == 1:
        return "tomorrow"
    if gap < 7:
        return f"on {on:%A}"
    return f"on {on.day} {on:%B}"


def ago_words(last: str | None, today: date) -> str:
    """How long since `last` (ISO-8601), in the largest unit that says it."""
    if last is None:
        return "no contact yet"
    days = (today - datetime.fromisoformat(last).date()).days
    if days < 1:
        return "last contact today"
    for size, unit in ((365, "year"), (30, "month"), (7, "week"), (1, "day")):
        if days >= size * (2 if unit != "day" else 1) or unit == "day":
            n = days // size
            return f"last contact {n} {unit}{'s' if n != 1 else ''} ago"
    return ""  # pragma: no cover - the loop always answers


def sentence(o: Occasion, today: date) -> str:
    """'Ada Kim's birthday is on Thursday — last contact 5 months ago'."""
    who = o.name or (o.addresses[0] if o.addresses else "someone")
    return f"{who}'s {o.kind} is {when_words(o.on, today)} — {ago_words(o.last_contact, today)}"
