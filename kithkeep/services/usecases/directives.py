"""What the user tells kithkeep about people: cadences, senders to ignore, links.

A directive that can only be a slip is refused in one line: a pattern that matches no
address (a wildcard: kithkeep takes an address or a whole @domain) or everyone, an
undo of what was never done. One about an address in no interaction yet is kept, with
a warning: their mail may come later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kithkeep.domain.aggregates import DIRECTIVES_ID, REFERRALS_ID, Directives
from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import normalize_address
from kithkeep.services.config.settings import Settings
from kithkeep.services.runtime import Runtime, open_runtime

#: Told of a directive kept despite a doubt (an address never seen).
Warn = Callable[[str], None]

_LABELS = r"(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_DOMAIN = re.compile(r"^@" + _LABELS + r"\.[a-z0-9-]{2,}$")
_ADDRESS = re.compile(r"^[^\s@*?%\[\]<>(),;:\\\"]+@" + _LABELS + "$")


def address(raw: str) -> str:
    """The address as stored (lower case, no display name); a non-address is one line."""
    a = normalize_address(raw)
    if not a or not _ADDRESS.match(a):
        raise ConfigError(f"{raw!r} is not an email address")
    return a


@contextmanager
def _directives(settings: Settings) -> Iterator[tuple[Runtime, Directives]]:
    """The directives to change (saved, then projected, if the block raises nothing)."""
    with open_runtime(settings) as rt:
        with rt.store.directives() as directives:
            yield rt, directives
        rt.project()


def _warn_unseen(rt: Runtime, addresses: list[str], warn: Warn | None) -> None:
    if warn is None:
        return
    for a in addresses:
        if not rt.view.knows(a):
            warn(f"{a} is in no interaction yet; kept for when they are")


def set_cadence(settings: Settings, who: str, days: int | None, warn: Warn | None = None) -> str:
    """How often to be in touch with someone (None: learn it again); their address."""
    a = address(who)
    with _directives(settings) as (rt, d):
        if days is None and a not in d.cadences:
            raise ConfigError(f"nothing to undo: no cadence was set for {a}")
        _warn_unseen(rt, [a], warn)
        d.set_cadence(a, days)
    return a


def pattern_of(raw: str) -> str:
    """An address or a whole @domain to ignore; anything else (a wildcard, `@`) is refused."""
    p = raw.strip().lower()
    if p.startswith("@"):
        if not _DOMAIN.match(p):
            raise ConfigError(f"{raw!r}: expected a whole domain such as @example.com")
        return p
    if "*" in p or "?" in p or "%" in p:
        hint = "@" + p.rpartition("@")[2] if "@" in p else "@example.com"
        raise ConfigError(
            f"{raw!r}: no wildcards; give an address, or {hint} for everyone at that domain"
        )
    return address(raw)


def ignore(settings: Settings, pattern: str, *, undo: bool, warn: Warn | None = None) -> str:
    """Never count (or, with `undo`, count again) an address or a whole @domain."""
    p = pattern_of(pattern)
    with _directives(settings) as (rt, d):
        if undo:
            if p not in d.ignored:
                raise ConfigError(f"nothing to undo: {p} is not ignored")
            d.unignore(p)
            return p
        if p in d.ignored:
            raise ConfigError(f"{p} is already ignored")
        if p.startswith("@"):
            matched, known = rt.view.count_domain(p)
            if known > 1 and matched == known:
                raise ConfigError(f"{p} would ignore everyone ({known} addresses); not done")
            if matched == 0 and warn is not None:
                warn(f"no address at {p[1:]} is in any interaction yet; kept for when one is")
        else:
            if p in settings.me:
                raise ConfigError(f"{p} is one of your own addresses; it is never counted anyway")
            _warn_unseen(rt, [p], warn)
        d.ignore(p)
    return p


def link(
    settings: Settings, a: str, b: str, *, undo: bool, warn: Warn | None = None
) -> tuple[str, str]:
    """Two addresses are one person (or, with `undo`, no longer); linked to one of self's
    addresses, an address becomes self's (`me add`)."""
    x, y = address(a), address(b)
    if x == y:
        raise ConfigError("link needs two different addresses")
    policy = settings.policy()
    if not undo and (policy.is_self(x) or policy.is_self(y)):
        from kithkeep.services.usecases import me

        me.add(settings, y if policy.is_self(x) else x)  # linked to self: self's own
        return x, y
    with _directives(settings) as (rt, d):
        linked = any({p[0], p[1]} == {x, y} for p in d.links)
        if undo:
            if not linked:
                raise ConfigError(f"nothing to undo: {x} and {y} were never linked")
            d.unlink(x, y)
            return x, y
        if linked:
            raise ConfigError(f"{x} and {y} are already linked")
        _warn_unseen(rt, [x, y], warn)
        d.link(x, y)
    return x, y


@dataclass(frozen=True, slots=True)
class Told:
    """One directive in force: what it is, since when, and the command that undoes it."""

    kind: str
    what: str
    at: str
    undo: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "what": self.what, "at": self.at, "undo": self.undo}


def told(settings: Settings) -> list[Told]:
    """Every directive still in force, oldest first, each with the time it was given."""
    found: dict[tuple[str, str], Told] = {}
    with open_runtime(settings) as rt:
        for aggregate_id in (DIRECTIVES_ID, REFERRALS_ID):
            for e in rt.store.app.events.get(aggregate_id):
                event: Any = e  # the library's events carry their timestamp
                # To the microsecond while sorting: two words in one second keep their order.
                _fold(found, type(e).__name__, vars(e), event.timestamp.isoformat())
    return [
        replace(t, at=datetime.fromisoformat(t.at).isoformat(timespec="seconds"))
        for t in sorted(found.values(), key=lambda t: (datetime.fromisoformat(t.at), t.kind))
    ]


def _fold(found: dict[tuple[str, str], Told], name: str, e: dict[str, Any], at: str) -> None:
    """One event into the directives in force: a later word replaces or undoes an earlier."""
    if name == "Linked":
        pair = " ".join(sorted((e["a"], e["b"])))
        found[("link", pair)] = Told("link", pair, at, f"kithkeep unlink {pair}")
    elif name == "Unlinked":
        found.pop(("link", " ".join(sorted((e["a"], e["b"])))), None)
    elif name == "CadenceSet":
        a, days = e["address"], e["days"]
        if days is None:
            found.pop(("cadence", a), None)
        else:
            what = f"{a} every {days} days" if days != 1 else f"{a} every day"
            found[("cadence", a)] = Told("cadence", what, at, f"kithkeep cadence {a} auto")
    elif name == "Ignored":
        p = e["pattern"]
        found[("ignore", p)] = Told("ignore", p, at, f"kithkeep ignore {p} --undo")
    elif name == "Unignored":
        found.pop(("ignore", e["pattern"]), None)
    elif name in ("Dismissed", "Closed"):
        rid, kind = e["referral_id"], name.lower()
        found.pop(("dismissed", rid), None)
        found.pop(("closed", rid), None)
        found[(kind, rid)] = Told(
            kind, f"introduction {rid}", at, f"kithkeep referrals reopen {rid}"
        )
    elif name == "Reopened":
        found.pop(("dismissed", e["referral_id"]), None)
        found.pop(("closed", e["referral_id"]), None)
