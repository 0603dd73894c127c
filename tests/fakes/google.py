"""A stateful fake of Google's OAuth, Gmail and Calendar HTTP APIs on a loopback socket.

It speaks the wire format the real client libraries speak (googleapiclient, google-auth,
google-auth-oauthlib), with Google's shapes: paging tokens, history ids that expire on
demand (404), sync tokens that expire (410), the multipart/mixed batch protocol with
per-part errors, a per-user quota it enforces (429 with Retry-After), and faults on
demand (5xx, 429 bursts, 401 for an expired access token, a dropped connection).
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

#: Quota units per method, as Gmail publishes them.
COSTS = {
    "gmail.profile": 1,
    "gmail.sendAs.list": 1,
    "gmail.messages.list": 5,
    "gmail.messages.get": 5,
    "gmail.history.list": 2,
}
HIDDEN = frozenset({"SPAM", "TRASH"})
_UNFOLD = re.compile(r"\r?\n[ \t]+")


@dataclass
class Message:
    id: str
    thread_id: str
    raw: bytes
    labels: set[str]
    internal_ms: int


@dataclass
class Fault:
    """The next `times` requests whose operation starts with `op` fail this way."""

    op: str
    kind: str  # "500", "503", "429", "403rate", "drop", "401"
    times: int = 1
    retry_after: float | None = None


@dataclass
class Quota:
    """A token bucket per user, like Gmail's per-user rate limit."""

    per_second: float = 0.0  # 0: unlimited
    burst_seconds: float = 2.0
    _tokens: float = 0.0
    _stamp: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self._tokens = self.per_second * self.burst_seconds
            self._stamp = time.monotonic()

    def charge(self, units: int) -> float | None:
        """None if allowed, else how long until it would be."""
        if self.per_second <= 0:
            return None
        with self._lock:
            now = time.monotonic()
            cap = self.per_second * self.burst_seconds
            self._tokens = min(cap, self._tokens + (now - self._stamp) * self.per_second)
            self._stamp = now
            if self._tokens >= units:
                self._tokens -= units
                return None
            return (units - self._tokens) / self.per_second


class FakeGoogle:
    """Everything one Google user has, and the server that serves it."""

    def __init__(self, address: str = "me@example.com") -> None:
        self.address = address
        self.aliases: list[str] = []
        self.client_id = "fake-client.apps.googleusercontent.com"
        self.client_secret = "fake-client-secret-" + secrets.token_hex(8)
        self.refresh_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.issued: list[str] = []  # every access token ever given out
        self.codes: dict[str, str] = {}
        self.granted_scopes: list[str] = []
        self.messages: dict[str, Message] = {}
        self.history: list[tuple[int, dict[str, Any]]] = []
        self.history_id = 1000
        self.oldest_history = 0
        self.events: dict[str, dict[str, Any]] = {}
        self.event_seq: dict[str, int] = {}
        self.seq = 0
        self.expired_sync_below = 0
        self.calls: Counter[str] = Counter()
        self.units = 0
        self.throttled = 0  # 429s the quota gave (not counting injected faults)
        self.first_charge = 0.0  # monotonic times of the first and last charged request
        self.last_charge = 0.0
        self.quota = Quota()
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._next_id = 0x18C0000000000000
        self._server: ThreadingHTTPServer | None = None

    # -- running -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> FakeGoogle:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.quota.reset()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def client_secrets(self) -> dict[str, Any]:
        """A client-secrets file as the Cloud console gives it, pointing here."""
        return {
            "installed": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.url + "o/oauth2/auth",
                "token_uri": self.url + "token",
                "redirect_uris": ["http://localhost"],
            }
        }

    def grant(self) -> str:
        """A refresh token, as if the user had consented."""
        token = "1//fake-refresh-" + secrets.token_hex(12)
        self.refresh_tokens.add(token)
        return token

    # -- the mailbox ---------------------------------------------------------------------

    def _record(self, **change: Any) -> None:
        self.history_id += 1
        self.history.append((self.history_id, change))

    def _ref(self, m: Message) -> dict[str, Any]:
        return {"id": m.id, "threadId": m.thread_id, "labelIds": sorted(m.labels)}

    def add_message(self, raw: bytes, labels: set[str] | None = None, internal_ms: int = 0) -> str:
        with self.lock:
            self._next_id += 1
            mid = f"{self._next_id:x}"
            if not internal_ms:
                headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
                from email.utils import parsedate_to_datetime

                try:
                    internal_ms = int(parsedate_to_datetime(headers["Date"]).timestamp() * 1000)
                except (TypeError, ValueError):
                    internal_ms = int(time.time() * 1000)
            m = Message(mid, mid, raw, set(labels or {"INBOX"}), internal_ms)
            self.messages[mid] = m
            self._record(messagesAdded=[{"message": self._ref(m)}])
            return mid

    def delete_message(self, mid: str) -> None:
        with self.lock:
            m = self.messages.pop(mid)
            self._record(messagesDeleted=[{"message": self._ref(m)}])

    def relabel(
        self, mid: str, add: set[str] = frozenset(), remove: set[str] = frozenset()
    ) -> None:  # type: ignore[assignment]
        with self.lock:
            m = self.messages[mid]
            added, removed = add - m.labels, remove & m.labels
            m.labels = (m.labels | add) - remove
            if added:
                self._record(labelsAdded=[{"message": self._ref(m), "labelIds": sorted(added)}])
            if removed:
                self._record(labelsRemoved=[{"message": self._ref(m), "labelIds": sorted(removed)}])

    def expire_history(self) -> None:
        """Every history id given so far is now too old (Gmail answers 404)."""
        with self.lock:
            self.oldest_history = self.history_id

    def fail(self, op: str, kind: str, times: int = 1, retry_after: float | None = None) -> None:
        with self.lock:
            self.faults.append(Fault(op, kind, times, retry_after))

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    # -- the calendar --------------------------------------------------------------------

    def put_event(self, event: dict[str, Any]) -> None:
        """Add or change an event (an instance, as with singleEvents=true)."""
        with self.lock:
            self.seq += 1
            event = {"kind": "calendar#event", "status": "confirmed", **event}
            event.setdefault("iCalUID", event["id"] + "@google.com")
            self.events[event["id"]] = event
            self.event_seq[event["id"]] = self.seq

    def cancel_event(self, event_id: str) -> None:
        with self.lock:
            self.seq += 1
            self.events[event_id] = {**self.events[event_id], "status": "cancelled"}
            self.event_seq[event_id] = self.seq

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.expired_sync_below = self.seq + 1

    # -- serving -------------------------------------------------------------------------

    def take_fault(self, op: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if op.startswith(f.op) and f.times > 0:
                    f.times -= 1
                    if f.times == 0:
                        self.faults.remove(f)
                    return f
        return None

    def authorized(self, headers: Any) -> bool:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        return auth.startswith("Bearer ") and auth[7:] in self.access_tokens

    def route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[str, Any]:
        """(operation, handler) for one API request."""
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[:4] == ["gmail", "v1", "users", "me"]:
            rest = parts[4:]
            if rest == ["profile"]:
                return "gmail.profile", self.profile
            if rest == ["settings", "sendAs"]:
                return "gmail.sendAs.list", self.send_as
            if rest == ["messages"]:
                return "gmail.messages.list", self.list_messages
            if len(rest) == 2 and rest[0] == "messages":
                return "gmail.messages.get", lambda q: self.get_message(rest[1], q)
            if rest == ["history"]:
                return "gmail.history.list", self.list_history
        if parts[:2] == ["calendar", "v3"]:
            rest = parts[2:]
            if rest == ["calendars", "primary"]:
                return "calendar.calendars.get", lambda q: (
                    200,
                    {"id": self.address, "summary": self.address, "timeZone": "UTC"},
                )
            if rest == ["calendars", "primary", "events"]:
                return "calendar.events.list", self.list_events
        return "unknown", lambda q: _error(404, "notFound", f"no such method {method} {path}")

    def profile(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        return 200, {
            "emailAddress": self.address,
            "messagesTotal": len(self.messages),
            "threadsTotal": len(self.messages),
            "historyId": str(self.history_id),
        }

    def send_as(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        rows = [{"sendAsEmail": self.address, "isPrimary": True, "isDefault": True}]
        rows += [{"sendAsEmail": a, "displayName": "", "treatAsAlias": True} for a in self.aliases]
        return 200, {"sendAs": rows}

    def list_messages(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        if q.get("q"):
            return _error(403, "forbidden", "Metadata scope does not support 'q' parameter")
        size = min(int(_one(q, "maxResults", "100")), 500)
        start = int(_one(q, "pageToken", "0") or 0)
        spam = _one(q, "includeSpamTrash", "false") == "true"
        ordered = sorted(self.messages.values(), key=lambda m: (-m.internal_ms, m.id))
        visible = [m for m in ordered if spam or not (m.labels & HIDDEN)]
        chunk = visible[start : start + size]
        body: dict[str, Any] = {"resultSizeEstimate": len(visible)}
        if chunk:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in chunk]
        if start + size < len(visible):
            body["nextPageToken"] = str(start + size)
        return 200, body

    def get_message(self, mid: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        m = self.messages.get(mid)
        if m is None:
            return _error(404, "notFound", "Requested entity was not found.")
        parsed = BytesParser(policy=policy.compat32).parsebytes(m.raw)
        wanted = {h.lower() for h in q.get("metadataHeaders", [])}
        headers = [
            {"name": k, "value": v}
            for k, v in _raw_headers(m.raw)
            if not wanted or k.lower() in wanted
        ]
        body = m.raw.partition(b"\r\n\r\n")[2] or m.raw.partition(b"\n\n")[2]
        snippet = html.escape(" ".join(body.decode("utf-8", "replace").split())[:200])
        return 200, {
            "id": m.id,
            "threadId": m.thread_id,
            "labelIds": sorted(m.labels),
            "snippet": snippet,
            "historyId": str(self.history_id),
            "internalDate": str(m.internal_ms),
            "sizeEstimate": len(m.raw),
            "payload": {"mimeType": parsed.get_content_type(), "headers": headers},
        }

    def list_history(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        start = int(_one(q, "startHistoryId", "0"))
        if start < self.oldest_history or start > self.history_id:
            return _error(404, "notFound", "Requested entity was not found.")
        size = min(int(_one(q, "maxResults", "100")), 500)
        offset = int(_one(q, "pageToken", "0") or 0)
        types = set(q.get("historyTypes", []))
        records = []
        for hid, change in self.history:
            if hid <= start:
                continue
            kept = {k: v for k, v in change.items() if not types or _TYPES[k] in types}
            if kept:
                records.append({"id": str(hid), "messages": [], **kept})
        chunk = records[offset : offset + size]
        for r in chunk:
            r["messages"] = [x["message"] for k in _TYPES if k in r for x in r[k]]
        body: dict[str, Any] = {"historyId": str(self.history_id)}
        if chunk:
            body["history"] = chunk
        if offset + size < len(records):
            body["nextPageToken"] = str(offset + size)
        return 200, body

    def list_events(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        token = _one(q, "syncToken", "")
        size = min(int(_one(q, "maxResults", "250")), 2500)
        offset = int(_one(q, "pageToken", "0").partition(":")[2] or 0)
        since = 0
        if token:
            since = int(token.removeprefix("sync-"))
            if since < self.expired_sync_below:
                return _error(410, "fullSyncRequired", "Sync token is no longer valid.")
            if _one(q, "timeMin", "") or _one(q, "timeMax", ""):
                return _error(400, "invalid", "syncToken cannot be used with timeMin/timeMax")
        elif _one(q, "singleEvents", "false") != "true":
            return _error(400, "invalid", "this fake serves singleEvents=true only")
        low, high = _one(q, "timeMin", ""), _one(q, "timeMax", "")
        show_deleted = bool(token) or _one(q, "showDeleted", "false") == "true"
        rows = []
        for eid, event in sorted(self.events.items(), key=lambda kv: self.event_seq[kv[0]]):
            if self.event_seq[eid] <= since:
                continue
            if event["status"] == "cancelled" and not show_deleted:
                continue
            start = _when(event.get("start") or event.get("originalStartTime") or {})
            if (low and start < low) or (high and start >= high):
                continue
            rows.append(event)
        chunk = rows[offset : offset + size]
        body: dict[str, Any] = {"kind": "calendar#events", "items": chunk}
        if offset + size < len(rows):
            body["nextPageToken"] = f"p:{offset + size}"
        else:
            body["nextSyncToken"] = f"sync-{self.seq}"
        return 200, body

    # -- OAuth ---------------------------------------------------------------------------

    def authorize(self, q: dict[str, list[str]]) -> str:
        """The consent screen, consented: where the browser is sent next."""
        code = "4/fake-code-" + secrets.token_hex(8)
        self.codes[code] = _one(q, "redirect_uri", "")
        self.granted_scopes = _one(q, "scope", "").split()
        target = _one(q, "redirect_uri", "")
        params = {"code": code, "state": _one(q, "state", ""), "scope": _one(q, "scope", "")}
        return target + ("&" if "?" in target else "?") + urllib.parse.urlencode(params)

    def token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        if (_one(form, "client_id", ""), _one(form, "client_secret", "")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        grant = _one(form, "grant_type", "")
        if grant == "authorization_code":
            if self.codes.pop(_one(form, "code", ""), None) is None:
                return 400, {"error": "invalid_grant", "error_description": "Bad code"}
            refresh = self.grant()
        elif grant == "refresh_token":
            refresh = _one(form, "refresh_token", "")
            if refresh not in self.refresh_tokens:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
        else:
            return 400, {"error": "unsupported_grant_type"}
        access = "ya29.fake-access-" + secrets.token_hex(12)
        self.access_tokens.add(access)
        self.issued.append(access)
        body = {
            "access_token": access,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": " ".join(self.granted_scopes),
        }
        if grant == "authorization_code":
            body["refresh_token"] = refresh
        return 200, body


_TYPES = {
    "messagesAdded": "messageAdded",
    "messagesDeleted": "messageDeleted",
    "labelsAdded": "labelAdded",
    "labelsRemoved": "labelRemoved",
}


def _raw_headers(raw: bytes) -> list[tuple[str, str]]:
    """Header fields as Gmail gives them: unfolded, raw 8-bit bytes decoded as UTF-8."""
    block = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    out = []
    for line in re.split(rb"\r?\n(?![ \t])", block):
        name, colon, value = line.partition(b":")
        if colon:
            text = re.sub(r"\r?\n[ \t]+", " ", value.decode("utf-8", "replace"))
            out.append((name.decode("ascii", "replace").strip(), text.strip()))
    return out


def _one(q: dict[str, list[str]], name: str, default: str) -> str:
    values = q.get(name)
    return values[0] if values else default


def _when(value: dict[str, str]) -> str:
    return value.get("dateTime") or value.get("date") or ""


def _error(
    code: int, reason: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    return code, {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }


_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class _Drop(Exception):
    """Close the connection without an answer."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeGoogle:
        return self.server.fake  # type: ignore[no-any-return]

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(
        self, code: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/o/oauth2/auth":
            self.send_response(302)
            self.send_header("Location", self.fake.authorize(q))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._api("GET", url.path, q, dict(self.headers.items()))

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = self._body()
        if url.path == "/token":
            with self.fake.lock:
                self.fake.calls["oauth.token"] += 1
                form = urllib.parse.parse_qs(body.decode())
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):  # client_secret_basic, as requests-oauthlib sends
                    who, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                    form["client_id"] = [urllib.parse.unquote_plus(who)]
                    form["client_secret"] = [urllib.parse.unquote_plus(secret)]
                code, answer = self.fake.token(form)
            self._send(code, json.dumps(answer).encode(), "application/json")
            return
        if url.path.startswith("/batch/"):
            self._batch(body)
            return
        self._send(*_json(*_error(404, "notFound", "no such endpoint")))

    def _api(
        self, method: str, path: str, q: dict[str, list[str]], headers: dict[str, str]
    ) -> None:
        try:
            code, body, extra = self.fake_answer(method, path, q, headers)
        except _Drop:
            self.close_connection = True
            self.connection.close()
            return
        self._send(code, json.dumps(body).encode(), "application/json; charset=UTF-8", extra)

    def fake_answer(
        self, method: str, path: str, q: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        op, handler = fake.route(method, path, q)
        with fake.lock:
            fake.calls[op] += 1
            fault = fake.take_fault(op)
        if fault is not None:
            if fault.kind == "drop":
                raise _Drop
            if fault.kind == "401":
                fake.expire_access_tokens()
            else:
                return _fault(fault)
        if not fake.authorized(headers):
            return (
                *_error(401, "authError", "Request had invalid authentication credentials."),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        cost = COSTS.get(op, 0)
        if cost:
            wait = fake.quota.charge(cost)
            if wait is not None:
                with fake.lock:
                    fake.throttled += 1
                return (
                    *_error(429, "rateLimitExceeded", "User-rate limit exceeded."),
                    {"Retry-After": str(max(1, round(wait + 0.5)))},
                )
            with fake.lock:
                fake.units += cost
                fake.last_charge = time.monotonic()
                fake.first_charge = fake.first_charge or fake.last_charge
        with fake.lock:
            code, body = handler(q)
        return code, body, {}

    def _batch(self, body: bytes) -> None:
        ctype = self.headers.get("Content-Type", "")
        boundary = ctype.split("boundary=", 1)[1].strip('"')
        with self.fake.lock:
            self.fake.calls["batch"] += 1
            fault = self.fake.take_fault("batch")
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if not self.fake.authorized(self.headers):
            self._send(*_json(*_error(401, "authError", "Invalid Credentials")))
            return
        out = []
        for part in body.split(b"--" + boundary.encode())[1:]:
            if part.startswith(b"--"):
                break
            head, _, inner = part.strip(b"\r\n").partition(b"\r\n\r\n")
            if not inner:
                head, _, inner = part.strip(b"\n").partition(b"\n\n")
            cid = re.search(rb"Content-ID:\s*<([^>]*)>", head, re.IGNORECASE)
            request_line, _, rest = inner.partition(b"\n")
            method, target, _version = request_line.decode().strip().split(" ")
            inner_headers = {}
            for line in rest.decode().splitlines():
                if not line.strip():
                    break
                k, _, v = line.partition(":")
                inner_headers[k.strip()] = v.strip()
            if not any(k.lower() == "authorization" for k in inner_headers):
                inner_headers["Authorization"] = self.headers.get("Authorization", "")
            url = urllib.parse.urlsplit(target)
            try:
                code, answer, extra = self.fake_answer(
                    method, url.path, urllib.parse.parse_qs(url.query), inner_headers
                )
            except _Drop:
                code, answer, extra = 503, _error(503, "backendError", "dropped")[1], {}
            extra_lines = "".join(f"{k}: {v}\r\n" for k, v in extra.items())
            payload = json.dumps(answer)
            out.append(
                f"Content-Type: application/http\r\n"
                f"Content-ID: <response-{cid.group(1).decode() if cid else ''}>\r\n\r\n"
                f"HTTP/1.1 {code} {_STATUS_TEXT.get(code, 'Status')}\r\n"
                f"Content-Type: application/json; charset=UTF-8\r\n{extra_lines}"
                f"Content-Length: {len(payload.encode())}\r\n\r\n{payload}\r\n"
            )
        reply_boundary = "batch_" + secrets.token_hex(8)
        text = "".join(f"--{reply_boundary}\r\n{p}" for p in out) + f"--{reply_boundary}--\r\n"
        self._send(200, text.encode(), f"multipart/mixed; boundary={reply_boundary}")


def _json(code: int, body: Any) -> tuple[int, bytes, str]:
    return code, json.dumps(body).encode(), "application/json"


def _fault(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.kind == "429":
        return (*_error(429, "rateLimitExceeded", "Rate Limit Exceeded"), extra)
    if fault.kind == "403rate":
        return (*_error(403, "userRateLimitExceeded", "User Rate Limit Exceeded"), extra)
    code = int(fault.kind)
    return (*_error(code, "backendError", "Backend Error"), extra)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()
