"""Taking your data with you: `kithkeep export` as JSON, CSV or vCard 4.

Everything the views know, in files other tools read: people with their fields (as
`people --json` gives them), the metadata of every interaction (never a body: none is
stored), introductions with their state, and the directives you gave. vCard 4
(RFC 6350) carries names and addresses only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kithkeep.domain.rules import Policy
from kithkeep.projections import queries
from kithkeep.projections import referrals as ledger
from kithkeep.projections.reading import ReadConnection

FORMATS = ("json", "csv", "vcf")

Row = dict[str, object]

_INTERACTIONS = (
    "SELECT i.iid, i.id, i.at, i.kind, i.direction, i.sender, i.subject, i.thread, "
    "i.audience, i.noise FROM interactions i ORDER BY i.at, i.iid"
)
_PARTICIPANTS = "SELECT iid, address, how, contact, name FROM participants ORDER BY iid, address"


@dataclass(frozen=True, slots=True)
class Export:
    """Everything there is to take away, as plain rows (JSON-ready, ISO-8601 dates)."""

    people: list[Row]
    interactions: list[Row]
    referrals: list[Row]
    directives: list[Row]

    def as_json(self) -> Row:
        return {
            "people": self.people,
            "interactions": self.interactions,
            "referrals": self.referrals,
            "directives": self.directives,
        }

    def tables(self) -> dict[str, list[Row]]:
        return {
            "people": self.people,
            "interactions": self.interactions,
            "referrals": self.referrals,
            "directives": self.directives,
        }


def gather(conn: ReadConnection, policy: Policy, now: int) -> Export:
    """Everything in the views, as it stands at `now`."""
    found = queries.people(conn, now=now, default_cadence=policy.default_cadence_days)
    refs = ledger.referrals_for(conn, policy, now)
    books = ledger.ledgers(conn, refs, now)
    people = [{**p.as_json(), **ledger.merged(books, p.addresses).as_json()} for p in found]
    names = ledger.names_for(conn, [a for r in refs for a in (*r.parties, r.introducer)])
    return Export(
        people=people,
        interactions=_interactions(conn),
        referrals=[r.as_json(names) for r in refs],
        directives=[
            {"kind": k, "a": a, "b": b or None, "value": v}
            for k, a, b, v in conn.execute(
                "SELECT kind, a, b, value FROM directives ORDER BY kind, a, b"
            )
        ],
    )


def _interactions(conn: ReadConnection) -> list[Row]:
    who: dict[int, list[Row]] = {}
    for iid, address, how, contact, name in conn.execute(_PARTICIPANTS):
        who.setdefault(iid, []).append(
            {"address": address, "name": name or None, "how": how, "contact": bool(contact)}
        )
    out: list[Row] = []
    for iid, id_, at, kind, direction, sender, subject, thread, audience, noise in conn.execute(
        _INTERACTIONS
    ):
        out.append(
            {
                "id": id_,
                "at": queries.iso(at),
                "kind": kind,
                "direction": direction,
                "sender": sender or None,
                "subject": subject,
                "thread": thread,
                "audience": audience,
                "noise": noise.split(",") if noise else [],
                "participants": who.get(iid, []),
            }
        )
    return out


# -- CSV: one table per file ----------------------------------------------------------


def csv_text(rows: Sequence[Mapping[str, object]]) -> str:
    """One table as CSV; lists are joined with '; ', nested objects flattened to text."""
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    return str(value)


# -- vCard 4 (RFC 6350) ---------------------------------------------------------------


def vcards(people: Iterable[Mapping[str, object]]) -> str:
    """One vCard 4.0 per person: FN (the name, else the first address) and each EMAIL."""
    lines: list[str] = []
    for p in people:
        raw = p.get("addresses")
        addresses = [str(a) for a in raw] if isinstance(raw, list) else []
        if not addresses:
            continue
        name = str(p.get("name") or addresses[0])
        lines += ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_escape(name)}"]
        lines += [f"EMAIL:{_escape(a)}" for a in addresses]
        lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _escape(text: str) -> str:
    text = " ".join(text.split())  # no line breaks or control characters in a value
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space (RFC 6350 3.2)."""
    parts: list[str] = []
    current, size = "", 0
    for ch in line:
        n = len(ch.encode())
        if size + n > 75:
            parts.append(current)
            current, size = " ", 1
        current += ch
        size += n
    parts.append(current)
    return "\r\n".join(parts)
