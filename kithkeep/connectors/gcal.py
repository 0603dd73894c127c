"""Google Calendar through its API: events to meetings, kept current by sync tokens.

`events.list` with `singleEvents=true` over a window (by default 3 years back to 1 year
ahead) gives every occurrence as its own event; its last page carries a
`nextSyncToken`, and later syncs ask only for what changed since (410 Gone: list again).

The rules are those of `ics.py`, so a calendar read here and the same calendar read
from an .ics export give the same interactions: the natural key is the iCalendar UID
(plus the original start of an occurrence of a series), rooms and other resources are
not people, a declined answer is kept for the rules to judge, all-day events start at
local midnight, and only meetings that have started by `now` are interactions. Later
ones wait in the account's state file until they start (or move, or are cancelled).
A cancelled event, or a cancelled occurrence of a series, withdraws its meeting.

The cursor (`cursors.CalendarCursor`) is JSON: `{"sync": token}` when caught up; during
a listing `"page"` (the page token, "" for the first) and `"sweep"` (the listing's mark in
the index).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from googleapiclient.errors import HttpError

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.cursors import (
    CalendarCursor,
    CalendarListed,
    CalendarListing,
    CalendarSynced,
    decode_calendar,
)
from kithkeep.connectors.google_api import Caller, ServiceSource, http_error_line, status_of
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.interaction import Kind, Observation, Party, Response, Role, meeting_key
from kithkeep.domain.rules import normalize_address

_SCOPE = "gcal"
_PAGE = 2500
_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentative": Response.TENTATIVE,
    "needsAction": Response.NEEDS_ACTION,
}
_PENDING = """
CREATE TABLE IF NOT EXISTS pending (
    event_id TEXT PRIMARY KEY,
    starts REAL NOT NULL,
    observation TEXT NOT NULL
) WITHOUT ROWID;
"""


class CalendarSource(ServiceSource):
    """One Google calendar (the primary one). `service` builds the `calendar` v3 resource."""

    #: The state the last page handed over left the calendar in.
    _last: CalendarCursor

    def __init__(
        self,
        name: str,
        service: Callable[[], Any],
        *,
        caller: Caller,
        index: RemoteIndex,
        now: datetime,
        local_tz: tzinfo,
        since_days: int,
        ahead_days: int,
        calendar_id: str = "primary",
    ) -> None:
        self.name = name
        self._service_factory = service
        self.caller = caller
        self.index = index
        self.now = now.astimezone(UTC)
        self.local_tz = local_tz
        self.since_days = since_days
        self.ahead_days = ahead_days
        self.calendar_id = calendar_id

    @property
    def key(self) -> str:
        return f"gcal:{self.name}"

    def _pages(self, cursor: str | None) -> Iterator[Page]:
        self.index.conn.executescript(_PENDING)
        state = decode_calendar(cursor) or CalendarListing("", self.index.next_sweep(_SCOPE))
        if isinstance(state, CalendarListed):  # a listing ended, its sweep did not
            yield from self._sweep(state.sweep, state.sync)
            state = CalendarSynced(state.sync)
        if isinstance(state, CalendarSynced):
            try:
                yield from self._list(state)
            except _Gone:
                yield from self._list(CalendarListing("", self.index.next_sweep(_SCOPE)))
        else:
            yield from self._list(state)
        yield from self._started(self._last.encode())

    def _sweep(self, sweep: int, sync: str) -> Iterator[Page]:
        """After a full listing: what it did not see is gone."""
        self._last = CalendarSynced(sync)
        gone = self.index.not_swept(_SCOPE, sweep)
        if gone:
            withdrawn = self.index.orphaned_by(_SCOPE, gone)
            yield Page((), self._last.encode(), withdrawn=withdrawn, checkpoint=True)
            self._forget(gone)

    def _list(self, state: CalendarListing | CalendarSynced) -> Iterator[Page]:
        events = self.service.events()
        # Incremental pages mark what they see as seen by the last listing, so that a
        # sweep of that listing (resumed after a crash) keeps them.
        sweep = (
            state.sweep if isinstance(state, CalendarListing) else self.index.next_sweep(_SCOPE) - 1
        )
        token = state.page
        self._last = state
        while True:
            if isinstance(state, CalendarSynced):
                request = events.list(
                    calendarId=self.calendar_id,
                    syncToken=state.sync,
                    singleEvents=True,
                    maxResults=_PAGE,
                    pageToken=token or None,
                )
            else:
                request = events.list(
                    calendarId=self.calendar_id,
                    singleEvents=True,
                    timeMin=_rfc3339(self.now - timedelta(days=self.since_days)),
                    timeMax=_rfc3339(self.now + timedelta(days=self.ahead_days)),
                    maxResults=_PAGE,
                    pageToken=token or None,
                )
            try:
                answer = self.caller.one(request, 1)
            except HttpError as e:
                if status_of(e) == 410 and isinstance(state, CalendarSynced):
                    raise _Gone from None
                raise http_error_line(self.key, e) from None
            page, leaving = self._page(answer.get("items", []), sweep)
            token = str(answer.get("nextPageToken", ""))
            after: CalendarCursor
            if token:
                after = replace(state, page=token)
            elif isinstance(state, CalendarListing):
                after = CalendarListed(str(answer.get("nextSyncToken", "")), sweep)
            else:
                after = CalendarSynced(str(answer.get("nextSyncToken", state.sync)))
            self._last = after
            yield Page(
                page.observations,
                after.encode(),
                page.problems,
                skipped=page.skipped,
                withdrawn=page.withdrawn,
                revise=True,  # an event edited after it took place revises the stored meeting
                checkpoint=isinstance(after, CalendarListed),  # from here on, the sync token
            )
            self._forget(leaving)
            if not token:
                break
        if isinstance(self._last, CalendarListed):
            yield from self._sweep(sweep, self._last.sync)

    def _page(self, items: list[dict[str, Any]], sweep: int) -> tuple[Page, list[str]]:
        observations: list[Observation] = []
        problems: list[Problem] = []
        cancelled: list[str] = []
        remember: list[tuple[str, str]] = []
        skipped = 0
        conn = self.index.conn
        for event in items:
            eid = str(event.get("id", ""))
            if event.get("status") == "cancelled":
                cancelled.append(eid)
                continue
            try:
                observation = self.observe(event)
            except (KeyError, ValueError, TypeError) as e:
                problems.append(
                    Problem(f"unreadable event ({type(e).__name__})", f"{self.key}/{eid}")
                )
                continue
            if observation is None:
                skipped += 1
                continue
            remember.append((eid, observation.natural_key))
            if observation.occurred_at <= self.now:
                conn.execute("DELETE FROM pending WHERE event_id = ?", (eid,))
                observations.append(observation)
            else:
                # Not a meeting yet: kept until it starts (a later sync hands it over).
                conn.execute(
                    "INSERT OR REPLACE INTO pending VALUES (?, ?, ?)",
                    (eid, observation.occurred_at.timestamp(), _dump(observation)),
                )
        self.index.remember(_SCOPE, remember, sweep)
        withdrawn = self.index.orphaned_by(_SCOPE, cancelled) if cancelled else []
        return Page(observations, None, problems, skipped=skipped, withdrawn=withdrawn), cancelled

    def _forget(self, event_ids: list[str]) -> None:
        if not event_ids:
            return
        self.index.forget(_SCOPE, event_ids)
        with self.index.conn as conn:
            conn.executemany("DELETE FROM pending WHERE event_id = ?", [(i,) for i in event_ids])

    def _started(self, cursor: str) -> Iterator[Page]:
        """Meetings that were ahead at an earlier sync and have started since."""
        rows = self.index.conn.execute(
            "SELECT event_id, observation FROM pending WHERE starts <= ? ORDER BY starts",
            (self.now.timestamp(),),
        ).fetchall()
        if not rows:
            return
        yield Page([_load_observation(o) for _, o in rows], cursor)
        with self.index.conn as conn:
            conn.executemany("DELETE FROM pending WHERE event_id = ?", [(i,) for i, _ in rows])

    def observe(self, event: dict[str, Any]) -> Observation | None:
        """One event (an occurrence, with singleEvents=true) as a meeting."""
        uid = str(event.get("iCalUID") or event["id"])
        start = self._time(event["start"])
        recurrence_id = (
            self._time(event["originalStartTime"])
            if event.get("recurringEventId") and event.get("originalStartTime")
            else None
        )
        organizer = event.get("organizer") or {}
        address = normalize_address(str(organizer.get("email", "")))
        sender = (
            Party(address, str(organizer.get("displayName", "")), Role.ATTENDEE)
            if address
            else None
        )
        parties: dict[str, Party] = {}
        for a in event.get("attendees", []):
            address = normalize_address(str(a.get("email", "")))
            if not address or address in parties or a.get("resource"):
                continue
            response = _RESPONSES.get(str(a.get("responseStatus", "")), Response.UNKNOWN)
            parties[address] = Party(
                address, str(a.get("displayName", "")), Role.ATTENDEE, response
            )
        return Observation(
            kind=Kind.MEETING,
            natural_key=meeting_key(uid, recurrence_id),
            occurred_at=start,
            sender=sender,
            parties=tuple(parties.values()),
            subject=" ".join(str(event.get("summary", "")).split())[:300],
            thread_key=uid,
            message_id="",
            signals=(),
            date_source="header",
            origin=f"{self.key}/{event['id']}",
        )

    def _time(self, value: dict[str, Any]) -> datetime:
        if value.get("dateTime"):
            when = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=self.local_tz)
            return when.astimezone(UTC)
        day = date.fromisoformat(str(value["date"]))
        return datetime.combine(day, time(), tzinfo=self.local_tz).astimezone(UTC)


class _Gone(Exception):
    """The sync token expired (410): list everything again."""


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump(o: Observation) -> str:
    return json.dumps(
        {
            "key": o.natural_key,
            "at": o.occurred_at.isoformat(),
            "sender": list(o.sender) if o.sender else None,
            "parties": [list(p) for p in o.parties],
            "subject": o.subject,
            "thread": o.thread_key,
            "origin": o.origin,
        }
    )


def _load_observation(raw: str) -> Observation:
    d = json.loads(raw)
    return Observation(
        kind=Kind.MEETING,
        natural_key=d["key"],
        occurred_at=datetime.fromisoformat(d["at"]),
        sender=Party(*d["sender"]) if d["sender"] else None,
        parties=tuple(Party(*p) for p in d["parties"]),
        subject=d["subject"],
        thread_key=d["thread"],
        origin=d["origin"],
    )
