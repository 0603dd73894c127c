"""A page of events as the people view's rows, worked out without the database.

`PageRows` holds one run of rows; `add_interaction` says what one observation adds to
it (its participants, future contacts, team contacts, introductions and totals).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kithkeep.domain.aggregates import Directives, Referrals, observation_from_state, referral_id
from kithkeep.domain.interaction import Kind, Observation, Role
from kithkeep.domain.introductions import candidate, encode_parties
from kithkeep.domain.people import Totals
from kithkeep.domain.rules import OUTBOUND, Policy, judge
from kithkeep.domain.strength import WEIGHTS, replied_to
from kithkeep.projections.cards import CardRow


@dataclass
class PageRows:
    """One run of a page's rows, table by table, and the directives written with them."""

    #: A bulk page leaves totals and names to be counted once, at `settle`.
    bulk: bool = False
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    participants: list[tuple[Any, ...]] = field(default_factory=list)
    future: list[tuple[Any, ...]] = field(default_factory=list)
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: (address, evidence) that an address is self's own (`schema`'s self_evidence).
    evidence: Counter[tuple[str, str]] = field(default_factory=Counter)
    stats: dict[str, Totals] = field(default_factory=dict)
    intros: list[tuple[Any, ...]] = field(default_factory=list)
    team: list[tuple[Any, ...]] = field(default_factory=list)
    #: (iid, address, 'cc' | 'bcc'): whom self's own mail only copied (`outbound_cc`).
    copied: list[tuple[int, str, str]] = field(default_factory=list)
    directives: list[Directives.Event | Referrals.Event] = field(default_factory=list)
    cards: list[CardRow] = field(default_factory=list)


#: A page's rows, in runs, and the (hex) ids of the interactions withdrawn between them.
Plan = list[PageRows | str]


def add_interaction(
    iid: int,
    hex_id: str,
    state: dict[str, Any],
    policy: Policy,
    now: int,
    rows: PageRows,
) -> None:
    """The rows of one observed interaction (notification `iid`), added to `rows`."""
    o = observation_from_state(state)
    j = judge(o, policy)
    at = int(o.occurred_at.timestamp())
    meeting = o.kind is Kind.MEETING
    how = "meet" if meeting else "out" if j.direction == OUTBOUND else "in"
    replied = replied_to(o) if how == "out" else ""
    rows.interactions.append(
        (
            iid,
            hex_id,
            at,
            state["kind"],
            j.direction,
            o.sender.address if o.sender else "",
            o.subject,
            o.thread_key,
            j.audience,
            ",".join(j.noise),
            replied,
        )
    )
    names: dict[str, str] = {}
    if o.sender and o.sender.name:
        names[o.sender.address] = o.sender.name
    for p in o.parties:
        if p.name:
            names.setdefault(p.address, p.name)
    if o.sender and o.sender.address:
        if policy.is_self(o.sender.address):
            if o.sender.name and j.direction == OUTBOUND:
                rows.evidence[(o.sender.address, "name:" + o.sender.name)] += 1
        elif "sent-folder" in o.signals:
            rows.evidence[(o.sender.address, "sent")] += 1
    contacts = set(j.contacts)
    if how == "out":
        rows.copied.extend(_copied(iid, o, set(j.counterparts)))
    members = _members(o, policy) if policy.team else ()
    for address in j.counterparts:
        name = names.get(address, "")
        is_contact = address in contacts
        rows.participants.append((address, at, iid, how, int(is_contact), name))
        if name and not rows.bulk:
            rows.names[(address, name)] += 1
        if members and policy.member_of(address) is None:
            rows.team.extend((m, address, at, iid, how, int(is_contact)) for m in members)
        if not is_contact:
            continue
        if at > now:
            rows.future.append((address, at, iid, how))
        elif not rows.bulk:
            weight = WEIGHTS.contact_weight(j.audience, meeting)
            rows.stats.setdefault(address, Totals()).add(at, how, weight, address == replied)
    found = candidate(o, policy, j.noise)
    if found is not None:
        rows.intros.append(
            (
                iid,
                referral_id(hex_id),
                at,
                found.kind,
                found.introducer,
                encode_parties(found.parties, found.referred),
                ",".join(found.cues),
                o.thread_key,
                o.subject,
                o.message_id,
            )
        )


def _members(o: Observation, policy: Policy) -> tuple[str, ...]:
    """The team members on an interaction (as sender or party), each once."""
    found: dict[str, None] = {}
    for p in (o.sender, *o.parties):
        if p is not None and (m := policy.member_of(p.address)) is not None:
            found.setdefault(m, None)
    return tuple(found)


def _copied(iid: int, o: Observation, counterparts: set[str]) -> list[tuple[int, str, str]]:
    """Whom self's mail copied (Cc, else Bcc) and did not address (To)."""
    roles: dict[str, set[str]] = {}
    for p in o.parties:
        if p.address in counterparts:
            roles.setdefault(p.address, set()).add(p.role)
    return [
        (iid, a, Role.CC.value if Role.CC in r else Role.BCC.value)
        for a, r in sorted(roles.items())
        if Role.TO not in r and r & {Role.CC, Role.BCC}
    ]
