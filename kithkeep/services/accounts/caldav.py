"""CalDAV accounts: `account add caldav` (calendars found and the password checked) and
their source."""

from __future__ import annotations

from dataclasses import dataclass

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError
from kithkeep.services.accounts.base import Added, Provider, SyncContext, windowed
from kithkeep.services.accounts.passwords import (
    PasswordRequest,
    add_with_password,
    stored_password,
)
from kithkeep.services.config.editing import TomlValue
from kithkeep.services.config.settings import Account, Paths


@dataclass(frozen=True, slots=True, kw_only=True)
class CaldavRequest(PasswordRequest):
    """`account add caldav` (or `carddav`): the server's URL and the login."""

    url: str
    #: Only meetings this recent (None: the whole calendar).
    since_days: int | None = None

    def table(self) -> dict[str, TomlValue]:
        """What the account's `[[accounts]]` table holds besides its name and addresses."""
        table: dict[str, TomlValue] = {
            "url": self.url,
            "user": self.user,
            "interval_minutes": self.interval_minutes,
        }
        if self.since_days is not None:
            table["since_days"] = self.since_days
        return table


class CaldavProvider(Provider[CaldavRequest]):
    kinds = ("caldav",)

    def add(self, paths: Paths, request: CaldavRequest) -> list[Added]:
        """Find the calendars (a refused password is one clear line), then save the account."""
        from kithkeep.connectors.caldav import CaldavConfig, discover

        r = request

        def log_in() -> None:
            discover(CaldavConfig(r.url, r.user, r.password))

        return [add_with_password(paths, "caldav", r, log_in, r.table())]

    def source(self, account: Account, context: SyncContext) -> Source:
        from kithkeep.connectors.caldav import CaldavConfig, CaldavSource

        if not account.url or not account.user:
            raise ConfigError(f"account {account.name}: a caldav account needs url and user")
        state = context.state_path(account)
        source = CaldavSource(
            CaldavConfig(account.url, account.user, stored_password(context.paths, account)),
            context.index(account),
            state.with_suffix(".caldav.json"),
            context.now,
            context.local_tz,
        )
        return windowed(source, account, context)
