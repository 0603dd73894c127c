"""Google Calendar through the real googleapiclient against the stateful fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kithkeep.connectors.ics import parse_calendar
from kithkeep.domain.interaction import Observation, Response
from kithkeep.services.accounts import SyncContext, build_source
from kithkeep.services.config.settings import load
from tests.fakes.google import FakeGoogle
from tests.integration.google_kit import ME, configure

T = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(ME) as f:
        yield f


pytestmark = pytest.mark.usefixtures("no_os_keyring")


def at(when: datetime) -> dict[str, str]:
    return {"dateTime": when.isoformat().replace("+00:00", "Z")}


def person(address: str, status: str = "accepted", **more: object) -> dict[str, object]:
    return {"email": address, "responseStatus": status, **more}


def seed(fake: FakeGoogle) -> None:
    fake.put_event(
        {
            "id": "one",
            "iCalUID": "one@x",
            "summary": "Lunch  with Ann",
            "start": at(T),
            "end": at(T + timedelta(hours=1)),
            "organizer": {"email": ME, "self": True},
            "attendees": [
                person(ME, self=True),
                person("ann@x.com", displayName="Ann"),
                person("bob@x.com", "declined"),
                person("room-1@resource.calendar.google.com", resource=True),
            ],
        }
    )
    fake.put_event(
        {
            "id": "big",
            "iCalUID": "big@x",
            "summary": "All hands",
            "start": at(T + timedelta(days=1)),
            "organizer": {"email": "ceo@x.com"},
            "attendeesOmitted": True,
            "attendees": [person(ME, self=True), person("cat@x.com", "tentative")],
        }
    )
    fake.put_event(
        {"id": "day", "iCalUID": "day@x", "summary": "Offsite", "start": {"date": "2026-03-05"}}
    )
    for k in range(3):  # a weekly series, expanded (singleEvents=true)
        start = T + timedelta(days=7 * k)
        fake.put_event(
            {
                "id": f"weekly_{k}",
                "iCalUID": "weekly@x",
                "recurringEventId": "weekly",
                "originalStartTime": at(start),
                "summary": "1:1 Dan",
                "start": at(start),
                "organizer": {"email": ME},
                "attendees": [person(ME), person("dan@x.com")],
            }
        )


def sync(home: Path, now: datetime, state: dict[str, Observation]) -> None:
    """Pages of the calendar account as the store would take them: seen, then gone."""
    from kithkeep.services.runtime import open_runtime

    settings = load(home)
    with open_runtime(settings) as rt:
        source = build_source(settings.account("cal"), SyncContext(settings, now, UTC))
        cursor = rt.store.cursor(source.key)
        for page in source.pages(cursor):
            rt.store.save_page(
                source.key, page.observations, page.cursor, page.withdrawn, revise=page.revise
            )
            for o in page.observations:
                state[o.natural_key] = o  # the latest word on it
            for k in page.withdrawn:
                state.pop(k, None)


def test_meetings_as_the_ics_reader_sees_them(tmp_path: Path, fake: FakeGoogle) -> None:
    seed(fake)
    home = tmp_path / "home"
    configure(home, fake, gmail=None)
    seen: dict[str, Observation] = {}
    sync(home, T + timedelta(days=10), seen)
    # Started by then: one, big, day, and the first two of the series; the third waits.
    assert sorted(seen) == sorted(
        [
            "ical:one@x",
            "ical:big@x",
            "ical:day@x",
            f"ical:weekly@x:{int(T.timestamp())}",
            f"ical:weekly@x:{int((T + timedelta(days=7)).timestamp())}",
        ]
    )
    one = seen["ical:one@x"]
    assert one.subject == "Lunch with Ann" and one.sender is not None and one.sender.address == ME
    assert {p.address: p.response for p in one.parties} == {
        ME: Response.ACCEPTED,
        "ann@x.com": Response.ACCEPTED,
        "bob@x.com": Response.DECLINED,
    }
    assert [p.address for p in seen["ical:big@x"].parties] == [ME, "cat@x.com"]
    assert seen["ical:day@x"].occurred_at == datetime(2026, 3, 5, tzinfo=UTC)

    # The same meetings exported as .ics give the same keys, times and people.
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:one@x\r\n"
        b"DTSTART:20260302T150000Z\r\nSUMMARY:Lunch  with Ann\r\n"
        b"ORGANIZER:mailto:me@example.com\r\n"
        b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\r\n"
        b"ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@x.com\r\n"
        b"ATTENDEE;PARTSTAT=DECLINED:mailto:bob@x.com\r\n"
        b"ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-1@resource.calendar.google.com\r\n"
        b"END:VEVENT\r\nBEGIN:VEVENT\r\nUID:weekly@x\r\nDTSTART:20260302T150000Z\r\n"
        b"RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:1:1 Dan\r\nORGANIZER:mailto:me@example.com\r\n"
        b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\r\n"
        b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:dan@x.com\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:day@x\r\nDTSTART;VALUE=DATE:20260305\r\nSUMMARY:Offsite\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    from_file, problems = parse_calendar(ics, origin="x", now=T + timedelta(days=10), local_tz=UTC)
    assert not problems

    def shape(o: Observation) -> tuple[object, ...]:
        return (
            o.natural_key,
            o.occurred_at,
            o.sender.address if o.sender else None,
            tuple((p.address, p.response) for p in o.parties if p.response != Response.UNKNOWN),
            tuple(p.address for p in o.parties),
            o.subject,
        )

    assert sorted(shape(o) for o in from_file) == sorted(
        shape(seen[o.natural_key]) for o in from_file
    )


def test_changes_cancellations_and_moves_after_they_took_place(
    tmp_path: Path, fake: FakeGoogle
) -> None:
    # An expired sync token: tests/contract (the same promise for every source).
    seed(fake)
    home = tmp_path / "home"
    configure(home, fake, gmail=None)
    seen: dict[str, Observation] = {}
    now = T + timedelta(days=10)
    sync(home, now, seen)
    third = f"ical:weekly@x:{int((T + timedelta(days=14)).timestamp())}"
    assert third not in seen

    # The third occurrence moves by a day (still ahead); one meeting is cancelled; an
    # occurrence of the series is cancelled.
    moved = T + timedelta(days=15)
    fake.put_event({**fake.events["weekly_2"], "start": at(moved)})
    fake.cancel_event("one")
    fake.cancel_event("weekly_1")
    fake.calls.clear()
    sync(home, now, seen)
    assert fake.calls["calendar.events.list"] == 1
    assert "ical:one@x" not in seen
    assert f"ical:weekly@x:{int((T + timedelta(days=7)).timestamp())}" not in seen

    # Nothing new: exactly one events.list call, nothing changes.
    fake.calls.clear()
    before = dict(seen)
    sync(home, now, seen)
    assert fake.calls["calendar.events.list"] == 1 and seen == before

    # Later, the moved occurrence has started: it comes in at its new time, same key.
    sync(home, T + timedelta(days=16), seen)
    assert seen[third].occurred_at == moved

    # A meeting already held has its time corrected afterwards: the stored meeting is
    # revised (one Revised event), not stored twice.
    corrected = T + timedelta(days=1, hours=2)
    fake.put_event({**fake.events["big"], "start": at(corrected)})
    observed_before, _ = _stored(home)
    sync(home, T + timedelta(days=16), seen)
    assert seen["ical:big@x"].occurred_at == corrected
    assert _stored(home)[0] == observed_before and _revised(home) == 1


def _revised(home: Path) -> int:
    import sqlite3

    c = sqlite3.connect(home / "events.sqlite")
    try:
        query = "SELECT count(*) FROM stored_events WHERE topic LIKE '%Interaction.Revised'"
        return int(c.execute(query).fetchone()[0])
    finally:
        c.close()


def _stored(home: Path) -> tuple[int, int]:
    """Observed and Withdrawn events in the store."""
    import sqlite3

    c = sqlite3.connect(home / "events.sqlite")
    try:
        return tuple(  # type: ignore[return-value]
            c.execute(
                "SELECT count(*) FROM stored_events WHERE topic LIKE ?", (f"%{t}",)
            ).fetchone()[0]
            for t in ("Interaction.Observed", "Interaction.Withdrawn")
        )
    finally:
        c.close()
