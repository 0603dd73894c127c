"""Connected accounts: listed and removed (each is added by its own provider's `add`)."""

from __future__ import annotations

from dataclasses import dataclass

from kithkeep.services.accounts import provider_for
from kithkeep.services.config.settings import Paths, Settings, load


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
