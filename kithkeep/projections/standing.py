"""Where each relationship stands: strength, tier, state, fading, what is at stake, why.

The running figures come from the views (`stats`, kept by the projector, or counted
from the participant rows up to an `--as-of` moment); the rules are the domain's
(`domain/strength.py`), applied at the moment asked about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from json import dumps
from typing import NamedTuple

from kithkeep.domain.people import Totals
from kithkeep.domain.rules import DAY, learned_by_address
from kithkeep.domain.strength import (
    DUE,
    WEIGHTS,
    Bond,
    at_stake,
    is_fading,
    state,
    strength,
    tier,
)
from kithkeep.projections.reading import ReadConnection

_WEIGHT = WEIGHTS.weight_sql("i.audience", "p.how")

#: Each address's totals, counted from its contact rows up to a moment (`{where}`
#: narrows the addresses), in the columns of `stats`.
TOTALS_AS_OF = (
    "SELECT p.address, min(p.at), max(p.at), "
    "max(CASE WHEN p.how = 'out' THEN p.at END), max(CASE WHEN p.how = 'in' THEN p.at END), "
    "max(CASE WHEN p.how = 'meet' THEN p.at END), count(*), "
    + ", ".join(
        f"sum(CASE WHEN p.how = '{how}' THEN {_WEIGHT} ELSE 0 END)" for how in ("out", "in", "meet")
    )
    + f", sum({WEIGHTS.reply_sql('i.replied', 'p.address', 'p.how')})"
    + " FROM participants p JOIN interactions i ON i.iid = p.iid "
    "WHERE p.contact = 1 AND p.at <= ? {where} GROUP BY p.address"
)


def totals_row(row: Sequence[int | None]) -> Totals:
    """A `TOTALS_AS_OF` row (without its address) as Totals."""
    first, last, lo, li, lm, n, wo, wi, wm, replies = (int(v or 0) for v in row)
    return Totals(first, last, lo or None, li or None, lm or None, n, None, wo, wi, wm, replies)


def bond(t: Totals, learned: int | None) -> Bond:
    return Bond(t.first, t.last, t.n, t.w_out, t.w_in, t.w_meet, learned, t.replies)


class Standing(NamedTuple):
    """Where one relationship stands at a moment."""

    strength: float
    tier: str
    state: str
    #: strength when last in touch x lateness, for those due (else 0).
    stake: float

    def fields(self) -> dict[str, object]:
        return {"strength": round(self.strength), "tier": self.tier, "state": self.state}


def standing(b: Bond, at: int, cadence_days: int, cadence_set: bool) -> Standing:
    s = strength(b, at)
    st = state(b, at, cadence_days, cadence_set)
    stake = at_stake(b, at, cadence_days) if st == DUE else 0.0
    return Standing(s, tier(b, s), st, stake)


def why(b: Bond, s: Standing, at: int, cadence_days: int, source: str) -> str:
    """One line: why this relationship is in the list."""
    silent = (at - (b.last or at)) // DAY
    then = round(strength(b, b.last)) if b.last is not None else 0
    return (
        f"{s.tier}, strength {round(s.strength)} ({then} when last in touch): "
        f"silent {silent}d, rhythm {cadence_days}d ({source})"
    )


def due_fields(b: Bond, s: Standing, at: int, cadence_days: int, source: str) -> str:
    """The JSON members a `due` row adds (text, to append to an object SQLite wrote)."""
    return (
        f',"strength":{round(s.strength)},"tier":"{s.tier}","state":"{s.state}",'
        f'"at_stake":{round(s.stake, 1)},"why":{dumps(why(b, s, at, cadence_days, source))}'
    )


def bonds_at(
    c: ReadConnection, groups: Mapping[str, Sequence[str]], moment: int
) -> dict[str, Bond]:
    """Each person's running figures as they stood at `moment`, counted from the rows
    of their addresses (looked up by address: quick for a few hundred people)."""
    key_of = {a: key for key, members in groups.items() for a in members}
    addresses = sorted(key_of)
    totals: dict[str, Totals] = {}
    times: list[tuple[str, int]] = []
    for i in range(0, len(addresses), 500):
        chunk = addresses[i : i + 500]
        marks = ",".join("?" * len(chunk))
        query = TOTALS_AS_OF.format(where=f"AND p.address IN ({marks})")
        for a, *rest in c.execute(query, [moment, *chunk]):
            totals.setdefault(key_of[a], Totals()).merge(totals_row(rest))
        times.extend(
            (key_of[a], at)
            for a, at in c.execute(
                "SELECT address, at FROM participants WHERE contact = 1 AND at <= ? "
                f"AND address IN ({marks})",
                [moment, *chunk],
            )
        )
    learned = dict(learned_by_address(sorted(times)))
    return {key: bond(t, learned.get(key)) for key, t in totals.items()}


def fading(
    c: ReadConnection,
    people: Sequence[tuple[str, Sequence[str], Bond, float]],
    at: int,
) -> set[str]:
    """Of (key, addresses, figures now, strength now), the keys of those fading at `at`:
    close or regular `fading_days` before, and weaker by more than a third since.

    Someone silent all that time stood then on the figures they have now; only those
    in touch since are counted again as they stood then.
    """
    then = at - WEIGHTS.fading_days * DAY
    recent = {key: members for key, members, b, _ in people if b.last is not None and b.last > then}
    before = bonds_at(c, recent, then) if recent else {}
    out: set[str] = set()
    for key, _, b, now in people:
        old = before.get(key) if key in recent else b
        if old is None or old.last is None:
            continue
        s = strength(old, then)
        if is_fading(s, tier(old, s), now):
            out.add(key)
    return out


def facts(c: ReadConnection, addresses: Sequence[str], at: int, b: Bond) -> list[str]:
    """The three facts that weigh most in this relationship's strength, as plain phrases
    ("47 two-way threads; last met 12d ago; you start 70%")."""
    marks = ",".join("?" * len(addresses))
    threads: dict[str, list[str]] = defaultdict(list)
    meetings = 0
    for thread, how in c.execute(
        "SELECT i.thread, p.how FROM participants p JOIN interactions i ON i.iid = p.iid "
        f"WHERE p.contact = 1 AND p.at <= ? AND p.address IN ({marks}) ORDER BY p.at, p.iid",
        [at, *addresses],
    ):
        if how == "meet":
            meetings += 1
        else:
            threads[thread].append(how)
    two_way = sum(1 for hows in threads.values() if "out" in hows and "in" in hows)
    started = sum(1 for hows in threads.values() if hows[0] == "out")
    answered = sum(
        1 for hows in threads.values() if "out" in hows and "in" in hows[hows.index("out") :]
    )
    asked = sum(1 for hows in threads.values() if "out" in hows)
    silent = None if b.last is None else (at - b.last) // DAY
    weighed: list[tuple[float, str]] = []
    total = b.w_out + b.w_in + b.w_meet or 1
    weighed.append((two_way / max(1, len(threads)), f"{two_way} two-way threads of {len(threads)}"))
    if meetings and b.w_meet:
        last_met = c.execute(
            "SELECT max(at) FROM participants WHERE contact = 1 AND how = 'meet' AND at <= ? "
            f"AND address IN ({marks})",
            [at, *addresses],
        ).fetchone()[0]
        weighed.append(
            (b.w_meet / total, f"{meetings} meetings, last met {(at - last_met) // DAY}d ago")
        )
    if threads:
        share = started / len(threads)
        weighed.append((abs(share - 0.5) + 0.25, f"you start {share:.0%} of threads"))
    if asked:
        weighed.append((1 - answered / asked, f"they answer {answered / asked:.0%} of yours"))
    if silent is not None:
        weighed.append((min(1.0, silent / 365), f"last contact {silent}d ago"))
    weighed.sort(key=lambda f: -f[0])
    return [text for _, text in weighed[:3]]
