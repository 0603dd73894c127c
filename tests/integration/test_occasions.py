"""Birthdays and anniversaries in `upcoming` and the digest, with a fixed clock.

Each is shown once (a person with two cards has one birthday), in the right week,
whatever the year; 29 February comes round on the 28th in a common year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from kithkeep.domain.card import Card
from kithkeep.domain.interaction import Kind, Observation, Party
from kithkeep.projections.occasions import upcoming
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases.digest import build
from kithkeep.services.usecases.views import read_views

ME = "me@example.com"
LAST = datetime(2026, 9, 20, 9, tzinfo=UTC)  # the last mail with Dee

CARDS = [
    Card("vcard:dee", "Dee Ramos", ("dee@initech.example",), "Initech", "", "--02-29", "", "vcard"),
    # Dee again, from another address book: her birthday is still one birthday.
    Card(
        "google:c1", "Dee Ramos", ("dee@initech.example", "dee@mail.example"), birthday="1990-02-29"
    ),
    Card("vcard:ada", "Ada Kim", ("ada@x.example",), "", "", "1984-03-15", "2012-03-02", "vcard"),
    Card("vcard:gran", "Gran", (), birthday="--12-31", source="vcard"),  # no address
]


def at(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 8, tzinfo=UTC).timestamp())


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    write_config(Paths(tmp_path), [ME], force=True)
    s = load(tmp_path)
    with open_runtime(s) as rt:
        rt.store.save_page(
            "mail",
            [Observation(Kind.EMAIL, "k1", LAST, Party(ME), (Party("dee@mail.example"),), "hi")],
            "m",
        )
        rt.store.save_page("book", [], "b", cards=CARDS)
        rt.project(LAST)
    return s


def found(settings: Any, day: date, days: int) -> list[tuple[str, str, date, int | None]]:
    conn = read_views(settings)
    try:
        got = upcoming(conn, at=at(day), days=days, default_cadence=180)
    finally:
        conn.close()
    return [(o.name, o.kind, o.on, o.years) for o in got]


@pytest.mark.parametrize(
    ("today", "on"),
    [
        (date(2027, 2, 22), date(2027, 2, 28)),  # a common year: on the 28th
        (date(2028, 2, 24), date(2028, 2, 29)),  # a leap year: on the day
        (date(2100, 2, 22), date(2100, 2, 28)),  # 2100 is no leap year
    ],
)
def test_29_february_once_in_the_right_week(settings: Any, today: date, on: date) -> None:
    assert found(settings, today, 6) == [("Dee Ramos", "birthday", on, on.year - 1990)]


def test_not_before_its_week_nor_after_it(settings: Any) -> None:
    assert found(settings, date(2027, 2, 20), 6) == []
    assert found(settings, date(2027, 3, 1), 6) == [  # the 28th has gone by
        ("Ada Kim", "anniversary", date(2027, 3, 2), 15)
    ]
    assert found(settings, date(2027, 3, 9), 6) == [("Ada Kim", "birthday", date(2027, 3, 15), 43)]


def test_across_the_turn_of_the_year_and_without_an_address(settings: Any) -> None:
    assert found(settings, date(2026, 12, 28), 6) == [
        ("Gran", "birthday", date(2026, 12, 31), None)
    ]


def test_the_digest_says_it_in_a_sentence(settings: Any) -> None:
    conn = read_views(settings)
    try:
        today = build(conn, settings.policy(), at(date(2027, 2, 22)), None)
    finally:
        conn.close()
    text = today.text(10)
    # 2027-02-28 is a Sunday; the last mail was five months before.
    assert "- Dee Ramos's birthday is on Sunday — last contact 5 months ago" in text
    assert text.count("birthday") == 1
    assert today.as_json(10)["occasions"] == [
        {
            "on": "2027-02-28",
            "kind": "birthday",
            "name": "Dee Ramos",
            "addresses": ["dee@initech.example", "dee@mail.example"],
            "last_contact": "2026-09-20T09:00:00+00:00",
            "years": 37,
        }
    ]
