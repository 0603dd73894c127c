"""How strong a relationship is, what state it is in, and what is at stake: pure rules.

A relationship's strength (0-100) is worked out from a few running figures the views
keep per person (`Bond`), at any moment: how much contact there was (weighted by who
else was on it: a 1:1 counts more than a mail to twelve, a meeting twice a mail), how
evenly it went both ways, and how long it has been silent, measured against the
relationship's own rhythm and length (a long, steady relationship cools slowly, a
burst of mail fast). The weights are data (`Weights`), as the noise rules' are.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt
from typing import NamedTuple

from kithkeep.domain.interaction import Kind, Observation, Role
from kithkeep.domain.rules import DAY

CLOSE, REGULAR, ACQUAINTANCE, ONE_WAY = "close", "regular", "acquaintance", "one-way"
ACTIVE, DUE, DORMANT = "active", "due", "dormant"


@dataclass(frozen=True, slots=True)
class Weights:
    """The strength rules' numbers. Contact weights are whole numbers (hundredths of a
    1:1 mail) so that the views' running sums are exact in any order of adding."""

    #: A contact's weight by its audience (everyone on it but self), 1, 2, 3, ...;
    #: larger audiences take the last (beyond `max_audience` it is noise anyway).
    #: About 100 / sqrt(audience).
    audience: tuple[int, ...] = (100, 71, 58, 50, 45, 41, 38, 35, 33, 32, 30, 29, 28, 27, 26)
    #: How a reply's subject starts (three characters, lower case).
    reply_prefixes: tuple[str, ...] = ("re:", "aw:", "sv:")
    #: A meeting weighs this many mails of the same audience.
    meeting: int = 2
    #: Weighted contacts (in 1:1 mails) that make half the full volume.
    volume_half: float = 10.0
    #: Silence halves the strength after this many of the relationship's rhythms ...
    rhythm_half_lives: float = 2.0
    #: ... plus this share of its length (first to last contact, at most a month per contact).
    length_share: float = 0.1
    #: Bounds of that half-life, in days.
    half_life_days: tuple[int, int] = (30, 730)
    #: The rhythm of a history too short to learn one from: 1.5 x its mean gap, bounded.
    short_rhythm_days: tuple[int, int] = (14, 365)
    #: What the two-way factor is when contact never went both ways.
    one_way: float = 0.25
    #: Tier thresholds on the strength.
    close: float = 60.0
    regular: float = 30.0
    #: Dormant: silent more than this many rhythms, and more than this many days.
    dormant_rhythms: float = 4.0
    dormant_min_days: int = 365
    #: Fading: strength fell by more than this share over this many days.
    fading_drop: float = 1 / 3
    fading_days: int = 90

    def contact_weight(self, audience: int, meeting: bool) -> int:
        w = self.audience[min(max(audience, 1), len(self.audience)) - 1]
        return w * self.meeting if meeting else w

    def weight_sql(self, audience: str, how: str) -> str:
        """`contact_weight` as a SQL expression over an audience and a `how` column."""
        cases = " ".join(f"WHEN {i + 1} THEN {w}" for i, w in enumerate(self.audience))
        last = self.audience[-1]
        base = f"(CASE {audience} {cases} ELSE {last} END)"
        return f"(CASE WHEN {how} = 'meet' THEN {self.meeting} * {base} ELSE {base} END)"

    @staticmethod
    def reply_sql(replied: str, address: str, how: str) -> str:
        """1 where a contact row is self's reply to that address (`replied_to`), as SQL."""
        return f"(CASE WHEN {how} = 'out' AND {replied} = {address} THEN 1 ELSE 0 END)"

    def fingerprint(self) -> str:
        """What, if changed, means the views' running sums must be counted again."""
        replies = ",".join(self.reply_prefixes)
        return f"w:{','.join(map(str, self.audience))}x{self.meeting}|{replies}"


WEIGHTS = Weights()


class Bond(NamedTuple):
    """The running figures of one relationship (times in epoch seconds)."""

    first: int | None
    last: int | None
    n: int
    #: Weighted contacts (hundredths of a 1:1 mail): self's mail, theirs, meetings.
    w_out: int
    w_in: int
    w_meet: int
    #: The learned cadence, days (None: too short a history to learn it from).
    learned: int | None = None
    #: Self's replies to them (`replied_to`): evidence they wrote.
    replies: int = 0


def replied_to(o: Observation, w: Weights = WEIGHTS) -> str:
    """Whom self's mail answers: its first To recipient, if its subject says it is a
    reply ("Re: ..."; a reply, and a reply to all, are addressed to the one who wrote).
    Evidence that they wrote to self even where their mail is not at hand (an archive
    of sent mail only). '' for anything else."""
    if o.kind is not Kind.EMAIL or o.subject.lstrip()[:3].lower() not in w.reply_prefixes:
        return ""
    for p in o.parties:
        if p.role == Role.TO and p.address != (o.sender.address if o.sender else ""):
            return p.address
    return ""


def is_one_way(b: Bond) -> bool:
    """Self never wrote to them, or they never wrote back, and no meeting: no relationship."""
    return not ((b.w_out > 0 and (b.w_in > 0 or b.replies > 0)) or b.w_meet > 0)


def rhythm(b: Bond, w: Weights = WEIGHTS) -> float:
    """The relationship's own rhythm in days: learned, else from its mean gap."""
    if b.learned is not None:
        return float(b.learned)
    low, high = w.short_rhythm_days
    if b.first is None or b.last is None or b.n < 2:
        return float(low)
    gap = 1.5 * (b.last - b.first) / DAY / (b.n - 1)
    return min(float(high), max(float(low), gap))


def half_life(b: Bond, w: Weights = WEIGHTS) -> float:
    """Days of silence that halve the strength: longer for a long, steady relationship."""
    low, high = w.half_life_days
    if b.first is None or b.last is None:
        return float(low)
    length = min((b.last - b.first) / DAY, 30.0 * b.n)
    h = w.rhythm_half_lives * rhythm(b, w) + w.length_share * length
    return min(float(high), max(float(low), h))


def volume(b: Bond, w: Weights = WEIGHTS) -> float:
    """Share (0-1) of the full volume: saturates, half at `volume_half` 1:1 mails."""
    return 1.0 - float(0.5 ** ((b.w_out + b.w_in + b.w_meet) / 100.0 / w.volume_half))


def balance(b: Bond, w: Weights = WEIGHTS) -> float:
    """How evenly contact goes both ways (0.5-1); `one_way` if it never did."""
    if is_one_way(b):
        return w.one_way
    # Each reply of self's stands for at least one mail of theirs.
    w_in = max(b.w_in, w.audience[0] * b.replies)
    hi = max(b.w_out, w_in) + b.w_meet
    even = (min(b.w_out, w_in) + b.w_meet) / hi if hi else 0.0
    return 0.5 + 0.5 * sqrt(even)


def recency(b: Bond, at: int, w: Weights = WEIGHTS) -> float:
    if b.last is None:
        return 0.0
    silent = max(0, at - b.last) / DAY
    return float(0.5 ** (silent / half_life(b, w)))


def strength(b: Bond, at: int, w: Weights = WEIGHTS) -> float:
    """0-100 at the moment `at` (contacts after `at` must not be in `b`)."""
    if b.last is None or b.n == 0:
        return 0.0
    return 100.0 * volume(b, w) * balance(b, w) * recency(b, at, w)


def tier(b: Bond, s: float, w: Weights = WEIGHTS) -> str:
    if is_one_way(b):
        return ONE_WAY
    return CLOSE if s >= w.close else REGULAR if s >= w.regular else ACQUAINTANCE


def state(b: Bond, at: int, cadence_days: int, cadence_set: bool, w: Weights = WEIGHTS) -> str:
    """`active` within its rhythm (the cadence), `due` past it, `dormant` silent far
    beyond it (more than `dormant_rhythms` rhythms and more than `dormant_min_days`),
    `one-way` if it is no relationship (unless self set a cadence for them)."""
    if b.last is None or (is_one_way(b) and not cadence_set):
        return ONE_WAY
    silent = at - b.last
    if silent < cadence_days * DAY:
        return ACTIVE
    horizon = max(w.dormant_rhythms * cadence_days, float(w.dormant_min_days)) * DAY
    return DORMANT if silent > horizon else DUE


def at_stake(b: Bond, at: int, cadence_days: int, w: Weights = WEIGHTS) -> float:
    """What a due relationship puts at stake: what it was worth when last in touch (its
    strength then: the silence since is what is late, not a loss already taken), by how
    far past its rhythm it is (half on the day it falls due, whole a rhythm later)."""
    if b.last is None:
        return 0.0
    late = (at - b.last) / DAY / cadence_days - 1.0
    return strength(b, b.last, w) * (1.0 + min(1.0, max(0.0, late))) / 2.0


def is_fading(before: float, before_tier: str, now: float, w: Weights = WEIGHTS) -> bool:
    """Close or regular `fading_days` ago, and its strength fell by more than `fading_drop`."""
    return before_tier in (CLOSE, REGULAR) and now < before * (1.0 - w.fading_drop)
