"""The door: salted hashes only, and what they take out of text and observations."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.forgetting import FORGOTTEN, Door, name_keys, salted
from kithkeep.domain.interaction import Kind, Observation, Party


def door_for(addresses: list[str], names: list[str]) -> Door:
    salt = "s4lt"
    keys = name_keys(names, addresses)
    return Door(
        salt,
        frozenset(salted(salt, a) for a in addresses),
        frozenset(salted(salt, k) for k in keys),
    )


DOOR = door_for(["susan.scott@enron.com"], ["Scott, Susan M."])


def test_names_and_addresses_are_scrubbed_in_the_ways_mail_writes_them() -> None:
    assert DOOR.scrub("Susan Scott's expense report") == f"{FORGOTTEN}'s expense report"
    assert DOOR.scrub("Susan Scotts Expense Report") == f"{FORGOTTEN} Expense Report"
    assert DOOR.scrub("fwd: SCOTT, SUSAN re lunch") == f"fwd: {FORGOTTEN} re lunch"
    assert DOOR.scrub("ask Susan.Scott@Enron.com") == f"ask {FORGOTTEN}"
    assert DOOR.scrub("Susan M. Scott, again") == f"{FORGOTTEN}, again"
    for kept in ("Susan Smith's report", "Scott Neal", "susan", "kim.scott@enron.com"):
        assert DOOR.scrub(kept) == kept


def test_the_door_keeps_no_address_or_name_in_clear() -> None:
    text = repr(DOOR)
    assert "susan" not in text.lower() and "scott" not in text.lower()


def test_an_observation_loses_the_forgotten_party_and_keeps_the_rest() -> None:
    o = Observation(
        Kind.EMAIL,
        "mail:1",
        datetime(2001, 1, 1, tzinfo=UTC),
        Party("susan.scott@enron.com", "Susan Scott"),
        (Party("drew.fossum@enron.com"), Party("kim@enron.com", "Kim", "cc")),
        "Susan Scott's expense report",
    )
    out = DOOR.observation(o)
    assert out.sender is None
    assert out.parties == o.parties
    assert out.subject == f"{FORGOTTEN}'s expense report"
    assert out.natural_key == o.natural_key and isinstance(out, Observation)
    plain = o._replace(sender=Party("kim@enron.com"), subject="hello")
    assert DOOR.observation(plain) is plain


@given(st.text(max_size=200))
def test_scrubbing_any_text_never_fails_and_is_idempotent(text: str) -> None:
    once = DOOR.scrub(text)
    assert DOOR.scrub(once) == once
