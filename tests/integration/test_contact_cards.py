"""Contact cards below the CLI: saved with their page, revised, withdrawn, and what the
people view makes of them (one person per card, the card's name, self's own card).

Every test runs on both back ends (`store_url`: SQLite files, then PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kithkeep.domain.card import Card
from kithkeep.domain.interaction import Kind, Observation, Party
from kithkeep.projections import queries
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases.views import read_views
from tests.pg import use_store

ME = "me@example.com"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = int((T0 + timedelta(days=30)).timestamp())


def mail(i: int, sender: str, name: str = "") -> Observation:
    return Observation(
        Kind.EMAIL, f"k{i}", T0 + timedelta(days=i), Party(sender, name), (Party(ME),), f"s{i}"
    )


def make_settings(home: Path, store_url: str = "") -> Any:
    write_config(Paths(home), [ME], force=True)
    use_store(home, store_url)
    return load(home)


ADA = Card("vcard:ada", "Ada Kim", ("ada@work.example",), "ACME", "CTO", "1984-03-15", "", "vcard")


def people(settings: Any) -> dict[tuple[str, ...], queries.Person]:
    conn = read_views(settings)
    try:
        found = queries.people(conn, now=NOW, default_cadence=180)
    finally:
        conn.close()
    return {p.addresses: p for p in found}


def test_a_card_is_no_interaction_and_a_second_save_adds_nothing(
    tmp_path: Path, store_url: str
) -> None:
    settings = make_settings(tmp_path, store_url)
    with open_runtime(settings) as rt:
        rt.store.save_page("mail", [mail(1, "ada@work.example", "A. K.")], "m1")
        first = rt.store.save_page("book", [], "b1", cards=[ADA])
        assert (first.added, first.cards) == (0, 1)
        events = rt.store.max_notification_id()
        again = rt.store.save_page("book", [], "b1", cards=[ADA])
        assert again.cards == 0
        assert rt.store.max_notification_id() == events
        rt.project()
    (p,) = people(settings).values()
    assert (p.name, p.interactions) == ("Ada Kim", 1)  # the card's name wins; no contact added
    assert p.as_json()["organization"] == "ACME"
    assert p.as_json()["birthday"] == "1984-03-15"
    assert p.as_json()["card_source"] == "vcard"


def test_a_new_address_on_a_card_makes_one_person_and_withdrawal_takes_only_the_card(
    tmp_path: Path, store_url: str
) -> None:
    settings = make_settings(tmp_path, store_url)
    with open_runtime(settings) as rt:
        rt.store.save_page(
            "mail", [mail(1, "ada@work.example", "A. K."), mail(2, "ada@home.example")], "m1"
        )
        rt.store.save_page("book", [], "b1", cards=[ADA])
        rt.project()
        assert set(people(settings)) == {("ada@work.example",), ("ada@home.example",)}
        both = ADA._replace(addresses=("ada@work.example", "ada@home.example"))
        assert rt.store.save_page("book", [], "b2", cards=[both]).cards == 1
        rt.project()
        (p,) = people(settings).values()
        assert (p.addresses, p.interactions) == (("ada@home.example", "ada@work.example"), 2)
        gone = rt.store.save_page("book", [], "b3", cards_withdrawn=["vcard:ada"])
        assert gone.cards_withdrawn == 1
        rt.project()
        after = people(settings)
        # The mail stays; the card's name and its link go with it.
        assert after[("ada@work.example",)].name == "A. K."
        assert after[("ada@work.example",)].card is None
        assert ("ada@home.example",) in after
        # Seen again: back, and the same as before.
        assert rt.store.save_page("book", [], "b4", cards=[both]).cards == 1
        rt.project()
        assert list(people(settings)) == [("ada@home.example", "ada@work.example")]
        rt.projector.rebuild(settings.policy(), NOW)
        assert list(people(settings)) == [("ada@home.example", "ada@work.example")]


def test_self_card_is_no_person(tmp_path: Path, store_url: str) -> None:
    settings = make_settings(tmp_path, store_url)
    mine = Card("vcard:me", "Me Myself", (ME, "me@home.example"), source="vcard")
    with open_runtime(settings) as rt:
        rt.store.save_page("mail", [mail(1, "me@home.example"), mail(2, "bo@x.example")], "m")
        rt.store.save_page("book", [], "b", cards=[mine])
        rt.project()
    assert list(people(settings)) == [("bo@x.example",)]
    conn = read_views(settings)
    try:
        from kithkeep.projections.book import address_book, own_suggestions

        assert own_suggestions(address_book(conn), [ME]) == [
            ("me@home.example", "on your own contact card")
        ]
    finally:
        conn.close()
