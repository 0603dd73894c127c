"""The strength rules of `strength.py` as SQLite expressions, for SQLite to work out what
is at stake for thousands of people in the statement that writes their JSON.

Each expression does what its Python twin does, operation for operation and in the same
order, so that SQLite (whose `pow` and `sqrt` are C's, as Python's are) computes the very
same doubles: `tests/unit/test_strength_sql.py` holds them equal on any figures. The
arguments are SQL expressions for a `Bond`'s fields (`Figures`) and for the moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from kithkeep.domain.rules import DAY
from kithkeep.domain.strength import ACQUAINTANCE, CLOSE, ONE_WAY, REGULAR, WEIGHTS, Weights


@dataclass(frozen=True, slots=True)
class Figures:
    """SQL expressions for a relationship's running figures (a `Bond`'s fields)."""

    first: str
    last: str
    n: str
    w_out: str
    w_in: str
    w_meet: str
    learned: str
    replies: str


def _clamp(x: str, low: float, high: float) -> str:
    """`min(high, max(low, x))`: SQLite's scalar min and max work `x` out once."""
    return f"min({high!r}, max({low!r}, {x}))"


def one_way_sql(f: Figures) -> str:
    """`strength.is_one_way`: a condition."""
    return f"(NOT (({f.w_out} > 0 AND ({f.w_in} > 0 OR {f.replies} > 0)) OR {f.w_meet} > 0))"


def rhythm_sql(f: Figures, w: Weights = WEIGHTS) -> str:
    low, high = (float(d) for d in w.short_rhythm_days)
    gap = f"(1.5 * ({f.last} - {f.first}) / {DAY} / ({f.n} - 1))"
    return (
        f"(CASE WHEN {f.learned} IS NOT NULL THEN {f.learned} * 1.0 "
        f"WHEN {f.first} IS NULL OR {f.last} IS NULL OR {f.n} < 2 THEN {low!r} "
        f"ELSE {_clamp(gap, low, high)} END)"
    )


def half_life_sql(f: Figures, w: Weights = WEIGHTS) -> str:
    low, high = (float(d) for d in w.half_life_days)
    length = f"min(({f.last} - {f.first}) / {float(DAY)!r}, 30.0 * {f.n})"
    h = f"({w.rhythm_half_lives!r} * {rhythm_sql(f, w)} + {w.length_share!r} * {length})"
    unknown = f"{f.first} IS NULL OR {f.last} IS NULL"
    return f"(CASE WHEN {unknown} THEN {low!r} ELSE {_clamp(h, low, high)} END)"


def volume_sql(f: Figures, w: Weights = WEIGHTS) -> str:
    weighed = f"({f.w_out} + {f.w_in} + {f.w_meet})"
    return f"(1.0 - pow(0.5, {weighed} / 100.0 / {w.volume_half!r}))"


def balance_sql(f: Figures, w: Weights = WEIGHTS) -> str:
    w_in = f"max({f.w_in}, {w.audience[0]} * {f.replies})"
    hi = f"(max({f.w_out}, {w_in}) + {f.w_meet})"
    lo = f"(min({f.w_out}, {w_in}) + {f.w_meet})"
    even = f"(CASE WHEN {hi} <> 0 THEN {lo} * 1.0 / {hi} ELSE 0.0 END)"
    return f"(CASE WHEN {one_way_sql(f)} THEN {w.one_way!r} ELSE 0.5 + 0.5 * sqrt({even}) END)"


def recency_sql(f: Figures, at: str, half_life: str | None = None, w: Weights = WEIGHTS) -> str:
    """`strength.recency`; `half_life` an expression for `half_life_sql`'s value, if kept."""
    silent = f"(CASE WHEN {at} - {f.last} > 0 THEN {at} - {f.last} ELSE 0 END)"
    days = half_life_sql(f, w) if half_life is None else half_life
    return f"pow(0.5, {silent} / {float(DAY)!r} / {days})"


def strength_sql(f: Figures, at: str, w: Weights = WEIGHTS) -> str:
    """`strength.strength` at the moment `at` (0-100)."""
    product = f"100.0 * {volume_sql(f, w)} * {balance_sql(f, w)} * {recency_sql(f, at, w=w)}"
    return f"(CASE WHEN {f.last} IS NULL OR {f.n} = 0 THEN 0.0 ELSE {product} END)"


def at_stake_sql(worth: str, f: Figures, at: str, days: str) -> str:
    """`strength.at_stake`, given the strength when last in touch (`worth`)."""
    late = _clamp(f"(({at} - {f.last}) / {float(DAY)!r} / {days} - 1.0)", 0.0, 1.0)
    return f"(CASE WHEN {f.last} IS NULL THEN 0.0 ELSE {worth} * (1.0 + {late}) / 2.0 END)"


def tier_sql(f: Figures, strength: str, w: Weights = WEIGHTS) -> str:
    """`strength.tier`, given the strength now."""
    return (
        f"(CASE WHEN {one_way_sql(f)} THEN '{ONE_WAY}' WHEN {strength} >= {w.close!r} "
        f"THEN '{CLOSE}' WHEN {strength} >= {w.regular!r} THEN '{REGULAR}' "
        f"ELSE '{ACQUAINTANCE}' END)"
    )
