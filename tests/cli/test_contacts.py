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
