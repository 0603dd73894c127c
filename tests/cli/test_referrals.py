"""Introductions: every follow-up state, reached only by importing mail and meetings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from tests.conftest import Run

ME = "me@example.com"
D0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


class Mailbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def mail(
        self,
        day: float,
        sender: str,
        to: list[str],
        subject: str,
        body: str = "Hello.",
        cc: list[str] | None = None,
        reply_to: str = "",
    ) -> str:
        self.n += 1
        mid = f"m{self.n}@test.example"
        head = [
            f"From: {sender}",
            f"To: {', '.join(to)}",
            f"Subject: {subject}",
            f"Date: {format_datetime(D0 + timedelta(days=day))}",
            f"Message-ID: <{mid}>",
        ]
        if cc:
            head.append(f"Cc: {', '.join(cc)}")
        if reply_to:
            head += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
        (self.root / f"{self.n:03d}.eml").write_text("\n".join(head) + f"\n\n{body}\n")
        return mid

    def meeting(self, day: float, organizer: str, attendees: list[str], uid: str) -> None:
        self.n += 1
        start = (D0 + timedelta(days=day)).strftime("%Y%m%dT%H%M%SZ")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTART:{start}",
            "SUMMARY:Coffee",
            f"ORGANIZER:mailto:{organizer}",
            *[f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in attendees],
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        (self.root / f"{self.n:03d}.ics").write_text("\r\n".join(lines) + "\r\n")


def intro(box: Mailbox, a: str, b: str, day: float = 0, subject: str = "") -> str:
    return box.mail(
        day,
        ME,
        [a, b],
        subject or f"Intro: {a.partition('@')[0].title()} <> {b.partition('@')[0].title()}",
        "Hi both, I'd like to introduce you two. You should talk about the pilot.",
    )


def by_parties(rows: list[dict[str, Any]]) -> dict[frozenset[str], dict[str, Any]]:
    return {frozenset(p["address"] for p in r["parties"]): r for r in rows}


def scenario(root: Path) -> Mailbox:
    box = Mailbox(root)
    people = [f"{n}@x.example" for n in ("ann", "bo", "cy", "di", "ed", "fay", "gus", "hal")]
    people += [f"{n}@x.example" for n in ("ivy", "jo", "rt", "lu", "mo", "ned")]
    for i, p in enumerate(people):  # self already knows everyone, one by one
        box.mail(-60 + i, ME, [p], "catching up")
    # connected by a reply-all; then self's own thank-you is no new introduction
    root_mid = intro(box, "ann@x.example", "bo@x.example")
    box.mail(2, "bo@x.example", ["ann@x.example"], "Re: intro", "Great to meet!", [ME], root_mid)
    box.mail(3, ME, ["ann@x.example", "bo@x.example"], "Re: Intro: Ann <> Bo",
             "Moving myself to bcc. Glad to connect you two.", reply_to=root_mid)  # fmt: skip
    # connected by a meeting with both
    intro(box, "cy@x.example", "di@x.example")
    box.meeting(5, "cy@x.example", ["di@x.example", "cy@x.example"], "coffee-cy-di")
    # acknowledged: one of them answered self in the thread
    mid = intro(box, "ed@x.example", "fay@x.example")
    box.mail(1, "ed@x.example", [ME], "Re: intro", "Thanks, will reach out.", reply_to=mid)
    # nothing at all: awaiting, then follow-up due
    intro(box, "gus@x.example", "hal@x.example")
    # self followed up once it was due; due again 14 days later
    intro(box, "ivy@x.example", "jo@x.example")
    box.mail(16, ME, ["ivy@x.example"], "did you and Jo talk?")
    # two that the user will dismiss and close by hand
    intro(box, "rt@x.example", "lu@x.example", subject="Runtime / Lu")
    intro(box, "mo@x.example", "ned@x.example", subject="Connecting Mo and Ned")
    # double opt-in: self asks one first, introduces a week later
    box.mail(-7, ME, ["pat@x.example"], "Intro to Quinn?", "Would you like to meet Quinn?")
    intro(box, "pat@x.example", "quinn@x.example")
    # someone introduces self to a new person, who writes three days later
    box.mail(0, "rae@x.example", [ME, "sol@x.example"], "Intro: Me <> Sol",
             "Let me introduce you to Sol, who runs the lab.")  # fmt: skip
    box.mail(3, "sol@x.example", [ME], "hello", "Nice to meet you.")
    # a project mail among people who already know each other: not an introduction
    box.mail(-30, "ann@x.example", ["cy@x.example"], "kickoff")
    box.mail(1, ME, ["ann@x.example", "cy@x.example"], "Meet at 3?", "Let's meet Thursday.")
    # a newsletter with "meet" in the subject: bulk, never an introduction
    (root / "news.eml").write_text(
        "From: news@letters.example\nTo: me@example.com, ann@x.example\n"
        "Subject: Meet the new team\nList-Id: <news.letters.example>\n"
        f"Date: {format_datetime(D0)}\nMessage-ID: <news@letters.example>\n\nHi all\n"
    )
    return box


def test_every_follow_up_state_from_imported_mail_and_meetings(
    cli: Run, home: Path, tmp_path: Path
) -> None:
    scenario(tmp_path / "mail")
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail"))
    made = by_parties(cli("referrals", "--json", "--as-of", "2024-03-21").json())
    pair = frozenset

    assert set(made) == {
        pair({"ann@x.example", "bo@x.example"}),
        pair({"cy@x.example", "di@x.example"}),
        pair({"ed@x.example", "fay@x.example"}),
        pair({"gus@x.example", "hal@x.example"}),
        pair({"ivy@x.example", "jo@x.example"}),
        pair({"rt@x.example", "lu@x.example"}),
        pair({"mo@x.example", "ned@x.example"}),
        pair({"pat@x.example", "quinn@x.example"}),
        pair({ME, "sol@x.example"}),
    }, "no newsletter, no project mail, no follow-up reply is an introduction"
    status = {k: v["status"] for k, v in made.items()}
    assert status[pair({"ann@x.example", "bo@x.example"})] == "connected"
    assert made[pair({"ann@x.example", "bo@x.example"})]["evidence"]["from"] == "bo@x.example"
    assert status[pair({"cy@x.example", "di@x.example"})] == "connected"
    assert made[pair({"cy@x.example", "di@x.example"})]["evidence"]["kind"] == "meeting"
    assert status[pair({"ed@x.example", "fay@x.example"})] == "acknowledged"
    assert status[pair({"gus@x.example", "hal@x.example"})] == "follow_up_due"
    assert status[pair({"ivy@x.example", "jo@x.example"})] == "followed_up"
    assert status[pair({ME, "sol@x.example"})] == "connected"
    assert made[pair({ME, "sol@x.example"})]["kind"] == "received"
    assert made[pair({ME, "sol@x.example"})]["introducer"] == "rae@x.example"
    opt = made[pair({"pat@x.example", "quinn@x.example"})]["opt_in"]
    assert opt is not None and opt["with"] == "pat@x.example"

    # As the states stood a week in: nothing was due yet.
    week = by_parties(cli("referrals", "--json", "--as-of", "2024-03-08").json())
    assert week[pair({"gus@x.example", "hal@x.example"})]["status"] == "awaiting"
    assert week[pair({"ivy@x.example", "jo@x.example"})]["status"] == "awaiting"
    assert week[pair({"ed@x.example", "fay@x.example"})]["status"] == "acknowledged"
    # A month in, the follow-up has come due again (16 + 14 days).
    month = by_parties(cli("referrals", "--json", "--as-of", "2024-04-01").json())
    assert month[pair({"ivy@x.example", "jo@x.example"})]["status"] == "follow_up_due"
    assert month[pair({"ivy@x.example", "jo@x.example"})]["next_follow_up_at"].startswith(
        "2024-03-31"
    )

    rt = made[pair({"rt@x.example", "lu@x.example"})]["id"]
    mo = made[pair({"mo@x.example", "ned@x.example"})]["id"]
    assert cli("referrals", "dismiss", rt[:6]).out.startswith("Dismissed")
    assert cli("referrals", "close", mo).out.startswith("Closed")
    now = by_parties(cli("referrals", "--json").json())
    assert now[pair({"rt@x.example", "lu@x.example"})]["status"] == "dismissed"
    assert now[pair({"mo@x.example", "ned@x.example"})]["status"] == "closed"
    only_due = cli("referrals", "--json", "--status", "follow_up_due").json()
    assert {r["status"] for r in only_due} == {"follow_up_due"}

    # A rule changed: with a 30-day follow-up, nothing was due on 21 March — retroactively.
    (home / "config.toml").write_text(f'me = ["{ME}"]\nfollow_up_after_days = 30\n')
    cli("rebuild")
    later = by_parties(cli("referrals", "--json", "--as-of", "2024-03-21").json())
    assert later[pair({"gus@x.example", "hal@x.example"})]["status"] == "awaiting"
    assert later[pair({"ivy@x.example", "jo@x.example"})]["status"] == "awaiting"
    still = by_parties(cli("referrals", "--json").json())
    assert still[pair({"rt@x.example", "lu@x.example"})]["status"] == "dismissed"


def test_refer_logs_an_introduction_made_outside_mail(cli: Run, tmp_path: Path) -> None:
    box = Mailbox(tmp_path / "mail")
    box.mail(0, ME, ["ann@x.example"], "hi")
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail"))
    out = cli("refer", "ann@x.example", "bo@x.example", "--note", "met at the fair",
              "--at", "2024-03-01").out  # fmt: skip
    assert out.startswith("Logged introduction ")
    rows = cli("referrals", "--json", "--explain").json()
    assert len(rows) == 1
    (r,) = rows
    assert (r["kind"], r["note"], r["status"]) == ("logged", "met at the fair", "follow_up_due")
    assert r["reasons"] == ["logged by hand"]
    assert {p["address"] for p in r["parties"]} == {"ann@x.example", "bo@x.example"}
    digest = cli("digest", "--json").json()
    assert [x["id"] for x in digest["follow_ups_due"]] == [r["id"]]
    assert "Introductions to follow up (1)" in cli("digest").out
    bad = cli("refer", "ann@x.example", "ann@x.example", check=False)
    assert bad.code == 1 and bad.err.startswith("error: ")
    unknown = cli("referrals", "dismiss", "zzzzzz", check=False)
    assert unknown.code == 1 and "no introduction" in unknown.err


def test_the_ledger_counts_introductions_each_way_and_who_writes_first(
    cli: Run, tmp_path: Path
) -> None:
    scenario(tmp_path / "mail")
    cli("init", "--me", ME)
    cli("import", str(tmp_path / "mail"))
    people = {p["addresses"][0]: p for p in cli("people", "--json", "--as-of", "2024-04-01").json()}
    assert people["ann@x.example"]["referrals_given"] == 1
    assert people["rae@x.example"]["referrals_received"] == 1
    assert people["rae@x.example"]["referrals_given"] == 0
    # Ann began one thread (the kickoff); self began three with her (catching up, the
    # introduction, the meeting time).
    assert people["ann@x.example"]["initiative_ratio"] == 0.25
    assert people["sol@x.example"]["initiative_ratio"] == 1.0
    cli("referrals", "dismiss", by_parties(cli("referrals", "--json").json())[
        frozenset({"rt@x.example", "lu@x.example"})]["id"])  # fmt: skip
    # Dismissed today: no introduction now, though it still was one as of April 2024.
    after = {p["addresses"][0]: p for p in cli("people", "--json").json()}
    assert after["rt@x.example"]["referrals_given"] == 0
    then = {p["addresses"][0]: p for p in cli("people", "--json", "--as-of", "2024-04-01").json()}
    assert then["rt@x.example"]["referrals_given"] == 1
    detail = cli("person", "ann@x.example", "--json", "--as-of", "2024-04-01").json()
    assert detail["referrals_given"] == 1
    assert detail["last_referral_given"].startswith("2024-03-01")
    assert "you made 1 for them" in cli("person", "ann@x.example", "--as-of", "2024-04-01").out


def test_states_advance_as_mail_is_imported_in_time_order(cli: Run, tmp_path: Path) -> None:
    from email import message_from_bytes
    from email.utils import parsedate_to_datetime

    scenario(tmp_path / "all")
    cli("init", "--me", ME)

    def when(path: Path) -> datetime:
        if path.suffix == ".ics":
            start = next(x for x in path.read_text().splitlines() if x.startswith("DTSTART"))
            return datetime.strptime(start.split(":")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return parsedate_to_datetime(message_from_bytes(path.read_bytes())["Date"])

    files = sorted((tmp_path / "all").iterdir(), key=when)
    ann_bo = frozenset({"ann@x.example", "bo@x.example"})
    gus_hal = frozenset({"gus@x.example", "hal@x.example"})
    cy_di = frozenset({"cy@x.example", "di@x.example"})
    seen: list[tuple[str, str, str, str]] = []
    for day, label in ((0, "2024-03-01"), (2, "2024-03-03"), (6, "2024-03-07"), (20, "2024-03-21")):
        batch = tmp_path / f"upto-{day}"
        batch.mkdir()
        for f in files:
            if (
                when(f) <= D0 + timedelta(days=day, hours=12)
                and not (tmp_path / "done" / f.name).exists()
            ):
                (batch / f.name).write_bytes(f.read_bytes())
                (tmp_path / "done").mkdir(exist_ok=True)
                (tmp_path / "done" / f.name).write_bytes(b"")
        cli("import", str(batch))
        now = by_parties(cli("referrals", "--json", "--as-of", label).json())
        seen.append((label, now[ann_bo]["status"], now[gus_hal]["status"], now[cy_di]["status"]))
    assert seen == [
        ("2024-03-01", "awaiting", "awaiting", "awaiting"),
        ("2024-03-03", "connected", "awaiting", "awaiting"),
        ("2024-03-07", "connected", "awaiting", "connected"),
        ("2024-03-21", "connected", "follow_up_due", "connected"),
    ]
