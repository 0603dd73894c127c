"""The people a referral names in its text: who they are, and what shows they connected.

A one-sided referral names its third person in the text: an address, or a name that is
resolved here, when the ledger is read, against the people the views know (the names
seen on mail, else an address shaped like the name: `paul.bieniawski@…` for "Paul
Bieniawski"). Unresolved, the name is all there is. Evidence that a referral worked:
a later mail with both, or one of them telling self so ("thanks for the referral", "I
spoke with Paul yesterday"); for a referral self received, two-way contact with the
person self was referred to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from kithkeep.domain.introductions import NAME_PREFIX, THANKED, decode_parties
from kithkeep.projections.reading import ReadConnection


class Evidence(NamedTuple):
    at: int
    kind: str
    sender: str
    subject: str


class Person(NamedTuple):
    """A party of a referral: the address if known, the name if the text gave one."""

    token: str  # the address, else `name:` and the name
    address: str | None
    name: str


_BY_NAME = (
    "SELECT address FROM names WHERE lower(name) = lower(?) "
    "GROUP BY address ORDER BY sum(n) DESC LIMIT 2"
)
_BY_SHAPE = "SELECT DISTINCT address FROM stats WHERE address LIKE ? LIMIT 2"


def resolve(c: ReadConnection, token: str) -> Person:
    """An address stays itself; a name becomes the one address it clearly belongs to."""
    if not token.startswith(NAME_PREFIX):
        return Person(token, token or None, "")
    name = token[len(NAME_PREFIX) :]
    rows = c.execute(_BY_NAME, (name,)).fetchall()
    if len(rows) != 1:
        words = [w.lower() for w in name.replace(".", " ").split() if len(w) > 1]
        rows = []
        if len(words) >= 2 and all(w.isalpha() for w in (words[0], words[-1])):
            rows = c.execute(_BY_SHAPE, (f"{words[0][:3]}%.{words[-1]}@%",)).fetchall()
    if len(rows) == 1:
        address = str(rows[0][0])
        return Person(address, address, name)
    return Person(token, None, name)


def resolve_all(c: ReadConnection, tokens: Iterable[str]) -> tuple[Person, ...]:
    return tuple(resolve(c, t) for t in tokens)


_THANKS = (
    "SELECT n.at, n.introducer, n.parties, i.subject FROM intros n "
    "JOIN interactions i ON i.iid = n.iid "
    "WHERE n.kind = ? AND n.at > ? AND n.at <= ? ORDER BY n.at"
)


def _mentions(text: str, name: str) -> bool:
    words = {w.lower() for w in name.split() if len(w) > 2}
    return any(w in text.lower().split() for w in words)


def thanked(
    c: ReadConnection,
    senders: tuple[str, ...],
    named: tuple[Person, ...],
    after: int,
    until: int,
) -> Evidence | None:
    """The first mail to self from either side saying they connected.

    From the one self wrote to: "thanks for the referral", or naming the other ("I spoke
    with Paul"); from the one referred: any thanks that names no one else, or names them.
    """
    others = {p.address for p in named if p.address}
    for at, sender, parties, subject in c.execute(_THANKS, (THANKED, after, until)):
        _, mentioned = decode_parties(parties)
        names = [m[len(NAME_PREFIX) :] if m.startswith(NAME_PREFIX) else m for m in mentioned]
        if sender in senders:
            if not names or any(_mentions(n, p.name) for n in names for p in named if p.name):
                return Evidence(at, "thanks", sender, subject)
        elif sender in others:
            return Evidence(at, "thanks", sender, subject)
    return None


_FIRST = (
    "SELECT min(p.at) FROM participants p WHERE p.address = ? AND p.at >= ? AND p.at <= ? "
    "AND p.contact = 1 AND p.how = ?"
)


def two_way(
    c: ReadConnection, people: tuple[Person, ...], after: int, until: int
) -> Evidence | None:
    """When self had contact both ways with one of `people` since `after`."""
    found: list[Evidence] = []
    for p in people:
        if p.address is None:
            continue
        out = c.execute(_FIRST, (p.address, after + 1, until, "out")).fetchone()[0]
        into = c.execute(_FIRST, (p.address, after, until, "in")).fetchone()[0]
        if out is not None and into is not None:
            found.append(Evidence(max(int(out), int(into)), "two-way", p.address, ""))
    return min(found, default=None)
