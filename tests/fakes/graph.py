"""A stateful fake of Microsoft's sign-in and Graph on a real loopback TLS socket.

It serves what msal asks for (OpenID configuration, device code, token endpoint with
device-code and refresh-token grants) and what the Graph connector reads (`/me`, mail
folder message delta, calendarView delta, series masters, contacts delta), with paging, delta links,
`@removed`, `$select`, `Prefer: odata.maxpagesize`. A test turns on its misbehaviour:
410 for old delta links, 429 with `Retry-After` (and records a request that came too
early as a violation), 401 for revoked access tokens, connections cut mid-page, a
delay per request. It counts requests in flight and logs every Graph request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import trustme

ME = "me@contoso.example"
ALIAS = "me.alias@contoso.example"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Delta:
    """One folder's (or the calendar's) items and the log of their changes."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Mailbox:
    folders: dict[str, Delta] = field(
        default_factory=lambda: {"inbox": Delta(), "sentitems": Delta()}
    )
    calendar: Delta = field(default_factory=Delta)
    contacts: Delta = field(default_factory=Delta)
    masters: dict[str, str] = field(default_factory=dict)  # series master id -> iCalUId
    seq: int = 0

    def _touch(self, d: Delta, ident: str) -> None:
        self.seq += 1
        d.log.append((self.seq, ident))

    def put(self, folder: str, ident: str, message: dict[str, Any]) -> None:
        d = self.folders.setdefault(folder, Delta())
        d.items[ident] = {**message, "id": ident}
        self._touch(d, ident)

    def remove(self, folder: str, ident: str) -> None:
        d = self.folders[folder]
        del d.items[ident]
        self._touch(d, ident)

    def move(self, src: str, dst: str, ident: str) -> None:
        message = self.folders[src].items[ident]
        self.remove(src, ident)
        self.put(dst, ident, message)  # an ImmutableId survives a move

    def put_event(self, event: dict[str, Any]) -> None:
        self.calendar.items[event["id"]] = event
        self._touch(self.calendar, event["id"])

    def remove_event(self, ident: str) -> None:
        del self.calendar.items[ident]
        self._touch(self.calendar, ident)

    def put_contact(self, contact: dict[str, Any]) -> None:
        self.contacts.items[contact["id"]] = contact
        self._touch(self.contacts, contact["id"])

    def remove_contact(self, ident: str) -> None:
        del self.contacts.items[ident]
        self._touch(self.contacts, ident)


@dataclass
class Session:
    scope: str
    entries: list[str]
    seq: int


class FakeMicrosoft:
    """Sign-in and Graph for one mailbox; `base` is https://127.0.0.1:PORT."""

    def __init__(self, tmp: Path, client_id: str = "test-client") -> None:
        self.box = Mailbox()
        self.client_id = client_id
        self.lock = threading.RLock()
        self.sessions: dict[str, Session] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.issued: list[str] = []  # every token and code handed out, for the tests to grep
        self.valid_tokens: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.expired_before = 0  # delta tokens older than this seq answer 410
        self.decline_sign_in = False
        self.throttle_every = 0
        self.throttle_status = 429
        self.retry_after = 1
        self.throttled = 0
        self.violations = 0
        self._retry_until = 0.0
        self.disconnect = 0
        self.delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.graph_count = 0
        self.profile = {
            "mail": ME,
            "userPrincipalName": ME,
            "proxyAddresses": [f"SMTP:{ME}", f"smtp:{ALIAS}", "X500:/o=Contoso/ou=Exchange/cn=me"],
        }
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = tmp / "fake-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}"
        self.authority_host = f"127.0.0.1:{self.port}"
        self.graph = self.base + "/v1.0"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeMicrosoft:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def expire_deltas(self) -> None:
        with self.lock:
            self.expired_before = self.box.seq + 1

    def revoke_access_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def graph_requests(self, since: int = 0) -> list[tuple[str, str, dict[str, list[str]]]]:
        with self.lock:
            return [r for r in self.requests[since:] if r[1].startswith("/v1.0/")]

    # -- tokens --------------------------------------------------------------------------

    def tokens(self) -> dict[str, Any]:
        at, rt = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        now = int(time.time())
        claims = {
            "iss": f"{self.base}/tid-1/v2.0", "sub": "sub-1", "aud": self.client_id,
            "exp": now + 3600, "iat": now, "oid": "oid-1", "tid": "tid-1",
            "preferred_username": ME, "name": "Me Myself",
        }  # fmt: skip
        id_token = ".".join(
            [_b64(b'{"alg":"none","typ":"JWT"}'), _b64(json.dumps(claims).encode()), ""]
        )
        self.valid_tokens.add(at)
        self.valid_refresh.add(rt)
        self.issued += [at, rt, id_token]
        return {
            "token_type": "Bearer",
            "scope": "User.Read Mail.Read Calendars.Read openid profile offline_access",
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": at,
            "refresh_token": rt,
            "id_token": id_token,
            "client_info": _b64(json.dumps({"uid": "oid-1", "utid": "tid-1"}).encode()),
        }

    def oauth(self, path: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        tenant = path.split("/")[1]
        if path.endswith("/.well-known/openid-configuration"):
            root = f"{self.base}/{tenant}/oauth2/v2.0"
            return 200, {
                "authorization_endpoint": root + "/authorize",
                "token_endpoint": root + "/token",
                "device_authorization_endpoint": root + "/devicecode",
                "issuer": f"{self.base}/{tenant}/v2.0",
                "end_session_endpoint": root + "/logout",
            }
        if path.endswith("/devicecode"):
            code = "dc-" + secrets.token_urlsafe(16)
            self.issued.append(code)
            return 200, {
                "device_code": code,
                "user_code": "FAKE-CODE",
                "verification_uri": f"{self.base}/devicelogin",
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, open {self.base}/devicelogin and enter FAKE-CODE.",
            }
        if path.endswith("/token"):
            grant = form.get("grant_type", [""])[0]
            if grant == "refresh_token":
                if form.get("refresh_token", [""])[0] not in self.valid_refresh:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000"}
                return 200, self.tokens()
            if grant.endswith("device_code"):
                if self.decline_sign_in:
                    return 400, {"error": "authorization_declined", "error_description": "no"}
                return 200, self.tokens()
            return 400, {"error": "unsupported_grant_type"}
        return 404, {"error": "not_found"}

    # -- graph ---------------------------------------------------------------------------

    def graph_get(self, path: str, query: dict[str, list[str]], prefer: str) -> tuple[int, Any]:
        size = 10
        for part in prefer.split(","):
            if part.strip().startswith("odata.maxpagesize="):
                size = int(part.split("=", 1)[1])
        select = query.get("$select", [""])[0]
        parts = path.removeprefix("/v1.0").strip("/").split("/")
        if parts == ["me"]:
            return 200, self.profile
        if parts[:2] == ["me", "mailFolders"] and parts[-2:] == ["messages", "delta"]:
            folder = parts[2]
            if folder not in self.box.folders:
                return 404, {"error": {"code": "ErrorItemNotFound"}}
            return self.delta(folder, self.box.folders[folder], query, size, select, path)
        if parts == ["me", "calendarView", "delta"]:
            return self.delta("calendar", self.box.calendar, query, size, select, path)
        if parts == ["me", "contacts", "delta"]:
            return self.delta("contacts", self.box.contacts, query, size, select, path)
        if parts[:2] == ["me", "events"] and len(parts) == 3:
            uid = self.box.masters.get(parts[2])
            if uid is None:
                return 404, {"error": {"code": "ErrorItemNotFound"}}
            return 200, {"id": parts[2], "iCalUId": uid}
        return 404, {"error": {"code": "BadRequest"}}

    def delta(
        self, scope: str, d: Delta, q: dict[str, list[str]], size: int, select: str, path: str
    ) -> tuple[int, Any]:
        if "$skiptoken" in q:
            sid, _, offset = q["$skiptoken"][0].partition(".")
            session = self.sessions.get(sid)
            if session is None:
                return 410, {"error": {"code": "SyncStateNotFound"}}
            start = int(offset)
        else:
            if "$deltatoken" in q:
                since = int(q["$deltatoken"][0].removeprefix("d"))
                if since < self.expired_before:
                    return 410, {"error": {"code": "SyncStateNotFound", "message": "expired"}}
                changed = list(dict.fromkeys(i for s, i in d.log if s > since))
            else:
                changed = sorted(d.items)
            sid = secrets.token_hex(6)
            session = self.sessions[sid] = Session(scope, changed, self.box.seq)
            start = 0
        chunk = session.entries[start : start + size]
        fields = [f for f in select.split(",") if f]
        value = []
        for ident in chunk:
            item = d.items.get(ident)
            if item is None:
                value.append({"id": ident, "@removed": {"reason": "deleted"}})
            else:
                value.append(
                    {k: v for k, v in item.items() if not fields or k in fields or k == "id"}
                )
        body: dict[str, Any] = {"value": value}
        if start + size < len(session.entries):
            body["@odata.nextLink"] = f"{self.base}{path}?" + urlencode(
                {"$skiptoken": f"{sid}.{start + size}"}
            )
        else:
            body["@odata.deltaLink"] = f"{self.base}{path}?" + urlencode(
                {"$deltatoken": f"d{session.seq}"}
            )
        return 200, body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeMicrosoft


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        url = urlsplit(self.path)
        with fake.lock:
            fake.requests.append(("POST", url.path, {}))
            status, body = fake.oauth(url.path, form)
        self.send(status, body)

    def do_GET(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if not url.path.startswith("/v1.0/"):
            with fake.lock:
                fake.requests.append(("GET", url.path, query))
                status, body = fake.oauth(url.path, {})
            self.send(status, body)
            return
        with fake.lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            self.graph(fake, url.path, query)
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def graph(self, fake: FakeMicrosoft, path: str, query: dict[str, list[str]]) -> None:
        if fake.delay:
            time.sleep(fake.delay)
        with fake.lock:
            fake.requests.append(("GET", path, query))
            fake.graph_count += 1
            now = time.monotonic()
            if now < fake._retry_until:
                fake.violations += 1
                wait = str(max(1, int(fake._retry_until - now + 0.999)))
                self.send(
                    fake.throttle_status,
                    {"error": {"code": "TooManyRequests"}},
                    {"Retry-After": wait},
                )
                return
            if fake.throttle_every and fake.graph_count % fake.throttle_every == 0:
                fake.throttled += 1
                fake._retry_until = now + fake.retry_after
                self.send(
                    fake.throttle_status,
                    {"error": {"code": "TooManyRequests"}},
                    {"Retry-After": str(fake.retry_after)},
                )
                return
            auth = self.headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in fake.valid_tokens:
                self.send(401, {"error": {"code": "InvalidAuthenticationToken"}})
                return
            status, body = fake.graph_get(path, query, self.headers.get("Prefer", ""))
            cut = fake.disconnect > 0 and status == 200 and bool(body.get("value"))
            if cut:
                fake.disconnect -= 1
        if cut:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send(status, body)


# -- test data: RFC 822 messages and .ics events, as Graph would show them -----------------


def graph_message(raw: bytes, *, draft: bool = False) -> dict[str, Any]:
    """A Graph message resource for an RFC 822 message (what Exchange would show)."""
    from email import message_from_bytes, policy
    from email.utils import getaddresses, parsedate_to_datetime

    msg = message_from_bytes(raw, policy=policy.default)

    def people(name: str) -> list[dict[str, Any]]:
        values = [str(v) for v in msg.get_all(name, [])]
        return [
            {"emailAddress": {"name": n or a, "address": a}} for n, a in getaddresses(values) if a
        ]

    sent = parsedate_to_datetime(str(msg["Date"])).astimezone(UTC)
    kept = (
        "List-Id",
        "List-Unsubscribe",
        "Precedence",
        "Auto-Submitted",
        "In-Reply-To",
        "References",
    )
    body = msg.get_body(("plain",))
    preview = " ".join(body.get_content().split())[:255] if body is not None else ""
    senders = people("From")
    return {
        "internetMessageId": str(msg["Message-ID"]),
        "from": senders[0] if senders else None,
        "toRecipients": people("To"),
        "ccRecipients": people("Cc"),
        "bccRecipients": people("Bcc"),
        "sentDateTime": sent.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "receivedDateTime": (sent + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": str(msg["Subject"] or ""),
        "conversationId": "conv-" + hashlib.sha1(str(msg["Subject"]).encode()).hexdigest()[:10],
        "isDraft": draft,
        "bodyPreview": preview,
        "internetMessageHeaders": [
            {"name": k, "value": str(msg[k])} for k in kept if msg[k] is not None
        ],
    }


_OLSON_TO_WINDOWS: dict[str, str] = {}


def _windows(zone: str) -> str:
    if not _OLSON_TO_WINDOWS:
        from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

        for w, o in sorted(WINDOWS_TO_OLSON.items()):
            _OLSON_TO_WINDOWS.setdefault(o, w)
    return _OLSON_TO_WINDOWS.get(zone, zone)


def graph_events(
    ics: bytes, start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """calendarView instances of an .ics over a window (series expanded), and the masters."""
    import recurring_ical_events
    from icalendar import Calendar

    cal = Calendar.from_ical(ics)
    masters = {"m-" + hashlib.sha1(str(e["UID"]).encode()).hexdigest()[:16]: str(e["UID"])
               for e in cal.walk("VEVENT") if "RRULE" in e}  # fmt: skip
    out = []
    for occ in recurring_ical_events.of(cal).between(start, end):
        uid = str(occ["UID"])
        dtstart = occ["DTSTART"].dt
        all_day = not isinstance(dtstart, datetime)
        master = "m-" + hashlib.sha1(uid.encode()).hexdigest()[:16]
        recurring = master in masters
        rid = occ.get("RECURRENCE-ID")
        original = rid.dt if rid is not None else dtstart
        ident = "ev-" + hashlib.sha1(f"{uid}|{original}".encode()).hexdigest()[:16]

        def when(d: Any) -> dict[str, str]:
            if not isinstance(d, datetime):
                return {"dateTime": f"{d.isoformat()}T00:00:00.0000000", "timeZone": "UTC"}
            zone = getattr(d.tzinfo, "key", None) or "UTC"
            return {"dateTime": d.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": _windows(zone)}

        dtend = occ["DTEND"].dt if "DTEND" in occ else dtstart
        event: dict[str, Any] = {
            "id": ident,
            "iCalUId": uid if not recurring else "inst-" + ident,
            "type": ("exception" if "RECURRENCE-ID" in occ and _is_override(cal, uid, original)
                     else "occurrence") if recurring else "singleInstance",
            "seriesMasterId": master if recurring else None,
            "start": when(dtstart),
            "end": when(dtend),
            "isAllDay": all_day,
            "isCancelled": str(occ.get("STATUS", "")).upper() == "CANCELLED",
            "subject": str(occ.get("SUMMARY", "")),
            "body": {"contentType": "text", "content": str(occ.get("DESCRIPTION", ""))},
            "organizer": _person(occ.get("ORGANIZER")),
            "attendees": [_attendee(a) for a in _list(occ.get("ATTENDEE"))],
        }  # fmt: skip
        if recurring:
            o = (
                original
                if isinstance(original, datetime)
                else datetime.combine(original, datetime.min.time(), UTC)
            )
            event["originalStart"] = o.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # fmt: skip
        out.append(event)
    return out, masters


_RESPONSE = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentativelyAccepted",
             "NEEDS-ACTION": "notResponded"}  # fmt: skip


def _attendee(a: Any) -> dict[str, Any]:
    room = a.params.get("CUTYPE") in ("ROOM", "RESOURCE")
    response = _RESPONSE.get(str(a.params.get("PARTSTAT", "")).upper(), "none")
    return {
        **_person(a),
        "type": "resource" if room else "required",
        "status": {"response": response},
    }


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def _person(p: Any) -> dict[str, Any]:
    if p is None:
        return {"emailAddress": {"name": "", "address": ""}}
    addr = str(p).removeprefix("mailto:").removeprefix("MAILTO:")
    return {"emailAddress": {"name": str(p.params.get("CN", addr)), "address": addr}}


def _is_override(cal: Any, uid: str, original: date) -> bool:
    return any(str(e.get("UID")) == uid and "RECURRENCE-ID" in e for e in cal.walk("VEVENT"))


@contextmanager
def fake_microsoft(tmp: Path) -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft(tmp) as fake:
        yield fake
