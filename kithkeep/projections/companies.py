"""People at a company: by their card's organization, or by their addresses' domain."""

from __future__ import annotations

from typing import TypeVar

from kithkeep.projections.book import AddressBook
from kithkeep.projections.queries import Answer, Person

P = TypeVar("P", Person, Answer)


def _domain_matches(address: str, domain: str) -> bool:
    host = address.rpartition("@")[2]
    return host == domain or host.endswith("." + domain)


def at_company(found: list[Person], company: str, book: AddressBook) -> list[Person]:
    """Those whose organization names `company` (any case, a part of it), or, if it
    looks like a domain (`acme.example`, `@acme.example`), who have an address there
    (on their card, too)."""
    q = company.strip().casefold()
    domain = q.lstrip("@") if "." in q and " " not in q else ""
    out = []
    for p in found:
        organization = (p.card.organization if p.card else "").casefold()
        if (q and q in organization) or (
            domain and any(_domain_matches(a, domain) for a in book.widened(p.addresses))
        ):
            out.append(p)
    return out


def only(answers: list[P], chosen: list[Person]) -> list[P]:
    """The answers of the people chosen (by person key)."""
    keys = {p.key for p in chosen}
    return [a for a in answers if a.key in keys]
