"""vCard files into contact cards: versions 2.1, 3.0 and 4.0, and what breaks them."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.connectors.base import Problem
from kithkeep.connectors.vcard import parse_card, parse_cards
from kithkeep.domain.card import Card

CORPUS = Path(__file__).resolve().parents[1] / "data" / "vcards"


def cards_of(name: str) -> list[Card | Problem]:
    return list(parse_cards((CORPUS / name).read_bytes(), origin=name))


def test_apple_v3_groups_labels_folds_and_a_broken_card() -> None:
    ada, bo, grandma, broken, cy = cards_of("apple-v3.vcf")
    assert isinstance(ada, Card)
    assert ada.addresses == ("ada.kim@kimpartners.example", "ada@home.example")
    assert (ada.organization, ada.title) == ("Kim & Partners Consulting", "Managing Partner")
    assert (ada.birthday, ada.anniversary) == ("1984-03-15", "2012-06-09")  # X-ABDATE, labelled
    assert ada.key == "vcard:3F1E2A10-0000-4000-8000-ADA000000001"
    assert isinstance(bo, Card)
    # A folded line, an unescaped comma, one address twice in two cases.
    assert bo.name == (
        "Bo Okafor, Head of Partnerships at a Company With a Rather Long Name Indeed"
    )
    assert bo.addresses == ("bo@globex.example", "bo.okafor@mail.example")
    assert isinstance(grandma, Card)
    assert (grandma.addresses, grandma.birthday) == ((), "--02-29")  # Apple's year 1604
    assert broken == Problem("malformed contact card", "apple-v3.vcf#4")
    assert isinstance(cy, Card) and cy.key.startswith("vcard:sha1:")


def test_v4_dates_without_a_year_mailto_and_an_unterminated_card() -> None:
    dee, eve, unclosed, fay = cards_of("google-v4.vcf")
    assert isinstance(dee, Card)
    assert dee.addresses == ("dee@initech.example", "dee.ramos@mail.example")
    assert (dee.birthday, dee.anniversary) == ("--02-29", "2015-07-04")
    assert isinstance(eve, Card) and (eve.birthday, eve.organization) == ("--12-24", "Initech")
    assert isinstance(unclosed, Problem)
    assert isinstance(fay, Card) and fay.birthday == "1990-01-01"


def test_v21_quoted_printable_with_a_soft_line_break() -> None:
    jm, junk = cards_of("nokia-v21.vcf")
    assert isinstance(jm, Card)
    assert jm.name == "Jürgen Müller-Lüdenscheidt von der Großen Straße"
    assert jm.organization == "Bäckerei Müller GmbH"
    assert jm.addresses == ("juergen@baeckerei.example", "jm@privat.example")
    assert isinstance(junk, Problem)


def test_a_card_keeps_its_key_when_nothing_changed() -> None:
    data = (CORPUS / "apple-v3.vcf").read_bytes()
    assert list(parse_cards(data, origin="a")) == list(parse_cards(data, origin="a"))


def test_control_characters_never_reach_a_name() -> None:
    card = parse_card(b"BEGIN:VCARD\nVERSION:3.0\nFN:Ada\x1b[31m Kim\x07\nEND:VCARD\n", origin="x")
    assert isinstance(card, Card)
    assert card.name == "Ada [31m Kim"


_LINES = st.sampled_from(
    [
        "BEGIN:VCARD",
        "END:VCARD",
        "VERSION:3.0",
        "VERSION:2.1",
        "FN:Ada",
        "FN;ENCODING=QUOTED-PRINTABLE:=C3=",
        "EMAIL:ada@x.example",
        "BDAY:--0229",
        "BDAY:2023-02-29",
        "BDAY:99999",
        "ORG:;;",
        "N:;;;;",
        "item1.X-ABLabel:_$!<Anniversary>!$_",
        "item1.X-ABDATE:2000-13-40",
        " folded",
        "=",
        "PHOTO;ENCODING=b:AAAA",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINES, st.text(max_size=30)), max_size=20))
def test_junk_never_raises(lines: list[str]) -> None:
    data = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    for item in parse_cards(data, origin="junk"):
        assert isinstance(item, Card | Problem)
        if isinstance(item, Card):
            assert all("@" in a for a in item.addresses)
