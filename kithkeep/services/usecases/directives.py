"""What the user tells kithkeep about people: cadences, senders to ignore, links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kithkeep.domain.aggregates import DIRECTIVES_ID, REFERRALS_ID, Directives
from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import normalize_address
from kithkeep.services.config.settings import Settings
from kithkeep.services.runtime import open_runtime


def address(raw: str) -> str:
    """The address as stored (lower case, no display name); a non-address is one line."""
    a = normalize_address(raw)
    if not a:
        raise ConfigError(f"{raw!r} is not an email address")
    return a


def _directive(settings: Settings, act: Callable[[Directives], None]) -> None:
    """Record one directive, then bring the views up to date with it."""
    with open_runtime(settings) as rt:
        with rt.store.directives() as directives:
            act(directives)
        rt.project()


def set_cadence(settings: Settings, who: str, days: int | None) -> str:
    """How often to be in touch with someone (None: learn it again); their address."""
    a = address(who)
    _directive(settings, lambda d: d.set_cadence(a, days))
    return a


def ignore(settings: Settings, pattern: str, *, undo: bool) -> str:
    """Never count (or, with `undo`, count again) an address or a whole @domain."""
    p = pattern.strip().lower()
    if not (p.startswith("@") and "." in p) and not normalize_address(p):
        raise ConfigError(f"{pattern!r}: expected an address or @domain")
    _directive(settings, lambda d: d.unignore(p) if undo else d.ignore(p))
    return p


def link(settings: Settings, a: str, b: str, *, undo: bool) -> tuple[str, str]:
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
    _directive(settings, lambda d: d.unlink(x, y) if undo else d.link(x, y))
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
                _fold(
                    found, type(e).__name__, vars(e), event.timestamp.isoformat(timespec="seconds")
                )
    return sorted(found.values(), key=lambda t: (t.at, t.kind, t.what))


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
