"""The domain rules, pure: self, noise, direction, contact, cadence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.interaction import Kind, Observation, Party, Response, Role
from kithkeep.domain.people import Directory, best_name
from kithkeep.domain.rules import (
    INBOUND,
    OUTBOUND,
    Policy,
    cadence,
    is_plausible_date,
    judge,
    learned_cadence_from_days,
    normalize_address,
)

ME = Policy.of(["Me@Example.com", "alias@example.com"])
T = datetime(2024, 3, 1, 12, tzinfo=UTC)


def mail(
    sender: str, *to: str, signals: tuple[str, ...] = (), cc: tuple[str, ...] = ()
) -> Observation:
    parties = tuple(Party(a) for a in to) + tuple(Party(a, role=Role.CC) for a in cc)
    return Observation(Kind.EMAIL, "k", T, Party(sender), parties, signals=signals)


def meeting(
    organizer: str, *attendees: tuple[str, str], signals: tuple[str, ...] = ()
) -> Observation:
    parties = tuple(Party(a, role=Role.ATTENDEE, response=r) for a, r in attendees)
    return Observation(Kind.MEETING, "m", T, Party(organizer), parties, signals=signals)


def test_self_is_case_insensitive_and_outbound_counts_each_recipient() -> None:
    j = judge(mail("ME@example.com", "a@x.com", "alias@example.com", cc=("b@x.com",)), ME)
    assert j.direction == OUTBOUND
    assert j.contacts == ("a@x.com", "b@x.com")


def test_inbound_counts_for_the_sender_only() -> None:
    j = judge(mail("a@x.com", "me@example.com", "b@x.com"), ME)
    assert (j.direction, j.contacts) == (INBOUND, ("a@x.com",))


def test_noise_is_recorded_with_its_reasons_and_is_no_contact() -> None:
    cases = {
        ("list-id",): "list-id",
        ("list-unsubscribe",): "list-unsubscribe",
        ("precedence:bulk",): "precedence:bulk",
        ("auto-submitted:auto-replied",): "auto-submitted",
        ("draft",): "draft",
    }
    for signals, reason in cases.items():
        j = judge(mail("a@x.com", "me@example.com", signals=signals), ME)
        assert reason in j.noise and j.contacts == ()
    assert judge(mail("a@x.com", "me@example.com", signals=("auto-submitted:no",)), ME).noise == ()
    assert judge(mail("a@x.com", signals=("precedence:first-class",)), ME).noise == ()
    automated = ("no-reply@x.com", "noreply@x.com", "notifications@x.com",
                 "mailer-daemon@x.com", "postmaster@x.com", "do-not-reply@x.com")  # fmt: skip
    for sender in automated:
        assert "automated-sender" in judge(mail(sender, "me@example.com"), ME).noise
    crowd = [f"p{i}@x.com" for i in range(16)]
    assert "audience" in judge(mail("me@example.com", *crowd), ME).noise
    assert judge(mail("me@example.com", *crowd[:15]), ME).noise == ()


def test_meetings_count_for_attendees_unless_declined_or_cancelled() -> None:
    m = meeting(
        "a@x.com",
        ("me@example.com", Response.ACCEPTED),
        ("b@x.com", Response.DECLINED),
        ("c@x.com", Response.TENTATIVE),
    )
    assert judge(m, ME).contacts == ("a@x.com", "c@x.com")
    declined = meeting("a@x.com", ("me@example.com", Response.DECLINED), ("c@x.com", ""))
    assert judge(declined, ME).contacts == ()
    cancelled = meeting("a@x.com", ("c@x.com", ""), signals=("cancelled",))
    assert judge(cancelled, ME).contacts == ()
    assert judge(meeting("me@example.com", ("c@x.com", "")), ME).direction == OUTBOUND


def test_learned_cadence_is_one_and_a_half_median_gaps_within_bounds() -> None:
    # One gap is enough to learn from (two contact days); one day is not.
    assert learned_cadence_from_days([10]) is None
    assert learned_cadence_from_days([0, 10]) == 15
    assert learned_cadence_from_days([0, 100]) == 150
    assert learned_cadence_from_days([0, 10, 20]) == 15
    assert learned_cadence_from_days([0, 20, 40, 60]) == 30
    assert learned_cadence_from_days([0, 1, 2, 3, 4]) == 14
    assert learned_cadence_from_days([0, 400, 800, 1200]) == 365
    assert cadence(90, 30, 180) == (90, "set")
    assert cadence(None, 30, 180) == (30, "learned")
    assert cadence(None, None, 180) == (180, "default")


@given(st.lists(st.integers(0, 20000), min_size=3, unique=True))
def test_learned_cadence_stays_in_bounds(days: list[int]) -> None:
    learned = learned_cadence_from_days(sorted(days))
    assert learned is not None and 14 <= learned <= 365


def test_plausible_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert is_plausible_date(datetime(1990, 1, 1, tzinfo=UTC), now)
    assert not is_plausible_date(datetime(1989, 12, 31, tzinfo=UTC), now)
    assert is_plausible_date(now + timedelta(hours=23), now)
    assert not is_plausible_date(now + timedelta(days=2), now)


def test_normalize_address() -> None:
    assert normalize_address(" <MAILTO:Jo@X.Com> ") == "jo@x.com"
    assert normalize_address("not an address") == ""
    assert normalize_address("") == ""


def test_directory_links_ignores_and_names() -> None:
    d = Directory(
        links=[("b@x.com", "a@y.com"), ("c@z.com", "b@x.com")], ignored={"@spam.com", "x@q.com"}
    )
    groups = d.groups(["a@y.com", "b@x.com", "c@z.com", "solo@x.com"])
    assert groups["c@z.com"] == groups["b@x.com"] == groups["a@y.com"] == "a@y.com"
    assert groups["solo@x.com"] == "solo@x.com"
    assert d.is_ignored("anyone@spam.com") and d.is_ignored("x@q.com")
    assert not d.is_ignored("x@spam.com.au")
    from collections import Counter

    assert best_name(Counter({"Bob": 2, "Robert": 2, "": 9})) == "Bob"


def test_naive_datetimes_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="timezone-aware"):
        Observation(Kind.EMAIL, "k", datetime(2024, 1, 1), None, ())


def test_due_includes_someone_due_today_and_orders_what_is_at_stake_first() -> None:
    from kithkeep.domain.strength import DUE, Bond, at_stake, state, strength
    from kithkeep.projections.queries import Answer, due

    b = Bond(0, 0, 10, 500, 500, 0, 30)
    assert state(b, 30 * 86400, 30, False) == DUE  # due today
    assert state(b, 30 * 86400 - 1, 30, False) == "active"
    # Half of what it was worth when last in touch is at stake the day it falls due,
    # all of it a full cadence later (and no more after that).
    worth = strength(b, 0)
    assert worth >= 50
    assert at_stake(b, 30 * 86400, 30) == worth / 2
    assert at_stake(b, 60 * 86400, 30) == at_stake(b, 90 * 86400, 30) == worth
    found = [
        Answer("a@x.com", "", None, 0, "{}", stake=10.0),
        Answer("b@x.com", "", None, 400, "{}", stake=2.5),
        Answer("c@x.com", "", None, 5, "{}", stake=30.0),
        Answer("d@x.com", "", None, 9, "{}", stake=10.0),
    ]
    assert [p.key for p in due(found)] == ["c@x.com", "a@x.com", "d@x.com", "b@x.com"]
