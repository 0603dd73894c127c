"""Microsoft Graph: mail by delta per folder, meetings by calendarView delta.

One `GraphSource` per Outlook / Microsoft 365 account. Its cursor (`cursors.GraphCursor`)
holds one link per mail folder and one for the calendar: a `@odata.nextLink` while a
listing is under way, the `@odata.deltaLink` once it is done. Messages become RFC 822
header blocks read by `mail.parse_message`, so a message synced here has the natural key
it has when imported from a file. A `RemoteIndex` keeps (folder, Graph id) -> natural key:
`@removed` withdraws an interaction only when no other folder still holds it.

Requests go one at a time through `GraphClient` (never more than `MAX_IN_FLIGHT`),
paced to Graph's 10,000 requests per 10 minutes per mailbox, retried on 429 / 503 /
504 after the server's `Retry-After`, and once more with a fresh token on 401.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import requests

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.cursors import GraphCursor, GraphDelta
from kithkeep.connectors.graph_items import (
    Unresolved,
    header_block,
    instant,
    midnight,
    party,
    when,
    windows_zone,
)
from kithkeep.connectors.mail import Skip, parse_message
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.connectors.retry import Pacer, Transient, retry_after_seconds, retrying
from kithkeep.domain.errors import ConnectorError, CursorExpiredError
from kithkeep.domain.interaction import Kind, Observation, Party, meeting_key

#: Graph's limit is 4 concurrent requests per app and mailbox.
MAX_IN_FLIGHT = 4
#: ... and 10,000 requests per 10 minutes.
RATE = 10_000 / 600
PAGE_SIZE = 200
TIMEOUT = (10.0, 60.0)
DEFAULT_FOLDERS = ("inbox", "sentitems")
WELL_KNOWN = frozenset(
    {"inbox", "sentitems", "archive", "drafts", "deleteditems", "junkemail", "outbox"}
)
_MAIL_SELECT = (
    "internetMessageId,from,toRecipients,ccRecipients,bccRecipients,receivedDateTime,"
    "sentDateTime,subject,conversationId,isDraft"
)
#: Only with Mail.Read: list headers and auto-submission for bulk detection, and the
#: preview for introduction cues (read in memory, never stored).
_MAIL_SELECT_FULL = _MAIL_SELECT + ",internetMessageHeaders,bodyPreview"
#: What a meeting is read from; an occurrence kept until it starts keeps only these.
_EVENT_FIELDS = (
    "id", "iCalUId", "type", "seriesMasterId", "originalStart", "start", "end", "isAllDay",
    "isCancelled", "organizer", "attendees", "subject",
)  # fmt: skip
_EXPIRED_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})

#: Gives an access token; `refresh=True` when Graph refused the last one.
TokenSource = Callable[[bool], str]


class GraphClient:
    """Every request to Graph: paced, at most `MAX_IN_FLIGHT` at once, retried."""

    def __init__(
        self,
        token: TokenSource,
        *,
        session: requests.Session | None = None,
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._token = token
        self._session = session or requests.Session()
        self._pacer = pacer or Pacer(RATE, burst=100)
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._sleep = sleep
        self.requests = 0

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"on_retry": self._paused}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return retrying(lambda: self._once(url, params), **kwargs)

    def close(self) -> None:
        self._session.close()

    def _paused(self, error: Transient, wait: float) -> None:
        if error.retry_after is not None:
            self._pacer.pause(wait)  # every request waits, not only the one retried

    def _once(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        self._pacer.take()
        headers = {
            "Authorization": "Bearer " + self._token(False),
            "Prefer": f'odata.maxpagesize={PAGE_SIZE}, IdType="ImmutableId"',
            "Accept": "application/json",
        }
        with self._slots:
            self.requests += 1
            try:
                r = self._session.get(url, params=params, headers=headers, timeout=TIMEOUT)
                body = r.content
            except requests.RequestException as e:
                raise Transient(f"graph: connection failed ({type(e).__name__})") from None
        status = r.status_code
        if status == 200:
            try:
                data = json.loads(body)
            except ValueError:
                raise Transient("graph: unreadable response") from None
            if not isinstance(data, dict):
                raise Transient("graph: unexpected response")
            return data
        code = _error_code(body)
        if status == 401:
            self._token(True)  # raises ConnectorError if the sign-in itself is gone
            raise Transient("graph: access token refused", retry_after=0.0)
        if status == 410 or code.lower() in _EXPIRED_CODES:
            raise CursorExpiredError(f"graph: delta link expired ({code or status})")
        if status in (429, 500, 502, 503, 504):
            raise Transient(
                f"graph: HTTP {status}", retry_after_seconds(r.headers.get("Retry-After"))
            )
        raise ConnectorError(f"graph: HTTP {status}" + (f" ({code})" if code else ""))


def _error_code(body: bytes) -> str:
    try:
        error = json.loads(body).get("error", {})
        return str(error.get("code", ""))[:80] if isinstance(error, dict) else ""
    except (ValueError, AttributeError):
        return ""


# -- the source --------------------------------------------------------------------------


@dataclass
class GraphSource:
    """Mail folders, then the calendar, of one account, as pages of observations."""

    key: str
    client: GraphClient
    graph: str
    index: RemoteIndex
    now: datetime
    local_tz: tzinfo
    folders: tuple[str, ...] = DEFAULT_FOLDERS
    since_days: int = 3 * 365
    ahead_days: int = 365
    #: Whether the sign-in allows headers and previews (Mail.Read, not only Mail.ReadBasic).
    full_select: Callable[[], bool] = lambda: True
    origin: str = "outlook"
    _state: GraphCursor = field(default_factory=GraphCursor)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        self._state = _load(cursor)
        self._forgotten()  # a run killed between saving a page and forgetting its items
        try:
            for folder in self.folders:
                yield from self._mail(folder)
            yield from self._matured()
            yield from self._calendar()
        finally:
            self.index.close()
            self.client.close()  # its HTTP session (a sync may build the source again)

    def _cursor(self) -> str:
        return self._state.encode()

    def _withdrawing(self, scope: str, removed: list[str], page: Page) -> Page:
        """The page, its cursor also naming the items to forget once it is saved.

        Forgotten right after the page was saved; a run killed in between forgets them
        at its next start, so no stale item keeps an interaction from being withdrawn.
        """
        if removed:
            self._state = replace(self._state, forget=(scope, tuple(removed)))
        return replace(page, cursor=self._cursor())

    def _forgotten(self) -> None:
        pending = self._state.forget
        self._state = replace(self._state, forget=None)
        if pending:
            self.index.forget(*pending)

    # mail

    def _mail(self, folder: str) -> Iterator[Page]:
        scope = "mail:" + folder
        saved = self._state.mail.get(folder)
        if saved is None:
            saved = self._start_folder(folder, scope)
            self._state = self._state.with_mail(folder, saved)
        restarted = False
        while True:
            try:
                body = self.client.get(saved.link)
            except CursorExpiredError:
                if restarted:
                    raise
                restarted = True  # the folder is listed again; the sweep finds what is gone
                saved = self._start_folder(folder, scope)
                self._state = self._state.with_mail(folder, saved)
                continue
            observations: list[Observation] = []
            problems: list[Problem] = []
            pairs: list[tuple[str, str]] = []
            removed: list[str] = []
            skipped = 0
            unresolved = Unresolved()
            for item in body.get("value") or ():
                rid = str(item.get("id", ""))
                if "@removed" in item:
                    removed.append(rid)
                    continue
                where = f"{self.origin}:{folder}:{rid[-12:]}"
                read = parse_message(
                    header_block(item, unresolved),
                    origin=where,
                    file_time=instant(item.get("receivedDateTime")) or self.now,
                    now=self.now,
                    signals=(("draft",) if item.get("isDraft") else ())
                    + (("sent-folder",) if folder == "sentitems" else ()),
                )
                if isinstance(read, Observation):
                    observations.append(read)
                    pairs.append((rid, read.natural_key))
                elif isinstance(read, Skip):
                    skipped += 1
                else:
                    problems.append(read)
            if unresolved.count:
                where = f"{self.origin}:{folder}"
                problems += [Problem("unresolved Exchange address", where)] * unresolved.count
            self.index.remember(scope, pairs, saved.sweep)
            saved, done = self._advance(saved, body)
            if done and saved.full:
                removed += self.index.not_swept(scope, saved.sweep)
                saved = replace(saved, full=False)
            self._state = self._state.with_mail(folder, saved)
            withdrawn = self.index.orphaned_by(scope, removed) if removed else []
            yield self._withdrawing(
                scope,
                removed,
                Page(observations, "", problems, skipped=skipped, withdrawn=withdrawn),
            )
            self._forgotten()
            if done:
                return

    def _start_folder(self, folder: str, scope: str) -> GraphDelta:
        ident = folder if folder.lower() in WELL_KNOWN else self._folder_id(folder)
        select = _MAIL_SELECT_FULL if self.full_select() else _MAIL_SELECT
        since = (self.now - timedelta(days=self.since_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        link = (
            requests.Request(
                "GET",
                f"{self.graph}/me/mailFolders/{ident}/messages/delta",
                params={"$select": select, "$filter": f"receivedDateTime ge {since}"},
            )
            .prepare()
            .url
        )
        return GraphDelta(str(link), self.index.next_sweep(scope), full=True)

    def _folder_id(self, name: str) -> str:
        escaped = name.replace("'", "''")
        body = self.client.get(
            f"{self.graph}/me/mailFolders",
            {"$filter": f"displayName eq '{escaped}'", "$select": "id,displayName"},
        )
        for f in body.get("value") or ():
            if str(f.get("displayName", "")).lower() == name.lower():
                return str(f["id"])
        raise ConnectorError(f"outlook: no mail folder named {name!r}")

    @staticmethod
    def _advance(saved: GraphDelta, body: dict[str, Any]) -> tuple[GraphDelta, bool]:
        """A folder's (or the calendar's) link moved on; True when a deltaLink came."""
        nxt, delta = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
        if nxt:
            return replace(saved, link=str(nxt)), False
        if not delta:
            raise ConnectorError("graph: a delta page without nextLink or deltaLink")
        return replace(saved, link=str(delta)), True

    # calendar

    def _calendar(self) -> Iterator[Page]:
        scope = "calendar"
        saved = self._state.calendar
        if saved is None:
            saved = self._start_calendar(scope)
            self._state = replace(self._state, calendar=saved)
        restarted = False
        while True:
            try:
                body = self.client.get(saved.link)
            except CursorExpiredError:
                if restarted:
                    raise
                restarted = True
                saved = self._start_calendar(scope)
                self._state = replace(self._state, calendar=saved)
                continue
            observations: list[Observation] = []
            problems: list[Problem] = []
            pairs: list[tuple[str, str]] = []
            removed: list[str] = []
            later: set[str] = set()
            for item in body.get("value") or ():
                rid = str(item.get("id", ""))
                if "@removed" in item or item.get("isCancelled"):
                    removed.append(rid)
                    continue
                if item.get("type") == "seriesMaster":
                    continue
                try:
                    o = self._meeting(item)
                except ConnectorError as e:
                    problems.append(Problem(str(e), f"{self.origin}:calendar:{rid[-12:]}"))
                    continue
                if o is None:
                    problems.append(Problem("unreadable event", f"{self.origin}:calendar"))
                elif o.occurred_at > self.now and item.get("type") in ("occurrence", "exception"):
                    self._pending_put(rid, item)  # counted once it has started, as in .ics
                    later.add(rid)
                    removed.append(rid)  # a moved occurrence no longer stands where it was
                else:
                    self._pending_drop(rid)
                    observations.append(o)
                    pairs.append((rid, o.natural_key))
            for rid in removed:
                if rid not in later:
                    self._pending_drop(rid)
            self.index.remember(scope, pairs, saved.sweep)
            saved, done = self._advance(saved, body)
            if done and saved.full:
                removed += self.index.not_swept(scope, saved.sweep)
                saved = replace(saved, full=False)
            self._state = replace(self._state, calendar=saved)
            gone = [r for r in removed if r not in {p for p, _ in pairs}]
            withdrawn = self.index.orphaned_by(scope, gone) if gone else []
            # An event edited after it took place (moved, an answer changed) revises it.
            page = Page(observations, "", problems, withdrawn=withdrawn, revise=True)
            yield self._withdrawing(scope, gone, page)
            self._forgotten()
            if done:
                return

    def _start_calendar(self, scope: str) -> GraphDelta:
        start = (self.now - timedelta(days=self.since_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (self.now + timedelta(days=self.ahead_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        link = (
            requests.Request(
                "GET",
                f"{self.graph}/me/calendarView/delta",
                # calendarView delta takes no $select: what it sends beyond the metadata
                # used here (the body among it) is dropped unread.
                params={"startDateTime": start, "endDateTime": end},
            )
            .prepare()
            .url
        )
        self._pending_clear()
        return GraphDelta(str(link), self.index.next_sweep(scope), full=True)

    def _meeting(self, item: dict[str, Any]) -> Observation | None:
        all_day = bool(item.get("isAllDay"))
        start = when(item.get("start"), all_day, self.local_tz)
        if start is None:
            return None
        kind = item.get("type") or "singleInstance"
        recurrence: datetime | None = None
        if kind in ("occurrence", "exception"):
            uid = self._series_uid(str(item.get("seriesMasterId") or ""))
            recurrence = instant(item.get("originalStart")) or start
            if all_day:
                zone = windows_zone(str((item.get("start") or {}).get("timeZone") or ""), UTC)
                recurrence = midnight(recurrence.astimezone(zone).date(), self.local_tz)
        else:
            uid = str(item.get("iCalUId") or "")
        if not uid:
            return None
        organizer = party(item.get("organizer"))
        parties: dict[str, Party] = {}
        for a in item.get("attendees") or ():
            p = party(a)
            if p is not None and p.address not in parties and a.get("type") != "resource":
                parties[p.address] = p
        return Observation(
            kind=Kind.MEETING,
            natural_key=meeting_key(uid, recurrence),
            occurred_at=start,
            sender=organizer,
            parties=tuple(parties.values()),
            subject=" ".join(str(item.get("subject") or "").split())[:300],
            thread_key=uid,
            message_id="",
            signals=(),
            date_source="header",
            origin=f"{self.origin}:calendar",
        )

    def _series_uid(self, master: str) -> str:
        if not master:
            raise ConnectorError("occurrence without its series")
        conn = self._extra()
        row = conn.execute("SELECT uid FROM series WHERE id = ?", (master,)).fetchone()
        if row is not None:
            return str(row[0])
        body = self.client.get(f"{self.graph}/me/events/{master}", {"$select": "iCalUId"})
        uid = str(body.get("iCalUId") or "")
        if uid:
            with conn:
                conn.execute("INSERT OR REPLACE INTO series VALUES (?, ?)", (master, uid))
        return uid

    # occurrences seen before they started: counted on the first sync after they do

    def _extra(self) -> Any:
        conn = self.index.conn
        conn.executescript(
            "CREATE TABLE IF NOT EXISTS series (id TEXT PRIMARY KEY, uid TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS pending "
            "(id TEXT PRIMARY KEY, start REAL NOT NULL, item TEXT NOT NULL);"
        )
        return conn

    def _pending_put(self, rid: str, item: dict[str, Any]) -> None:
        start = when(item.get("start"), bool(item.get("isAllDay")), self.local_tz)
        assert start is not None
        with self._extra() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?)",
                (rid, start.timestamp(), json.dumps({k: item.get(k) for k in _EVENT_FIELDS})),
            )

    def _pending_drop(self, rid: str) -> None:
        with self._extra() as conn:
            conn.execute("DELETE FROM pending WHERE id = ?", (rid,))

    def _pending_clear(self) -> None:
        with self._extra() as conn:
            conn.execute("DELETE FROM pending")

    def _matured(self) -> Iterator[Page]:
        rows = (
            self._extra()
            .execute("SELECT id, item FROM pending WHERE start <= ?", (self.now.timestamp(),))
            .fetchall()
        )
        if not rows:
            return
        observations, pairs = [], []
        for rid, raw in rows:
            o = self._meeting(json.loads(raw))
            if o is not None:
                observations.append(o)
                pairs.append((rid, o.natural_key))
        sweep = self._state.calendar.sweep if self._state.calendar else 0
        self.index.remember("calendar", pairs, sweep)
        yield Page(observations, self._cursor())
        for rid, _ in rows:
            self._pending_drop(rid)


def _load(cursor: str | None) -> GraphCursor:
    if not cursor:
        return GraphCursor()
    state = GraphCursor.decode(cursor)
    if state is None:
        raise CursorExpiredError("outlook: unreadable cursor; run `kithkeep sync --full`")
    return state
