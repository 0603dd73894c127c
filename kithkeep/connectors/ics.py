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
from collections import deque
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
from kithkeep.connectors.ics_recent import Recent, fast_forward, sub_daily
from kithkeep.domain.interaction import (
    NAME_CHARS,
    Kind,
    Observation,
    Party,
    Response,
    Role,
    Signal,
    meeting_key,
)
from kithkeep.domain.rules import EARLIEST_PLAUSIBLE, normalize_address

#: Occurrences kept per series (the latest): a daily stand-up since 1990 is not 12,000
#: meetings worth of news, and a minutely rule must not eat the machine.
MAX_OCCURRENCES = 5000
# Enough for a daily series since 1990 (where expansion starts), so only sub-daily
# rules can run out before reaching `now`.
_GENERATED_PER_KEPT = 3
_PER_WINDOW = 300
# Expansion windows are in UTC while floating and all-day series are compared in
# wall-clock time; two days covers every UTC offset. Exact filtering happens after.
_MARGIN = timedelta(days=2)
_WINDOW = timedelta(minutes=15)

_BOM = b"\xef\xbb\xbf"
_HAS_CALENDAR = re.compile(rb"^BEGIN:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_BEGIN_EVENT = re.compile(rb"^BEGIN:VEVENT[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_BLOCK_ID = re.compile(rb"^(?:UID|TZID)(?:;[^:\r\n]*)?:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_HEADER = re.compile(rb"^(X-WR-TIMEZONE|METHOD):([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_FIRST_INNER = re.compile(rb"^BEGIN:(?!VCALENDAR)", re.IGNORECASE | re.MULTILINE)
_RECURRING = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE"})
_RESPONSES = {r.value: r for r in Response if r.value}


class _Unreadable(Exception):
    """An event kithkeep cannot use; its message is the Problem's reason."""


def parse_calendar(
    data: bytes, *, origin: str, now: datetime, local_tz: tzinfo, keep: int = 20_000
) -> tuple[list[Observation], list[Problem]]:
    """Meetings in one .ics file: every non-recurring event, and every occurrence of a
    recurring one that has started by `now` (the most recent `keep` of them in all).
    Floating and all-day times are read in `local_tz`. Never raises for bad input."""
    if now.tzinfo is None:
        now = _attach(now, local_tz)
    reader = _Reader(origin, now.astimezone(UTC), local_tz, Recent(keep))
    try:
        # The libraries warn about the very input this module exists to tolerate.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for cal in reader.calendars(_prepare(data)):
                reader.calendar(cal)
    except RecursionError:
        reader.problem("calendar too deeply nested")
    except Exception as e:  # bad input must be counted, never fatal
        reader.problem(f"unreadable calendar ({type(e).__name__})")
    return reader.recent.observations(), reader.problems + reader.recent.problems(origin)


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


class _Reader:
    """The observations and problems of one file, read calendar by calendar."""

    zones: _Zones
    cancel_all: bool
    sub_daily_cap: int

    def __init__(self, origin: str, now: datetime, local_tz: tzinfo, recent: Recent) -> None:
        self.origin, self.now, self.local_tz = origin, now, local_tz
        self.recent = recent
        self.problems: list[Problem] = []

    def problem(self, reason: str, uid: str = "") -> None:
        self.problems.append(Problem(reason, f"{self.origin}#{uid}" if uid else self.origin))

    def calendars(self, data: bytes) -> list[Any]:
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
                self.problem("no events in calendar")
            return parsed
        if not expected:
            self.problem(
                f"malformed calendar ({type(error).__name__})" if error else "no events in calendar"
            )
            return parsed
        return [self.salvage(data)]

    def salvage(self, data: bytes) -> Any:
        cal = Calendar()
        inner = _FIRST_INNER.search(data)
        for m in _HEADER.finditer(data[: inner.start()] if inner else data):
            cal.add(m.group(1).decode().upper(), m.group(2).decode(errors="replace").strip())
        # Time zones first: icalendar resolves an event's TZID while parsing the event.
        for kind, label in ((b"VTIMEZONE", "time zone"), (b"VEVENT", "event")):
            for block in _blocks(data, kind):
                try:
                    wrapped = b"BEGIN:VCALENDAR\r\n" + block + b"\r\nEND:VCALENDAR\r\n"
                    for c in Calendar.from_ical(wrapped).subcomponents:
                        cal.add_component(c)
                except Exception as e:
                    tag = _BLOCK_ID.search(block)
                    uid = tag.group(1).decode(errors="replace").strip() if tag else ""
                    self.problem(f"malformed {label} ({type(e).__name__})", uid)
        return cal

    def calendar(self, cal: Any) -> None:
        if "X-WR-TIMEZONE" in cal:
            try:
                cal = x_wr_timezone.to_standard(cal)
            except Exception as e:
                self.problem(f"unknown X-WR-TIMEZONE ({type(e).__name__})")
        self.zones = _Zones(cal, self.local_tz)
        self.cancel_all = _text(cal.get("METHOD")).upper() == "CANCEL"
        series: dict[str, list[Any]] = {}
        for event in _events(cal):
            # Events without a UID cannot be told apart from each other: never a series.
            key = _text(event.get("UID")) or f"\x00{len(series)}"
            series.setdefault(key, []).append(event)
        many = sum(1 for events in series.values() if any(sub_daily(e) for e in events))
        self.sub_daily_cap = min(MAX_OCCURRENCES, max(50, self.recent.keep // max(many, 1)))
        for key, events in series.items():
            uid = key if key[:1] != "\x00" else ""
            readable = [e for e in events if self.check(e, uid)]
            if readable:
                self.series(uid or _derived_uid(readable[0]), readable, uid)

    def check(self, event: Any, uid: str) -> bool:
        """Whether an event can be placed in time; recurrence dates that did not parse
        are dropped (one bad RDATE must not cost the whole series)."""
        try:
            _start(event)
        except _Unreadable as e:
            self.problem(str(e), uid)
            return False
        for name in ("RRULE", "RECURRENCE-ID"):
            if any(isinstance(v, vBroken) for v in _all(event.get(name))):
                self.problem(f"unreadable {name}", uid)
                return False
        for name in ("RDATE", "EXDATE"):
            values = _all(event.get(name))
            good = [v for v in values if not isinstance(v, vBroken)]
            if len(good) < len(values):
                self.problem(f"unreadable {name}", uid)
                event.pop(name)
                for v in good:
                    event.add(name, v, encode=False)
        return True

    def series(self, uid: str, events: list[Any], where: str) -> None:
        try:
            if len(events) == 1 and not any(p in events[0] for p in _RECURRING):
                start = self.zones.utc(_start(events[0]))
                self.recent.add(self.observe(events[0], uid, start, None))
            else:
                for o in self.expand(uid, events, where):
                    self.recent.add(o)
        except _Unreadable as e:
            self.problem(str(e), where)
        except Exception as e:
            self.problem(f"bad recurrence ({type(e).__name__})", where)

    def expand(self, uid: str, events: list[Any], where: str) -> list[Observation]:
        """The series' occurrences that started by `now`, the latest `MAX_OCCURRENCES`
        of them. Walked forward in windows sized to the series' density, so a rule with
        millions of occurrences costs a bounded amount of work, not all of memory."""
        # A sub-daily series shares the file's room with the others of its kind.
        cap = self.sub_daily_cap if any(sub_daily(e) for e in events) else MAX_OCCURRENCES
        forwarded = set()
        mini = Calendar()
        for event in events:
            forwarded.add(fast_forward(event, self.now, cap))
            mini.add_component(event)
        exact = bool(forwarded - {""})
        query = CalendarQuery(mini, components=("VEVENT",))
        utc = self.zones.utc
        starts = [utc(_start(e)) for e in events]
        starts += [utc(r) for r in (_date(e.get("RECURRENCE-ID")) for e in events) if r is not None]
        first = max(min(starts), EARLIEST_PLAUSIBLE)
        if first > self.now:
            return []
        high = self.now if exact else self.now + _MARGIN
        # Nothing starts inside the margin, so the first window spans it without growing.
        low, stop, window = first - _MARGIN, min(first + _WINDOW, high), _WINDOW
        kept: deque[Observation] = deque(maxlen=cap)
        seen: set[datetime] = set()
        generated, truncated = 0, "moved" in forwarded
        while True:
            found = query.between(low, stop)
            generated += len(found)
            for occurrence in found:
                start = utc(_start(occurrence))
                rid = _date(occurrence.get("RECURRENCE-ID"))
                original = utc(rid) if rid is not None else start
                if start <= self.now and original not in seen:
                    seen.add(original)
                    truncated |= len(kept) == cap
                    kept.append(self.observe(occurrence, uid, start, original))
            if generated > _GENERATED_PER_KEPT * cap:
                truncated = True
                break
            if stop >= high:
                break
            # About _PER_WINDOW occurrences a call: each call re-walks the rule from its start.
            window = max(window * min(4.0, max(0.25, _PER_WINDOW / max(len(found), 1))), _WINDOW)
            low, stop = stop, min(stop + window, high)
        if truncated:
            self.problem("recurrence truncated", where)
        return list(kept)

    def observe(
        self, event: Any, uid: str, start: datetime, recurrence_id: datetime | None
    ) -> Observation:
        cancelled = self.cancel_all or _text(event.get("STATUS")).upper() == "CANCELLED"
        return Observation(
            kind=Kind.MEETING,
            natural_key=meeting_key(uid, recurrence_id),
            occurred_at=start,
            sender=_organizer(event.get("ORGANIZER")),
            parties=_attendees(event.get("ATTENDEE")),
            subject=" ".join(_text(event.get("SUMMARY")).split())[:300],
            thread_key=uid,
            message_id="",
            signals=(Signal.CANCELLED.value,) if cancelled else (),
            date_source="header",
            origin=self.origin,
        )


def _blocks(data: bytes, name: bytes) -> list[bytes]:
    """Each BEGIN:name … END:name block, closed where the next one or the calendar
    begins or ends if its END line is missing."""
    begin, end = b"BEGIN:" + name, b"END:" + name
    blocks: list[bytes] = []
    current: list[bytes] | None = None
    for line in data.splitlines():
        key = line.rstrip().upper()
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
                return tzp.create_timezone(self._own[name])
        except Exception:
            return tz
        return self._local


def _attach(naive: datetime, tz: tzinfo) -> datetime:
    localize = getattr(tz, "localize", None)  # pytz zones need it
    return localize(naive) if callable(localize) else naive.replace(tzinfo=tz)


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
    return " ".join(str(value).split())[:NAME_CHARS] if value is not None else ""


def _address(prop: Any) -> str:
    # Writers that fold with two spaces leave one inside the address; a mailto URI
    # never holds whitespace, so it can only be such debris.
    return normalize_address("".join(_text(prop).split()))


def _organizer(prop: Any) -> Party | None:
    prop = _first(prop)
    address = _address(prop)
    return Party(address, _param(prop, "CN"), Role.ATTENDEE) if address else None


def _attendees(props: Any) -> tuple[Party, ...]:
    parties: dict[str, Party] = {}
    for prop in _all(props):
        address = _address(prop)
        if not address or address in parties or _param(prop, "CUTYPE").upper() in _NOT_PEOPLE:
            continue
        response = _RESPONSES.get(_param(prop, "PARTSTAT").lower(), Response.UNKNOWN)
        parties[address] = Party(address, _param(prop, "CN"), Role.ATTENDEE, response)
    return tuple(parties.values())
