"""Gmail through its API: message headers to interactions, kept current by history.

A first sync records the mailbox's `historyId`, lists message ids newest first (SPAM and
TRASH left out by Gmail, DRAFT and CHAT by us) until the first message older than the
window, fetches their headers in batches (`format=metadata`: the `gmail.metadata` scope
is enough) and then replays history from the recorded id. Later syncs read only
`history.list`. Every message becomes an `Observation` through `mail.parse_message`
from a header block synthesized from Gmail's JSON, so its natural key is the one a file
import of the same message gives.

Gmail reports deletions by its own ids; `RemoteIndex` maps them to natural keys, so a
deleted message, or one moved to SPAM or TRASH, withdraws its interaction.

The cursor is JSON: `{"h": historyId}` when caught up; during a first listing also
`"list"` (the page token, "" for the first page) and `"sweep"` (the listing's mark in
the index). An expired history id (404) means a fresh listing: what the index already
holds is not fetched again, and what the listing no longer shows is withdrawn.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.google_api import Caller, http_error_line, status_of
from kithkeep.connectors.mail import Skip, parse_message
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.interaction import Observation

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
_SCOPE = "gmail"
_HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]


class GmailSource:
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
        self._service: Any = None
        self.caller = caller
        self.index = index
        self.now = now
        self.since = now - timedelta(days=since_days)
        self.body_cues = body_cues
        self.on_aliases = on_aliases

    @property
    def key(self) -> str:
        return f"gmail:{self.name}"

    @property
    def service(self) -> Any:
        if self._service is None:
            self._service = self._service_factory()
        return self._service

    def pages(self, cursor: str | None) -> Iterator[Page]:
        try:
            yield from self._pages(cursor)
        finally:
            self.close()

    def close(self) -> None:
        """Let go of connections (a source may be used again: they reopen)."""
        if self._service is not None:
            self._service.close()
            self._service = None
        self.index.close()

    def _pages(self, cursor: str | None) -> Iterator[Page]:
        if self.on_aliases is not None:
            # Send-as addresses are the user too; one added since sign-in is found here.
            rows = self._call(self.service.users().settings().sendAs().list(userId="me"), 1)
            self.on_aliases(sorted({str(r["sendAsEmail"]).lower() for r in rows.get("sendAs", [])}))
        state = _load(cursor)
        if state is None or "list" in state:
            yield from self._listing(state)
            return
        if "gone" in state:
            # A listing ended and its sweep may not have: sweep, then catch up.
            yield from self._sweep(int(state["gone"]), str(state["h"]), relist=True)
            return
        try:
            yield from self._history(str(state["h"]), str(state.get("p", "")))
        except _Expired:
            yield from self._listing(None)

    # -- first sync (or after an expired history id): a full listing ---------------------

    def _listing(self, state: dict[str, Any] | None) -> Iterator[Page]:
        users = self.service.users()
        if state is None:
            profile = self.caller.one(users.getProfile(userId="me"), 1)
            state = {
                "h": str(profile["historyId"]),
                "list": "",
                "sweep": self.index.next_sweep(_SCOPE),
            }
        sweep = int(state["sweep"])
        token = str(state["list"])
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
            known = self.index.keys(_SCOPE, ids)
            self.index.remember(_SCOPE, known.items(), sweep)
            facts, problems, skipped, older = self._fetch(
                [i for i in ids if i not in known], sweep, listing=True
            )
            done += len(ids)
            token = "" if older else str(answer.get("nextPageToken", ""))
            next_state = {**state, "list": token} if token else {"h": state["h"], "gone": sweep}
            yield Page(
                facts,
                json.dumps(next_state),
                problems,
                skipped=skipped,
                done=done,
                total=total,
            )
            if not token:
                break
        yield from self._sweep(sweep, state["h"], relist=False)

    def _sweep(self, sweep: int, history_id: str, *, relist: bool) -> Iterator[Page]:
        gone = self.index.not_swept(_SCOPE, sweep)
        if gone:
            yield Page(
                (), json.dumps({"h": history_id}), withdrawn=self.index.orphaned_by(_SCOPE, gone)
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

    def _fetch(
        self, ids: list[str], sweep: int, *, listing: bool
    ) -> tuple[list[Observation], list[Problem], int, bool]:
        """Headers of these messages, as observations; remembered in the index first."""
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
        facts: list[Observation] = []
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
                facts.append(found)
                remember.append((mid, found.natural_key))
            elif isinstance(found, Problem):
                problems.append(found)
            else:
                skipped += 1
        self.index.remember(_SCOPE, remember, sweep)
        return facts, problems, skipped, older

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
        return parse_message(data, origin=where, file_time=received, now=self.now)

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
            new = sorted(i for i in present if i not in known)
            # Marked as seen by the last listing, so that a sweep of it keeps them.
            mark = self.index.next_sweep(_SCOPE) - 1
            facts, problems, skipped, _ = self._fetch(new, mark, listing=False)
            # A message added and gone before we fetched it (404), or found in SPAM/TRASH
            # when fetched, leaves nothing; one we knew that is gone or hidden now goes.
            leaving = sorted(gone & set(known))
            withdrawn = self.index.orphaned_by(_SCOPE, leaving) if leaving else []
            token = str(answer.get("nextPageToken", ""))
            after = {"h": start, "p": token} if token else {"h": str(answer["historyId"])}
            yield Page(facts, json.dumps(after), problems, skipped=skipped, withdrawn=withdrawn)
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


def _load(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        state = json.loads(cursor)
    except ValueError:
        return None
    return state if isinstance(state, dict) and "h" in state else None
