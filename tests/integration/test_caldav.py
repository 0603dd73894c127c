"""The CalDAV connector against a real Radicale on loopback (tests/servers.py)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kithkeep.connectors.ics import parse_calendar
from tests.conftest import run_cli, shared_data
from tests.servers import PASSWORD

pytestmark = pytest.mark.slow

ME = "me@kithkeep.test"


def event(uid: str, summary: str, ada: str = "ACCEPTED", day: int = 3) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kithkeep tests//EN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20250301T000000Z\r\n"
        f"DTSTART:202503{day:02d}T100000Z\r\nDTEND:202503{day:02d}T110000Z\r\n"
        f"SUMMARY:{summary}\r\n"
        f"ORGANIZER;CN=Me:mailto:{ME}\r\n"
        f"ATTENDEE;CN=Ada;PARTSTAT={ada}:mailto:ada@example.org\r\n"
        f"ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:{ME}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def live(home: Path) -> dict[str, dict[str, Any]]:
    """Interactions not withdrawn, by natural key, with their latest state."""
    c = sqlite3.connect(f"file:{home / 'events.sqlite'}?mode=ro", uri=True)
    try:
        rows = c.execute(
            "SELECT originator_id, topic, state FROM stored_events "
            "WHERE topic LIKE '%:Interaction.%' ORDER BY rowid"
        ).fetchall()
    finally:
        c.close()
    state: dict[Any, dict[str, Any]] = {}
    gone: set[Any] = set()
    for oid, topic, raw in rows:
        kind = topic.rsplit(".", 1)[-1]
        data = json.loads(raw)
        if kind == "Observed":
            state[oid] = data
        elif kind == "Revised":
            state[oid] = {**state[oid], **data}
        elif kind == "Withdrawn":
            gone.add(oid)
        elif kind == "Restored":
            gone.discard(oid)
    return {s["natural_key"]: s for oid, s in state.items() if oid not in gone}


def ada(home: Path) -> dict[str, Any]:
    people = run_cli(home, "people", "--json").json()
    (found,) = [p for p in people if "ada@example.org" in p["addresses"]]
    return dict(found)


def sync(home: Path, *args: str) -> tuple[int, int]:
    out = run_cli(home, "sync", *args).out
    m = re.search(r"^cal: (\d+) new, (\d+) withdrawn", out, re.MULTILINE)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def test_caldav_sync_follows_real_clients_events_adds_and_changes(
    tmp_path: Path, radicale: Any
) -> None:
    # A second pass, deletions and an expired token: tests/contract (every source).
    calendar = radicale.calendar()
    # A calendar built from real clients' .ics files (those Radicale takes as one object).
    readme = shared_data("ics", "README.md").read_text(encoding="utf-8")
    names = re.findall(r"^\| `([^`]+\.ics)` \|.*\| 201 \|", readme, re.MULTILINE)
    assert len(names) >= 20
    now = datetime.now(UTC)
    expected: set[str] = set()
    for name in names:
        data = shared_data("ics", name).read_bytes()
        try:
            calendar.save_event(data.decode("utf-8"))
        except Exception:  # the library's own parser refuses a few; they are not sent
            continue
        observations, _ = parse_calendar(data, origin=name, now=now, local_tz=UTC)
        expected.update(f.natural_key for f in observations)
    assert len(expected) >= 15
    calendar.save_event(event("ev-1@kithkeep.test", "Kick-off"))
    expected.add("ical:ev-1@kithkeep.test")

    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    run_cli(
        home,
        "account",
        "add",
        "caldav",
        "--url",
        radicale.url,
        "--user",
        radicale.user,
        "--name",
        "cal",
        "--password-stdin",
        input_text=PASSWORD + "\n",
    )
    added, withdrawn = sync(home)
    assert set(live(home)) == expected
    assert (added, withdrawn) == (len(expected), 0)

    # An event added.
    calendar.save_event(event("ev-2@kithkeep.test", "Follow-up", day=5))
    assert sync(home) == (1, 0)
    assert "ical:ev-2@kithkeep.test" in live(home)

    assert ada(home)["interactions"] == 2

    # An attendee's answer changed: the stored meeting says so now, and a meeting Ada
    # declined is no contact with her.
    ev1 = calendar.event_by_uid("ev-1@kithkeep.test")
    ev1.data = event("ev-1@kithkeep.test", "Kick-off", ada="DECLINED")
    ev1.save()
    assert sync(home) == (0, 0)
    parties = {p[0]: p for p in live(home)["ical:ev-1@kithkeep.test"]["parties"]}
    assert "declined" in parties["ada@example.org"], parties
    after = ada(home)
    assert after["interactions"] == 1
    assert after["first_contact"].startswith("2025-03-05")
    people = run_cli(home, "people", "--json").json()
    run_cli(home, "rebuild")  # the views rebuilt from the events agree
    assert run_cli(home, "people", "--json").json() == people


def test_a_wrong_caldav_password_is_one_line(tmp_path: Path, radicale: Any) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    result = run_cli(
        home,
        "account",
        "add",
        "caldav",
        "--url",
        radicale.url,
        "--user",
        radicale.user,
        "--password-stdin",
        input_text="not-the-password\n",
        check=False,
    )
    assert result.code == 1
    assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err
    assert "login refused" in result.err and "not-the-password" not in result.err


def test_a_series_is_read_again_as_its_meetings_take_place(tmp_path: Path, radicale: Any) -> None:
    from kithkeep.connectors.caldav import CaldavConfig, CaldavSource
    from kithkeep.connectors.remote_index import RemoteIndex

    calendar = radicale.calendar()
    series = event("daily@kithkeep.test", "Stand-up", day=20).replace(
        "SUMMARY:", "RRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:"
    )
    calendar.save_event(series)
    calendar.save_event(event("done@kithkeep.test", "Done", day=1))

    def keys(now: datetime, cursor: str | None) -> list[str]:
        source = CaldavSource(
            CaldavConfig(radicale.url, radicale.user, PASSWORD),
            RemoteIndex(tmp_path / "index.sqlite"),
            tmp_path / "state.json",
            now,
            UTC,
        )
        return sorted(f.natural_key for page in source.pages(cursor) for f in page.observations)

    # On the 10th no occurrence of the series has taken place.
    assert keys(datetime(2025, 3, 10, tzinfo=UTC), None) == ["ical:done@kithkeep.test"]
    # On the 25th the server has nothing new, yet three stand-ups have happened.
    assert keys(datetime(2025, 3, 25, tzinfo=UTC), "since") == [
        f"ical:daily@kithkeep.test:{int(datetime(2025, 3, d, 10, tzinfo=UTC).timestamp())}"
        for d in (20, 21, 22)
    ]


def test_a_caldav_server_down_is_one_line_for_its_account(tmp_path: Path, radicale: Any) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    run_cli(
        home,
        "account",
        "add",
        "caldav",
        "--url",
        radicale.url,
        "--user",
        radicale.user,
        "--name",
        "cal",
        "--password-stdin",
        input_text=PASSWORD + "\n",
    )
    radicale.stop()
    result = run_cli(home, "sync", check=False)
    assert result.code == 1 and "Traceback" not in result.err
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"error: cal: CalDAV 127.0.0.1:{radicale.port}: cannot connect"), line
