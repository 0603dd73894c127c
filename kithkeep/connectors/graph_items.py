"""Graph resources as kithkeep reads them: a message as an RFC 822 header block (so it has
the identity its file would have), a meeting's times in UTC, its people as `Party`s.

Windows time zone names ("Pacific Standard Time") are mapped with the CLDR table that
icalendar ships; Exchange X.500 addresses without an SMTP address are counted, never
made into people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from email.utils import format_datetime, formataddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from kithkeep.domain.interaction import Party, Response, Role
from kithkeep.domain.rules import normalize_address

_HEADERS_KEPT = frozenset(
    {
        "list-id",
        "list-unsubscribe",
        "precedence",
        "auto-submitted",
        "in-reply-to",
        "references",
        "x-autoreply",
        "x-autorespond",
    }
)
_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "organizer": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentativelyaccepted": Response.TENTATIVE,
    "notresponded": Response.NEEDS_ACTION,
}


# -- messages ----------------------------------------------------------------------------


@dataclass
class Unresolved:
    """Exchange X.500 / legacy DN addresses Graph gave no SMTP address for."""

    count: int = 0


def _smtp(email: Any, unresolved: Unresolved) -> tuple[str, str] | None:
    if not isinstance(email, dict):
        return None
    inner = email.get("emailAddress", email)
    name = str(inner.get("name") or "").replace("\r", " ").replace("\n", " ").strip()
    address = normalize_address(str(inner.get("address") or ""))
    if not address:
        # An X.500 DN where the SMTP address is unknown: Graph sometimes puts it in the name.
        address = normalize_address(name)
        if not address:
            if inner.get("address") or name:
                unresolved.count += 1
            return None
        name = ""
    if name.lower() == address:
        name = ""  # Graph repeats the address where a message had no display name
    return name, address


def header_block(message: dict[str, Any], unresolved: Unresolved) -> bytes:
    """An RFC 822 header block (and the preview as its body) of a Graph message."""
    lines: list[str] = []

    def put(name: str, value: str) -> None:
        lines.append(f"{name}: {' '.join(value.split())}")

    sender = _smtp(message.get("from"), unresolved)
    if sender:
        put("From", formataddr(sender))
    for name, prop in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Bcc", "bccRecipients")):
        found = [_smtp(r, unresolved) for r in message.get(prop) or ()]
        pairs = [formataddr(p) for p in found if p]
        if pairs:
            put(name, ", ".join(pairs))
    when = instant(message.get("sentDateTime")) or instant(message.get("receivedDateTime"))
    if when is not None:
        put("Date", format_datetime(when))
    if message.get("subject"):
        put("Subject", str(message["subject"]))
    if message.get("internetMessageId"):
        put("Message-ID", str(message["internetMessageId"]))
    for h in message.get("internetMessageHeaders") or ():
        if isinstance(h, dict) and str(h.get("name", "")).lower() in _HEADERS_KEPT:
            put(str(h["name"]), str(h.get("value", "")))
    preview = str(message.get("bodyPreview") or "")
    if preview:
        put("Content-Type", "text/plain; charset=utf-8")
    return ("\r\n".join(lines) + "\r\n\r\n" + preview).encode("utf-8", "surrogatepass")


def instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


# -- meetings ----------------------------------------------------------------------------


def windows_zone(name: str, fallback: tzinfo) -> tzinfo:
    """A Graph `timeZone` (a Windows name, or IANA, or UTC) as a zone (CLDR's mapping)."""
    olson = WINDOWS_TO_OLSON.get(name.strip())
    for candidate in (olson, name.strip()):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return fallback


def when(value: Any, all_day: bool, local_tz: tzinfo) -> datetime | None:
    """A Graph dateTimeTimeZone in UTC; all-day dates at midnight in `local_tz`, as .ics."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    try:
        wall = datetime.fromisoformat(str(value["dateTime"]).rstrip("Z"))
    except ValueError:
        return None
    if all_day:
        return midnight(wall.date(), local_tz)
    zone = windows_zone(str(value.get("timeZone") or "UTC"), UTC)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def midnight(day: date, local_tz: tzinfo) -> datetime:
    naive = datetime.combine(day, time())
    localize = getattr(local_tz, "localize", None)
    aware = localize(naive) if callable(localize) else naive.replace(tzinfo=local_tz)
    return aware.astimezone(UTC)


def party(value: Any, role: str = Role.ATTENDEE) -> Party | None:
    inner = value.get("emailAddress") if isinstance(value, dict) else None
    if not isinstance(inner, dict):
        return None
    address = normalize_address(str(inner.get("address") or ""))
    if not address:
        return None
    name = " ".join(str(inner.get("name") or "").split())
    status = value.get("status") or {}
    response = _RESPONSES.get(str(status.get("response", "")).lower(), Response.UNKNOWN)
    return Party(address, "" if name.lower() == address else name, role, response)
