"""Google accounts: sign-in (installed-app OAuth with a loopback redirect) and context.

The OAuth endpoints are the `auth_uri` and `token_uri` of the user's client-secrets
file, never written here, so a test runs the whole sign-in against a local fake. The
refresh token and the client secret go to `secrets.py` (the OS keyring, else a 0600
file); the config gets only the account's name, type and addresses. Each sync trades
the refresh token for an access token that lives in memory only.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError, ConnectorError
from kithkeep.services.accounts.base import Added, Provider, SyncContext, secret_name
from kithkeep.services.config.editing import add_account, update_account
from kithkeep.services.config.secrets import get_secret, set_secret
from kithkeep.services.config.settings import Account, Endpoints, Paths, load

if TYPE_CHECKING:
    from googleapiclient.discovery import Resource

    from kithkeep.connectors.google_api import Caller

_GOOGLE = "https://www.googleapis.com/auth/"
#: Headers of messages: enough for every rule but introduction cues from the body.
GMAIL_METADATA = _GOOGLE + "gmail.metadata"
#: Only with body cues on: Gmail gives the snippet of a message only with this one.
GMAIL_READONLY = _GOOGLE + "gmail.readonly"
#: Reading the send-as aliases (kithkeep never changes a setting).
GMAIL_SETTINGS = _GOOGLE + "gmail.settings.basic"
CALENDAR_READONLY = _GOOGLE + "calendar.readonly"
#: Contacts: names, addresses, organizations, birthdays (never changed).
CONTACTS_READONLY = _GOOGLE + "contacts.readonly"
#: Google's published per-user quotas, per minute: Gmail units, Calendar requests.
GMAIL_QUOTA = 15_000
CALENDAR_QUOTA = 600
#: The share of a quota kithkeep uses: room for the user's other mail programs' bursts.
HEADROOM = 0.95
SIGN_IN_TIMEOUT = 600.0


def gmail_scopes(body_cues: bool) -> list[str]:
    return [GMAIL_READONLY if body_cues else GMAIL_METADATA, GMAIL_SETTINGS]


# -- sign-in ---------------------------------------------------------------------------


def sign_in(
    client_secrets: Path,
    scopes: list[str],
    *,
    no_browser: bool,
    say: Callable[[str], None],
    stdin: IO[str] | None = None,
    open_browser: Callable[[str], Any] = webbrowser.open,
) -> tuple[str, dict[str, str]]:
    """Consent in a browser; the refresh token and the OAuth client (id, secret, token_uri).

    The browser is sent back to a one-shot server on 127.0.0.1; with `no_browser` the
    user may instead paste the address the browser ended on.
    """
    from google_auth_oauthlib.flow import Flow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    config = _client_config(client_secrets)
    waiting: queue.Queue[str] = queue.Queue()
    server = _loopback(waiting)
    try:
        flow = Flow.from_client_config(config, scopes=scopes)
        flow.redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
        url, _ = flow.authorization_url(access_type="offline", prompt="consent")
        if no_browser:
            say(
                "Open this address in a browser, sign in and allow access; then wait, or paste "
                f"the address the browser ended on here:\n\n{url}\n"
            )
            reader = stdin if stdin is not None else sys.stdin
            threading.Thread(target=_pasted, args=(reader, waiting), daemon=True).start()
        else:
            say(f"Opening your browser to sign in (or open this address yourself):\n\n{url}\n")
            open_browser(url)
        try:
            answer = waiting.get(timeout=SIGN_IN_TIMEOUT)
        except queue.Empty:
            raise ConfigError("sign-in timed out: nobody came back from the browser") from None
    finally:
        server.shutdown()
        server.server_close()
    if "error=" in answer and "code=" not in answer:
        from urllib.parse import parse_qs, urlsplit

        reason = parse_qs(urlsplit(answer).query).get("error", ["refused"])[0]
        raise ConfigError(f"sign-in was not allowed ({reason})")
    try:
        # oauthlib insists on https for the address the code came back to; this one is
        # the loopback, which never leaves the machine.
        token = flow.fetch_token(authorization_response=answer.replace("http://", "https://", 1))
    except OAuth2Error as e:
        raise ConfigError(f"sign-in failed: {e.error}") from None
    except OSError as e:
        raise ConfigError(f"sign-in failed: cannot reach the token endpoint ({e})") from None
    refresh = token.get("refresh_token")
    if not refresh:
        raise ConfigError("sign-in gave no refresh token; remove kithkeep's access and try again")
    info = next(iter(config.values()))
    client = {
        "client_id": str(info["client_id"]),
        "client_secret": str(info["client_secret"]),
        "token_uri": str(info["token_uri"]),
    }
    return str(refresh), client


def _client_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"{path}: not a readable client-secrets file ({type(e).__name__})"
        ) from None
    kind = next((k for k in ("installed", "web") if isinstance(config, dict) and k in config), None)
    needed = ("client_id", "client_secret", "auth_uri", "token_uri")
    if kind is None or not all(config[kind].get(k) for k in needed):
        raise ConfigError(
            f"{path}: not a Google OAuth client file (create a 'Desktop app' client and "
            "download its JSON)"
        )
    return {kind: config[kind]}


def _loopback(waiting: queue.Queue[str]) -> HTTPServer:
    class Back(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if "code=" in self.path or "error=" in self.path:
                port = getattr(self.server, "server_port", 0)
                waiting.put(f"http://127.0.0.1:{port}{self.path}")
                text = b"kithkeep: signed in. You can close this tab."
            else:
                text = b"kithkeep is waiting for Google's answer."
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request line holds the one-time code

    server = HTTPServer(("127.0.0.1", 0), Back)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _pasted(reader: IO[str], waiting: queue.Queue[str]) -> None:
    for raw in reader:
        line = raw.strip()
        if "code=" in line or "error=" in line:
            waiting.put(line)
            return


# -- adding accounts -------------------------------------------------------------------


def add_google(
    paths: Paths,
    kind: str,
    client_secrets: Path,
    *,
    name: str | None,
    with_calendar: bool = False,
    with_contacts: bool = False,
    no_browser: bool = False,
    body_cues: bool = False,
    since_days: int | None = None,
    ahead_days: int | None = None,
    interval_minutes: float = 15,
    say: Callable[[str], None] = print,
    stdin: IO[str] | None = None,
) -> list[Account]:
    """Sign in once and add a gmail, google-calendar and/or google-contacts account (one
    consent for all)."""
    if not paths.config.exists():
        raise ConfigError(
            f"no config at {paths.config}: run `kithkeep init --me YOU@EXAMPLE.COM` first"
        )
    endpoints = load(paths.home).endpoints
    gmail = kind == "gmail"
    calendar = kind == "google-calendar" or with_calendar
    contacts = kind == "google-contacts" or with_contacts
    scopes = (gmail_scopes(body_cues) if gmail else []) + ([CALENDAR_READONLY] if calendar else [])
    scopes += [CONTACTS_READONLY] if contacts else []
    refresh, client = sign_in(client_secrets, scopes, no_browser=no_browser, say=say, stdin=stdin)
    creds = _credentials(refresh, client)
    table: dict[str, Any] = {"interval_minutes": interval_minutes}
    if since_days is not None:
        table["since_days"] = since_days
    added: list[tuple[str, dict[str, Any]]] = []
    if gmail:
        caller = _caller("gmail", name or "new", endpoints.gmail_batch_uri, None)
        service = _service("gmail", "v1", creds, endpoints.gmail_api)
        address, aliases = gmail_addresses(service, caller)
        gmail_name = name or address
        added.append(
            (
                gmail_name,
                {
                    "name": gmail_name,
                    "type": "gmail",
                    "address": address,
                    "addresses": aliases,
                    "body_cues": body_cues or None,
                    **table,
                },
            )
        )
    if calendar:
        caller = _caller("google-calendar", name or "new", "", None)
        service = _service("calendar", "v3", creds, endpoints.calendar_api)
        with _answer("google-calendar", "calendars.get"):
            address = str(caller.one(service.calendars().get(calendarId="primary"))["id"])
        address = address.lower()
        base = name or address
        cal_name = f"{base}-calendar" if gmail else base
        extra = {"ahead_days": ahead_days} if ahead_days is not None else {}
        added.append(
            (
                cal_name,
                {"name": cal_name, "type": "google-calendar", "address": address, **table, **extra},
            )
        )
    if contacts:
        base = name or next((t["address"] for _, t in added), "") or "google-contacts"
        contacts_name = f"{base}-contacts" if added else base
        table_c = {"name": contacts_name, "type": "google-contacts", **table}
        if added:
            table_c["address"] = next(t["address"] for _, t in added)
        added.append((contacts_name, table_c))
    out = []
    for account_name, account_table in added:
        # One consent, one refresh token: each account keeps its own copy, so removing
        # one leaves the other signed in.
        set_secret(paths, secret_name(account_name, "token"), refresh)
        set_secret(paths, secret_name(account_name, "client"), json.dumps(client))
        out.append(add_account(paths, account_table, replace=_same_type(paths, account_table)))
    return out


@contextmanager
def _answer(provider: str, call: str) -> Iterator[None]:
    """An unexpected answer while adding an account: one line naming provider, call, status."""
    from googleapiclient.errors import HttpError

    try:
        yield
    except HttpError as e:
        status = getattr(e.resp, "status", "?")
        raise ConnectorError(
            f"{provider}: {call} answered HTTP {status} ({str(e.reason)[:200]})"
        ) from None
    except (KeyError, TypeError, ValueError) as e:
        raise ConnectorError(
            f"{provider}: {call} answered something unexpected ({e!r:.100})"
        ) from None


def _same_type(paths: Paths, table: dict[str, Any]) -> bool:
    """Signing in again to an account of the same name and type replaces it (re-auth)."""
    for a in load(paths.home).accounts:
        if a.name == table["name"]:
            return bool(a.type == table["type"])
    return False


def gmail_addresses(service: Resource, caller: Caller) -> tuple[str, list[str]]:
    """The mailbox's address and its send-as aliases (all of them count as self)."""
    users = service.users()
    with _answer("gmail", "users.getProfile"):
        address = str(caller.one(users.getProfile(userId="me"), 1)["emailAddress"]).lower()
    with _answer("gmail", "users.settings.sendAs.list"):
        rows = caller.one(users.settings().sendAs().list(userId="me"), 1).get("sendAs", [])
    aliases = sorted(
        {str(r["sendAsEmail"]).lower() for r in rows if r.get("sendAsEmail")} - {address}
    )
    return address, aliases


# -- building sources ------------------------------------------------------------------


def _credentials(refresh: str, client: dict[str, str]) -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=refresh,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        token_uri=client["token_uri"],
    )


def _stored_credentials(paths: Paths, account: Account) -> Any:
    refresh = get_secret(paths, secret_name(account.name, "token"))
    raw = get_secret(paths, secret_name(account.name, "client"))
    try:
        client = json.loads(raw) if raw else None
    except ValueError:
        client = None
    if not refresh or not isinstance(client, dict):
        raise ConnectorError(
            f"{account.name}: not signed in; run `kithkeep account add {account.type} "
            f"--name {account.name} --client-secrets FILE`"
        )
    return _credentials(refresh, client)


def _service(api: str, version: str, creds: Any, endpoint: str) -> Any:
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build

    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=60))
    return build(
        api,
        version,
        http=http,
        client_options={"api_endpoint": endpoint} if endpoint else None,
        static_discovery=True,
        cache_discovery=False,
    )


def _caller(kind: str, name: str, batch_uri: str, per_minute: float | None) -> Any:
    from kithkeep.connectors.google_api import Caller
    from kithkeep.connectors.retry import Pacer

    pacer = None
    if per_minute:
        rate = per_minute * HEADROOM / 60
        pacer = Pacer(rate, burst=rate)  # at most a second's worth at once
    return Caller(
        what=f"{name}",
        reauth=f"kithkeep account add {kind} --name {name} --client-secrets FILE",
        pacer=pacer,
        batch_uri=batch_uri,
    )


def gmail_source(account: Account, context: SyncContext) -> Source:
    from kithkeep.connectors.gmail import GmailSource

    endpoints: Endpoints = context.settings.endpoints
    creds = _stored_credentials(context.paths, account)
    caller = _caller(
        "gmail",
        account.name,
        endpoints.gmail_batch_uri,
        endpoints.gmail_quota_per_minute or GMAIL_QUOTA,
    )
    return GmailSource(
        account.name,
        lambda: _service("gmail", "v1", creds, endpoints.gmail_api),
        caller=caller,
        index=context.index(account),
        now=context.now,
        since_days=account.since_days,
        body_cues=account.body_cues,
        on_aliases=lambda found: _keep_aliases(context.paths, account, found),
    )


def _keep_aliases(paths: Paths, account: Account, found: list[str]) -> None:
    """Send-as addresses added since sign-in become self too (from the next sync on)."""
    new = set(found) - set(account.addresses) - {account.address}
    if new:
        update_account(paths, account.name, {"addresses": sorted(new | set(account.addresses))})


def calendar_source(account: Account, context: SyncContext) -> Source:
    from kithkeep.connectors.gcal import CalendarSource

    endpoints: Endpoints = context.settings.endpoints
    creds = _stored_credentials(context.paths, account)
    caller = _caller(
        "google-calendar",
        account.name,
        endpoints.calendar_batch_uri,
        endpoints.calendar_quota_per_minute or CALENDAR_QUOTA,
    )
    return CalendarSource(
        account.name,
        lambda: _service("calendar", "v3", creds, endpoints.calendar_api),
        caller=caller,
        index=context.index(account),
        now=context.now,
        local_tz=context.local_tz,
        since_days=account.since_days,
        ahead_days=account.ahead_days,
    )


def contacts_source(account: Account, context: SyncContext) -> Source:
    from kithkeep.connectors.gcontacts import ContactsSource

    endpoints: Endpoints = context.settings.endpoints
    creds = _stored_credentials(context.paths, account)
    return ContactsSource(
        account.name,
        lambda: _service("people", "v1", creds, endpoints.contacts_api),
        caller=_caller("google-contacts", account.name, "", None),
        index=context.index(account),
        now=context.now,
    )


# -- the provider ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoogleRequest:
    """`account add gmail|google-calendar`: the OAuth client and what to add with one consent."""

    kind: str
    client_secrets: Path
    name: str | None = None
    with_calendar: bool = False
    with_contacts: bool = False
    no_browser: bool = False
    body_cues: bool = False
    since_days: int | None = None
    ahead_days: int | None = None
    interval_minutes: float = 15
    say: Callable[[str], None] = print
    stdin: IO[str] | None = None


class GoogleProvider(Provider[GoogleRequest]):
    kinds = ("gmail", "google-calendar", "google-contacts")

    def add(self, paths: Paths, request: GoogleRequest) -> list[Added]:
        r = request
        accounts = add_google(
            paths,
            r.kind,
            r.client_secrets,
            name=r.name,
            with_calendar=r.with_calendar,
            with_contacts=r.with_contacts,
            no_browser=r.no_browser,
            body_cues=r.body_cues,
            since_days=r.since_days,
            ahead_days=r.ahead_days,
            interval_minutes=r.interval_minutes,
            say=r.say,
            stdin=r.stdin,
        )
        return [Added(a) for a in accounts]

    def source(self, account: Account, context: SyncContext) -> Source:
        if account.type == "gmail":
            return gmail_source(account, context)
        if account.type == "google-contacts":
            return contacts_source(account, context)
        return calendar_source(account, context)
