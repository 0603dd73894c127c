"""Google Contacts: the People API's `people.connections.list`, kept current by sync tokens.

A first sync lists every contact (with `requestSyncToken`); later syncs ask what
changed since the token, deleted contacts included (`metadata.deleted`). An expired
token (Google's `EXPIRED_SYNC_TOKEN`, 410 or 400) lists everything again; the contacts
held (their resource names, in the cursor) that the listing no longer has are withdrawn,
and nothing listed again is stored twice. An idle sync is one request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from googleapiclient.errors import HttpError

from kithkeep.connectors.base import Page
from kithkeep.connectors.google_api import Caller, ServiceSource, http_error_line, status_of
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.card import Card, addresses_in, month_day, tidy

PERSON_FIELDS = "names,emailAddresses,organizations,birthdays,events,metadata"
#: Contacts a page (the API's most).
PAGE = 1000


@dataclass
class ContactsCursor:
    """Where a sync of Google Contacts stands: a sync token once a listing has ended;
    during a listing its next page and the contacts seen so far; the contacts held."""

    token: str = ""
    page: str = ""
    known: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def encode(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "token": self.token,
                "page": self.page,
                "known": sorted(set(self.known)),
                "seen": sorted(set(self.seen)),
            }
        )

    @classmethod
    def decode(cls, cursor: str | None) -> ContactsCursor:
        if not cursor:
            return cls()
        try:
            raw: Any = json.loads(cursor)
            return cls(
                str(raw["token"]),
                str(raw["page"]),
                [str(x) for x in raw["known"]],
                [str(x) for x in raw["seen"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()  # unreadable: a full listing, which finds what is gone


def card_key(resource_name: str) -> str:
    return "google:" + resource_name


def _primary(items: Any) -> dict[str, Any]:
    rows = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    for row in rows:
        meta = row.get("metadata")
        if isinstance(meta, dict) and meta.get("primary"):
            return row
    return rows[0] if rows else {}


def _date(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    try:
        month, day = int(value["month"]), int(value["day"])
        year = int(value.get("year") or 0)
    except (KeyError, TypeError, ValueError):
        return ""
    text = f"{year:04d}-{month:02d}-{day:02d}" if 0 < year < 10000 else f"--{month:02d}-{day:02d}"
    return text if month_day(text) is not None else ""


def card_of(person: dict[str, Any]) -> Card | None:
    """A People API person as a card (None if it has no resource name)."""
    name = person.get("resourceName")
    if not isinstance(name, str) or not name:
        return None
    addresses = addresses_in(person.get("emailAddresses"), "value")
    names = _primary(person.get("names"))
    display = tidy(str(names.get("displayName") or ""))
    if not display:
        display = tidy(" ".join(str(names.get(k) or "") for k in ("givenName", "familyName")))
    org = _primary(person.get("organizations"))
    birthday = next(
        (d for d in (_date(b.get("date")) for b in person.get("birthdays") or []) if d), ""
    )
    anniversary = next(
        (
            d
            for d in (
                _date(e.get("date"))
                for e in person.get("events") or []
                if isinstance(e, dict) and str(e.get("type", "")).lower() == "anniversary"
            )
            if d
        ),
        "",
    )
    return Card(
        key=card_key(name),
        name=display,
        addresses=addresses,
        organization=tidy(str(org.get("name") or "")),
        title=tidy(str(org.get("title") or "")),
        birthday=birthday,
        anniversary=anniversary,
        source="google",
    )


def _deleted(person: dict[str, Any]) -> bool:
    meta = person.get("metadata")
    return isinstance(meta, dict) and bool(meta.get("deleted"))


class ExpiredError(Exception):
    """Google no longer accepts the sync token."""


def _expired(error: HttpError) -> bool:
    text = error.content.decode("utf-8", "replace") if error.content else ""
    return status_of(error) == 410 or "EXPIRED_SYNC_TOKEN" in text


@dataclass
class ContactsSource(ServiceSource):
    name: str
    service_factory: Callable[[], Any]
    caller: Caller
    index: RemoteIndex
    now: datetime

    def __post_init__(self) -> None:
        self._service_factory = self.service_factory

    @property
    def key(self) -> str:
        return f"google-contacts:{self.name}"

    def _list(self, token: str, page: str) -> dict[str, Any]:
        args: dict[str, Any] = {
            "resourceName": "people/me",
            "personFields": PERSON_FIELDS,
            "pageSize": PAGE,
            "requestSyncToken": True,
        }
        if token:
            args["syncToken"] = token
        if page:
            args["pageToken"] = page
        try:
            answer: dict[str, Any] = self.caller.one(
                self.service.people().connections().list(**args)
            )
        except HttpError as e:
            if token and _expired(e):
                raise ExpiredError from None
            raise http_error_line(self.name, e) from None
        return answer

    def _pages(self, cursor: str | None) -> Iterator[Page]:
        state = ContactsCursor.decode(cursor)
        if state.token:
            try:
                yield from self._changes(state)
                return
            except ExpiredError:
                state = ContactsCursor(known=state.known)
        yield from self._listing(state)

    def _changes(self, state: ContactsCursor) -> Iterator[Page]:
        """What changed since the token; a page interrupted is asked again (no harm)."""
        known = set(state.known)
        page = ""
        while True:
            answer = self._list(state.token, page)
            cards, gone = self._read(answer)
            known |= {c.key.removeprefix("google:") for c in cards}
            known -= {k.removeprefix("google:") for k in gone}
            page = str(answer.get("nextPageToken") or "")
            last = not page
            token = str(answer.get("nextSyncToken") or state.token) if last else state.token
            after = ContactsCursor(token, "", sorted(known))
            yield Page((), after.encode(), cards=cards, cards_withdrawn=gone, checkpoint=True)
            if last:
                return

    def _listing(self, state: ContactsCursor) -> Iterator[Page]:
        """Everything, page by page; at its end, what is held but was not listed is gone."""
        seen = set(state.seen)
        page = state.page
        while True:
            answer = self._list("", page)
            cards, _ = self._read(answer)
            seen |= {c.key.removeprefix("google:") for c in cards}
            page = str(answer.get("nextPageToken") or "")
            if page:
                after = ContactsCursor("", page, state.known, sorted(seen))
                yield Page((), after.encode(), cards=cards, checkpoint=True)
                continue
            gone = sorted(card_key(r) for r in set(state.known) - seen)
            done = ContactsCursor(str(answer.get("nextSyncToken") or ""), "", sorted(seen))
            yield Page((), done.encode(), cards=cards, cards_withdrawn=gone, checkpoint=True)
            return

    @staticmethod
    def _read(answer: dict[str, Any]) -> tuple[list[Card], list[str]]:
        cards: list[Card] = []
        gone: list[str] = []
        for person in answer.get("connections") or []:
            if not isinstance(person, dict):
                continue
            found = card_of(person)
            if found is None:
                continue
            if _deleted(person):
                gone.append(found.key)
            else:
                cards.append(found)
        return cards, gone
