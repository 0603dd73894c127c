"""A CalDAV server without sync-collection: etag comparison, and deletions by sweep.

The fake stands for the `caldav` library's calendar on such a server: a sync token it
does not know raises `ReportError`; its own "fake-" tokens (a digest of the etags)
answer nothing when nothing changed, else every object.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from caldav.lib import error

from kithkeep.connectors.caldav import CaldavConfig, CaldavSource
from kithkeep.connectors.remote_index import RemoteIndex

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def ics(uid: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20250301T000000Z\r\nDTSTART:20250303T100000Z\r\n"
        "SUMMARY:x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.org\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@dataclass
class _Url:
    value: str

    def canonical(self) -> str:
        return self.value


@dataclass
class _Object:
    url: _Url
    data: str


@dataclass
class _Result:
    objects: list[_Object]
    sync_token: str
    deleted_urls: set[str] = field(default_factory=set)


@dataclass
class FakeCalendar:
    url: str = "https://dav.example/cal/"
    items: dict[str, str] = field(default_factory=dict)
    asked: list[str | None] = field(default_factory=list)

    def _token(self) -> str:
        digest = hashlib.sha256(repr(sorted(self.items.items())).encode()).hexdigest()
        return "fake-" + digest

    def get_objects_by_sync_token(
        self, sync_token: str | None = None, load_objects: bool = False, **kw: Any
    ) -> _Result:
        self.asked.append(sync_token)
        if sync_token and not sync_token.startswith("fake-"):
            raise error.ReportError("sync-collection is not supported")
        token = self._token()
        if sync_token == token:
            return _Result([], token)
        objects = [_Object(_Url(self.url + h), d) for h, d in sorted(self.items.items())]
        return _Result(objects, token)


def keys(calendar: FakeCalendar, tmp_path: Path, cursor: str | None) -> tuple[set[str], set[str]]:
    source = CaldavSource(
        CaldavConfig("https://dav.example/", "me", "pw"),
        RemoteIndex(tmp_path / "index.sqlite"),
        tmp_path / "state.json",
        NOW,
        UTC,
        discoverer=lambda _config: [calendar],
    )
    observations: set[str] = set()
    gone: set[str] = set()
    for page in source.pages(cursor):
        observations.update(f.natural_key for f in page.observations)
        gone.update(page.withdrawn)
    return observations, gone


def test_without_sync_collection_etags_decide_and_a_listing_finds_deletions(
    tmp_path: Path,
) -> None:
    calendar = FakeCalendar(items={"a.ics": ics("a"), "b.ics": ics("b")})
    assert keys(calendar, tmp_path, None) == ({"ical:a", "ical:b"}, set())
    # Unchanged: the library's etag digest says so, nothing is read.
    assert keys(calendar, tmp_path, "since") == (set(), set())
    # One deleted, one added: everything is listed, and what is missing is withdrawn.
    del calendar.items["a.ics"]
    calendar.items["c.ics"] = ics("c")
    assert keys(calendar, tmp_path, "since") == ({"ical:b", "ical:c"}, {"ical:a"})
    assert keys(calendar, tmp_path, "since") == (set(), set())
    assert all(t is None or t.startswith("fake-") for t in calendar.asked)
