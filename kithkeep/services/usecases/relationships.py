"""Relationships beyond `due`: replies owed, and dormant relationships worth reviving."""

from __future__ import annotations

from kithkeep.domain.rules import Policy
from kithkeep.domain.strength import DORMANT, ONE_WAY, strength
from kithkeep.projections import queries
from kithkeep.projections.owed import Owed, owed
from kithkeep.projections.reading import ReadConnection


def replies_owed(conn: ReadConnection, policy: Policy, at: int) -> list[Owed]:
    """Personal mail self has not answered after `owed_after_days`, newest first."""
    return owed(conn, at=at, after_days=policy.owed_after_days, member=policy.viewer)


def reconnect(
    conn: ReadConnection, policy: Policy, now: int, as_of: int | None
) -> list[tuple[queries.Person, int]]:
    """Dormant relationships, with the strength each had when last in touch (what it
    mattered), strongest first."""
    found = queries.people(conn, now=now, default_cadence=policy.default_cadence_days, as_of=as_of)
    out = []
    for p in found:
        if p.state != DORMANT or p.tier == ONE_WAY or p.last_contact is None:
            continue
        out.append((p, round(_peak(p))))
    return sorted(out, key=lambda pair: (-pair[1], pair[0].key))


def _peak(p: queries.Person) -> float:
    """The strength a person had on the day of the last contact."""
    from datetime import datetime

    last = int(datetime.fromisoformat(p.last_contact or "").timestamp())
    return 0.0 if p.bond is None else strength(p.bond, last)
