"""One relationship's history: the latest interactions, contacts per month, a sparkline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kithkeep.projections.reading import ReadConnection


@dataclass(frozen=True, slots=True)
class Entry:
    at: int
    kind: str
    direction: str
    subject: str
    counts: bool
    noise: str
    #: 'to' (self wrote to them), 'to-cc' / 'to-bcc' (self's mail copied them), 'from'
    #: (they wrote), 'cc' (they were on mail someone else wrote), 'meeting'.
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
    subject, params = "i.subject", [*addresses * 4, until, limit]
    if member is not None:
        subject = (
            "CASE WHEN EXISTS (SELECT 1 FROM team_contacts t WHERE t.iid = i.iid "
            "AND t.member = ?) THEN i.subject ELSE '' END"
        )
        params = [member, *params]
    # Self's mail copied them if it copied one of their addresses and addressed none.
    copied = (
        f"(SELECT 'to-' || max(o.role) FROM outbound_cc o WHERE o.iid = i.iid "
        f"AND o.address IN ({marks}) AND NOT EXISTS (SELECT 1 FROM participants q "
        f"WHERE q.iid = i.iid AND q.address IN ({marks}) AND NOT EXISTS (SELECT 1 "
        "FROM outbound_cc x WHERE x.iid = i.iid AND x.address = q.address)))"
    )
    rows = c.execute(
        f"SELECT i.at, i.kind, i.direction, {subject}, max(p.contact), i.noise, "
        f"CASE WHEN i.kind = 'meeting' THEN 'meeting' WHEN i.direction = 'outbound' "
        f"THEN coalesce({copied}, 'to') WHEN i.sender IN ({marks}) THEN 'from' ELSE 'cc' END "
        "FROM participants p JOIN interactions i ON i.iid = p.iid "
        f"WHERE p.address IN ({marks}) AND p.at <= ? "
        "GROUP BY i.iid ORDER BY i.at DESC, i.iid DESC LIMIT ?",
        params,
    ).fetchall()
    return [Entry(at, kind, d, s, bool(k), noise, r) for at, kind, d, s, k, noise, r in rows]


def monthly_contacts(
    c: ReadConnection, addresses: tuple[str, ...], until: int, months: int = 24
) -> list[int]:
    """Contacts per calendar month (UTC), oldest first, ending with `until`'s month."""
    end = datetime.fromtimestamp(until, UTC)
    index = end.year * 12 + end.month - 1
    counts = [0] * months
    marks = ",".join("?" * len(addresses))
    for (at,) in c.execute(
        f"SELECT at FROM participants WHERE contact = 1 AND address IN ({marks}) AND at <= ?",
        [*addresses, until],
    ):
        d = datetime.fromtimestamp(at, UTC)
        k = months - 1 - (index - (d.year * 12 + d.month - 1))
        if 0 <= k < months:
            counts[k] += 1
    return counts


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(7, (v * 7 + top - 1) // top)] if v else " " for v in values)
