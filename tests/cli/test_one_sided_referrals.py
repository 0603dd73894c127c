"""One-sided referrals and received ones, from imported mail over time (`--as-of`)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_referrals import D0, ME, Mailbox
from tests.conftest import Run

FRANK = "frank.oldenhuis@ridge.example"
PAUL = "paul.bieniawski@ridge.example"


def as_of(n: int) -> str:
    from datetime import date

    return date.fromordinal(D0.date().toordinal() + n).isoformat()


def one_sided(cli: Run, root: Path) -> Mailbox:
    box = Mailbox(root)
    box.mail(-40, ME, [FRANK], "catching up", "How was the trip?")
    box.mail(-30, ME, [PAUL], "lunch", "Lunch next week?")
    box.mail(
        0,
        ME,
        [FRANK],
        "Paul B",
        "Frank,\n\nPaul Bieniawski's phone number is 713-555-0141. Go ahead and give him a\n"
        "call and let him know I put you up to it.\n\nSam",
    )
    box.mail(20, ME, [FRANK], "how are things", "Did you get a chance to call Paul?")
    box.mail(30, FRANK, [ME], "Re: Paul B", "Thanks for the referral -- Paul and I spoke today.")
    cli("init", "--me", ME)
    cli("import", str(root))
    return box


def test_a_one_sided_referral_advances_from_awaiting_to_connected(cli: Run, tmp_path: Path) -> None:
    one_sided(cli, tmp_path / "mail")

    def state(n: int) -> dict[str, object]:
        rows = cli("referrals", "--json", "--as-of", as_of(n)).json()
        (row,) = [r for r in rows if r["kind"] == "made-one-sided"]
        return dict(row)

    first = state(3)
    assert first["status"] == "awaiting"
    assert first["parties"] == [
        {"address": FRANK, "name": None},
        # Resolved by the shape of an address self already wrote to.
        {"address": PAUL, "name": "Paul Bieniawski"},
    ]
    assert first["cues"] == ["phone-next-to-name"]
    assert state(16)["status"] == "follow_up_due"
    assert state(22)["status"] == "followed_up"  # self wrote to Frank after it was due
    last = state(31)
    assert last["status"] == "connected"
    assert last["evidence"]["kind"] == "thanks"  # type: ignore[index]
    assert last["evidence"]["from"] == FRANK  # type: ignore[index]


def test_the_follow_up_reads_as_a_question_and_explain_says_why(cli: Run, tmp_path: Path) -> None:
    one_sided(cli, tmp_path / "mail")
    digest = cli("digest", "--as-of", as_of(16)).out
    assert "ask Frank whether they reached Paul Bieniawski" in digest
    explained = cli("referrals", "--json", "--explain", "--as-of", as_of(16)).json()
    (row,) = [r for r in explained if r["kind"] == "made-one-sided"]
    assert "cue: phone-next-to-name" in row["reasons"]
    assert f"named in the text: Paul Bieniawski, resolved to {PAUL}" in row["reasons"]
    assert any("one-sided referral" in reason for reason in row["reasons"])
    text = cli("referrals", "--explain", "--format", "table", "--as-of", as_of(16)).out
    assert "phone-next-to-name" in text


def test_a_name_nobody_knows_is_kept_as_a_name(cli: Run, tmp_path: Path) -> None:
    box = Mailbox(tmp_path / "mail")
    box.mail(0, ME, [FRANK], "tax", "Frank, call Vikram Shah (312-555-0199), he does R&D credits.")
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail"))
    (row,) = cli("referrals", "--json").json()
    assert row["kind"] == "made-one-sided"
    assert row["parties"] == [
        {"address": FRANK, "name": None},
        {"address": None, "name": "Vikram Shah"},
    ]


def test_a_received_referral_that_led_somewhere_says_thank_you_once(
    cli: Run, tmp_path: Path
) -> None:
    box = Mailbox(tmp_path / "mail")
    newcomer = "lucia.ferri@vela.example"
    box.mail(-10, "nadia.petrov@x.example", [ME], "hi", "Coffee soon?")
    box.mail(-9, ME, ["nadia.petrov@x.example"], "Re: hi", "Yes!")
    box.mail(
        0,
        newcomer,
        [ME],
        "Career question",
        "Dear Sam,\n\nNadia Petrov suggested I contact you about the operations role.\n\nLucia",
    )
    box.mail(2, ME, [newcomer], "Re: Career question", "Happy to talk, Lucia.")
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail"))
    (row,) = cli("referrals", "--json", "--as-of", as_of(3)).json()
    assert row["kind"] == "received"
    assert row["referrer"] == {"address": "nadia.petrov@x.example", "name": "Nadia Petrov"}
    assert row["status"] == "connected"  # a message each way with Lucia since
    assert "thank Nadia Petrov" in cli("digest", "--as-of", as_of(2)).out
    assert "thank Nadia" not in cli("digest", "--as-of", as_of(5)).out  # said once
    people = {p["addresses"][0]: p for p in cli("people", "--json").json()}
    assert people["nadia.petrov@x.example"]["referrals_received"] == 1
