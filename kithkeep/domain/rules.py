"""The rules, pure and in one place: self, noise, direction, contact, cadence, dates.

Projections apply them when they read events, so changing a rule (or the
configured addresses) and rebuilding changes every answer retroactively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from kithkeep.domain.interaction import Kind, Observation, Response, Role
from kithkeep.domain.senders import address_problem

DEFAULT_CADENCE_DAYS = 180
DEFAULT_MAX_AUDIENCE = 15
DEFAULT_FOLLOW_UP_AFTER_DAYS = 14
#: A reply is owed this many days after personal mail to self went unanswered ...
DEFAULT_OWED_AFTER_DAYS = 3
#: ... for this long (older unanswered mail is no longer an obligation) ...
OWED_WITHIN_DAYS = 30
#: ... where it was written to at most this many people (self included in none).
OWED_MAX_AUDIENCE = 3
#: Distinct contact days it takes to learn a cadence: one gap already tells a sparse
#: relationship's pace better than the 180-day default (two mails a month apart are not
#: half a year's rhythm); more days, and the median gap, tell it better.
LEARN_MIN_CONTACTS = 2
LEARN_FACTOR = 1.5
LEARN_MIN_DAYS = 14
LEARN_MAX_DAYS = 365
EARLIEST_PLAUSIBLE = datetime.fromisoformat("1990-01-01T00:00:00+00:00")
FUTURE_SLACK = timedelta(days=1)

DAY = 86400


def median(values: Sequence[int]) -> float:
    """The median (statistics.median, without importing what it imports at start-up)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


OUTBOUND = "outbound"
INBOUND = "inbound"

_AUTOMATED_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?|notify|alerts?|"
    r"mailer[-_.]?daemon|postmaster|bounces?)(?:[-+_.].*)?$"
)


def normalize_address(raw: str) -> str:
    """Lower-case, trimmed, without `mailto:` or angle brackets; '' if not an address, or
    not one anyone can have (`senders.address_problem`)."""
    a = raw.strip().strip("<>").strip()
    if a[:7].lower() == "mailto:":
        a = a[7:]
    a = a.strip().strip('"').lower()
    if len(a) > 1 and a[0] == a[-1] == "'":
        a = a[1:-1]  # quoted whole ('ada@example.com'); a lone quote is a problem
    if "@" not in a or " " in a or len(a) > 254 or address_problem(a):
        return ""
    return a


@lru_cache(maxsize=1 << 16)  # asked once per event projected, of the same few senders
def is_automated_sender(address: str) -> bool:
    local = address.split("@", 1)[0]
    return bool(_AUTOMATED_LOCAL.match(local))


@dataclass(frozen=True, slots=True)
class Policy:
    """What the user configured: who self is, and the limits the rules use."""

    me: frozenset[str]
    max_audience: int = DEFAULT_MAX_AUDIENCE
    default_cadence_days: int = DEFAULT_CADENCE_DAYS
    follow_up_after_days: int = DEFAULT_FOLLOW_UP_AFTER_DAYS
    owed_after_days: int = DEFAULT_OWED_AFTER_DAYS
    #: A team's members and each one's own addresses (all of them are self, too).
    team: tuple[tuple[str, frozenset[str]], ...] = ()
    #: The member whose home this is (who may read subjects of their own mail only).
    viewer: str | None = None

    @classmethod
    def of(
        cls,
        me: Iterable[str],
        *,
        team: Iterable[tuple[str, Iterable[str]]] = (),
        **kw: int,
    ) -> Policy:
        members = tuple(
            sorted((name, frozenset(_addresses(addresses))) for name, addresses in team)
        )
        mine = _addresses(me)
        everyone = [*mine, *(a for _, owned in members for a in owned)]
        viewer = next((n for n, owned in members if owned.intersection(mine)), "")
        return cls(frozenset(everyone), team=members, viewer=viewer if members else None, **kw)

    def is_self(self, address: str) -> bool:
        return address in self.me or address.lower() in self.me

    def member_of(self, address: str) -> str | None:
        """The team member owning this address, if any."""
        for name, owned in self.team:
            if address in owned:
                return name
        return None

    def fingerprint(self) -> str:
        """What, if changed, means the views must be rebuilt."""
        base = f"v1|{','.join(sorted(self.me))}|{self.max_audience}"
        if not self.team:
            return base
        team = ";".join(f"{n}={','.join(sorted(a))}" for n, a in self.team)
        return f"{base}|team:{team}"


def _addresses(raw: Iterable[str]) -> list[str]:
    return [a for a in (normalize_address(r) for r in raw) if a]


class Judgement(NamedTuple):
    """What the rules make of one interaction (a tuple: made once per event projected)."""

    direction: str
    noise: tuple[str, ...]
    audience: int
    #: Counterparts for whom this interaction is contact (before the has-it-happened test).
    contacts: tuple[str, ...]
    #: Everyone on it but self, first-seen order (`counterparts`).
    counterparts: tuple[str, ...] = ()


def counterparts(o: Observation, policy: Policy) -> list[str]:
    """Everyone on the interaction except self, sender included, first-seen order."""
    seen: dict[str, None] = {}
    if o.sender and o.sender.address and not policy.is_self(o.sender.address):
        seen[o.sender.address] = None
    for p in o.parties:
        if p.address and not policy.is_self(p.address):
            seen.setdefault(p.address, None)
    return list(seen)


def judge(o: Observation, policy: Policy) -> Judgement:
    sender = o.sender.address if o.sender else ""
    others = counterparts(o, policy)
    audience = len(others)
    if o.kind is Kind.MEETING:
        direction = OUTBOUND if policy.is_self(sender) else INBOUND
    else:
        direction = OUTBOUND if sender and policy.is_self(sender) else INBOUND
    noise = noise_reasons(o, policy, audience)
    if noise or (direction == INBOUND and is_broadcast(o, policy)):
        return Judgement(direction, noise, audience, (), tuple(others))
    contacts = tuple(_contacts(o, policy, direction, others))
    return Judgement(direction, noise, audience, contacts, tuple(others))


def is_broadcast(o: Observation, policy: Policy) -> bool:
    """Mail that names self in neither To nor Cc (Bcc'd on a broadcast, or come through a
    list): not contact with its sender. Not noise either: it still says who knows whom."""
    if o.kind is not Kind.EMAIL:
        return False
    return not any(p.role in (Role.TO, Role.CC) and policy.is_self(p.address) for p in o.parties)


def noise_reasons(o: Observation, policy: Policy, audience: int) -> tuple[str, ...]:
    reasons: list[str] = []
    for s in o.signals:
        if s == "list-id":
            reasons.append("list-id")
        elif s == "list-unsubscribe":
            reasons.append("list-unsubscribe")
        elif s.startswith("precedence:") and s[11:] in ("bulk", "list", "junk"):
            reasons.append(s)
        elif s.startswith("auto-submitted:") and s[15:] != "no":
            reasons.append("auto-submitted")
        elif s in ("draft", "auto-reply", "date-unknown"):
            # date-unknown: no Date or Received: to trust, so the time is the file's (an
            # export's): kept in the timeline, it never moves last contact.
            reasons.append(s)
    sender = o.sender.address if o.sender else ""
    if sender and not policy.is_self(sender) and is_automated_sender(sender):
        reasons.append("automated-sender")
    # More recipients than a reader takes in (`recipients-capped`) is bulk whatever the list.
    if audience > policy.max_audience or "recipients-capped" in o.signals:
        reasons.append("audience")
    return tuple(reasons)


def _contacts(o: Observation, policy: Policy, direction: str, others: list[str]) -> list[str]:
    if o.kind is Kind.EMAIL:
        if direction == OUTBOUND:
            return [p.address for p in o.parties if p.address in others and p.role != Role.ATTENDEE]
        return [o.sender.address] if o.sender and o.sender.address in others else []
    if "cancelled" in o.signals:
        return []
    responses = {p.address: p.response for p in o.parties}
    if any(responses.get(a) == Response.DECLINED for a in policy.me):
        return []
    return [a for a in others if responses.get(a) != Response.DECLINED]


def learned_cadence_from_days(days: Sequence[int]) -> int | None:
    """As `learned_cadence`, for sorted distinct day numbers (days since the epoch)."""
    if len(days) < LEARN_MIN_CONTACTS:
        return None
    gaps = [b - a for a, b in pairwise(days)]
    learned = round(LEARN_FACTOR * median(gaps))
    return max(LEARN_MIN_DAYS, min(LEARN_MAX_DAYS, learned))


def cadence(set_days: int | None, learned_days: int | None, default_days: int) -> tuple[int, str]:
    if set_days is not None:
        return set_days, "set"
    if learned_days is not None:
        return learned_days, "learned"
    return default_days, "default"


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fw|fwd|wg)\s*(?:\[\d+\])?\s*:\s*)+", re.I)


def bare_subject(subject: str) -> str:
    """A subject without its reply and forward prefixes, for matching a reply to its mail."""
    return _REPLY_PREFIX.sub("", subject).strip().casefold()


def is_plausible_date(when: datetime, now: datetime) -> bool:
    return EARLIEST_PLAUSIBLE <= when <= now + FUTURE_SLACK


def learned_by_address(rows: Iterable[tuple[str, int]]) -> Iterator[tuple[str, int | None]]:
    """Learned cadence per address from (address, at) rows sorted by address."""
    current: str | None = None
    days: list[int] = []
    for address, at in rows:
        if address != current:
            if current is not None:
                yield current, learned_cadence_from_days(days)
            current, days = address, []
        day = at // DAY
        if not days or days[-1] != day:
            days.append(day)
    if current is not None:
        yield current, learned_cadence_from_days(days)
