"""iCalendar (.ics) bytes to meeting `Observation`s: one per occurrence that has started.

icalendar parses, recurring_ical_events expands recurrences (RRULE, RDATE, EXDATE,
RECURRENCE-ID overrides) and x_wr_timezone applies Google's X-WR-TIMEZONE. This
module decides which occurrences count, turns their start into UTC, and reports
whatever it cannot read as a `Problem` instead of raising: a broken file is read
event by event, a broken event or series costs only itself.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import x_wr_timezone
from icalendar import Calendar
from icalendar.prop import vBroken
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import CalendarQuery

from kithkeep.connectors.base import Problem
from kithkeep.domain.interaction import (
    Kind,
    Observation,
    Party,
    Response,
    Role,
    Signal,
    meeting_key,
)
from kithkeep.domain.rules import normalize_address

#: Occurrences kept per series; a minutely rule since 1990 must not eat the machine.
MAX_OCCURRENCES = 5000
_MAX_GENERATED = 4 * MAX_OCCURRENCES
# Expansion windows are in UTC while floating and all-day series are compared in
# wall-clock time; two days covers every UTC offset. Exact filtering happens after.
_MARGIN = timedelta(days=2)
_FIRST_WINDOW = timedelta(hours=1)
_MIN_WINDOW = timedelta(minutes=15)

_BOM = b"\xef\xbb\xbf"
_HAS_CALENDAR = re.compile(rb"^[ \t]*BEGIN:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_BEGIN_EVENT = re.compile(rb"^[ \t]*BEGIN:VEVENT[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_UID_LINE = re.compile(rb"^UID[;:][^\r\n]*?([^:\r\n]+)\r?$", re.IGNORECASE | re.MULTILINE)
_HEADER = re.compile(rb"^(X-WR-TIMEZONE|METHOD):([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_FIRST_INNER = re.compile(rb"^[ \t]*BEGIN:(?!VCALENDAR)", re.IGNORECASE | re.MULTILINE)
_RECURRING = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE"})
_RESPONSES = {r.value: r for r in Response if r.value}


class _Unreadable(Exception):
    """An event kithkeep cannot use; its message is the Problem's reason."""


def parse_calendar(
    data: bytes, *, origin: str, now: datetime, local_tz: tzinfo
) -> tuple[list[Observation], list[Problem]]:
    """Meetings in one .ics file: every non-recurring event, and every occurrence of a
    recurring one that has started by `now`. Floating and all-day times are read in
    `local_tz`. Never raises for bad input."""
    if now.tzinfo is None:
        now = _attach(now, local_tz)
    try:
        # The libraries warn about the very input this module exists to tolerate.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _parse(data, origin, now.astimezone(UTC), local_tz)
    except RecursionError:
        return [], [Problem("calendar too deeply nested", origin)]
    except Exception as e:  # bad input must be counted, never fatal
        return [], [Problem(f"unreadable calendar ({type(e).__name__})", origin)]


def _parse(
    data: bytes, origin: str, now: datetime, local_tz: tzinfo
) -> tuple[list[Observation], list[Problem]]:
    data = _prepare(data)
    observations: list[Observation] = []
    problems: list[Problem] = []
    for cal in _calendars(data, origin, problems):
        _read_calendar(cal, origin, now, local_tz, observations, problems)
    return observations, problems


def _prepare(data: bytes) -> bytes:
    """UTF-8 bytes without a BOM, wrapped in a VCALENDAR if they are bare events."""
    data = data.removeprefix(_BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Outlook-era exports are often Windows-1252; icalendar would turn them into �.
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    if not _HAS_CALENDAR.search(data) and _BEGIN_EVENT.search(data):
        data = b"BEGIN:VCALENDAR\r\n" + data.strip() + b"\r\nEND:VCALENDAR\r\n"
    return data


def _calendars(data: bytes, origin: str, problems: list[Problem]) -> list[Any]:
    """The file's VCALENDARs; if a strict parse fails or loses events, the events
    parsed one by one into a single calendar."""
    expected = len(_BEGIN_EVENT.findall(data))
    error: Exception | None = None
    try:
        # Always bytes: icalendar reads a line-break-free *str* as a file path.
        parsed = [c for c in Calendar.from_ical(data, multiple=True) if c.name == "VCALENDAR"]
    except Exception as e:
        parsed, error = [], e
    if error is None and sum(len(_events(c)) for c in parsed) >= expected:
        if not expected and not any(c.subcomponents for c in parsed):
            problems.append(Problem("no events in calendar", origin))
        return parsed
    if not expected:
        reason = f"malformed calendar ({type(error).__name__})" if error else "no events in calendar"
        problems.append(Problem(reason, origin))
        return parsed
    return [_salvage(data, origin, problems)]


def _salvage(data: bytes, origin: str, problems: list[Problem]) -> Any:
    cal = Calendar()
    inner = _FIRST_INNER.search(data)
    for m in _HEADER.finditer(data[: inner.start()] if inner else data):
        cal.add(m.group(1).decode().upper(), m.group(2).decode(errors="replace").strip())
    # Time zones first: icalendar resolves an event's TZID while parsing it.
    for kind, label in ((b"VTIMEZONE", "time zone"), (b"VEVENT", "event")):
        for block in _blocks(data, kind):
            try:
                wrapped = b"BEGIN:VCALENDAR\r\n" + block + b"\r\nEND:VCALENDAR\r\n"
                for c in Calendar.from_ical(wrapped).subcomponents:
                    cal.add_component(c)
            except Exception as e:
                uid = _UID_LINE.search(block)
                name = re.search(rb"^TZID:([^\r\n]*)", block, re.MULTILINE)
                tag = uid or name
                where = f"{origin}#{tag.group(1).decode(errors='replace').strip()}" if tag else origin
                problems.append(Problem(f"malformed {label} ({type(e).__name__})", where))
    return cal


def _blocks(data: bytes, name: bytes) -> list[bytes]:
    """Each BEGIN:name … END:name block, closed where the next one or the calendar
    begins or ends if its END line is missing."""
    begin, end = b"BEGIN:" + name, b"END:" + name
    blocks: list[bytes] = []
    current: list[bytes] | None = None
    for line in data.splitlines():
        key = line.strip().upper()
        if key == begin:
            if current is not None:
                blocks.append(b"\r\n".join([*current, end]))
            current = [line]
        elif current is not None:
            if key in (end, b"END:VCALENDAR", b"BEGIN:VCALENDAR"):
                blocks.append(b"\r\n".join([*current, end]))
                current = None
            else:
                current.append(line)
    if current is not None:
        blocks.append(b"\r\n".join([*current, end]))
    return blocks


def _events(cal: Any) -> list[Any]:
    return [c for c in cal.subcomponents if c.name == "VEVENT"]


def _read_calendar(
    cal: Any,
    origin: str,
    now: datetime,
    local_tz: tzinfo,
    observations: list[Observation],
    problems: list[Problem],
) -> None:
    if "X-WR-TIMEZONE" in cal:
        try:
            cal = x_wr_timezone.to_standard(cal)
        except Exception as e:
            problems.append(Problem(f"unknown X-WR-TIMEZONE ({type(e).__name__})", origin))
    zones = _Zones(cal, local_tz)
    cancel_all = _text(cal.get("METHOD")).upper() == "CANCEL"
    series: dict[str, list[Any]] = {}
    for event in _events(cal):
        uid = _text(event.get("UID"))
        # Events without a UID cannot be told apart from each other: never a series.
        series.setdefault(uid or f"\x00{len(series)}", []).append(event)
    for uid, events in series.items():
        uid = uid if uid[:1] != "\x00" else _derived_uid(events[0])
        where = f"{origin}#{uid}" if events[0].get("UID") else origin
        readable = []
        for event in events:
            try:
                _check(event, problems, where)
                readable.append(event)
            except _Unreadable as e:
                problems.append(Problem(str(e), where))
        if readable:
            observations += _read_series(readable, _Maker(uid, origin, zones, cancel_all), now, problems, where)


def _read_series(
    events: list[Any], make: _Maker, now: datetime, problems: list[Problem], where: str
) -> list[Observation]:
    try:
        if len(events) == 1 and not any(p in events[0] for p in _RECURRING):
            start = make.zones.utc(_start(events[0]))
            return [make(events[0], start, meeting_key(make.uid, None))]
        return _expand(events, make, now, problems, where)
    except _Unreadable as e:
        problems.append(Problem(str(e), where))
    except Exception as e:
        problems.append(Problem(f"bad recurrence ({type(e).__name__})", where))
    return []


def _check(event: Any, problems: list[Problem], where: str) -> None:
    """Raise for an event that cannot be placed in time; drop recurrence dates that
    did not parse (one bad RDATE must not cost the whole series)."""
    _start(event)
    for name in ("RRULE", "RECURRENCE-ID"):
        if any(isinstance(v, vBroken) for v in _all(event.get(name))):
            raise _Unreadable(f"unreadable {name}")
    for name in ("RDATE", "EXDATE"):
        values = _all(event.get(name))
        good = [v for v in values if not isinstance(v, vBroken)]
        if len(good) < len(values):
            problems.append(Problem(f"unreadable {name}", where))
            event.pop(name)
            for v in good:
                event.add(name, v, encode=False)


def _expand(
    events: list[Any],
    make: _Maker,
    now: datetime,
    problems: list[Problem],
    where: str,
) -> list[Observation]:
    """The series' occurrences that started by `now`, walked in growing windows so
    that a rule with millions of occurrences stops at the cap, not at memory."""
    mini = Calendar()
    for event in events:
        mini.add_component(event)
    query = CalendarQuery(mini, components=("VEVENT",))
    zones = make.zones
    starts = [zones.utc(_start(e)) for e in events]
    starts += [zones.utc(rid) for rid in (_date(e.get("RECURRENCE-ID")) for e in events) if rid]
    low, high = min(starts) - _MARGIN, now + _MARGIN
    out: list[Observation] = []
    seen: set[str] = set()
    generated = 0
    window = _FIRST_WINDOW
    while low < high:
        stop = min(low + window, high)
        found = query.between(low, stop)
        generated += len(found)
        for occurrence in found:
            start = zones.utc(_start(occurrence))
            if start > now:
                continue
            rid = _date(occurrence.get("RECURRENCE-ID"))
            key = meeting_key(make.uid, zones.utc(rid) if rid is not None else start)
            if key in seen:
                continue
            if len(out) >= MAX_OCCURRENCES:
                problems.append(Problem("recurrence truncated", where))
                return out
            seen.add(key)
            out.append(make(occurrence, start, key))
        if generated > _MAX_GENERATED:
            problems.append(Problem("recurrence truncated", where))
            return out
        if len(found) < 20:
            window *= 4
        elif len(found) > 400:
            window = max(window / 4, _MIN_WINDOW)
        low = stop
    return out


class _Maker:
    """Builds the Observation for one occurrence of one UID."""

    def __init__(self, uid: str, origin: str, zones: _Zones, cancel_all: bool) -> None:
        self.uid, self.origin, self.zones, self.cancel_all = uid, origin, zones, cancel_all

    def __call__(self, event: Any, start: datetime, key: str) -> Observation:
        cancelled = self.cancel_all or _text(event.get("STATUS")).upper() == "CANCELLED"
        return Observation(
            kind=Kind.MEETING,
            natural_key=key,
            occurred_at=start,
            sender=_organizer(event.get("ORGANIZER")),
            parties=_attendees(event.get("ATTENDEE")),
            subject=" ".join(_text(event.get("SUMMARY")).split())[:300],
            thread_key=self.uid,
            message_id="",
            signals=(Signal.CANCELLED.value,) if cancelled else (),
            date_source="header",
            origin=self.origin,
        )


class _Zones:
    """Times to UTC, trusting the IANA database over a calendar's VTIMEZONE text.

    icalendar maps a Windows TZID only when no VTIMEZONE defines it, and caches
    custom VTIMEZONEs process-wide by name (the first file to define one wins), so
    both are re-resolved here: Windows names via icalendar's own table, other
    custom names from this calendar's definition, unknown ones to `local_tz`.
    """

    def __init__(self, cal: Any, local_tz: tzinfo) -> None:
        self._own = {_text(c.get("TZID")): c for c in cal.walk("VTIMEZONE")}
        self._resolved: dict[str, tzinfo] = {}
        self._local = local_tz

    def utc(self, value: date) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return _attach(value, self._local).astimezone(UTC)
            return value.replace(tzinfo=self._zone(value.tzinfo)).astimezone(UTC)
        return _attach(datetime.combine(value, time()), self._local).astimezone(UTC)

    def _zone(self, tz: tzinfo) -> tzinfo:
        name = getattr(tz, "_tzid", None)  # set on dateutil zones built from a VTIMEZONE
        if not isinstance(name, str):
            return tz
        if name not in self._resolved:
            self._resolved[name] = self._resolve(name, tz)
        return self._resolved[name]

    def _resolve(self, name: str, tz: tzinfo) -> tzinfo:
        olson = WINDOWS_TO_OLSON.get(name.strip().strip("/"))
        try:
            if olson:
                return ZoneInfo(olson)
            if name in self._own:
                return tzp.create_timezone(self._own[name])  # type: ignore[no-any-return]
        except Exception:
            return tz
        return self._local


def _attach(naive: datetime, tz: tzinfo) -> datetime:
    localize = getattr(tz, "localize", None)  # pytz zones need it
    return localize(naive) if callable(localize) else naive.replace(tzinfo=tz)  # type: ignore[no-any-return]


def _all(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str:
    value = _first(value)
    return "" if value is None or isinstance(value, list) else str(value).strip()


def _date(prop: Any) -> date | None:
    try:
        value = _first(prop).dt if prop is not None else None
    except Exception:  # icalendar's vBroken raises for .dt
        return None
    return value if isinstance(value, date) else None


def _start(event: Any) -> date:
    prop = event.get("DTSTART")
    if prop is None:
        raise _Unreadable("event without DTSTART")
    value = _date(prop)
    if value is None:
        raise _Unreadable("unreadable DTSTART")
    return value


def _derived_uid(event: Any) -> str:
    start = _first(event.get("DTSTART"))
    tzid = _param(start, "TZID")
    raw = start.to_ical().decode() if hasattr(start, "to_ical") else ""
    parts = [_text(event.get("SUMMARY")), f"{tzid}:{raw}", _text(event.get("ORGANIZER")).lower()]
    return "sha1-" + hashlib.sha1("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()


def _param(prop: Any, name: str) -> str:
    params = getattr(prop, "params", None)
    value = _first(params.get(name)) if params else None
    return " ".join(str(value).split()) if value is not None else ""


def _organizer(prop: Any) -> Party | None:
    prop = _first(prop)
    address = normalize_address(_text(prop)) if prop is not None else ""
    return Party(address, _param(prop, "CN"), Role.ATTENDEE) if address else None


def _attendees(props: Any) -> tuple[Party, ...]:
    parties: dict[str, Party] = {}
    for prop in _all(props):
        address = normalize_address(_text(prop))
        if not address or address in parties or _param(prop, "CUTYPE").upper() in _NOT_PEOPLE:
            continue
        response = _RESPONSES.get(_param(prop, "PARTSTAT").lower(), Response.UNKNOWN)
        parties[address] = Party(address, _param(prop, "CN"), Role.ATTENDEE, response)
    return tuple(parties.values())
