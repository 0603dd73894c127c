"""CalDAV calendars: discovered from the principal, synced with RFC 6578 sync-collection.

Each calendar keeps its sync token. A token the server no longer accepts (the
`DAV:valid-sync-token` precondition) means a full listing of that calendar; so does a
first sync and `sync --full`. Servers without sync-collection are read through the
`caldav` library's ctag/etag emulation (its "fake-" tokens): nothing when nothing
changed, else a full listing.

Event data goes through `ics.parse_calendar`, the .ics reader's one code path
(recurrences, exceptions, PARTSTAT, time zones). The `RemoteIndex` holds, per
calendar object (href), the natural keys it gave; a deleted href, or an occurrence an
edited href no longer has, is withdrawn unless another object still gives the same
meeting. A full listing also sweeps away the hrefs it did not see.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.ics import parse_calendar
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.connectors.retry import Transient, retrying
from kithkeep.domain.errors import ConnectorError
from kithkeep.domain.interaction import Observation

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class CaldavConfig:
    """Where a WebDAV server is and who logs in (CalDAV's, and CardDAV's with `kind`)."""

    url: str
    user: str
    password: str = field(repr=False)
    timeout: int = 60
    connect_attempts: int = 3
    kind: str = "CalDAV"

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConnectorError(f"not a {self.kind} URL: {self.url!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise ConnectorError(
                f"{self.kind} without TLS is only allowed to a loopback host, not {parts.hostname}"
            )


def _client(config: CaldavConfig) -> Any:
    from caldav.davclient import DAVClient

    return DAVClient(
        url=config.url,
        username=config.user,
        password=config.password,
        timeout=config.timeout,
        require_tls=urlsplit(config.url).scheme == "https",
        enable_rfc6764=False,
    )


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]


def discover(config: CaldavConfig) -> list[Any]:
    """The user's calendars (principal → calendar-home-set); one clear line on failure."""
    from caldav.lib import error

    where = urlsplit(config.url).netloc

    def attempt() -> list[Any]:
        try:
            client = _client(config)
            return list(client.principal().calendars())
        except error.AuthorizationError:
            raise ConnectorError(
                f"CalDAV {where}: login refused for {config.user} (wrong user or password?)"
            ) from None
        except error.DAVError as e:
            raise ConnectorError(f"CalDAV {where}: {_one_line(e)}") from None
        except OSError as e:
            raise Transient(f"CalDAV {where}: cannot connect ({_one_line(e)})") from None
        except Exception as e:
            # the HTTP library's connection errors (refused, reset, timed out)
            if "connect" in type(e).__name__.lower() or "timeout" in type(e).__name__.lower():
                raise Transient(f"CalDAV {where}: cannot connect ({type(e).__name__})") from None
            raise

    calendars: list[Any] = retrying(attempt, attempts=config.connect_attempts, initial=0.5, cap=5.0)
    return calendars


@dataclass
class CaldavSource:
    config: CaldavConfig
    index: RemoteIndex
    state_file: Path
    now: datetime
    local_tz: tzinfo
    discoverer: Callable[[CaldavConfig], list[Any]] = discover

    @property
    def key(self) -> str:
        return f"caldav:{self.config.user}@{self.config.url}"

    def _load(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
            tokens = {str(k): str(v) for k, v in raw["tokens"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}, {}
        try:
            watch = {str(k): [str(h) for h in v] for k, v in raw.get("watch", {}).items()}
        except (TypeError, AttributeError):
            watch = {}
        return tokens, watch

    def _save(self, tokens: dict[str, str], watch: dict[str, list[str]]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(self.state_file.name + ".new")
        tmp.write_text(self._cursor(tokens, watch), encoding="utf-8")
        os.replace(tmp, self.state_file)

    @staticmethod
    def _cursor(tokens: dict[str, str], watch: dict[str, list[str]]) -> str:
        return json.dumps(
            {"v": 1, "tokens": dict(sorted(tokens.items())), "watch": dict(sorted(watch.items()))}
        )

    def pages(self, cursor: str | None) -> Iterator[Page]:
        from caldav.lib import error

        full = cursor is None
        tokens, watch = self._load()
        calendars = self.discoverer(self.config)
        try:
            for number, calendar in enumerate(calendars, start=1):
                try:
                    yield from self._calendar(calendar, tokens, watch, full, number, len(calendars))
                except error.AuthorizationError:
                    raise ConnectorError(
                        f"CalDAV: access refused to {calendar.url} for {self.config.user}"
                    ) from None
                except error.DAVError as e:
                    raise ConnectorError(f"CalDAV {calendar.url}: {_one_line(e)}") from None
                except OSError as e:  # the HTTP library's errors are OSErrors
                    raise ConnectorError(
                        f"CalDAV {calendar.url}: connection lost ({type(e).__name__})"
                    ) from None
        finally:
            self.index.close()

    def _changes(self, calendar: Any, token: str | None) -> tuple[Any, bool]:
        """What changed since `token`, and whether it is a full listing."""
        from caldav.elements import dav
        from caldav.lib import error

        if token and token.startswith("fake-"):
            # No sync-collection here: the library compares etags; all or nothing.
            result = calendar.get_objects_by_sync_token(sync_token=token, load_objects=True)
            return result, bool(result.objects)
        if token:
            try:
                result = calendar.get_objects_by_sync_token(
                    sync_token=token, load_objects=True, disable_fallback=True
                )
                return result, False
            except error.AuthorizationError as e:
                expired = {dav.ValidSyncToken.tag, dav.SupportedReport.tag}
                if not expired & set(getattr(e, "preconditions", ()) or ()):
                    raise
            except error.ReportError:
                pass  # the token is not accepted (or no sync-collection): list it all
        return calendar.get_objects_by_sync_token(sync_token=None, load_objects=True), True

    def _calendar(
        self,
        calendar: Any,
        tokens: dict[str, str],
        watch: dict[str, list[str]],
        full: bool,
        number: int,
        total: int,
    ) -> Iterator[Page]:
        cal = str(calendar.url)
        hrefs = f"caldav-hrefs:{cal}"
        from caldav.lib import error

        result, listing = self._changes(calendar, None if full else tokens.get(cal))
        deleted = {str(u) for u in result.deleted_urls}
        sweep = self.index.next_sweep(hrefs) if listing else 0
        observations: list[Observation] = []
        problems: list[Problem] = []
        withdrawn: set[str] = set()
        forget: list[tuple[str, list[str]]] = []
        seen: list[tuple[str, str]] = []
        objects = [(str(o.url.canonical()), o) for o in result.objects]
        # Series are read again: the server reports no change when an occurrence
        # merely takes place.
        reported = {href for href, _ in objects} | deleted
        objects += [
            (href, calendar.event_by_url(href))
            for href in watch.get(cal, [])
            if href not in reported and not listing
        ]
        still: list[str] = []
        # Observations of series read again unchanged: new occurrences, nothing to revise.
        again: list[Observation] = []
        for href, obj in objects:
            if href in deleted:
                continue
            try:
                data = obj.data if obj.data is not None else obj.load().data
            except error.NotFoundError:
                continue  # deleted between the listing and the GET
            if data is None:
                continue
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            if _unfolding(raw):
                still.append(href)
            found, trouble = parse_calendar(raw, origin=href, now=self.now, local_tz=self.local_tz)
            (observations if href in reported or listing else again).extend(found)
            problems.extend(trouble)
            scope = _object_scope(cal, href)
            mark = self.index.next_sweep(scope)
            self.index.remember(scope, [(o.natural_key, o.natural_key) for o in found], mark)
            # Occurrences this object no longer gives (an edit removed them).
            stale = self.index.not_swept(scope, mark)
            if stale:
                withdrawn.update(self.index.orphaned_by(scope, stale))
                forget.append((scope, stale))
            seen.append((href, href))
        self.index.remember(hrefs, seen, sweep)
        gone = set(deleted)
        if listing:
            gone.update(self.index.not_swept(hrefs, sweep))
        for href in sorted(gone):
            scope = _object_scope(cal, href)
            ids = self.index.remote_ids(scope)
            withdrawn.update(self.index.orphaned_by(scope, ids))
            forget.append((scope, ids))
            forget.append((hrefs, [href]))
        if again:
            # Before the server's changes, under the cursor from before them.
            yield Page(again, self._cursor(tokens, watch), done=number - 1, total=total)
        tokens[cal] = str(result.sync_token or "")
        watch[cal] = sorted(set(still))
        yield Page(
            observations,
            self._cursor(tokens, watch),
            problems,
            withdrawn=sorted(withdrawn),
            done=number,
            total=total,
            # What the server says changed replaces what was stored (an edited event).
            revise=True,
        )
        for scope, ids in forget:
            self.index.forget(scope, ids)
        self._save(tokens, watch)


_SERIES = re.compile(rb"^(?:RRULE|RDATE)[;:]", re.MULTILINE | re.IGNORECASE)


def _unfolding(data: bytes) -> bool:
    """Whether the object is a series: its occurrences count once they have started,
    so it is read again on later syncs though the server reports no change."""
    return _SERIES.search(data) is not None


def _object_scope(calendar: str, href: str) -> str:
    return f"caldav:{calendar}\x1f{href}"
