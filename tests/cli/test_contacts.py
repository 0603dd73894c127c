"""Address books as a user imports them: `kithkeep import cards.vcf` (or a folder of them)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Run, count_events, stable

CORPUS = Path(__file__).resolve().parents[1] / "data" / "vcards"
ME = "me@self.example"


def write_mbox(path: Path, messages: list[tuple[str, str]]) -> None:
    out = []
    for i, (sender, to) in enumerate(messages, start=1):
        out.append(
            f"From x Mon Jan  1 00:00:00 2024\nFrom: {sender}\nTo: {to}\n"
            f"Date: Tue, {i} Jan 2024 10:00:00 +0000\nSubject: s{i}\nMessage-ID: <{i}@x>\n\nbody\n"
        )
    path.write_text("\n".join(out), encoding="utf-8")


def test_a_vcard_corpus_imports_counting_each_bad_card(cli: Run, tmp_path: Path) -> None:
    write_mbox(
        tmp_path / "mail.mbox",
        [
            (f"Me <{ME}>", "Ada <ada.kim@kimpartners.example>"),
            ("A K <ada@home.example>", ME),
            ("bo@globex.example", ME),
            (f"Me <{ME}>", "bo.okafor@mail.example"),
            ("J. M. <jm@privat.example>", ME),
            ("Zed <zed@other.example>", ME),
        ],
    )
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail.mbox"))
    before = cli("people", "--json").json()
    first = cli("import", str(CORPUS))
    assert "8 contact cards read: 8 new or changed" in first.out
    assert "3 unreadable: malformed contact card" in first.out
    found = {tuple(p["addresses"]): p for p in cli("people", "--json").json()}
    ada = found[("ada.kim@kimpartners.example", "ada@home.example")]
    assert (ada["name"], ada["interactions"]) == ("Ada Kim", 2)
    assert (ada["organization"], ada["title"]) == ("Kim & Partners Consulting", "Managing Partner")
    assert (ada["birthday"], ada["card_source"]) == ("1984-03-15", "vcard")
    bo = found[("bo.okafor@mail.example", "bo@globex.example")]
    assert bo["interactions"] == 2 and bo["organization"] == "Globex"
    jm = found[("jm@privat.example",)]
    assert jm["name"] == "Jürgen Müller-Lüdenscheidt von der Großen Straße"
    # Someone without a card is answered as before, with the card's fields null.
    zed = found[("zed@other.example",)]
    assert stable(zed) == stable(next(p for p in before if p["addresses"] == [zed["addresses"][0]]))
    assert zed["organization"] is None and zed["birthday"] is None
    assert len(found) == 4


def test_a_second_import_adds_nothing(cli: Run, home: Path) -> None:
    cli("init", "--me", ME)
    cli("import", str(CORPUS / "apple-v3.vcf"))
    stored = count_events(home)
    again = cli("import", str(CORPUS / "apple-v3.vcf"))
    assert "4 contact cards read: 0 new or changed" in again.out
    assert count_events(home) == stored
    other = cli("import", str(CORPUS))  # the same cards, and more, from the folder
    assert "8 contact cards read: 4 new or changed" in other.out


def test_upcoming_with_a_fixed_clock(cli: Run) -> None:
    cli("init", "--me", ME)
    cli("import", str(CORPUS))
    week = cli("upcoming", "--as-of", "2027-02-22", "--days", "6", "--json").json()
    # 29 February, in a common year: on the 28th, once each.
    assert [(o["name"], o["kind"], o["on"]) for o in week] == [
        ("Dee Ramos", "birthday", "2027-02-28"),
        ("Grandma Lindqvist", "birthday", "2027-02-28"),
    ]
    text = cli("upcoming", "--as-of", "2027-02-22", "--days", "6").out
    assert "Dee Ramos's birthday is on Sunday — no contact yet" in text
    year = cli("upcoming", "--as-of", "2027-02-22", "--days", "366", "--json").json()
    assert len(year) == 7  # every birthday and anniversary in the corpus, once
    digest = cli("digest", "--as-of", "2027-02-22").out
    assert digest.count("'s birthday is on Sunday") == 2


def test_people_at_a_company(cli: Run, tmp_path: Path) -> None:
    write_mbox(
        tmp_path / "mail.mbox",
        [
            ("dee.ramos@mail.example", ME),
            ("eve@initech.example", ME),
            ("Pat <pat@initech.example>", ME),  # no card: by the domain only
            ("bo@globex.example", ME),
        ],
    )
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail.mbox"))
    cli("import", str(CORPUS))
    by_org = cli("people", "--company", "initech", "--json").json()
    assert sorted(p["name"] for p in by_org) == ["Dee Ramos", "Eve Noyear"]
    by_domain = cli("company", "initech.example", "--json").json()
    assert [p["name"] for p in by_domain] == ["Dee Ramos", "Eve Noyear", "Pat"]
    assert by_domain[0]["title"] == "CTO"
    text = cli("company", "Globex").out
    assert text.startswith("Bo Okafor") and "Globex" in text
    assert "No one at Umbrella." in cli("company", "Umbrella").out
    person = cli("person", "dee.ramos@mail.example").out
    assert "CTO, Initech · birthday --02-29 · card from vcard" in person


def test_who_knows_shows_the_organization(cli: Run, home: Path, tmp_path: Path) -> None:
    cli("init", "--me", "alice@firm.example")
    with (home / "config.toml").open("a") as f:
        f.write(
            '\n[team]\nmembers = { alice = ["alice@firm.example"], bob = ["bob@firm.example"] }\n'
        )
    write_mbox(
        tmp_path / "team.mbox",
        [
            ("alice@firm.example", "dee@initech.example"),
            ("bob@firm.example", "eve@initech.example"),
        ],
    )
    cli("import", str(tmp_path / "team.mbox"))
    cli("import", str(CORPUS / "google-v4.vcf"))
    rows = cli("who-knows", "@initech.example", "--json").json()
    assert sorted(r["member"] for r in rows) == ["alice", "bob"]
    assert rows[0]["organizations"] == ["Initech"]
    assert cli("who-knows", "dee@initech.example").out.startswith("dee@initech.example: Initech\n")
