"""The sample's messages and meetings, and how they are written: an mbox and an .ics.

`mbox_entry` writes one message as an mbox entry (its `From ` line escaped in the body),
`calendar` every meeting as one iCalendar file, folded as RFC 5545 asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FROM_LINE = re.compile(r"^(>*From )", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Who:
    """Someone in the sample: a name, an address, and the time zone they live in."""

    name: str
    address: str
    tz: ZoneInfo

    @property
    def first(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the sample; `parents` are the thread's earlier message ids."""

    when: datetime
    sender: Who
    to: tuple[Who, ...]
    cc: tuple[Who, ...]
    subject: str
    message_id: str
    parents: tuple[str, ...]
    body: str
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting (`weekly`: a weekly series of that many, but its `skip_week`)."""

    start: datetime
    minutes: int
    summary: str
    organizer: Who
    attendees: tuple[tuple[Who, str], ...]
    cancelled: bool = False
    weekly: int = 0
    skip_week: int | None = None


def mbox_entry(m: Message) -> str:
    """One message as an mbox entry, its `From ` line and headers included."""
    u = m.when
    envelope = f"{_DAYS[u.weekday()]} {_MONTHS[u.month - 1]} {u.day:2d} {u:%H:%M:%S} {u.year}"
    subject = m.subject if m.subject.isascii() else Header(m.subject, "utf-8").encode()
    lines = [
        f"From {m.sender.address} {envelope}",
        "From: " + formataddr((m.sender.name, m.sender.address)),
        "To: " + ",\n ".join(formataddr((w.name, w.address)) for w in m.to),
    ]
    if m.cc:
        lines.append("Cc: " + ",\n ".join(formataddr((w.name, w.address)) for w in m.cc))
    lines += [
        "Date: " + format_datetime(u.astimezone(m.sender.tz)),
        "Subject: " + subject,
        f"Message-ID: <{m.message_id}>",
    ]
    if m.parents:
        lines.append(f"In-Reply-To: <{m.parents[-1]}>")
        lines.append("References: " + "\n ".join(f"<{p}>" for p in m.parents))
    lines += [f"{k}: {v}" for k, v in m.extra]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    lines += ["Content-Transfer-Encoding: 8bit", "", _FROM_LINE.sub(r">\1", m.body)]
    return "\n".join(lines) + "\n"


def calendar(meetings: list[Meeting], anchor: datetime) -> bytes:
    """Every meeting as one iCalendar file, stamped at `anchor`."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kithkeep//demo sample//EN"]
    lines += ["CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for n, m in enumerate(sorted(meetings, key=lambda m: (m.start, m.summary))):
        lines += [
            "BEGIN:VEVENT",
            f"UID:demo-{n:04d}-{m.start:%Y%m%d}@example.com",
            f"DTSTAMP:{_utc(anchor)}",
            f"DTSTART:{_utc(m.start)}",
            f"DTEND:{_utc(m.start + timedelta(minutes=m.minutes))}",
            f"SUMMARY:{_text(m.summary)}",
            f"ORGANIZER;CN={_cn(m.organizer.name)}:mailto:{m.organizer.address}",
        ]
        lines += [
            f"ATTENDEE;CN={_cn(w.name)};ROLE=REQ-PARTICIPANT;PARTSTAT={s}:mailto:{w.address}"
            for w, s in m.attendees
        ]
        lines.append("STATUS:" + ("CANCELLED" if m.cancelled else "CONFIRMED"))
        if m.weekly:
            lines.append(f"RRULE:FREQ=WEEKLY;COUNT={m.weekly}")
        if m.skip_week is not None:
            lines.append(f"EXDATE:{_utc(m.start + timedelta(weeks=m.skip_week))}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return b"".join(_fold(line) for line in lines)


def _utc(t: datetime) -> str:
    return f"{t.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _cn(name: str) -> str:
    return f'"{name}"' if any(c in name for c in ":;,") else name


def _fold(line: str) -> bytes:
    """RFC 5545 folding: at most 75 octets a line, never inside a UTF-8 character."""
    data, out = line.encode("utf-8"), []
    while len(data) > 75:
        cut = 75
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        out.append(data[:cut])
        data = b" " + data[cut:]
    out.append(data)
    return b"\r\n".join(out) + b"\r\n"
