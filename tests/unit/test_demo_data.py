"""The sample network behind `kithkeep demo`: valid files, the same bytes for the same day,
and a history that makes `due` worth looking at."""

from __future__ import annotations

import json
import mailbox
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.domain.introductions import has_introduction_cue, has_opt_in_cue, introduction_cues
from kithkeep.services.usecases.demo_network import SampleNetwork, write_sample_network

TODAY = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
WINDOW = timedelta(days=3 * 365)
EIGHT_MONTHS, FOURTEEN_MONTHS = timedelta(days=243), timedelta(days=426)
ROSTER: dict[str, Any] = json.loads(
    files("kithkeep.data").joinpath("demo_network.json").read_text(encoding="utf-8")
)
PATTERN = {p["email"]: p["pattern"] for p in ROSTER["people"]}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleNetwork:
    return write_sample_network(tmp_path_factory.mktemp("demo"), today=TODAY)


def mails(net: SampleNetwork) -> list[Message]:
    box = mailbox.mbox(net.mbox, create=False)
    try:
        return list(box)
    finally:
        box.close()


def addresses(m: Message, *names: str) -> list[str]:
    return [a.lower() for _, a in getaddresses([str(v) for n in names for v in m.get_all(n, [])])]


def occurrences(net: SampleNetwork, today: datetime) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(net.ics.read_bytes())
    return list(recurring_ical_events.of(cal).between(today - 2 * WINDOW, today + WINDOW))


def start(event: icalendar.Event) -> datetime:
    when = event.start
    assert isinstance(when, datetime)
    return when


def attendance(event: icalendar.Event) -> dict[str, str]:
    found = event.get("ATTENDEE", [])
    found = found if isinstance(found, list) else [found]
    return {str(a).lower().removeprefix("mailto:"): str(a.params["PARTSTAT"]) for a in found}


def assert_in_window(net: SampleNetwork, today: datetime) -> None:
    for m in mails(net):
        sent = parsedate_to_datetime(m["Date"])
        assert today - WINDOW <= sent < today, m["Message-ID"]
    starts = [start(e) for e in occurrences(net, today)]
    assert len(starts) == net.meetings
    late = [s for s in starts if s >= today]
    assert len(late) == 1 and late[0] < today + timedelta(days=14)
    assert all(today - WINDOW <= s for s in starts)


def test_the_same_day_gives_identical_bytes(tmp_path: Path) -> None:
    one = write_sample_network(tmp_path / "one", today=TODAY)
    two = write_sample_network(tmp_path / "two", today=TODAY)
    assert one.mbox.read_bytes() == two.mbox.read_bytes()
    assert one.ics.read_bytes() == two.ics.read_bytes()
    assert (one.people, one.messages, one.meetings) == (two.people, two.messages, two.meetings)


def test_a_naive_today_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        write_sample_network(tmp_path, today=datetime(2026, 3, 10))


def test_sizes_suit_a_demo(sample: SampleNetwork) -> None:
    assert sample.me == "robin@example.com"
    assert 45 <= sample.people <= 55
    assert 1_000 <= sample.messages <= 2_000
    assert 100 <= sample.meetings <= 200


def test_every_message_parses_with_the_headers_an_import_reads(sample: SampleNetwork) -> None:
    messages = mails(sample)
    # A body line starting "From " that escaped unescaped would split a message in two.
    assert len(messages) == sample.messages
    ids = [m["Message-ID"] for m in messages]
    assert all(m["From"] and m["To"] and m["Date"] for m in messages)
    assert len(set(ids)) == len(ids)
    replies = [m for m in messages if m["In-Reply-To"]]
    assert replies and all(m["In-Reply-To"] in ids for m in replies)
    assert all(m["References"].split()[-1] == m["In-Reply-To"] for m in replies)
    assert any(m["Cc"] for m in messages)
    assert b"\n>From " in sample.mbox.read_bytes()


def test_mail_and_meetings_lie_in_the_three_years_before_today(sample: SampleNetwork) -> None:
    assert_in_window(sample, TODAY)


def test_the_calendar_holds_the_cases_an_import_meets(sample: SampleNetwork) -> None:
    raw = sample.ics.read_bytes()
    assert raw.endswith(b"END:VCALENDAR\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    events = icalendar.Calendar.from_ical(raw).events
    assert len({str(e["UID"]) for e in events}) == len(events)
    weekly = [e for e in events if "RRULE" in e]
    assert len(weekly) == 1 and "EXDATE" in weekly[0]
    assert sum(str(e.get("STATUS")) == "CANCELLED" for e in events) == 1
    answers = {s for e in events for s in attendance(e).values()}
    assert answers == {"ACCEPTED", "DECLINED", "TENTATIVE"}
    assert all(str(e["ORGANIZER"]).startswith("mailto:") for e in events)


def test_the_roster_is_fictional_and_varied() -> None:
    people = ROSTER["people"]
    everyone = [a for p in people for a in [p["email"], *p.get("also", [])]]
    everyone += [n["email"] for n in ROSTER["noise"]] + [ROSTER["me"]["email"]]
    reserved = ("example.com", "example.org", "example.net")
    domains = {a.rpartition("@")[2] for a in everyone}
    assert all(d in reserved or d.endswith(tuple("." + r for r in reserved)) for d in domains)
    assert len(set(everyone)) == len(everyone)
    assert sum(1 for p in people if p.get("also")) == 1
    patterns = {p["pattern"] for p in people}
    assert patterns == {"close", "regular", "fading", "dormant", "new", "meetings"}
    assert sum(p["pattern"] == "fading" for p in people) >= 3
    assert any(p.get("writes_first") == "them" for p in people)


def test_meeting_colleagues_never_write(sample: SampleNetwork) -> None:
    colleagues = {a for a, p in PATTERN.items() if p == "meetings"}
    seen = {a for m in mails(sample) for a in addresses(m, "From", "To", "Cc")}
    assert colleagues and not colleagues & seen
    met = {a for e in occurrences(sample, TODAY) for a in attendance(e)}
    assert colleagues <= met


def test_fading_people_went_quiet_eight_to_fourteen_months_ago(sample: SampleNetwork) -> None:
    last: dict[str, datetime] = {}
    for m in mails(sample):
        sent = parsedate_to_datetime(m["Date"])
        for a in addresses(m, "From", "To", "Cc"):
            last[a] = max(last.get(a, sent), sent)
    fading = [a for a, p in PATTERN.items() if p == "fading"]
    for a in fading:
        assert EIGHT_MONTHS <= TODAY - last[a] <= FOURTEEN_MONTHS, a


def test_those_who_write_first_start_every_conversation(sample: SampleNetwork) -> None:
    first = {p["email"] for p in ROSTER["people"] if p.get("writes_first") == "them"}
    for m in mails(sample):
        if m["In-Reply-To"] is None and "Intro" not in m["Subject"]:
            assert not first & set(addresses(m, "To")), m["Message-ID"]


def test_noise_senders_look_automated(sample: SampleNetwork) -> None:
    by_sender: dict[str, list[Message]] = defaultdict(list)
    for m in mails(sample):
        by_sender[addresses(m, "From")[0]].append(m)
    newsletter = by_sender["newsletter@news.example.net"]
    assert newsletter and all(m["List-Id"] and m["List-Unsubscribe"] for m in newsletter)
    notifier = [a for a in by_sender if a.startswith("no-reply@")]
    assert len(notifier) == 1 and len(by_sender[notifier[0]]) > 10
    listed = {a for a, ms in by_sender.items() if any(m["List-Id"] for m in ms)}
    assert listed == {"newsletter@news.example.net"}


def text(m: Message) -> str:
    payload = m.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def test_the_introductions_carry_their_cues(sample: SampleNetwork) -> None:
    by_id = {str(m["Message-ID"]).strip("<>"): m for m in mails(sample)}
    planned = sample.introductions
    assert {i.state for i in planned} - {None} == {
        "connected",
        "acknowledged",
        "awaiting",
        "follow_up_due",
        "followed_up",
    }
    assert sorted(i.mark for i in planned if i.mark) == ["close", "dismiss"]
    assert [i.kind for i in planned].count("received") == 1
    for i in planned:
        m = by_id[i.message_id]
        assert m["In-Reply-To"] is None and not str(m["Subject"]).startswith("Fwd:")
        assert has_introduction_cue(introduction_cues(str(m["Subject"]), text(m))), m["Subject"]
        assert addresses(m, "From") == [i.introducer]
        assert set(i.parties) - {sample.me} <= set(addresses(m, "To", "Cc"))
    (asked,) = [i for i in planned if i.opt_in]
    sent = parsedate_to_datetime(by_id[asked.message_id]["Date"])
    questions = [
        m
        for m in by_id.values()
        if addresses(m, "From") == [sample.me]
        and len(addresses(m, "To", "Cc")) == 1
        and timedelta(0) < sent - parsedate_to_datetime(m["Date"]) <= timedelta(days=30)
        and has_opt_in_cue(introduction_cues(str(m["Subject"]), text(m)))
    ]
    assert [addresses(m, "To") for m in questions] == [[asked.parties[0]]]


def contact_days(net: SampleNetwork, today: datetime) -> Iterator[tuple[str, datetime]]:
    """Contact as SPEC.md defines it: personal mail either way, meetings that took place."""
    for m in mails(net):
        sender = addresses(m, "From")[0]
        if m["List-Id"] or m["Auto-Submitted"] or sender.startswith("no-reply@"):
            continue
        sent = parsedate_to_datetime(m["Date"])
        if sender == net.me:
            yield from ((a, sent) for a in addresses(m, "To", "Cc"))
        else:
            yield sender, sent
    for e in occurrences(net, today):
        answers = attendance(e)
        if start(e) > today or str(e.get("STATUS")) == "CANCELLED" or answers[net.me] == "DECLINED":
            continue
        organizer = str(e["ORGANIZER"]).lower().removeprefix("mailto:")
        for a in {organizer, *answers} - {net.me}:
            if answers.get(a) != "DECLINED":
                yield a, start(e)


def overdue_days(net: SampleNetwork, today: datetime) -> dict[str, int]:
    days: dict[str, set[int]] = defaultdict(set)
    for a, when in contact_days(net, today):
        days[a].add(when.astimezone(UTC).date().toordinal())
    overdue = {}
    for address, seen in days.items():
        ordered = sorted(seen)
        gaps = [b - a for a, b in pairwise(ordered)]
        cadence = 180 if len(ordered) < 4 else round(1.5 * statistics.median(gaps))
        overdue[address] = today.date().toordinal() - ordered[-1] - min(365, max(14, cadence))
    return overdue


def test_due_shows_the_fading_first_and_never_the_close(sample: SampleNetwork) -> None:
    overdue = overdue_days(sample, TODAY)
    due = sorted((a for a, d in overdue.items() if d > 0), key=lambda a: -overdue[a])
    fading = {a for a, p in PATTERN.items() if p == "fading"}
    assert 8 <= len(due) <= 20
    assert set(due[: len(fading)]) == fading
    assert not [a for a in due if PATTERN.get(a) in ("close", "new")]
    assert set(PATTERN) | {"riley.dolor@example.net"} == set(overdue)


@settings(max_examples=10, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.timezones()
    )
)
def test_any_day_gives_the_same_bytes_and_stays_in_its_window(today: datetime) -> None:
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        a = write_sample_network(Path(one), today=today)
        b = write_sample_network(Path(two), today=today)
        assert a.mbox.read_bytes() == b.mbox.read_bytes()
        assert a.ics.read_bytes() == b.ics.read_bytes()
        assert_in_window(a, today)
