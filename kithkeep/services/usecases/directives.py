"""What the user tells kithkeep about people: cadences, senders to ignore, links."""

from __future__ import annotations

from collections.abc import Callable

from kithkeep.domain.aggregates import Directives
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
    """Two addresses are one person (or, with `undo`, no longer)."""
    x, y = address(a), address(b)
    if x == y:
        raise ConfigError("link needs two different addresses")
    _directive(settings, lambda d: d.unlink(x, y) if undo else d.link(x, y))
    return x, y
