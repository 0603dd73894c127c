"""Self's own addresses: listed, added, removed, and suggested with their evidence.

Adding or removing one changes the config (nothing else in it), which changes the rules'
fingerprint: the views rebuild themselves on the next command, as for any config change.
"""

from __future__ import annotations

from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import normalize_address
from kithkeep.projections.suggestions import Suggestion, self_suggestions
from kithkeep.services.config.editing import set_me
from kithkeep.services.config.settings import Settings
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases.views import read_views


def _address(raw: str) -> str:
    a = normalize_address(raw)
    if not a:
        raise ConfigError(f"{raw!r} is not an email address")
    return a


def addresses(settings: Settings) -> tuple[str, ...]:
    """Self's addresses as configured (every account's own address counts too)."""
    return settings.me


def add(settings: Settings, raw: str) -> tuple[str, ...]:
    """Make an address self's; the views are rebuilt under the new rules."""
    a = _address(raw)
    me = set_me(settings.paths, add=a)
    _refresh(settings)
    return me


def remove(settings: Settings, raw: str) -> tuple[str, ...]:
    """An address is no longer self's; the views are rebuilt under the new rules."""
    me = set_me(settings.paths, remove=_address(raw))
    _refresh(settings)
    return me


def _refresh(settings: Settings) -> None:
    from kithkeep.services.config.settings import load

    fresh = load(settings.paths.home)
    if not fresh.me and not fresh.team:
        return
    with open_runtime(fresh) as rt:
        rt.project()


def suggest(settings: Settings) -> list[Suggestion]:
    """Addresses that are probably self's, each with its evidence (none is added)."""
    if not settings.paths.views.exists() and not settings.store_url:
        return []
    c = read_views(settings)
    try:
        return self_suggestions(c, settings.policy().me)
    finally:
        c.close()
