"""CardDAV accounts: `account add carddav` (address books found and the password
checked) and their source."""

from __future__ import annotations

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError
from kithkeep.services.accounts.base import Added, Provider, SyncContext
from kithkeep.services.accounts.caldav import CaldavRequest
from kithkeep.services.accounts.passwords import add_with_password, stored_password
from kithkeep.services.config.settings import Account, Paths


class CarddavProvider(Provider[CaldavRequest]):
    kinds = ("carddav",)

    def add(self, paths: Paths, request: CaldavRequest) -> list[Added]:
        """Find the address books (a refused password is one clear line), then save."""
        from kithkeep.connectors.carddav import Dav, carddav_config, discover

        r = request

        def log_in() -> None:
            dav = Dav(carddav_config(r.url, r.user, r.password))
            try:
                discover(dav)
            finally:
                dav.close()

        return [add_with_password(paths, "carddav", r, log_in, r.table())]

    def source(self, account: Account, context: SyncContext) -> Source:
        from kithkeep.connectors.carddav import CarddavSource, carddav_config

        if not account.url or not account.user:
            raise ConfigError(f"account {account.name}: a carddav account needs url and user")
        password = stored_password(context.paths, account)
        return CarddavSource(carddav_config(account.url, account.user, password), context.now)
