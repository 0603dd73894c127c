"""CardDAV accounts: `account add carddav` (address books found and the password
checked) and their source."""

from __future__ import annotations

from dataclasses import dataclass

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError
from kithkeep.services.accounts.base import Added, Provider, SyncContext
from kithkeep.services.accounts.passwords import (
    PasswordRequest,
    add_with_password,
    stored_password,
)
from kithkeep.services.config.editing import TomlValue
from kithkeep.services.config.settings import Account, Paths


@dataclass(frozen=True, slots=True, kw_only=True)
class CarddavRequest(PasswordRequest):
    """`account add carddav`: the server's URL and the login."""

    url: str


class CarddavProvider(Provider[CarddavRequest]):
    kinds = ("carddav",)

    def add(self, paths: Paths, request: CarddavRequest) -> list[Added]:
        """Find the address books (a refused password is one clear line), then save."""
        from kithkeep.connectors.carddav import CarddavConfig, Dav, discover

        r = request
        table: dict[str, TomlValue] = {
            "url": r.url,
            "user": r.user,
            "interval_minutes": r.interval_minutes,
        }

        def log_in() -> None:
            dav = Dav(CarddavConfig(r.url, r.user, r.password))
            try:
                discover(dav)
            finally:
                dav.close()

        return [add_with_password(paths, "carddav", r, log_in, table)]

    def source(self, account: Account, context: SyncContext) -> Source:
        from kithkeep.connectors.carddav import CarddavConfig, CarddavSource

        if not account.url or not account.user:
            raise ConfigError(f"account {account.name}: a carddav account needs url and user")
        config = CarddavConfig(account.url, account.user, stored_password(context.paths, account))
        return CarddavSource(config, context.now)
