"""Gmail through its API: message headers to interactions, kept current by history.

A first sync records the mailbox's `historyId`, lists message ids newest first (SPAM and
TRASH left out by Gmail, DRAFT and CHAT by us) until the first message older than the
window, fetches their headers in batches (`format=metadata`: the `gmail.metadata` scope
is enough) and then replays history from the recorded id. Later syncs read only
`history.list`. Every message becomes an `Observation` through `mail.parse_message`
from a header block synthesized from Gmail's JSON, so its natural key is the one a file
import of the same message gives.

Gmail reports deletions by its own ids; `RemoteIndex` maps them to natural keys, so a
deleted message, or one moved to SPAM or TRASH, withdraws its interaction. The index
also tells which messages a saved page holds (held by their page's number until a
saved cursor counts that page), so listing again fetches only the others.

The cursor (`cursors.GmailCursor`) is JSON: `{"h": historyId}` when caught up; during
a first listing also `"list"` (the page token, "" for the first page) and `"sweep"` (the
listing's mark in the index), and `"n"`: how many pages holding messages were handed
over up to it, so that the next run knows which pages were saved. An expired history id
(404) means a fresh listing: what the index already holds is not fetched again, and what
the listing no longer shows is withdrawn.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.cursors import (
    GmailCursor,
    GmailHistory,
    GmailListed,
    GmailListing,
    decode_gmail,
)
from kithkeep.connectors.google_api import Caller, ServiceSource, http_error_line, status_of
from kithkeep.connectors.mail import Skip, parse_message
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.errors import ConnectorError
from kithkeep.domain.interaction import Observation

log = logging.getLogger(__name__)

#: The headers kithkeep reads (see `mail.parse_message`); Gmail sends only these.
HEADERS = (
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Subject",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "Precedence",
    "Auto-Submitted",
    "In-Reply-To",
    "References",
)
#: Quota units, as Google publishes them.
COST_LIST, COST_GET, COST_HISTORY = 5, 5, 2
#: Labels whose messages are not interactions (SPAM and TRASH withdraw what they hold).
LEFT_OUT = frozenset({"SPAM", "TRASH", "DRAFT", "CHAT"})
LIST_PAGE = 500
#: Messages fetched per page handed over (two batches).
CHUNK = 100
_SCOPE = "gmail"
_HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]


class GmailSource(ServiceSource):
    """One Gmail mailbox. `service` builds the googleapiclient `gmail` v1 resource."""

    def __init__(
        self,
        name: str,
        service: Callable[[], Any],
        *,
        caller: Caller,
        index: RemoteIndex,
        now: datetime,
        since_days: int,
        body_cues: bool = False,
        on_aliases: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.name = name
        self._service_factory = service
        self.caller = caller
        self.index = index
        self.now = now
        self.since = now - timedelta(days=since_days)
        self.body_cues = body_cues
        self.on_aliases = on_aliases
        #: Pages holding messages handed over, counted on from the saved cursor's `"n"`.
        self._handed = 0

    @property
    def key(self) -> str:
        return f"gmail:{self.name}"

    def _pages(self, cursor: str | None) -> Iterator[Page]:
        if self.on_aliases is not None:
            # Send-as addresses are the user too; one added since sign-in is found here.
            # Not worth failing a sync for (a sign-in from before the scope was asked).
            try:
                rows = self._call(self.service.users().settings().sendAs().list(userId="me"), 1)
            except (HttpError, ConnectorError) as e:
                if "sign-in" in str(e):
                    raise
                log.info("%s: send-as addresses not read (%s)", self.key, e)
            else:
                found = {str(r["sendAsEmail"]).lower() for r in rows.get("sendAs", [])}
                self.on_aliases(sorted(found))
        state = decode_gmail(cursor)
        # Pages handed over up to the saved cursor were saved; the index forgets the
        # messages of any handed over after it (a sync killed or stopped in between).
        self._handed = state.handed if state is not None else 0
        self.index.settle(_SCOPE, self._handed)
        if state is None or isinstance(state, GmailListing):
            yield from self._listing(state)
            return
        if isinstance(state, GmailListed):
            # A listing ended and its sweep may not have: sweep, then catch up.
            yield from self._sweep(state.sweep, state.history_id, relist=True)
            return
        try:
            yield from self._history(state.history_id, state.token)
        except _Expired:
            yield from self._listing(None)

    # -- first sync (or after an expired history id): a full listing ---------------------

    def _listing(self, state: GmailListing | None) -> Iterator[Page]:
        users = self.service.users()
        if state is None:
            profile = self.caller.one(users.getProfile(userId="me"), 1)
            state = GmailListing(
                str(profile["historyId"]), "", max(self.index.next_sweep(_SCOPE), 1)
            )
        sweep, token = state.sweep, state.token
        done = 0
        while True:
            answer = self._call(
                users.messages().list(
                    userId="me",
                    maxResults=LIST_PAGE,
                    includeSpamTrash=False,
                    pageToken=token or None,
                ),
                COST_LIST,
            )
            ids = [str(m["id"]) for m in answer.get("messages", [])]
            total = max(int(answer.get("resultSizeEstimate", 0)), done + len(ids))
            stored = self._stored(ids)
            self.index.remember(_SCOPE, stored.items(), sweep)
            todo = [i for i in ids if i not in stored]
            # Pages of a few batches, so the store's pauses between them stay shorter than
            # the pacer's burst and the quota is not left unused meanwhile.
            chunks = [todo[k : k + CHUNK] for k in range(0, len(todo), CHUNK)] or [[]]
            for j, chunk in enumerate(chunks):
                observations, problems, skipped, older, held = self._fetch(chunk, listing=True)
                last = older or j == len(chunks) - 1
                after = ("" if older else str(answer.get("nextPageToken", ""))) if last else token
                # Not the last part: this listing page again, its saved parts known then.
                next_state = (
                    replace(state, token=after)
                    if after or not last
                    else GmailListed(state.history_id, sweep)
                )
                done += len(chunk) + (len(stored) if j == 0 else 0)
                yield from self._handing_over(
                    held,
                    sweep,
                    next_state,
                    Page(
                        observations,
                        None,
                        problems,
                        skipped=skipped,
                        done=done,
                        total=total,
                        checkpoint=isinstance(next_state, GmailListed),  # its sweep next
                    ),
                )
                if last:
                    token = after
                    break
            if not token:
                break
        yield from self._sweep(sweep, state.history_id, relist=False)

    def _sweep(self, sweep: int, history_id: str, *, relist: bool) -> Iterator[Page]:
        gone = self.index.not_swept(_SCOPE, sweep)
        if gone:
            yield Page(
                (),
                GmailHistory(history_id, handed=self._handed).encode(),
                withdrawn=self.index.orphaned_by(_SCOPE, gone),
                checkpoint=True,
            )
            self.index.forget(_SCOPE, gone)
        try:
            yield from self._history(history_id, "")
        except _Expired:
            if relist:
                yield from self._listing(None)
                return
            # The mailbox changed faster than we could list it; the next sync lists again.
            yield Page((), None, (Problem("history expired during a first sync", self.key),))

    def _stored(self, ids: list[str]) -> dict[str, str]:
        """Which of these messages a saved page already holds (id -> natural key)."""
        out: dict[str, str] = {}
        conn = self.index.conn
        for k in range(0, len(ids), LIST_PAGE):
            part = ids[k : k + LIST_PAGE]
            out.update(
                conn.execute(
                    f"SELECT remote_id, natural_key FROM items WHERE scope = ? "
                    f"AND held IS NULL "
                    f"AND remote_id IN ({','.join('?' * len(part))})",
                    [_SCOPE, *part],
                ).fetchall()
            )
        return out

    def _handing_over(
        self, held: list[tuple[str, str]], sweep: int, after: GmailCursor, page: Page
    ) -> Iterator[Page]:
        """Yield a page with the cursor `after` it. Its messages are in the index before it
        is handed over, held by its number until a saved cursor counts it (`settle`)."""
        if held:
            self._handed += 1
            self.index.remember(_SCOPE, held, sweep, page=self._handed)
        yield replace(
            page,
            cursor=replace(after, handed=self._handed).encode(),
            # Its cursor says it was saved: kept even when its messages were all known.
            checkpoint=page.checkpoint or bool(held),
        )
        if held:
            self.index.settle(_SCOPE, self._handed)

    def _fetch(
        self, ids: list[str], *, listing: bool
    ) -> tuple[list[Observation], list[Problem], int, bool, list[tuple[str, str]]]:
        """Headers of these messages: observations, and (message id, natural key) pairs."""
        messages = self.caller.many(
            self.service,
            [
                self.service.users()
                .messages()
                .get(userId="me", id=i, format="metadata", metadataHeaders=list(HEADERS))
                for i in ids
            ],
            COST_GET,
        )
        observations: list[Observation] = []
        problems: list[Problem] = []
        remember: list[tuple[str, str]] = []
        skipped = 0
        older = False
        for mid, message in zip(ids, messages, strict=True):
            if isinstance(message, HttpError):
                if status_of(message) == 404:
                    skipped += 1  # deleted since it was listed
                    continue
                raise http_error_line(self.key, message)
            if int(message.get("internalDate", "0")) < self.since.timestamp() * 1000 and listing:
                older = True
                continue
            found = self.observe(message)
            if isinstance(found, Observation):
                observations.append(found)
                remember.append((mid, found.natural_key))
            elif isinstance(found, Problem):
                problems.append(found)
            else:
                skipped += 1
        return observations, problems, skipped, older, remember

    def observe(self, message: dict[str, Any]) -> Observation | Problem | Skip:
        """One `format=metadata` message as an interaction (or why not)."""
        labels = set(message.get("labelIds", []))
        if labels & LEFT_OUT:
            return Skip("label")
        where = f"{self.key}/{message.get('id', '')}"
        lines = []
        for h in message.get("payload", {}).get("headers", []):
            value = " ".join(str(h.get("value", "")).splitlines())
            lines.append(f"{h.get('name', '')}: {value}")
        data = "\r\n".join(lines).encode("utf-8", "surrogatepass")
        if self.body_cues and message.get("snippet"):
            # The snippet feeds introduction cues, in memory only; it is never stored.
            data += b"\r\n\r\n" + html.unescape(str(message["snippet"])).encode("utf-8")
        received = datetime.fromtimestamp(int(message.get("internalDate", "0")) / 1000, UTC)
        # SENT: self's own mail, whatever address it went from (`me suggest`'s evidence).
        signals = ("sent-folder",) if "SENT" in labels else ()
        return parse_message(data, origin=where, file_time=received, now=self.now, signals=signals)

    # -- incremental: history ------------------------------------------------------------

    def _history(self, start: str, token: str) -> Iterator[Page]:
        users = self.service.users()
        while True:
            try:
                answer = self._call(
                    users.history().list(
                        userId="me",
                        startHistoryId=start,
                        historyTypes=_HISTORY_TYPES,
                        maxResults=LIST_PAGE,
                        pageToken=token or None,
                    ),
                    COST_HISTORY,
                )
            except HttpError as e:
                if status_of(e) == 404:
                    raise _Expired from None
                raise http_error_line(self.key, e) from None
            present, gone = _net(answer.get("history", []))
            known = self.index.keys(_SCOPE, sorted(present | gone))
            stored = self._stored(sorted(present))
            new = sorted(i for i in present if i not in stored)
            # Marked as seen by the last listing, so that a sweep of it keeps them.
            mark = max(self.index.next_sweep(_SCOPE) - 1, 0)
            observations, problems, skipped, _, held = self._fetch(new, listing=False)
            # A message added and gone before we fetched it (404), or found in SPAM/TRASH
            # when fetched, leaves nothing; one we knew that is gone or hidden now goes.
            leaving = sorted(gone & set(known))
            withdrawn = self.index.orphaned_by(_SCOPE, leaving) if leaving else []
            token = str(answer.get("nextPageToken", ""))
            after = GmailHistory(start, token) if token else GmailHistory(str(answer["historyId"]))
            yield from self._handing_over(
                held,
                mark,
                after,
                Page(observations, None, problems, skipped=skipped, withdrawn=withdrawn),
            )
            if leaving:
                self.index.forget(_SCOPE, leaving)
            if not token:
                return

    def _call(self, request: Any, cost: float) -> Any:
        try:
            return self.caller.one(request, cost)
        except HttpError as e:
            if status_of(e) == 404:
                raise
            raise http_error_line(self.key, e) from None


class _Expired(Exception):
    """Gmail no longer has history from our id."""


def _net(records: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """Message ids present and gone at the end of these history records (last word wins)."""
    state: dict[str, bool] = {}
    for record in records:
        for item in record.get("messagesAdded", []):
            m = item["message"]
            state[m["id"]] = not (set(m.get("labelIds", [])) & LEFT_OUT)
        for item in record.get("messagesDeleted", []):
            state[item["message"]["id"]] = False
        for kind in ("labelsAdded", "labelsRemoved"):
            for item in record.get(kind, []):
                m = item["message"]
                state[m["id"]] = not (set(m.get("labelIds", [])) & LEFT_OUT)
    return {i for i, here in state.items() if here}, {i for i, here in state.items() if not here}
