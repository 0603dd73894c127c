"""A team on one store: who among the members knows a person or a company best.

Each member's contacts are kept apart in the views (`team_contacts`: member, address,
time, how), without subjects: `who_knows` answers from that metadata alone, so one
member never sees what another wrote about.
"""

from __future__ import annotations

from dataclasses import dataclass

from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import DAY, normalize_address
from kithkeep.projections.queries import iso
from kithkeep.projections.reading import ReadConnection, like_literal

#: A contact this many days old counts half as much as one today.
HALF_LIFE_DAYS = 180


@dataclass(frozen=True, slots=True)
class Warmth:
    """One member's contact with the person (or the company's people)."""

    member: str
    strength: float
    interactions: int
    last_contact: int
    addresses: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "member": self.member,
            "strength": round(self.strength, 3),
            "interactions": self.interactions,
            "last_contact": iso(self.last_contact),
            "addresses": list(self.addresses),
        }


def target(raw: str) -> str:
    """An address, or `@domain` for everyone at a company."""
    q = raw.strip().lower()
    if q.startswith("@") and "." in q and " " not in q:
        return q
    a = normalize_address(q)
    if not a:
        raise ConfigError(f"{raw!r}: expected an address or @domain")
    return a


def organizations(c: ReadConnection, who: str) -> list[str]:
    """What contact cards say the person (or the people at `@domain`) work for."""
    from kithkeep.projections.book import address_book

    return address_book(c).organizations(target(who))


def who_knows(
    c: ReadConnection, who: str, now: int, half_life_days: int = HALF_LIFE_DAYS
) -> list[Warmth]:
    """Members with contact with `who`, strongest first: recent contacts weigh more.

    Strength is the sum over contacts of 1/2^(age / half-life): ten contacts last year
    beat one last week, one last week beats one ten years ago.
    """
    q = target(who)
    if q.startswith("@"):
        where, param = "address LIKE ? ESCAPE '!'", "%" + like_literal(q)
    else:
        where, param = "address = ?", q
    rows = c.execute(
        f"SELECT member, address, at FROM team_contacts WHERE {where} AND contact = 1 "
        "AND at <= ? "
        "ORDER BY member, at",
        (param, now),
    ).fetchall()
    per: dict[str, tuple[float, int, int, set[str]]] = {}
    for member, address, at in rows:
        strength, n, last, addresses = per.get(member, (0.0, 0, 0, set()))
        age_days = max(0, now - at) / DAY
        addresses.add(address)
        per[member] = (
            strength + 0.5 ** (age_days / half_life_days),
            n + 1,
            max(last, at),
            addresses,
        )
    found = [Warmth(m, s, n, last, tuple(sorted(a))) for m, (s, n, last, a) in per.items()]
    return sorted(found, key=lambda w: (-w.strength, -w.last_contact, w.member))
