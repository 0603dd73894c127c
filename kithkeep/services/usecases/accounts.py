"""Connected accounts: added through their provider, listed, removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from kithkeep.services.accounts import provider_for
from kithkeep.services.accounts.base import Added, Provider
from kithkeep.services.config.settings import Paths, Settings, load

R = TypeVar("R")


def add(paths: Paths, provider: Provider[R], request: R) -> list[Added]:
    """Add the account(s) a request names: signed in or checked first, then written."""
    return provider.add(paths, request)


def remove(paths: Paths, name: str) -> None:
    """Forget an account and its sign-in; the interactions it brought in stay."""
    account = load(paths.home).account(name)
    provider_for(account.type).remove(paths, account)


@dataclass(frozen=True, slots=True)
class Listed:
    """One account as `account list` shows it."""

    name: str
    type: str
    address: str
    enabled: bool
    interval_minutes: float

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "address": self.address,
            "enabled": self.enabled,
            "interval_minutes": self.interval_minutes,
        }


def listed(settings: Settings) -> list[Listed]:
    return [
        Listed(
            a.name,
            a.type,
            a.address or a.user or (str(a.path) if a.type == "folder" else a.url),
            a.enabled,
            a.interval_seconds / 60,
        )
        for a in settings.accounts
    ]
