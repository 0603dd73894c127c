"""A contact card: an address-book entry, an identity and never an interaction.

`Card` is what an address book says about one person (a plain value, like an
`Observation`); `next_date` says when a birthday or an anniversary next comes round.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple
from uuid import UUID, uuid5

from kithkeep.domain.interaction import NAME_CHARS, NAMESPACE
from kithkeep.domain.rules import normalize_address


class Card(NamedTuple):
    """One card as its address book gave it. A tuple: it crosses a process boundary.

    `birthday` and `anniversary` are `YYYY-MM-DD`, or `--MM-DD` when the year is not
    known, or empty.
    """

    #: Its identity in the address book ("vcard:UID", "google:people/c1", ...).
    key: str
    name: str
    #: Normalised (lower-case) addresses, in the card's order, each once.
    addresses: tuple[str, ...]
    organization: str = ""
    title: str = ""
    birthday: str = ""
    anniversary: str = ""
    #: Which kind of address book: "vcard", "carddav", "google", "outlook".
    source: str = ""

    @property
    def card_id(self) -> UUID:
        return card_id(self.key)


def card_id(key: str) -> UUID:
    return uuid5(NAMESPACE, "card:" + key)


def addresses_of(values: Iterable[str]) -> tuple[str, ...]:
    """A card's addresses, normalised, in its order, each once; what is no address left out."""
    found = (normalize_address(v) for v in values)
    return tuple(dict.fromkeys(a for a in found if a))


def addresses_in(rows: object, field: str) -> tuple[str, ...]:
    """The addresses of a provider's list of address objects (JSON), under `field`."""
    found = rows if isinstance(rows, list) else []
    return addresses_of(str(r.get(field) or "") for r in found if isinstance(r, dict))


def tidy(value: str) -> str:
    """One line of text from an address book, without control characters, of a sane
    length (a card is written by whoever shared it)."""
    kept = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(kept.split())[:NAME_CHARS]


def month_day(value: str) -> tuple[int, int] | None:
    """The month and day of a `YYYY-MM-DD` or `--MM-DD` date, if it is one."""
    text = value.strip()
    tail = text[2:] if text.startswith("--") else text[5:] if len(text) >= 10 else ""
    if len(tail) != 5 or tail[2] != "-" or not (tail[:2] + tail[3:]).isdigit():
        return None
    m, d = int(tail[:2]), int(tail[3:])
    try:
        date(2000, m, d)  # a leap year: 02-29 is a day
    except ValueError:
        return None
    return m, d


def on_year(md: tuple[int, int], year: int) -> date:
    """The day in `year`: 29 February falls on the 28th in a common year."""
    m, d = md
    if (m, d) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, m, d)


def next_date(value: str, today: date) -> date | None:
    """The next time (today included) a yearly date comes round; None if it is not one."""
    md = month_day(value)
    if md is None:
        return None
    this_year = on_year(md, today.year)
    return this_year if this_year >= today else on_year(md, today.year + 1)


def within(value: str, today: date, days: int) -> date | None:
    """When the yearly date falls from today to `days` days ahead, or None."""
    found = next_date(value, today)
    if found is None or found > today + timedelta(days=days):
        return None
    return found
