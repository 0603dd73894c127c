"""The IMAP connection: its settings, a logged-in client, and the raw commands under it.

`connect` logs in through imapclient, retrying the connection and tracing each command's
verb on `kithkeep.imap.wire`; `vanished` sends the QRESYNC FETCH modifier imapclient has
no call for, and `uid_spans` reads its answer.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from kithkeep.connectors.retry import Transient, retrying
from kithkeep.domain.errors import ConnectorError

#: One DEBUG record per IMAP command sent (its verb only: never an argument).
wire_log = logging.getLogger("kithkeep.imap.wire")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_TAG = re.compile(rb"^[A-Z]+\d+ (?:UID )?([A-Z]+)")


@dataclass(frozen=True, slots=True)
class ImapConfig:
    """One IMAP account: where it is, how to log in, and which folders to read."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    security: str = "tls"  # tls | starttls | plain (loopback only)
    folders: tuple[str, ...] = ()
    since_days: int = 3 * 365
    timeout: float = 60.0
    #: Tries of the connection before the account's sync fails.
    connect_attempts: int = 3

    def __post_init__(self) -> None:
        if self.security not in ("tls", "starttls", "plain"):
            raise ConnectorError(f"unknown IMAP security {self.security!r}")
        if self.security == "plain" and self.host not in LOOPBACK:
            raise ConnectorError(
                f"IMAP without TLS is only allowed to a loopback host, not {self.host}"
            )


def connect(config: ImapConfig) -> Any:
    """A logged-in `IMAPClient`; a refused login is one clear line, never the password."""
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    def attempt() -> Any:
        try:
            context = ssl.create_default_context()
            client = IMAPClient(
                config.host,
                port=config.port,
                ssl=config.security == "tls",
                ssl_context=context,
                timeout=config.timeout,
            )
            _trace(client)
            if config.security == "starttls":
                client.starttls(context)
            return client
        except ssl.SSLError as e:
            raise ConnectorError(f"IMAP {where}: TLS failed ({e.reason or 'handshake'})") from None
        except (TimeoutError, ConnectionError, socket.gaierror, OSError) as e:
            raise Transient(f"IMAP {where}: cannot connect ({reason(e)})") from None

    where = f"{config.host}:{config.port}"
    client = retrying(attempt, attempts=config.connect_attempts, initial=0.5, cap=5.0)
    try:
        client.login(config.user, config.password)
    except LoginError:
        close(client)
        raise ConnectorError(
            f"IMAP {where}: login refused for {config.user} (wrong user or password?)"
        ) from None
    except Exception as e:
        close(client)
        raise ConnectorError(f"IMAP {where}: login failed ({reason(e)})") from None
    # CONDSTORE and friends are only announced after login.
    client._cached_capabilities = None
    return client


def _trace(client: Any) -> None:
    """Log each command's verb as it goes on the wire (tests count them)."""
    imap = client._imap
    send = imap.send

    def traced(data: bytes) -> None:
        m = _TAG.match(data)
        if m is not None:
            verb = m.group(1).decode()
            # Which kind of listing it was (tests tell a QRESYNC sync from a full diff).
            if verb == "SEARCH" and data.rstrip().endswith(b" ALL"):
                verb = "SEARCH ALL"
            elif verb == "FETCH" and b"VANISHED" in data:
                verb = "FETCH VANISHED"
            wire_log.debug("%s", verb)
        send(data)

    imap.send = traced


def close(client: Any) -> None:
    """Log out, or at least drop the connection; never raises."""
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()


def reason(e: BaseException) -> str:
    """What went wrong, in one short line (an OS error's message, or an error's first line)."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    text = str(e).splitlines()[0] if str(e) else ""
    return text[:200] or type(e).__name__


def vanished(client: Any, last: int, modseq: int) -> list[tuple[int, int]]:
    """UID spans expunged since `modseq` (RFC 7162 VANISHED (EARLIER)).

    imapclient has no call for this FETCH modifier, so it goes through the imaplib
    connection underneath, as imapclient's own commands do.
    """
    imap = client._imap
    imap.untagged_responses.pop("VANISHED", None)
    tag = imap._command("UID", "FETCH", f"1:{last}", "(UID)", f"(CHANGEDSINCE {modseq} VANISHED)")
    typ, data = imap._command_complete("FETCH", tag)
    if typ != "OK":
        raise ConnectorError(f"IMAP: FETCH VANISHED refused ({reason(Exception(data))})")
    imap.untagged_responses.pop("FETCH", None)
    spans: list[tuple[int, int]] = []
    for raw in imap.untagged_responses.pop("VANISHED", []):
        text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
        spans.extend(uid_spans(text))
    return spans


def uid_spans(text: str) -> list[tuple[int, int]]:
    """A VANISHED response's UID set (`(EARLIER) 3:5,9,12:10`) as (low, high) spans."""
    spans: list[tuple[int, int]] = []
    for part in text.replace("(EARLIER)", "").strip().split(","):
        low, _, high = part.strip().partition(":")
        if low.isdigit():
            a, b = int(low), int(high) if high.isdigit() else int(low)
            spans.append((min(a, b), max(a, b)))
    return spans


def in_spans(uid: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `uid` lies in one of `spans` (as `uid_spans` reads them)."""
    return any(a <= uid <= b for a, b in spans)
