"""When a yearly date comes round: 29 February in common years, the turn of the year."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.card import month_day, next_date, within


def test_29_february_falls_on_the_28th_in_a_common_year_and_on_the_29th_in_a_leap_one() -> None:
    assert next_date("--02-29", date(2027, 2, 1)) == date(2027, 2, 28)
    assert next_date("1992-02-29", date(2028, 2, 1)) == date(2028, 2, 29)
    # Once the 28th has gone by in a common year, the next is the leap day after.
    assert next_date("--02-29", date(2027, 3, 1)) == date(2028, 2, 29)
    assert next_date("--02-29", date(2100, 3, 1)) == date(2101, 2, 28)  # 2100: no leap year


def test_the_window_crosses_the_turn_of_the_year() -> None:
    assert within("1980-01-02", date(2026, 12, 30), 7) == date(2027, 1, 2)
    assert within("1980-01-02", date(2026, 12, 30), 2) is None
    assert within("--12-30", date(2026, 12, 30), 0) == date(2026, 12, 30)  # today counts


def test_what_is_no_date() -> None:
    for junk in ("", "--13-01", "--02-30", "1990-04-31", "yesterday", "--0229", "19900101"):
        assert month_day(junk) is None, junk


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31)),  # any month-day
    st.integers(min_value=0, max_value=400),
)
def test_a_yearly_date_comes_round_once_a_year(today: date, md: date, days: int) -> None:
    value = f"--{md:%m-%d}"
    found = next_date(value, today)
    assert found is not None and today <= found < today + timedelta(days=367)
    assert (found.month, found.day) == (md.month, md.day) or (md.month, md.day) == (2, 29)
    hit = within(value, today, days)
    assert hit is None or hit == found
    assert (hit is not None) == ((found - today).days <= days)
