"""CardDAV address books: found from the principal, synced with RFC 6578 sync-collection.

WebDAV spoken over `requests` (no maintained CardDAV client library exists; the
`caldav` library knows calendars only), cards read by `vcard.parse_card`.

The cursor holds, per address book, its sync token and each card's href and etag, so
that a page and what it read are saved together. An idle sync is one REPORT per
address book (the books themselves are looked up again once a day, or on `--full`).
A token the server no longer accepts means a full listing of that book, compared with
the hrefs held: nothing is doubled, and what is gone is withdrawn. A server without
sync-collection is compared by etags (PROPFIND).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree as ET

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.caldav import CaldavConfig
from kithkeep.connectors.vcard import parse_card
from kithkeep.domain.card import Card
from kithkeep.domain.errors import ConnectorError

DAV = "{DAV:}"
CARD = "{urn:ietf:params:xml:ns:carddav}"
_XMLNS = 'xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"'
#: Cards fetched per addressbook-multiget (and per page).
BATCH = 100
#: The token of a book on a server without sync-collection: its etags are compared.
NO_SYNC = "-"
#: Address books are looked up again after this long.
REDISCOVER_SECONDS = 24 * 3600


def carddav_config(url: str, user: str, password: str) -> CaldavConfig:
    """Where the server is and who logs in (checked as CalDAV's are)."""
    return CaldavConfig(url, user, password, kind="CardDAV")


class TokenExpiredError(ConnectorError):
    """The server no longer accepts the book's sync token: list it again."""


class NoSyncCollectionError(ConnectorError):
    """The server does not do sync-collection: compare etags instead."""


@dataclass(frozen=True, slots=True)
class Member:
    href: str
    etag: str
    #: The card's text, when it was asked for; None when the server says it is gone.
    data: bytes | None = None
    gone: bool = False


class Dav:
    """The few WebDAV requests CardDAV needs, on one HTTP session; errors as one line."""

    def __init__(self, config: CaldavConfig) -> None:
        import requests

        self.config = config
        self.session = requests.Session()
        self.session.auth = (config.user, config.password)
        self.session.headers["User-Agent"] = "kithkeep"
        #: Requests made (tests count them).
        self.requests = 0

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, url: str, body: str, depth: str) -> tuple[int, bytes]:
        import requests

        where = urlsplit(url).netloc
        self.requests += 1
        try:
            r = self.session.request(
                method,
                url,
                data=body.encode("utf-8"),
                headers={"Depth": depth, "Content-Type": 'application/xml; charset="utf-8"'},
                timeout=self.config.timeout,
                allow_redirects=True,
            )
        except requests.RequestException as e:
            raise ConnectorError(f"CardDAV {where}: cannot connect ({type(e).__name__})") from None
        if r.status_code == 401:
            raise ConnectorError(
                f"CardDAV {where}: login refused for {self.config.user} (wrong user or password?)"
            )
        return r.status_code, r.content

    def multistatus(self, method: str, url: str, body: str, depth: str) -> ET.Element:
        status, content = self.request(method, url, body, depth)
        if status != 207:
            raise ConnectorError(f"CardDAV {urlsplit(url).netloc}: {method} answered {status}")
        return _xml(content, url)


def _xml(content: bytes, url: str) -> ET.Element:
    try:
        return ET.fromstring(content)
    except ET.ParseError:
        raise ConnectorError(f"CardDAV {urlsplit(url).netloc}: unreadable answer") from None


def _props(response: ET.Element) -> dict[str, ET.Element]:
    """The properties a response found (status 200), by tag."""
    out: dict[str, ET.Element] = {}
    for propstat in response.findall(f"{DAV}propstat"):
        status = propstat.findtext(f"{DAV}status") or ""
        if " 200 " not in status + " ":
            continue
        for prop in propstat.findall(f"{DAV}prop"):
            for child in prop:
                out[child.tag] = child
    return out


def _href_of(prop: ET.Element | None) -> str:
    if prop is None:
        return ""
    return (prop.findtext(f"{DAV}href") or "").strip()


def discover(dav: Dav) -> list[str]:
    """The user's address books: principal → addressbook-home-set → its collections."""
    url = dav.config.url
    body = f"<d:propfind {_XMLNS}><d:prop><d:current-user-principal/><d:resourcetype/>"
    body += "<card:addressbook-home-set/></d:prop></d:propfind>"
    found = dav.multistatus("PROPFIND", url, body, "0").find(f"{DAV}response")
    props = _props(found) if found is not None else {}
    kind = props.get(f"{DAV}resourcetype")
    if kind is not None and kind.find(f"{CARD}addressbook") is not None:
        return [url]  # the URL names an address book itself
    home = _href_of(props.get(f"{CARD}addressbook-home-set"))
    if not home:
        principal = _href_of(props.get(f"{DAV}current-user-principal"))
        if not principal:
            raise ConnectorError(f"CardDAV {urlsplit(url).netloc}: no principal found")
        body = f"<d:propfind {_XMLNS}><d:prop><card:addressbook-home-set/></d:prop></d:propfind>"
        answer = dav.multistatus("PROPFIND", urljoin(url, principal), body, "0")
        first = answer.find(f"{DAV}response")
        home = _href_of(_props(first).get(f"{CARD}addressbook-home-set") if first else None)
        if not home:
            raise ConnectorError(f"CardDAV {urlsplit(url).netloc}: no address books found")
    home_url = urljoin(url, home)
    body = f"<d:propfind {_XMLNS}><d:prop><d:resourcetype/></d:prop></d:propfind>"
    books = []
    for response in dav.multistatus("PROPFIND", home_url, body, "1").findall(f"{DAV}response"):
        kind = _props(response).get(f"{DAV}resourcetype")
        href = (response.findtext(f"{DAV}href") or "").strip()
        if href and kind is not None and kind.find(f"{CARD}addressbook") is not None:
            books.append(urljoin(home_url, href))
    return sorted(books)


def _members(root: ET.Element, book: str) -> Iterator[Member]:
    for response in root.findall(f"{DAV}response"):
        href = (response.findtext(f"{DAV}href") or "").strip()
        if not href or urljoin(book, href).rstrip("/") == book.rstrip("/"):
            continue  # the collection itself
        status = response.findtext(f"{DAV}status") or ""
        if " 404 " in status + " ":
            yield Member(href, "", gone=True)
            continue
        props = _props(response)
        etag = (props[f"{DAV}getetag"].text or "") if f"{DAV}getetag" in props else ""
        data = props.get(f"{CARD}address-data")
        text = None if data is None or data.text is None else data.text.encode("utf-8")
        yield Member(href, etag.strip(), text)


def sync_collection(dav: Dav, book: str, token: str) -> tuple[list[Member], str]:
    """What changed since `token` ('' for everything), and the new token."""
    body = (
        f"<d:sync-collection {_XMLNS}><d:sync-token>{_escape(token)}</d:sync-token>"
        "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    status, content = dav.request("REPORT", book, body, "1")
    if status in (400, 403, 409, 412, 415, 501) or (status == 404 and token):
        text = content.decode("utf-8", "replace")
        if token and (status in (403, 409, 412) or "valid-sync-token" in text):
            raise TokenExpiredError(f"CardDAV {book}: sync token expired")
        raise NoSyncCollectionError(f"CardDAV {book}: no sync-collection ({status})")
    if status != 207:
        raise ConnectorError(f"CardDAV {urlsplit(book).netloc}: REPORT answered {status}")
    root = _xml(content, book)
    return list(_members(root, book)), (root.findtext(f"{DAV}sync-token") or "").strip()


def etags(dav: Dav, book: str) -> list[Member]:
    """Every card's href and etag (for servers without sync-collection)."""
    body = f"<d:propfind {_XMLNS}><d:prop><d:getetag/></d:prop></d:propfind>"
    return list(_members(dav.multistatus("PROPFIND", book, body, "1"), book))


def multiget(dav: Dav, book: str, hrefs: Sequence[str]) -> list[Member]:
    refs = "".join(f"<d:href>{_escape(h)}</d:href>" for h in hrefs)
    body = (
        f"<card:addressbook-multiget {_XMLNS}><d:prop><d:getetag/><card:address-data/>"
        f"</d:prop>{refs}</card:addressbook-multiget>"
    )
    return list(_members(dav.multistatus("REPORT", book, body, "1"), book))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class BookState:
    token: str = ""
    etags: dict[str, str] = field(default_factory=dict)


@dataclass
class CarddavCursor:
    books: dict[str, BookState] = field(default_factory=dict)
    found_at: int = 0

    def encode(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "found_at": self.found_at,
                "books": {
                    url: {"token": s.token, "etags": dict(sorted(s.etags.items()))}
                    for url, s in sorted(self.books.items())
                },
            }
        )

    @classmethod
    def decode(cls, cursor: str | None) -> CarddavCursor | None:
        if not cursor:
            return None
        try:
            raw: Any = json.loads(cursor)
            books = {
                str(url): BookState(
                    str(s["token"]), {str(h): str(e) for h, e in s["etags"].items()}
                )
                for url, s in raw["books"].items()
            }
            return cls(books, int(raw["found_at"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass
class CarddavSource:
    config: CaldavConfig
    now: datetime
    #: Made on first use (a test may hand one in, to count its requests).
    dav: Dav | None = None

    @property
    def key(self) -> str:
        return f"carddav:{self.config.user}@{self.config.url}"

    def card_key(self, book: str, href: str) -> str:
        return "carddav:" + urljoin(book, href)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        dav = self.dav or Dav(self.config)
        try:
            yield from self._pages(dav, CarddavCursor.decode(cursor))
        finally:
            if self.dav is None:
                dav.close()

    def _pages(self, dav: Dav, state: CarddavCursor | None) -> Iterator[Page]:
        now = int(self.now.timestamp())
        if state is None or now - state.found_at >= REDISCOVER_SECONDS or not state.books:
            books = discover(dav)
            old = state.books if state is not None else {}
            state = CarddavCursor({b: old.get(b, BookState()) for b in books}, now)
            # A book that is gone: its cards go with it.
            for url in sorted(set(old) - set(books)):
                keys = [self.card_key(url, h) for h in old[url].etags]
                yield Page((), state.encode(), cards_withdrawn=keys, checkpoint=True)
        for number, book in enumerate(sorted(state.books), start=1):
            yield from self._book(dav, book, state, number)

    def _book(self, dav: Dav, book: str, state: CarddavCursor, number: int) -> Iterator[Page]:
        held = state.books[book]
        listing = held.token in ("", NO_SYNC)
        try:
            if held.token == NO_SYNC:
                raise NoSyncCollectionError(book)
            try:
                changed, token = sync_collection(dav, book, held.token)
            except TokenExpiredError:
                changed, token, listing = (*sync_collection(dav, book, ""), True)
        except NoSyncCollectionError:
            changed, token, listing = etags(dav, book), NO_SYNC, True
        gone = {m.href for m in changed if m.gone}
        current = {m.href: m.etag for m in changed if not m.gone}
        if listing:
            gone |= set(held.etags) - set(current)
        wanted = sorted(h for h, e in current.items() if not e or held.etags.get(h) != e)
        etags_now = {h: e for h, e in held.etags.items() if h not in gone}
        total = len(state.books)
        for i in range(0, len(wanted), BATCH):
            cards: list[Card] = []
            problems: list[Problem] = []
            for m in multiget(dav, book, wanted[i : i + BATCH]):
                if m.gone or m.data is None:
                    continue  # deleted between the listing and the fetch
                found = parse_card(
                    m.data,
                    origin=urljoin(book, m.href),
                    source="carddav",
                    key=self.card_key(book, m.href),
                )
                (cards if isinstance(found, Card) else problems).append(found)  # type: ignore[arg-type]
                etags_now[m.href] = m.etag or current.get(m.href, "")
            last = i + BATCH >= len(wanted)
            if last:
                state.books[book] = BookState(token, etags_now)
            else:  # resumed here, the book is read again from its old token: no harm
                state.books[book] = BookState(held.token, {**held.etags, **etags_now})
            yield Page(
                (),
                state.encode(),
                problems,
                done=number - (0 if last else 1),
                total=total,
                cards=cards,
                cards_withdrawn=sorted(self.card_key(book, h) for h in gone) if last else (),
                checkpoint=True,
            )
        if not wanted:
            state.books[book] = BookState(token, etags_now)
            yield Page(
                (),
                state.encode(),
                done=number,
                total=total,
                cards_withdrawn=sorted(self.card_key(book, h) for h in gone),
                checkpoint=True,
            )
