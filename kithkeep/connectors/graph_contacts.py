"""Outlook contacts: Microsoft Graph's `/me/contacts/delta`, after the account's mail and
calendar.

`GraphContactsSource` lists the contacts, then follows the delta link (an idle sync is
one request); `@removed` withdraws a card. An expired delta link (410,
`syncStateNotFound`) lists them again: the contacts held (their ids, in the cursor) that
the listing no longer has are withdrawn, and nothing is stored twice. `WithContacts`
puts it behind an Outlook account's `GraphSource`, under the account's one key, both
cursors in one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from kithkeep.connectors.base import Page, Source
from kithkeep.connectors.graph import GraphClient
from kithkeep.domain.card import Card, addresses_in, month_day, tidy
from kithkeep.domain.errors import CursorExpiredError

_SELECT = "displayName,givenName,surname,emailAddresses,companyName,jobTitle,birthday"


def card_key(contact_id: str) -> str:
    return "outlook:" + contact_id


def card_of(item: dict[str, Any]) -> Card | None:
    """A Graph contact as a card (None without an id)."""
    ident = item.get("id")
    if not isinstance(ident, str) or not ident:
        return None
    addresses = addresses_in(item.get("emailAddresses"), "address")
    name = tidy(str(item.get("displayName") or ""))
    if not name:
        name = tidy(f"{item.get('givenName') or ''} {item.get('surname') or ''}")
    birthday = str(item.get("birthday") or "")[:10]
    return Card(
        key=card_key(ident),
        name=name,
        addresses=addresses,
        organization=tidy(str(item.get("companyName") or "")),
        title=tidy(str(item.get("jobTitle") or "")),
        birthday=birthday if month_day(birthday) is not None else "",
        source="outlook",
    )


@dataclass
class ContactsState:
    """The delta (or next) link; during a full listing, the ids seen so far; the ids held."""

    link: str = ""
    full: bool = False
    known: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "link": self.link,
            "full": self.full,
            "known": sorted(set(self.known)),
            "seen": sorted(set(self.seen)),
        }

    @classmethod
    def read(cls, raw: Any) -> ContactsState:
        try:
            return cls(
                str(raw["link"]),
                bool(raw["full"]),
                [str(x) for x in raw["known"]],
                [str(x) for x in raw["seen"]],
            )
        except (KeyError, TypeError, AttributeError):
            return cls()


@dataclass
class GraphContactsSource:
    client: GraphClient
    graph: str
    key: str = "outlook-contacts"

    def start(self, known: list[str]) -> ContactsState:
        link = requests.Request(
            "GET", f"{self.graph}/me/contacts/delta", params={"$select": _SELECT}
        ).prepare()
        return ContactsState(str(link.url), True, known)

    def pages(self, state: ContactsState) -> Iterator[tuple[Page, ContactsState]]:
        """Pages of cards, each with the state after it."""
        try:
            yield from self._pages(state)
        finally:
            self.client.close()

    def _pages(self, state: ContactsState) -> Iterator[tuple[Page, ContactsState]]:
        if not state.link:
            state = self.start(state.known)
        restarted = False
        while True:
            try:
                body = self.client.get(state.link)
            except CursorExpiredError:
                if restarted:
                    raise
                restarted = True
                state = self.start(state.known)
                continue
            cards: list[Card] = []
            gone: list[str] = []
            for item in body.get("value") or ():
                if not isinstance(item, dict):
                    continue
                if "@removed" in item:
                    gone.append(str(item.get("id", "")))
                    continue
                found = card_of(item)
                if found is not None:
                    cards.append(found)
            ids = [c.key.removeprefix("outlook:") for c in cards]
            known = (set(state.known) | set(ids)) - set(gone)
            seen = set(state.seen) | set(ids) if state.full else set()
            nxt, delta = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
            done = not nxt
            if done and state.full:
                gone += sorted(known - seen)  # listed again: what it did not see is gone
                known = seen
            state = ContactsState(
                str(nxt or delta or state.link),
                state.full and not done,
                sorted(known),
                sorted(seen) if state.full and not done else [],
            )
            page = Page((), "", cards=cards, cards_withdrawn=[card_key(g) for g in gone if g])
            yield replace(page, checkpoint=True), state
            if done:
                return


@dataclass
class WithContacts:
    """An Outlook account's mail and calendar, then its contacts, as one source."""

    mail: Source
    contacts: GraphContactsSource

    @property
    def key(self) -> str:
        return self.mail.key

    def pages(self, cursor: str | None) -> Iterator[Page]:
        mail, contacts = _split(cursor)
        for page in self.mail.pages(mail):
            mail = page.cursor
            yield replace(page, cursor=_join(mail, contacts))
        for page, after in self.contacts.pages(contacts):
            yield replace(page, cursor=_join(mail, after))


def _split(cursor: str | None) -> tuple[str | None, ContactsState]:
    """The mail source's cursor and the contacts' state; a cursor saved before contacts
    were synced is the mail source's own."""
    if not cursor:
        return None, ContactsState()
    try:
        raw = json.loads(cursor)
    except ValueError:
        return cursor, ContactsState()
    if not isinstance(raw, dict) or "with_contacts" not in raw:
        return cursor, ContactsState()
    mail = raw.get("mail")
    return (mail if isinstance(mail, str) else None), ContactsState.read(raw.get("contacts"))


def _join(mail: str | None, contacts: ContactsState) -> str:
    return json.dumps(
        {"with_contacts": 1, "mail": mail, "contacts": contacts.as_json()}, sort_keys=True
    )
