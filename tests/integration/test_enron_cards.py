"""The Enron `fossum-d` mailbox, then an address book with cards for some of its people.

Those people carry their card's name and organization, and each one's addresses are
one person; every other answer is what it was before the cards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run, shared_data, stable

pytestmark = pytest.mark.slow

ME = "drew.fossum@enron.com"

CARDS = """BEGIN:VCARD
VERSION:3.0
FN:Jeff Fawcett
N:Fawcett;Jeffery;;;
ORG:Enron Transwestern Pipeline;Marketing
TITLE:Director\\, Marketing
EMAIL;TYPE=WORK:jeffery.fawcett@enron.com
EMAIL;TYPE=WORK:Jeff.Fawcett@enron.com
item1.EMAIL;TYPE=HOME:fawcett@msn.com
item1.X-ABLabel:_$!<Home>!$_
UID:fawcett
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Mary Kay Darveaux
ORG:Enron Northern Natural Gas
EMAIL:mary.darveaux@enron.com
EMAIL;TYPE=home:darveaux@tconl.com
BDAY:--0704
END:VCARD
BEGIN:VCARD
VERSION:2.1
FN;ENCODING=QUOTED-PRINTABLE:Susan M. Sc=
ott
ORG:Enron
EMAIL;INTERNET:susan.scott@enron.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Nobody From This Mailbox
EMAIL:stranger@elsewhere.example
END:VCARD
"""

CARDED = {
    "jeffery.fawcett@enron.com",
    "jeff.fawcett@enron.com",
    "fawcett@msn.com",
    "mary.darveaux@enron.com",
    "darveaux@tconl.com",
    "susan.scott@enron.com",
}


def by_addresses(rows: list[dict[str, object]]) -> dict[tuple[str, ...], dict[str, object]]:
    return {tuple(r["addresses"]): r for r in rows}  # type: ignore[arg-type]


def test_cards_name_and_merge_their_people_and_change_nothing_else(
    cli: Run, tmp_path: Path
) -> None:
    mailbox = shared_data("enron", "maildir", "fossum-d")
    cli("init", "--me", ME)
    cli("import", str(mailbox))
    people_before = by_addresses(cli("people", "--json").json())
    due_before = cli("due", "--json").json()
    referrals_before = cli("referrals", "--json").json()
    (tmp_path / "book.vcf").write_text(CARDS, encoding="utf-8", newline="\r\n")
    cli("import", str(tmp_path / "book.vcf"))
    people_after = by_addresses(cli("people", "--json").json())

    fawcett = people_after[
        ("fawcett@msn.com", "jeff.fawcett@enron.com", "jeffery.fawcett@enron.com")
    ]
    assert fawcett["name"] == "Jeff Fawcett"
    assert (fawcett["organization"], fawcett["title"]) == (
        "Enron Transwestern Pipeline",
        "Director, Marketing",
    )
    merged = sum(
        people_before[(a,)]["interactions"]  # type: ignore[misc]
        for a in ("fawcett@msn.com", "jeff.fawcett@enron.com", "jeffery.fawcett@enron.com")
    )
    assert fawcett["interactions"] == merged
    darveaux = people_after[("darveaux@tconl.com", "mary.darveaux@enron.com")]
    assert (darveaux["name"], darveaux["organization"], darveaux["birthday"]) == (
        "Mary Kay Darveaux",
        "Enron Northern Natural Gas",
        "--07-04",
    )
    scott = people_after[("susan.scott@enron.com",)]
    assert (scott["name"], scott["card_source"]) == ("Susan M. Scott", "vcard")
    assert scott["interactions"] == people_before[("susan.scott@enron.com",)]["interactions"]
    assert not any("stranger@elsewhere.example" in k for k in people_after)  # no mail: no one

    # Everyone else: the same answer as before the cards.
    others_before = {k: v for k, v in people_before.items() if not CARDED.intersection(k)}
    others_after = {k: v for k, v in people_after.items() if not CARDED.intersection(k)}
    assert stable(others_after) == stable(others_before)
    assert len(people_after) == len(people_before) - 3  # three addresses joined others
    due_after = cli("due", "--json").json()
    assert stable([p for p in due_after if not CARDED.intersection(p["addresses"])]) == stable(
        [p for p in due_before if not CARDED.intersection(p["addresses"])]
    )
    assert cli("referrals", "--json").json() == referrals_before
