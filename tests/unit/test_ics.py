"""The .ics connector against 52 real-world calendars and hand-written edge cases."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kithkeep.connectors.base import Problem
from kithkeep.connectors.ics import MAX_OCCURRENCES, parse_calendar
from kithkeep.domain.interaction import Kind, Observation, Response, meeting_key

ICS_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "ics"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
MALFORMED = (
    "rie__end_before_start_event.ics",
    "rie__bad_rrule_missing_until_event.ics",
    "rie__issue_132_swapped_start_and_end.ics",
    "icalendar__broken_ical.ics",
    "icalendar__big_bad_calendar.ics",
    "khal__invalid_tzoffset.ics",
    "icaljs__blank_line_mid.ics",
    "radicale__broken-vevent.ics",
)


Results = dict[str, tuple[list[Observation], list[Problem]]]


def parse(
    data: bytes, *, now: datetime = NOW, local_tz: tzinfo = BERLIN, origin: str = "test.ics"
) -> tuple[list[Observation], list[Problem]]:
    """parse_calendar, checking what every result must be whatever the input."""
    observations, problems = parse_calendar(data, origin=origin, now=now, local_tz=local_tz)
    for o in observations:
        assert isinstance(o, Observation)
        assert o.kind is Kind.MEETING
        assert o.occurred_at.utcoffset() is not None
        assert o.message_id == ""
        assert o.natural_key.startswith("ical:")
    for p in problems:
        assert isinstance(p, Problem)
        assert p.reason
        assert p.where.startswith(origin)
    return observations, problems


def ics_dir() -> Path:
    if not ICS_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{ICS_DIR} is missing, and CI must run the tests that read it")
        pytest.skip(f"{ICS_DIR} is missing: these tests need the shared .ics files beside the repo")
    return ICS_DIR


def real(name: str, now: datetime = NOW) -> tuple[list[Observation], list[Problem]]:
    return parse((ics_dir() / name).read_bytes(), now=now, origin=name)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def cal(*lines: str) -> bytes:
    return (
        "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR"]) + "\r\n"
    ).encode()


def event(*lines: str, uid: str = "e1@test") -> str:
    head = [f"UID:{uid}"] if uid else []
    return "\r\n".join(["BEGIN:VEVENT", *head, *lines, "END:VEVENT"])


@pytest.fixture(scope="module")
def every_file() -> Results:
    files = sorted(ics_dir().glob("*.ics"))
    return {f.name: parse(f.read_bytes(), origin=f.name) for f in files}


# --- the 52 real files -------------------------------------------------------------


def test_every_real_file_parses_without_raising(every_file: Results) -> None:
    assert len(every_file) == 52
    assert sum(len(o) for o, _ in every_file.values()) > 0
    assert sum(len(p) for _, p in every_file.values()) > 0


def test_each_malformed_file_yields_observations_or_a_problem(every_file: Results) -> None:
    for name in MALFORMED:
        observations, problems = every_file[name]
        assert observations or problems, name


def test_problem_reasons_are_short_and_groupable(every_file: Results) -> None:
    reasons = {p.reason for _, problems in every_file.values() for p in problems}
    for reason in reasons:
        assert re.fullmatch(r"[a-zA-Z -]+( \([A-Za-z]+\))?", reason), reason


def test_big_google_export_parses_quickly_enough(every_file: Results) -> None:
    observations, problems = every_file["rie__issue42.ics"]
    assert len(observations) > 4000
    assert not problems


def test_partstat_is_kept_per_attendee() -> None:
    [o], _ = real("khal__event_dt_partstat.ics")
    responses = {p.address: p.response for p in o.parties}
    assert responses == {
        "hcabot@example.com": Response.TENTATIVE,
        "iamboss@example.com": Response.DELEGATED,
        "jdoe@example.com": Response.ACCEPTED,
        "jqpublic@example.com": Response.ACCEPTED,
        "another@example.com": Response.DECLINED,
        "tent@example.com": Response.TENTATIVE,
    }
    assert {p.address: p.name for p in o.parties}["jdoe@example.com"] == "Jane Doe"
    assert o.occurred_at == utc(2014, 4, 9, 7, 30)


def test_exdate_removes_exactly_the_excluded_occurrences() -> None:
    observations, _ = real("rie__each_week_but_two_deleted.ics")
    starts = {o.occurred_at for o in observations}
    assert len(observations) == 6  # COUNT=8, two EXDATEs
    assert utc(2019, 3, 10, 23, 30) not in starts
    assert utc(2019, 3, 24, 23, 30) not in starts
    assert utc(2019, 3, 17, 23, 30) in starts


def test_exdate_list_across_dst_is_respected() -> None:
    observations, _ = real("rie__issue_20_exdate_ignored.ics")
    starts = {o.occurred_at for o in observations}
    assert utc(2019, 10, 22, 14, 15) not in starts
    assert utc(2019, 10, 29, 15, 15) in starts


def test_recurrence_id_override_moves_an_occurrence() -> None:
    observations, _ = real("rie__issue_62_moved_event.ics", now=utc(2022, 2, 1))
    uid = "38m812jicsrer5gorh3mlp7qhc@google.com"
    by_key = {o.natural_key: o for o in observations}
    moved = by_key[meeting_key(uid, utc(2021, 12, 31, 20, 30))]
    assert moved.occurred_at == utc(2021, 12, 17, 20, 30)
    assert utc(2021, 12, 31, 20, 30) not in {o.occurred_at for o in observations}
    assert utc(2021, 11, 26, 20, 30) in {o.occurred_at for o in observations}
    assert {o.thread_key for o in observations} == {uid}


def test_cancelled_occurrence_is_emitted_with_the_signal() -> None:
    observations, _ = real("rie__issue_18_cancel_status.ics")
    signals = {o.occurred_at: o.signals for o in observations}
    assert signals == {
        utc(2020, 1, 28, 21): (),
        utc(2020, 1, 29, 21): ("cancelled",),
        utc(2020, 1, 30, 21): (),
    }
    khal, _ = real("khal__event_rrule_recuid_cancelled.ics")
    cancelled = [o.occurred_at for o in khal if "cancelled" in o.signals]
    assert cancelled == [utc(2014, 7, 14, 5)]


def test_windows_tzid_maps_to_new_zealand_not_the_bogus_vtimezone() -> None:
    [o], _ = real("khal__tz_windows_format.ics")
    # 13:00 in Auckland on 20 Nov 2019 is NZDT, UTC+13; the file's VTIMEZONE says +01:00.
    assert o.occurred_at == utc(2019, 11, 20, 0, 0)
    assert o.occurred_at.astimezone(ZoneInfo("Pacific/Auckland")).hour == 13


def test_windows_tzid_w_europe_is_berlin() -> None:
    observations, _ = real("radicale__event_issue2151.ics", now=utc(2026, 3, 1))
    assert min(o.occurred_at for o in observations) == utc(2026, 1, 23, 10)  # 11:00 CET


def test_valarm_attendee_is_not_a_guest() -> None:
    [o], _ = real("icalendar__alarm_google_future.ics")
    assert o.parties == ()
    assert o.sender is None


def test_only_started_occurrences_of_a_series_are_emitted() -> None:
    # Weekly on Thursdays 19:30 Paris from 6 June 2024, 4 July excluded, no end.
    observations, _ = real("radicale__event_exdate_without_rrule.ics", now=utc(2024, 7, 12))
    assert sorted(o.occurred_at for o in observations) == [
        utc(2024, 6, 6, 17, 30),
        utc(2024, 6, 13, 17, 30),
        utc(2024, 6, 20, 17, 30),
        utc(2024, 6, 27, 17, 30),
        utc(2024, 7, 11, 17, 30),
    ]
    # The second of three daily occurrences has started at 22:00 Berlin; the third has not.
    observations, _ = real("rie__issue_18_cancel_status.ics", now=utc(2020, 1, 29, 21, 30))
    assert [o.occurred_at for o in observations] == [utc(2020, 1, 28, 21), utc(2020, 1, 29, 21)]


def test_x_wr_timezone_places_floating_times() -> None:
    data = (ics_dir() / "rie__issue_86_x_wr_timezone_without_time_zone_in_dt.ics").read_bytes()
    [o], _ = parse(data, local_tz=ZoneInfo("Asia/Tokyo"))
    assert o.occurred_at == utc(2021, 9, 16, 19)  # 21:00 in Brussels, not in Tokyo


def test_unknown_tzid_without_vtimezone_falls_back_to_local_time() -> None:
    data = (ics_dir() / "khal__event_dt_local_missing_tz.ics").read_bytes()
    [o], problems = parse(data, local_tz=ZoneInfo("America/New_York"))
    assert o.occurred_at == utc(2014, 4, 9, 13, 30)
    assert not problems


def test_broken_time_zone_costs_only_itself() -> None:
    [o], problems = real("khal__invalid_tzoffset.ics")
    assert o.occurred_at == utc(2012, 12, 2, 7)
    assert [p.reason for p in problems] == ["malformed time zone (ValueError)"]


def test_missing_end_vevent_is_salvaged() -> None:
    [o], _ = real("radicale__broken-vevent.ics")
    assert o.occurred_at == utc(2016, 7, 27, 15)


# --- hand-written calendars --------------------------------------------------------


def test_floating_time_is_read_in_local_tz() -> None:
    data = cal(event("DTSTART:20240301T090000", "SUMMARY:Coffee"))
    [ny], _ = parse(data, local_tz=ZoneInfo("America/New_York"))
    [berlin], _ = parse(data, local_tz=BERLIN)
    assert ny.occurred_at == utc(2024, 3, 1, 14)
    assert berlin.occurred_at == utc(2024, 3, 1, 8)
    assert ny.occurred_at.tzinfo is UTC
    assert ny.natural_key == meeting_key("e1@test", None)
    assert ny.subject == "Coffee"
    assert ny.thread_key == "e1@test"
    assert ny.date_source == "header"
    assert ny.origin == "test.ics"


def test_all_day_event_starts_at_local_midnight() -> None:
    data = cal(event("DTSTART;VALUE=DATE:20240301", "DTEND;VALUE=DATE:20240302"))
    [o], _ = parse(data, local_tz=ZoneInfo("Asia/Tokyo"))
    assert o.occurred_at == utc(2024, 2, 29, 15)


def test_all_day_recurring_event() -> None:
    data = cal(event("DTSTART;VALUE=DATE:20240301", "RRULE:FREQ=DAILY;COUNT=3"))
    observations, _ = parse(data, local_tz=UTC)
    assert [o.occurred_at for o in observations] == [utc(2024, 3, d) for d in (1, 2, 3)]


def test_missing_uid_gets_a_stable_derived_key() -> None:
    data = cal(
        event("DTSTART:20240301T090000Z", "SUMMARY:Lunch", uid=""),
        event("DTSTART:20240302T090000Z", "SUMMARY:Lunch", uid=""),
    )
    first, problems = parse(data)
    again, _ = parse(data)
    assert not problems
    assert len(first) == 2
    assert [o.natural_key for o in first] == [o.natural_key for o in again]
    assert first[0].natural_key != first[1].natural_key
    assert first[0].natural_key.startswith("ical:sha1-")
    assert first[0].thread_key == first[0].natural_key.removeprefix("ical:")


def test_bare_vevent_without_vcalendar() -> None:
    data = (event("DTSTART:20240301T090000Z", "SUMMARY:Bare") + "\r\n").encode()
    [o], problems = parse(data)
    assert o.subject == "Bare"
    assert not problems


def test_utf8_bom_is_tolerated() -> None:
    body = event("DTSTART:20240301T090000Z", "SUMMARY:Caf\u00e9")
    for data in (cal(body), (body + "\r\n").encode()):
        [o], problems = parse(b"\xef\xbb\xbf" + data)
        assert o.subject == "Café"
        assert not problems


def test_windows_1252_bytes_are_read() -> None:
    data = cal(event("DTSTART:20240301T090000Z")).replace(
        b"END:VEVENT", b"SUMMARY:Caf\xe9\r\nEND:VEVENT"
    )
    [o], _ = parse(data)
    assert o.subject == "Café"


def test_future_single_events_are_emitted() -> None:
    [o], _ = parse(cal(event("DTSTART:20990101T090000Z")))
    assert o.occurred_at == utc(2099, 1, 1, 9)


def test_future_recurring_series_emits_nothing() -> None:
    observations, problems = parse(cal(event("DTSTART:20990101T090000Z", "RRULE:FREQ=DAILY")))
    assert observations == []
    assert problems == []


def test_organizer_and_attendees() -> None:
    data = cal(
        event(
            "DTSTART:20240301T090000Z",
            "ORGANIZER;CN=Ann Boss:MAILTO:Ann@Example.COM",
            "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com",
            "ATTENDEE;CN=Bob again;PARTSTAT=DECLINED:mailto:BOB@example.com",
            "ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@example.com",
            "ATTENDEE;PARTSTAT=X-WHATEVER:mailto:carol@example.com",
            "ATTENDEE;CN=Nobody:invalid",
            "SUMMARY:  " + "x" * 400,
        )
    )
    [o], _ = parse(data)
    assert o.sender is not None
    assert (o.sender.address, o.sender.name) == ("ann@example.com", "Ann Boss")
    assert [(p.address, p.name, p.response) for p in o.parties] == [
        ("bob@example.com", "Bob", Response.ACCEPTED),
        ("carol@example.com", "", Response.UNKNOWN),
    ]
    assert o.subject == "x" * 300


def test_method_cancel_marks_every_event_cancelled() -> None:
    data = cal("METHOD:CANCEL", event("DTSTART:20240301T090000Z", "STATUS:CONFIRMED"))
    [o], _ = parse(data)
    assert o.signals == ("cancelled",)


def test_event_without_dtstart_is_a_problem_with_its_uid() -> None:
    data = cal(event("SUMMARY:No start", uid="nostart"), event("DTSTART:20240301T090000Z"))
    observations, problems = parse(data)
    assert len(observations) == 1
    assert problems == [Problem("event without DTSTART", "test.ics#nostart")]


def test_one_broken_event_does_not_lose_the_rest() -> None:
    data = cal(
        event("DTSTART:20240301T090000Z", "SUMMARY:Good"),
        "BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20240302T090000Z\r\nBEGIN:VALARM",
        event("DTSTART:20240303T090000Z", "SUMMARY:Also good", uid="e2@test"),
    )
    observations, _ = parse(data)
    assert {o.subject for o in observations} >= {"Good", "Also good"}


def test_unparseable_file_is_one_problem() -> None:
    observations, problems = parse(b"this is not a calendar")
    assert observations == []
    assert len(problems) == 1
    assert problems[0].where == "test.ics"


def test_custom_time_zones_do_not_leak_between_files() -> None:
    # icalendar caches a VTIMEZONE by name for the whole process, first come first
    # served: each file must still get its own definition, or local time if none.
    def zone(offset: str) -> str:
        return "\r\n".join(
            [
                "BEGIN:VTIMEZONE",
                "TZID:Kithkeep Test Zone",
                "BEGIN:STANDARD",
                "DTSTART:19700101T000000",
                f"TZOFFSETFROM:{offset}",
                f"TZOFFSETTO:{offset}",
                "END:STANDARD",
                "END:VTIMEZONE",
            ]
        )

    start = "DTSTART;TZID=Kithkeep Test Zone:20240301T120000"
    [plus5], _ = parse(cal(zone("+0500"), event(start)))
    [plus3], _ = parse(cal(zone("+0300"), event(start)))
    [local], _ = parse(cal(event(start)), local_tz=UTC)
    assert plus5.occurred_at == utc(2024, 3, 1, 7)
    assert plus3.occurred_at == utc(2024, 3, 1, 9)
    assert local.occurred_at == utc(2024, 3, 1, 12)


def test_overlong_series_is_capped_at_the_latest_occurrences() -> None:
    data = cal(event("DTSTART:19950101T090000Z", "RRULE:FREQ=DAILY"))
    observations, problems = parse(data, now=utc(2024, 6, 1, 12))
    assert len(observations) == MAX_OCCURRENCES
    assert max(o.occurred_at for o in observations) == utc(2024, 6, 1, 9)
    assert problems == [Problem("recurrence truncated", "test.ics#e1@test")]


def test_broken_rdate_is_dropped_not_the_series() -> None:
    data = cal(event("DTSTART:20240301T090000Z", "RRULE:FREQ=DAILY;COUNT=2", "RDATE:2024XX"))
    observations, problems = parse(data)
    assert len(observations) == 2
    assert [p.reason for p in problems] == ["unreadable RDATE"]


# --- never raises ------------------------------------------------------------------

VALID = cal(
    "X-WR-TIMEZONE:Europe/Berlin",
    "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\n"
    "DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\nEND:VTIMEZONE",
    event(
        "DTSTART;TZID=W. Europe Standard Time:20240105T100000",
        "DTEND;TZID=W. Europe Standard Time:20240105T110000",
        "RRULE:FREQ=WEEKLY;UNTIL=20240401T000000Z",
        "EXDATE;TZID=W. Europe Standard Time:20240112T100000",
        "ORGANIZER;CN=Ann:mailto:ann@example.com",
        "ATTENDEE;PARTSTAT=ACCEPTED;CN=Bob:mailto:bob@example.com",
        "SUMMARY:Weekly",
        "BEGIN:VALARM\r\nACTION:EMAIL\r\nATTENDEE:mailto:me@example.com\r\n"
        "TRIGGER:-PT15M\r\nEND:VALARM",
    ),
    event(
        "RECURRENCE-ID;TZID=W. Europe Standard Time:20240119T100000",
        "DTSTART;TZID=W. Europe Standard Time:20240120T100000",
        "STATUS:CANCELLED",
    ),
    event("DTSTART:20240301T090000", "SUMMARY:Floating", uid="e2@test"),
).decode()

LINE_POOL = [
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VALARM",
    "BEGIN:VTIMEZONE",
    "",
    " folded continuation",
    "DTSTART:20240101T100000Z",
    "DTSTART;VALUE=DATE:2024",
    "DTSTART;TZID=Nowhere/Zone:20240101T100000",
    "DTSTART:00010101T000000",
    "RRULE:FREQ=DAILY;COUNT=3",
    "RRULE:FREQ=WEEKLY;UNTL=2024",
    "RRULE:FREQ=YEARLY;UNTIL=20230101",
    "RDATE;VALUE=PERIOD:20240101T100000Z/PT1H",
    "EXDATE:garbage",
    "RECURRENCE-ID:20240108T100000Z",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20240108T100000Z",
    "TZOFFSETTO:+5328",
    "X-WR-TIMEZONE:Not/AZone",
    "UID:e1@test",
    "ATTENDEE;PARTSTAT=WEIRD:mailto:x@y.z",
    "ORGANIZER:",
    "DURATION:P1D",
    "STATUS:CANCELLED",
    "CALSCALE:JULIAN",
    "\x00\xff;;::",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    lines = VALID.split("\r\n")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "cut"]))
        if op == "delete" and at < len(lines):
            del lines[at]
        elif op == "insert":
            lines.insert(at, draw(st.sampled_from(LINE_POOL)))
        elif op == "duplicate" and at < len(lines):
            lines.insert(at, lines[at])
        elif op == "cut" and at < len(lines):
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
    return "\r\n".join(lines).encode("utf-8", "surrogateescape")


def test_valid_base_calendar_for_mutations() -> None:
    observations, problems = parse(VALID.encode(), now=utc(2024, 6, 1), local_tz=UTC)
    assert not problems
    by_start = {o.occurred_at: o for o in observations}
    assert utc(2024, 1, 12, 9) not in by_start  # EXDATE
    assert by_start[utc(2024, 1, 20, 9)].signals == ("cancelled",)  # moved and cancelled
    assert by_start[utc(2024, 1, 5, 9)].parties[0].address == "bob@example.com"
    assert len(by_start[utc(2024, 1, 5, 9)].parties) == 1
    assert by_start[utc(2024, 3, 1, 8)].subject == "Floating"  # X-WR-TIMEZONE: Berlin


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    parse(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_calendars_never_raise(data: bytes) -> None:
    parse(data, now=utc(2024, 6, 1))
