"""One person's page: finding them by any part of an address or a name, why they do not
count, their contacts month by month."""

from __future__ import annotations

from collections import Counter

from kithkeep.projections.queries import Person
from kithkeep.projections.reading import ReadConnection


def find_person(found: list[Person], query: str) -> list[Person]:
    """The person with this address; else everyone with an address or a name that holds
    the text (`benner` finds Martha Benner), for the caller to list if several do."""
    q = query.strip().lower()
    for p in found:
        if q in p.addresses:
            return [p]
    words = q.split()
    return [
        p
        for p in found
        if words
        and all(w in (p.name or "").lower() or any(w in a for a in p.addresses) for w in words)
    ]


def not_counted(c: ReadConnection, address: str, until: int) -> tuple[int, list[str]]:
    """How many interactions an address is on, and the noise reasons seen on them (for
    `person` to say why someone with no contact does not count)."""
    reasons: Counter[str] = Counter()
    n = 0
    for (noise,) in c.execute(
        "SELECT i.noise FROM participants p JOIN interactions i ON i.iid = p.iid "
        "WHERE p.address = ? AND p.at <= ?",
        (address, until),
    ):
        n += 1
        reasons.update(r for r in noise.split(",") if r)
    return n, [r for r, _ in reasons.most_common()]
