"""The strength rules as SQL compute what the Python rules compute, to the last bit."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.strength import Bond, at_stake, half_life, is_one_way, strength, tier
from kithkeep.domain.strength_sql import (
    Figures,
    at_stake_sql,
    half_life_sql,
    one_way_sql,
    recency_sql,
    strength_sql,
    tier_sql,
)

F = Figures(":first", ":last", ":n", ":w_out", ":w_in", ":w_meet", ":learned", ":replies")
DAY = 86400
NOW, THEN = strength_sql(F, ":at"), strength_sql(F, ":last")
SELECT = (
    f"SELECT {NOW}, {THEN}, {at_stake_sql(THEN, F, ':at', ':days')}, {tier_sql(F, NOW)}, "
    f"{one_way_sql(F)}, {half_life_sql(F)}, :worth * {recency_sql(F, ':at', ':kept')}"
)

weights = st.integers(0, 50_000)


@st.composite
def bonds(draw: st.DrawFn) -> tuple[Bond, int, int]:
    first = draw(st.integers(0, 2_000_000_000))
    last = first + draw(st.integers(0, 3650 * DAY))
    n = draw(st.integers(1, 5000))
    learned = draw(st.none() | st.integers(14, 365))
    b = Bond(first, last, n, draw(weights), draw(weights), draw(weights), learned,
             draw(st.integers(0, 300)))  # fmt: skip
    at = last + draw(st.integers(0, 4000 * DAY))
    return b, at, draw(st.integers(1, 400))


@given(bonds())
def test_the_sql_rules_give_the_python_rules_doubles(case: tuple[Bond, int, int]) -> None:
    b, at, days = case
    c = sqlite3.connect(":memory:")
    # What the views keep of the figures (`PeopleView._standing`), as Python works it out.
    kept = {"worth": strength(b, b.last or 0), "kept": half_life(b)}
    row = c.execute(SELECT, {**b._asdict(), "at": at, "days": days, **kept}).fetchone()
    s = strength(b, at)
    assert row[0] == s  # exactly: the same operations on the same doubles
    assert row[1] == strength(b, b.last)
    assert row[2] == at_stake(b, at, days)
    assert row[3] == tier(b, s)
    assert bool(row[4]) == is_one_way(b)
    assert row[5] == half_life(b)
    # The strength now from the kept worth and half-life: the very same double.
    assert row[6] == s


def test_a_relationship_never_in_touch_is_worth_nothing() -> None:
    c = sqlite3.connect(":memory:")
    none = Bond(None, None, 0, 0, 0, 0, None, 0)
    kept = {"worth": 0.0, "kept": half_life(none)}
    row = c.execute(SELECT, {**none._asdict(), "at": 10, "days": 30, **kept}).fetchone()
    assert row[:3] == (0.0, 0.0, 0.0) == (strength(none, 10), 0.0, at_stake(none, 10, 30))
