"""The introductions ledger, read from the views: which candidates were introductions,
and what has happened since.

A candidate message becomes an introduction only if two of its people had never been
on an interaction together before it — a question for the whole store, asked when the
ledger is read, so importing older mail later changes the answer as it should. Mail
between the two that self is not on is invisible: `connected` means "seen".
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any, NamedTuple

from kithkeep.domain.introductions import (
    CLOSED,
    DISMISSED,
    LOGGED,
    MADE,
    MADE_ONE_SIDED,
    NAME_PREFIX,
    OPT_IN,
    OPT_IN_WINDOW_DAYS,
    RECEIVED,
    decode_parties,
    follow_up_state,
)
from kithkeep.domain.rules import DAY, Policy
from kithkeep.projections.queries import iso
from kithkeep.projections.reading import ReadConnection
from kithkeep.projections.referred import Evidence, Person, resolve, resolve_all, thanked, two_way


class Referral(NamedTuple):
    id: str
    kind: str  # made | received | logged
    made_at: int
    introducer: str
    parties: tuple[str, ...]
    status: str
    next_follow_up_at: int | None
    evidence: Evidence | None
    cues: tuple[str, ...]
    subject: str
    message_id: str
    opt_in: tuple[int, str] | None
    note: str
    reasons: tuple[str, ...]
    #: The parties named in the text: how they were resolved (address or None, name).
    named: tuple[Person, ...] = ()

    def party(self, token: str, names: dict[str, str]) -> dict[str, str | None]:
        for p in self.named:
            if p.token == token:
                return {"address": p.address, "name": names.get(token) or p.name or None}
        if token.startswith(NAME_PREFIX):
            return {"address": None, "name": token[len(NAME_PREFIX) :]}
        return {"address": token or None, "name": names.get(token) or None}

    def label(self, token: str, names: dict[str, str]) -> str:
        p = self.party(token, names)
        return p["name"] or p["address"] or "someone"

    def as_json(self, names: dict[str, str], explain: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "made_at": iso(self.made_at),
            "introducer": self.introducer,
            "referrer": self.party(self.introducer, names)
            if self.kind == RECEIVED
            else {"address": self.introducer, "name": names.get(self.introducer) or None},
            "parties": [self.party(a, names) for a in self.parties],
            "status": self.status,
            "evidence": None
            if self.evidence is None
            else {
                "at": iso(self.evidence.at),
                "kind": self.evidence.kind,
                "from": self.evidence.sender,
                "subject": self.evidence.subject,
            },
            "next_follow_up_at": iso(self.next_follow_up_at),
            "cues": list(self.cues),
            "subject": self.subject,
            "message_id": self.message_id,
            "opt_in": None
            if self.opt_in is None
            else {"at": iso(self.opt_in[0]), "with": self.opt_in[1]},
            "note": self.note or None,
        }
        if explain:
            data["reasons"] = list(self.reasons)
        return data


_KNEW = (
    "SELECT 1 FROM participants p1 JOIN participants p2 "
    "ON p2.address = ? AND p2.at = p1.at AND p2.iid = p1.iid "
    "JOIN interactions i ON i.iid = p1.iid "
    "WHERE p1.address = ? AND p1.at < ? AND i.noise = '' LIMIT 1"
)
_SEEN_BEFORE = (
    "SELECT 1 FROM participants p JOIN interactions i ON i.iid = p.iid "
    "WHERE p.address = ? AND p.at < ? AND i.noise = '' LIMIT 1"
)
_MET = (
    "SELECT i.at, i.kind, i.sender, i.subject, i.iid FROM participants p1 JOIN participants p2 "
    "ON p2.address = ? AND p2.at = p1.at AND p2.iid = p1.iid "
    "JOIN interactions i ON i.iid = p1.iid "
    "WHERE p1.address = ? AND p1.at > ? AND p1.at <= ? AND i.noise = '' AND ("
    "(i.kind = 'meeting' AND p1.contact = 1 AND p2.contact = 1) "
    "OR (i.kind = 'email' AND i.sender IN (?, ?))) "
    "ORDER BY p1.at LIMIT 1"
)
_IN_TOUCH = (
    "SELECT i.at, i.kind, i.sender, i.subject, i.iid FROM participants p "
    "JOIN interactions i ON i.iid = p.iid "
    "WHERE p.address = ? AND p.at > ? AND p.at <= ? AND p.contact = 1 "
    "ORDER BY p.at LIMIT 1"
)
_WROTE_TO = (
    "SELECT DISTINCT p.at FROM participants p JOIN interactions i ON i.iid = p.iid "
    "WHERE p.address = ? AND p.at > ? AND p.at <= ? AND i.kind = 'email' "
    "AND i.direction = 'outbound' AND i.noise = ''"
)


def _knew(c: ReadConnection, a: str, b: str, before: int) -> bool:
    return c.execute(_KNEW, (b, a, before)).fetchone() is not None


_MINE = "SELECT 1 FROM team_contacts WHERE iid = ? AND member = ? LIMIT 1"


def _mine(c: ReadConnection, iid: int, member: str | None) -> bool:
    """Was this member on the interaction? (Always, outside a team.)"""
    return member is None or c.execute(_MINE, (iid, member)).fetchone() is not None


def _evidence(c: ReadConnection, row: Any, member: str | None) -> Evidence:
    at, kind, sender, subject, iid = row
    # On a team's store, the subject of another member's mail is not the viewer's to read.
    return Evidence(at, kind, sender, subject if _mine(c, iid, member) else "")


def _first_meeting(
    c: ReadConnection,
    parties: tuple[str, ...],
    after: int,
    until: int,
    member: str | None = None,
) -> Evidence | None:
    found: list[Evidence] = []
    for a, b in combinations(parties, 2):
        row = c.execute(_MET, (b, a, after, until, a, b)).fetchone()
        if row is not None:
            found.append(_evidence(c, row, member))
    return min(found, default=None)


def _first_contact(
    c: ReadConnection,
    people: Iterable[str],
    after: int,
    until: int,
    member: str | None = None,
) -> Evidence | None:
    found = [c.execute(_IN_TOUCH, (a, after, until)).fetchone() for a in people]
    return min((_evidence(c, row, member) for row in found if row is not None), default=None)


def _acknowledged(
    c: ReadConnection, thread: str, senders: tuple[str, ...], after: int, until: int
) -> int | None:
    if not thread:
        return None
    marks = ",".join("?" * len(senders))
    row = c.execute(
        f"SELECT min(at) FROM interactions WHERE thread = ? AND at > ? AND at <= ? "
        f"AND sender IN ({marks})",
        (thread, after, until, *senders),
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _self_wrote(c: ReadConnection, parties: tuple[str, ...], after: int, until: int) -> list[int]:
    times: set[int] = set()
    for a in parties:
        times.update(t for (t,) in c.execute(_WROTE_TO, (a, after, until)))
    return sorted(times)


def referrals(
    c: ReadConnection,
    *,
    me: frozenset[str],
    at: int,
    follow_up_after_days: int,
    member: str | None = None,
) -> list[Referral]:
    """Every introduction made, received or logged up to `at`, with its state at `at`.

    On a team's store, `member` (the viewer) sees only the introductions found in their
    own mail, and no subject of another member's mail as evidence.
    """
    follow = follow_up_after_days * DAY
    marks: dict[str, tuple[str, int]] = {}
    logged: list[tuple[str, int, str, str, str]] = []
    for rid, kind, t, a, b, note in c.execute(
        "SELECT id, kind, at, a, b, note FROM referral_marks ORDER BY rowid"
    ):
        if kind == LOGGED:
            logged.append((rid, t, a, b, note))
        elif kind == "reopened":
            marks.pop(rid, None)
        else:
            marks[rid] = (kind, t)
    opt_ins: list[tuple[int, str]] = [
        (t, p)
        for t, p in c.execute(
            "SELECT at, parties FROM intros WHERE kind = ? AND at <= ?", (OPT_IN, at)
        )
    ]
    me_key = min(me) if me else ""
    out: list[Referral] = []
    rows = c.execute(
        "SELECT id, at, kind, introducer, parties, cues, thread, subject, message_id, iid "
        "FROM intros WHERE kind IN (?, ?, ?) AND at <= ? ORDER BY at, iid",
        (MADE, RECEIVED, MADE_ONE_SIDED, at),
    ).fetchall()
    for rid, t, kind, by, parties_text, cues_text, thread, subject, message_id, iid in rows:
        introducer = by
        if not _mine(c, iid, member):
            continue
        people, referred = decode_parties(parties_text)
        cues = tuple(cues_text.split(",")) if cues_text else ()
        reasons = [f"cue: {cue}" for cue in cues]
        named: tuple[Person, ...] = ()
        if referred:
            named = resolve_all(c, referred)
            if kind == RECEIVED and introducer:
                named = (*named, resolve(c, introducer))
                introducer = named[-1].token
            reasons.extend(_resolved(p) for p in named)
            parties = (*people, *(p.token for p in named if p.token != introducer))
            if kind == RECEIVED:
                parties = (me_key, *parties)
                reasons.append(f"someone passed you on to {_who(named[0])}, or them to you")
            else:
                reasons.append(
                    "you passed on a contact to " + ", ".join(people) + " (one-sided referral)"
                )
        elif kind == MADE:
            strangers = {
                x for a, b in combinations(people, 2) if not _knew(c, a, b, t) for x in (a, b)
            }
            if not strangers:
                continue
            parties = tuple(p for p in people if p in strangers)
            reasons.append("never on an interaction together before: " + ", ".join(parties))
        elif kind == RECEIVED:
            new = tuple(p for p in people if c.execute(_SEEN_BEFORE, (p, t)).fetchone() is None)
            if not new:
                continue
            parties = (me_key, *new)
            reasons.append("you had no interaction before with: " + ", ".join(new))
        else:
            parties = people
            reasons.append("you passed on a contact to " + ", ".join(people))
        found = _state(
            c, rid, kind, t, introducer, parties, cues, thread, subject, message_id, "",
            tuple(reasons), marks, opt_ins, at, follow, member, named,
        )  # fmt: skip
        out.append(found)
    for rid, t, a, b, note in logged:
        if t <= at:
            out.append(
                _state(
                    c, rid, LOGGED, t, me_key, (a, b), (), "", "", "", note,
                    ("logged by hand",), marks, opt_ins, at, follow, member,
                )
            )  # fmt: skip
    return out


def _who(p: Person) -> str:
    return p.name or p.address or "someone"


def _resolved(p: Person) -> str:
    if p.address and p.name:
        return f"named in the text: {p.name}, resolved to {p.address}"
    if p.address:
        return f"address in the text: {p.address}"
    return f"named in the text: {p.name} (no known address)"


def referrals_for(c: ReadConnection, policy: Policy, at: int) -> list[Referral]:
    """`referrals` with the user's addresses and follow-up setting."""
    return referrals(
        c,
        me=policy.me,
        at=at,
        follow_up_after_days=policy.follow_up_after_days,
        member=policy.viewer,
    )


def _state(
    c: ReadConnection,
    rid: str,
    kind: str,
    made_at: int,
    introducer: str,
    parties: tuple[str, ...],
    cues: tuple[str, ...],
    thread: str,
    subject: str,
    message_id: str,
    note: str,
    reasons: tuple[str, ...],
    marks: dict[str, tuple[str, int]],
    opt_ins: list[tuple[int, str]],
    at: int,
    follow: int,
    member: str | None = None,
    named: tuple[Person, ...] = (),
) -> Referral:
    mark = marks.get(rid)
    if kind == RECEIVED and named:
        evidence = two_way(c, tuple(p for p in named if p.token in parties), made_at, at)
        acknowledged = None
        wrote: list[int] = []
    elif kind == RECEIVED:
        others = parties[1:]
        evidence = _first_contact(c, others, made_at, at, member)
        acknowledged = None
        wrote = []
    elif kind == MADE_ONE_SIDED:
        told = tuple(p for p in parties if p not in {n.token for n in named})
        known = tuple(p for p in parties if not p.startswith(NAME_PREFIX))
        met = _first_meeting(c, known, made_at, at, member) if len(known) > len(told) else None
        thanks = thanked(c, told, named, made_at, at)
        evidence = min((e for e in (met, thanks) if e is not None), default=None)
        acknowledged = _acknowledged(c, thread, told, made_at, at)
        wrote = _self_wrote(c, known, made_at, at)
    else:
        evidence = _first_meeting(c, parties, made_at, at, member)
        acknowledged = _acknowledged(c, thread, parties, made_at, at)
        wrote = _self_wrote(c, parties, made_at, at)
    state = follow_up_state(
        made_at=made_at,
        at=at,
        follow_up_after=follow,
        connected_at=evidence.at if evidence else None,
        acknowledged_at=acknowledged,
        self_wrote_at=wrote,
        dismissed_at=mark[1] if mark and mark[0] == DISMISSED else None,
        closed_at=mark[1] if mark and mark[0] == CLOSED else None,
    )
    asked = [
        (t, p)
        for t, p in opt_ins
        if p in parties and made_at - OPT_IN_WINDOW_DAYS * DAY <= t < made_at
    ]
    shown_evidence = evidence if evidence is not None and evidence.at <= at else None
    return Referral(
        rid,
        kind,
        made_at,
        introducer,
        parties,
        state.state,
        state.next_follow_up_at,
        shown_evidence,
        cues,
        subject,
        message_id,
        max(asked) if asked else None,
        note,
        reasons,
        named,
    )


def names_for(c: ReadConnection, addresses: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(addresses))
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for a, name in c.execute(
            f"SELECT address, name FROM names WHERE address IN ({marks}) ORDER BY n, name DESC",
            chunk,
        ):
            out[a] = name  # the last row per address is the most frequent name
    return out


class Ledger(NamedTuple):
    """Reciprocity with one person: introductions each way, and who writes first."""

    given: int  # introductions self made for them
    received: int  # introductions they made for self
    last_given: int | None
    last_received: int | None
    they_started: int  # threads in the last year they began
    self_started: int  # ... and self began with them

    @property
    def initiative_ratio(self) -> float | None:
        total = self.they_started + self.self_started
        return None if total == 0 else round(self.they_started / total, 2)

    def as_json(self) -> dict[str, Any]:
        return {
            "referrals_given": self.given,
            "referrals_received": self.received,
            "initiative_ratio": self.initiative_ratio,
        }


_INITIATIVE = """
WITH firsts AS (
    SELECT thread, min(at) AS at FROM interactions
    WHERE kind = 'email' AND noise = '' AND thread != '' AND at > ? AND at <= ?
    GROUP BY thread
), starters AS (
    SELECT i.iid, i.direction, i.sender FROM firsts f
    JOIN interactions i ON i.thread = f.thread AND i.at = f.at
)
SELECT p.address,
    sum(CASE WHEN s.direction = 'inbound' AND s.sender = p.address THEN 1 ELSE 0 END),
    sum(CASE WHEN s.direction = 'outbound' THEN 1 ELSE 0 END)
FROM starters s JOIN participants p ON p.iid = s.iid
GROUP BY p.address
"""
YEAR = 365 * DAY


def ledgers(c: ReadConnection, found: list[Referral], at: int) -> dict[str, Ledger]:
    """Per address: introductions each way (dismissed ones left out) and initiative."""
    given: dict[str, list[int]] = {}
    received: dict[str, list[int]] = {}
    for r in found:
        if r.status == DISMISSED:
            continue
        if r.kind == RECEIVED:
            received.setdefault(r.introducer, []).append(r.made_at)
        else:
            for p in r.parties:
                given.setdefault(p, []).append(r.made_at)
    out: dict[str, Ledger] = {}
    for address, theirs, mine in c.execute(_INITIATIVE, (at - YEAR, at)):
        g, rc = given.get(address, []), received.get(address, [])
        out[address] = Ledger(
            len(g), len(rc), max(g, default=None), max(rc, default=None), theirs, mine
        )
    for address in set(given) | set(received):
        if address not in out:
            g, rc = given.get(address, []), received.get(address, [])
            out[address] = Ledger(
                len(g), len(rc), max(g, default=None), max(rc, default=None), 0, 0
            )
    return out


def merged(ledger: dict[str, Ledger], addresses: Iterable[str]) -> Ledger:
    """One person's ledger across all their addresses."""
    parts = [ledger[a] for a in addresses if a in ledger]
    return Ledger(
        sum(p.given for p in parts),
        sum(p.received for p in parts),
        max((p.last_given for p in parts if p.last_given), default=None),
        max((p.last_received for p in parts if p.last_received), default=None),
        sum(p.they_started for p in parts),
        sum(p.self_started for p in parts),
    )
