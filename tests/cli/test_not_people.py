"""What a user sees of the rules that keep non-people out: `people --all`, `person`'s
reasons, the timeline's roles, an mbox with a broken date, `link` to self, junk folders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from tests.conftest import Run

ME = "me@example.com"
START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def write(folder: Path, rows: list[tuple[str, str, str, datetime | None]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, (sender, to, subject, when) in enumerate(rows):
        date = (
            f"Date: {format_datetime(when)}\n" if when else "Date: Mon, 1 Jan 1979 00:00:00 +0000\n"
        )
        (folder / f"{n}.eml").write_text(
            f"From: {sender}\nTo: {to}\nSubject: {subject}\n{date}Message-ID: <{n}@x>\n\nhi\n"
        )


def test_automated_senders_are_listed_with_their_reason_and_never_due(
    cli: Run, tmp_path: Path
) -> None:
    mail = tmp_path / "mail"
    write(
        mail,
        [
            ("newsletter@rigzone.example", ME, "This week", START),
            ("info@small.example", ME, "Your order", START),
            (ME, "info@small.example", "Re: Your order", START + timedelta(days=1)),
            ("ann@x.example", ME, "lunch?", START),
            ("bo@x.example", "all@x.example", "to everyone", START),
            ("cy@x.example", ME, "a date from 1979", None),
        ],
    )
    write(mail / "Junk E-mail", [("spam@x.example", ME, "win", START)])
    cli("init", "--me", ME)
    out = cli("import", str(mail)).out
    assert "skipped: 1 in junk folders" in out
    assert "1 with a missing or implausible Date" in out

    default = {p["addresses"][0] for p in cli("people", "--json").json()}
    assert default == {"info@small.example", "ann@x.example"}  # self wrote to info@
    everyone = {p["addresses"][0]: p for p in cli("people", "--all", "--json").json()}
    assert everyone["newsletter@rigzone.example"]["automated_reason"] == (
        "role account: newsletter"
    )
    assert everyone["info@small.example"]["automated_reason"] is None
    due = {p["addresses"][0] for p in cli("due", "--json").json()}
    # ann wrote once and was never answered: one-way, no relationship to be due for (#15).
    assert "newsletter@rigzone.example" not in due and "ann@x.example" not in due
    assert everyone["ann@x.example"]["tier"] == "one-way"
    for moment in ("2024-01-01", "2024-06-30"):
        listed = cli("due", "--json", "--as-of", moment).json()
        assert "newsletter@rigzone.example" not in {a for p in listed for a in p["addresses"]}

    text = cli("person", "newsletter@rigzone.example").out
    assert "does not count: automated sender (role account: newsletter)" in text
    broadcast = cli("person", "bo@x.example", check=False)
    assert broadcast.code == 1 and "does not count" in broadcast.err
    # A date that cannot be trusted keeps its place but never moves last contact.
    cy = cli("person", "cy@x.example", check=False)
    assert cy.code == 1 and "date unknown" in cy.err

    timeline = cli("person", "info@small.example", "--json").json()["timeline"]
    assert [(e["role"], e["contact"]) for e in timeline] == [("to", True), ("from", True)]


def test_the_timeline_says_to_cc_from_and_cc_d(cli: Run, tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    messages = [
        f"From: {ME}\nTo: ann@x.example\nCc: bo@x.example\nSubject: plan",
        f"From: {ME}\nTo: cy@x.example\nBcc: bo@x.example\nSubject: quiet",
        f"From: ann@x.example\nTo: {ME}\nCc: bo@x.example\nSubject: Re: plan",
        f"From: {ME}\nTo: bo@x.example, ann@x.example\nCc: bo@x.example\nSubject: both",
    ]
    for n, head in enumerate(messages):
        when = format_datetime(START + timedelta(days=n))
        (mail / f"{n}.eml").write_text(f"{head}\nDate: {when}\nMessage-ID: <{n}@x>\n\nhi\n")
    cli("init", "--me", ME)
    cli("import", str(mail))

    def roles(who: str) -> list[str]:
        return [e["role"] for e in cli("person", who, "--json").json()["timeline"]]

    # Newest first: addressed (To, though also on Cc), cc'd on ann's mail, Bcc, Cc.
    assert roles("bo@x.example") == ["to", "cc", "to-bcc", "to-cc"]
    assert roles("ann@x.example") == ["to", "from", "to"]
    text = cli("person", "bo@x.example").out
    assert "→ cc" in text and "→ bcc" in text and "← cc'd" in text and "→ to" in text


def test_link_to_one_of_your_addresses_makes_it_yours(cli: Run, tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    write(
        mail, [(ME, "me@home.example", "note to self", START), ("ann@x.example", ME, "hi", START)]
    )
    cli("init", "--me", ME)
    cli("import", str(mail))
    assert "me@home.example" in {p["addresses"][0] for p in cli("people", "--json").json()}
    cli("link", ME, "me@home.example")
    assert cli("me", "--json").json() == [ME, "me@home.example"]
    assert "me@home.example" not in {p["addresses"][0] for p in cli("people", "--json").json()}
    bad = cli("me", "remove", "nobody@x.example", check=False)
    assert bad.code == 1 and "not one of your addresses" in bad.err


def test_merges_from_replies_names_and_address_forms(cli: Run, tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    rows = []
    for n in range(2):  # self writes to an old address; the new one answers, twice
        day = START + timedelta(days=10 * n)
        rows.append((f"t{n}", ME, "ann@old.example", "", format_datetime(day)))
        rows.append(
            (f"r{n}", "ann@new.example", ME, f"t{n}", format_datetime(day + timedelta(hours=2)))
        )
    rows.append(("n1", "Bo Smith <bo@x.example>", ME, "", format_datetime(START)))
    rows.append(("n2", "Bo Smith <bsmith@y.example>", ME, "", format_datetime(START)))
    rows.append(("f1", ME, "cy.long@z.example, cy_long@z.example", "", format_datetime(START)))
    for mid, sender, to, reply, date in rows:
        head = f"In-Reply-To: <{reply}@x>\n" if reply else ""
        (mail / mid).write_text(
            f"From: {sender}\nTo: {to}\nSubject: s {mid}\nDate: {date}\n"
            f"Message-ID: <{mid}@x>\n{head}\nhi\n"
        )
    cli("init", "--me", ME)
    cli("import", str(mail))
    found = {tuple(s["addresses"]): s for s in cli("merges", "--json").json()}
    assert "replied in 2 threads" in found[("ann@new.example", "ann@old.example")]["evidence"][0]
    assert found[("bo@x.example", "bsmith@y.example")]["evidence"] == ["same name (Bo Smith)"]
    assert ("cy.long@z.example", "cy_long@z.example") in found
    cli("merges", "reject", found[("bo@x.example", "bsmith@y.example")]["id"][:5])
    cli("rebuild")
    assert ("bo@x.example", "bsmith@y.example") not in {
        tuple(s["addresses"]) for s in cli("merges", "--json").json()
    }
