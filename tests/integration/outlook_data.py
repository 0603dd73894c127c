"""A mailbox and a calendar written as files (.eml, .ics) and loaded into the fake Graph."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime, formataddr
from pathlib import Path

from tests.fakes.graph import ALIAS, ME, FakeMicrosoft, graph_events, graph_message

NAMES = ["Ana Lima", "Bo Chen", "Zoë Müller", "Kofi Mensah", "Dana O'Neil", "Eve Adams",
         "Farid Haddad", "Gita Rao", "Hugo Blanc", "Ines Sousa", "Jon Berg"]  # fmt: skip


def person(i: int) -> tuple[str, str]:
    first = NAMES[i % len(NAMES)]
    return f"{first} {i}", f"p{i}@corp{i % 7}.example"


@dataclass
class Corpus:
    """Messages by Graph id: (folder, raw bytes, draft); the .ics text; what the files hold."""

    now: datetime
    messages: dict[str, tuple[str, bytes, bool]] = field(default_factory=dict)
    extra_copies: dict[str, str] = field(default_factory=dict)  # id -> second folder
    ics_events: list[str] = field(default_factory=list)
    seq: int = 0

    def mail(self, rng: random.Random, *, outbound: bool, draft: bool = False) -> tuple[str, bytes]:
        self.seq += 1
        n = self.seq
        when = self.now - timedelta(days=700) + timedelta(minutes=331 * n)
        contacts = [person(rng.randrange(150)) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        me = formataddr(("Me Myself", ME if n % 5 else ALIAS))
        lines = [f"Message-ID: <m{n}.{rng.randrange(10**9)}@mail.example>"]
        if outbound:
            lines += [f"From: {me}", "To: " + ", ".join(formataddr(c) for c in contacts[:1])]
            if contacts[1:]:
                lines.append("Cc: " + ", ".join(formataddr(c) for c in contacts[1:]))
            if n % 13 == 0:
                lines.append("Bcc: " + formataddr(person(151)))
        else:
            lines += [f"From: {formataddr(contacts[0])}", f"To: {me}"]
            if contacts[1:]:
                lines.append("Cc: " + ", ".join(formataddr(c) for c in contacts[1:]))
        if n % 17 == 0 and not outbound:
            lines += ["List-Id: <news.corp.example>", "Precedence: bulk"]
        if draft:
            lines.append("X-Mozilla-Draft-Info: internal/draft; vcard=0")
        subject = f"Project {n % 40} update" if n % 11 else f"Intro: {contacts[0][0]} <> friend"
        body = "Hello,\n\nHere is the update.\n"
        if n % 29 == 0 and len(contacts) >= 2:
            body = f"Hi both,\n\nI'd like to introduce you to each other: {contacts[1][0]}.\n"
        lines += [f"Subject: {subject}", f"Date: {format_datetime(when)}",
                  "Content-Type: text/plain; charset=utf-8", "MIME-Version: 1.0"]  # fmt: skip
        raw = ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")
        return f"id{n:05d}", raw

    def write_files(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for ident, (_f, raw, _d) in self.messages.items():
            (folder / f"{ident}.eml").write_bytes(raw)
        (folder / "calendar.ics").write_text(self.ics(), encoding="utf-8")

    def ics(self) -> str:
        return (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kithkeep tests//EN\r\n"
            + "".join(self.ics_events)
            + "END:VCALENDAR\r\n"
        )

    def load(self, fake: FakeMicrosoft) -> None:
        """Everything into the fake, as its initial state."""
        for ident, (folder, raw, draft) in self.messages.items():
            fake.box.put(folder, ident, graph_message(raw, draft=draft))
            if ident in self.extra_copies:
                fake.box.put(
                    self.extra_copies[ident], ident + "-copy", graph_message(raw, draft=draft)
                )
        self.sync_calendar(fake)

    def sync_calendar(self, fake: FakeMicrosoft) -> None:
        """The fake's calendar made to match `ics()`: changed instances put, gone ones removed."""
        events, masters = graph_events(
            self.ics().encode(), self.now - timedelta(days=3 * 365), self.now + timedelta(days=365)
        )
        fake.box.masters.update(masters)
        fresh = {e["id"]: e for e in events}
        for ident in list(fake.box.calendar.items):
            if ident not in fresh:
                fake.box.remove_event(ident)
        for ident, e in fresh.items():
            if fake.box.calendar.items.get(ident) != e:
                fake.box.put_event(e)


def event(uid: str, start: str, summary: str, attendees: list[str], *, extra: str = "",
          end: str = "", tz: str = "America/Los_Angeles", organizer: str = ME) -> str:  # fmt: skip
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", "DTSTAMP:20250101T000000Z",
             f"DESCRIPTION:Private agenda of {uid}"]  # fmt: skip
    if len(start) == 8:
        lines += [f"DTSTART;VALUE=DATE:{start}"]
    else:
        lines += [f"DTSTART;TZID={tz}:{start}", f"DTEND;TZID={tz}:{end or start[:9] + '235900'}"]
    lines.append(f"ORGANIZER;CN=Organizer:mailto:{organizer}")
    lines += attendees
    if extra:
        lines += extra.strip().split("\n")
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def attendee(i: int, partstat: str = "ACCEPTED", cutype: str = "") -> str:
    name, addr = person(i)
    cu = f";CUTYPE={cutype}" if cutype else ""
    return f"ATTENDEE;CN={name};PARTSTAT={partstat}{cu}:mailto:{addr}"


def build(now: datetime, messages: int = 3000) -> Corpus:
    rng = random.Random(5)
    c = Corpus(now=now)
    for i in range(messages):
        outbound = i % 3 == 0
        draft = i % 97 == 0
        ident, raw = c.mail(rng, outbound=outbound, draft=draft)
        c.messages[ident] = ("sentitems" if outbound else "inbox", raw, draft)
        if i % 151 == 0:
            c.extra_copies[ident] = "inbox" if outbound else "sentitems"
    day = (now - timedelta(days=200)).strftime("%Y%m%d")
    me_att = f"ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:{ME}"
    weekly = (now - timedelta(days=300)).strftime("%Y%m%d")
    moved = (now - timedelta(days=300) + timedelta(days=14)).strftime("%Y%m%d")
    skipped = (now - timedelta(days=300) + timedelta(days=21)).strftime("%Y%m%d")
    c.ics_events = [
        event("weekly-1", f"{weekly}T090000", "Weekly sync", [me_att, attendee(1), attendee(2),
              attendee(900, cutype="ROOM")], end=f"{weekly}T093000",
              extra=f"RRULE:FREQ=WEEKLY;COUNT=70\nEXDATE;TZID=America/Los_Angeles:{skipped}T090000"),
        event("weekly-1", f"{moved}T140000", "Weekly sync (moved)", [me_att, attendee(1),
              attendee(2, "DECLINED")], end=f"{moved}T143000",
              extra=f"RECURRENCE-ID;TZID=America/Los_Angeles:{moved}T090000"),
        event("lunch-1", f"{day}T120000", "Lunch", [me_att, attendee(3)], tz="Europe/Berlin",
              end=f"{day}T130000"),
        event("declined-1", f"{day}T150000", "Declined", [f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ME}",
              attendee(4)], tz="Asia/Tokyo", end=f"{day}T160000"),
        event("offsite-1", day, "Offsite", [me_att, attendee(5), attendee(6)]),
        event("monthly-allday", (now - timedelta(days=400)).strftime("%Y%m%d"), "Monthly day",
              [me_att, attendee(7)], extra="RRULE:FREQ=MONTHLY;COUNT=20"),
        event("cancel-me", f"{day}T100000", "Will be cancelled", [me_att, attendee(8)],
              tz="Europe/London", end=f"{day}T110000"),
    ]  # fmt: skip
    return c


def change(c: Corpus, fake: FakeMicrosoft, rng_seed: int = 9) -> None:
    """What happens between two syncs: new mail, deletes, moves, a cancelled meeting."""
    rng = random.Random(rng_seed)
    inbox = sorted(i for i, (f, _r, _d) in c.messages.items() if f == "inbox")
    for ident in inbox[:10]:  # deleted
        del c.messages[ident]
        fake.box.remove("inbox", ident)
    for ident in inbox[10:20]:  # moved to Deleted Items: gone for kithkeep
        del c.messages[ident]
        fake.box.move("inbox", "deleteditems", ident)
    for ident in inbox[20:25]:  # moved to Sent Items: still there
        _f, raw, draft = c.messages[ident]
        c.messages[ident] = ("sentitems", raw, draft)
        fake.box.move("inbox", "sentitems", ident)
    for ident, other in list(c.extra_copies.items())[:3]:  # one of two copies goes
        fake.box.remove(other, ident + "-copy")
    for i in range(40):
        outbound = i % 2 == 0
        ident, raw = c.mail(rng, outbound=outbound)
        folder = "sentitems" if outbound else "inbox"
        c.messages[ident] = (folder, raw, False)
        fake.box.put(folder, ident, graph_message(raw))
    # The series loses an occurrence, a meeting is cancelled, a new one was held.
    gone = (c.now - timedelta(days=300) + timedelta(days=35)).strftime("%Y%m%d")
    c.ics_events[0] = c.ics_events[0].replace(
        "EXDATE;TZID=America/Los_Angeles:", f"EXDATE;TZID=America/Los_Angeles:{gone}T090000,"
    )
    c.ics_events = [e for e in c.ics_events if "UID:cancel-me" not in e]
    day = (c.now - timedelta(days=2)).strftime("%Y%m%d")
    c.ics_events.append(
        event("new-1", f"{day}T080000", "New one", [attendee(9)], tz="Australia/Sydney",
              end=f"{day}T090000")
    )  # fmt: skip
    cancelled = next(e for e in fake.box.calendar.items.values() if e["iCalUId"] == "cancel-me")
    c.sync_calendar(fake)
    # Graph keeps a cancelled meeting on an attendee's calendar, marked so.
    fake.box.put_event({**cancelled, "isCancelled": True})
