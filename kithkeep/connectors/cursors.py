"""The cursors of the API sources (Gmail, Google Calendar, Microsoft Graph), typed.

Each is saved in the store as JSON, with the keys it has always had: `decode` reads a
cursor any earlier version wrote, `encode` writes the same JSON an earlier version did,
so no saved cursor changes for a change of code. A cursor that cannot be read decodes to
None: the source starts again (Graph's asks for a full sync).

Gmail and the calendar each go through three states: listing everything, a listing done
whose sweep (withdrawing what it did not see) may not be, and caught up, following the
provider's changes. Graph keeps one delta per mail folder and one for the calendar.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace


def _handed(d: Mapping[str, object]) -> int:
    """A Gmail cursor's `"n"`: how many pages holding messages were handed over up to it
    (0 in cursors written before it was kept, or unreadable)."""
    n = d.get("n", 0)
    return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else 0


def _with_handed(data: dict[str, object], handed: int) -> str:
    return json.dumps({**data, "n": handed} if handed else data)


def _object(cursor: str | None) -> dict[str, object] | None:
    """The cursor's JSON object; None when there is none, or it is not JSON or no object."""
    if not cursor:
        return None
    try:
        found = json.loads(cursor)
    except (ValueError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


# -- Gmail -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GmailListing:
    """A first listing under way: `{"h": history id, "list": page token, "sweep": mark}`."""

    #: The mailbox's historyId when the listing began: history is replayed from it after.
    history_id: str
    #: The next listing page's token, "" for the first page.
    token: str
    #: The listing's mark in the index; what has another mark at its end is gone.
    sweep: int
    #: Pages holding messages handed over so far (see `RemoteIndex.settle`).
    handed: int = 0

    def encode(self) -> str:
        data = {"h": self.history_id, "list": self.token, "sweep": self.sweep}
        return _with_handed(dict(data), self.handed)

    @classmethod
    def decode(cls, cursor: str | None) -> GmailListing | None:
        d = _object(cursor)
        if d is None or "list" not in d:
            return None
        h, token, sweep = d.get("h"), d["list"], d.get("sweep")
        if isinstance(h, str) and isinstance(token, str) and isinstance(sweep, int):
            return cls(h, token, int(sweep), _handed(d))
        return None


@dataclass(frozen=True, slots=True)
class GmailListed:
    """A listing ended, its sweep may not have: `{"h": history id, "gone": mark}`."""

    history_id: str
    sweep: int
    handed: int = 0

    def encode(self) -> str:
        return _with_handed({"h": self.history_id, "gone": self.sweep}, self.handed)

    @classmethod
    def decode(cls, cursor: str | None) -> GmailListed | None:
        d = _object(cursor)
        if d is None or "list" in d or "gone" not in d:
            return None
        h, sweep = d.get("h"), d["gone"]
        if isinstance(h, str) and isinstance(sweep, int):
            return cls(h, int(sweep), _handed(d))
        return None


@dataclass(frozen=True, slots=True)
class GmailHistory:
    """Caught up to a history id: `{"h": id}`, and `"p"` while its history is paged."""

    history_id: str
    #: The next `history.list` page's token; "" (and no `"p"`) when on the first.
    token: str = ""
    handed: int = 0

    def encode(self) -> str:
        if self.token:
            return _with_handed({"h": self.history_id, "p": self.token}, self.handed)
        return _with_handed({"h": self.history_id}, self.handed)

    @classmethod
    def decode(cls, cursor: str | None) -> GmailHistory | None:
        d = _object(cursor)
        if d is None or "list" in d or "gone" in d:
            return None
        h, token = d.get("h"), d.get("p", "")
        if isinstance(h, str) and isinstance(token, str):
            return cls(h, token, _handed(d))
        return None


GmailCursor = GmailListing | GmailListed | GmailHistory


def decode_gmail(cursor: str | None) -> GmailCursor | None:
    """Whichever state a Gmail cursor holds; None: list the mailbox again."""
    return GmailListing.decode(cursor) or GmailListed.decode(cursor) or GmailHistory.decode(cursor)


# -- Google Calendar ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarListing:
    """A listing of the window under way: `{"page": page token, "sweep": mark}`."""

    #: The next page's token, "" for the first.
    page: str
    #: The listing's mark in the index; what has another mark at its end is gone.
    sweep: int

    def encode(self) -> str:
        return json.dumps({"page": self.page, "sweep": self.sweep})

    @classmethod
    def decode(cls, cursor: str | None) -> CalendarListing | None:
        d = _object(cursor)
        if d is None or "sync" in d or "gone" in d or "sweep" not in d:
            return None
        page, sweep = d.get("page", ""), d["sweep"]
        return cls(page, int(sweep)) if isinstance(page, str) and isinstance(sweep, int) else None


@dataclass(frozen=True, slots=True)
class CalendarListed:
    """A listing ended, its sweep may not have: `{"sync": sync token, "gone": mark}`."""

    sync: str
    sweep: int

    def encode(self) -> str:
        return json.dumps({"sync": self.sync, "gone": self.sweep})

    @classmethod
    def decode(cls, cursor: str | None) -> CalendarListed | None:
        d = _object(cursor)
        if d is None or "gone" not in d:
            return None
        sync, sweep = d.get("sync"), d["gone"]
        return cls(sync, int(sweep)) if isinstance(sync, str) and isinstance(sweep, int) else None


@dataclass(frozen=True, slots=True)
class CalendarSynced:
    """Caught up to a sync token: `{"sync": token}`, and `"page"` while changes are paged."""

    sync: str
    #: The next page's token; "" (and no `"page"`) when on the first.
    page: str = ""

    def encode(self) -> str:
        if self.page:
            return json.dumps({"sync": self.sync, "page": self.page})
        return json.dumps({"sync": self.sync})

    @classmethod
    def decode(cls, cursor: str | None) -> CalendarSynced | None:
        d = _object(cursor)
        if d is None or "gone" in d or "sync" not in d:
            return None
        sync, page = d["sync"], d.get("page", "")
        return cls(sync, page) if isinstance(sync, str) and isinstance(page, str) else None


CalendarCursor = CalendarListing | CalendarListed | CalendarSynced


def decode_calendar(cursor: str | None) -> CalendarCursor | None:
    """Whichever state a calendar cursor holds; None: list the window again."""
    return (
        CalendarListing.decode(cursor)
        or CalendarListed.decode(cursor)
        or CalendarSynced.decode(cursor)
    )


# -- Microsoft Graph ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphDelta:
    """Where a mail folder's (or the calendar's) delta stands: `{"link", "sweep", "full"}`."""

    #: The `@odata.nextLink` while a listing is under way, the `@odata.deltaLink` once done.
    link: str
    #: The listing's mark in the index.
    sweep: int
    #: A full listing under way (`"full": true`, else no `"full"`): at its end, what it
    #: did not see is gone.
    full: bool = False

    def as_json(self) -> dict[str, str | int | bool]:
        out: dict[str, str | int | bool] = {"link": self.link, "sweep": self.sweep}
        if self.full:
            out["full"] = True
        return out

    @classmethod
    def read(cls, raw: object) -> GraphDelta:
        """What `as_json` gave, or ValueError."""
        if isinstance(raw, dict):
            link, sweep, full = raw.get("link"), raw.get("sweep"), raw.get("full", False)
            if isinstance(link, str) and isinstance(sweep, int) and isinstance(full, bool):
                return cls(link, int(sweep), full)
        raise ValueError("not a delta")


@dataclass(frozen=True, slots=True)
class GraphCursor:
    """A Graph account's cursor: `{"mail": {folder: delta}, "calendar": delta, "forget"}`."""

    mail: Mapping[str, GraphDelta] = field(default_factory=dict)
    calendar: GraphDelta | None = None
    #: Items to forget once the page carrying this cursor is saved: (index scope, Graph
    #: ids), as `["scope", [ids]]`.
    forget: tuple[str, tuple[str, ...]] | None = None

    def with_mail(self, folder: str, delta: GraphDelta) -> GraphCursor:
        return replace(self, mail={**self.mail, folder: delta})

    def encode(self) -> str:
        out: dict[str, object] = {"mail": {k: v.as_json() for k, v in self.mail.items()}}
        if self.calendar is not None:
            out["calendar"] = self.calendar.as_json()
        if self.forget is not None:
            out["forget"] = [self.forget[0], list(self.forget[1])]
        return json.dumps(out, sort_keys=True)

    @classmethod
    def decode(cls, cursor: str | None) -> GraphCursor | None:
        d = _object(cursor)
        if d is None or not isinstance(mail := d.get("mail"), dict):
            return None
        calendar, forget = d.get("calendar"), d.get("forget")
        try:
            return cls(
                {str(k): GraphDelta.read(v) for k, v in mail.items()},
                None if calendar is None else GraphDelta.read(calendar),
                _forget(forget) if forget else None,  # an empty one was never acted on
            )
        except ValueError:
            return None


def _forget(raw: object) -> tuple[str, tuple[str, ...]]:
    if isinstance(raw, list) and len(raw) == 2:
        scope, ids = raw
        if (
            isinstance(scope, str)
            and isinstance(ids, list)
            and all(isinstance(i, str) for i in ids)
        ):
            return scope, tuple(ids)
    raise ValueError("not a scope and its ids")
