"""CalDAV accounts: `account add caldav` (calendars found and the password checked) and
their source."""

from __future__ import annotations

from dataclasses import dataclass

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError
from kithkeep.services.accounts.base import Added, Provider, Wiring, secret_name
from kithkeep.services.accounts.passwords import check_new, own_addresses, stored_password
from kithkeep.services.config.editing import add_account
from kithkeep.services.config.secrets import set_secret
from kithkeep.services.config.settings import Account, Paths


@dataclass(frozen=True, slots=True)
class CaldavRequest:
    """`account add caldav`: the server and the login."""

    url: str
    user: str
    password: str
    name: str | None = None
    address: str | None = None
    aliases: tuple[str, ...] = ()
    interval_minutes: float = 15


class CaldavProvider(Provider[CaldavRequest]):
    kinds = ("caldav",)

    def add(self, paths: Paths, request: CaldavRequest) -> list[Added]:
        """Find the calendars (a refused password is one clear line), then save the account."""
        from kithkeep.connectors.caldav import CaldavConfig, discover

        r = request
        name = r.name or r.user
        check_new(paths, name)
        own, others = own_addresses(r.user, r.address, list(r.aliases))
        discover(CaldavConfig(r.url, r.user, r.password))
        where = set_secret(paths, secret_name(name, "password"), r.password)
        account = add_account(
            paths,
            {
                "name": name,
                "type": "caldav",
                "url": r.url,
                "user": r.user,
                "address": own,
                "addresses": others,
                "interval_minutes": r.interval_minutes,
            },
        )
        return [Added(account, where)]

    def source(self, account: Account, wiring: Wiring) -> Source:
        from kithkeep.connectors.caldav import CaldavConfig, CaldavSource
        from kithkeep.connectors.remote_index import RemoteIndex

        if not account.url or not account.user:
            raise ConfigError(f"account {account.name}: a caldav account needs url and user")
        state = wiring.state_path(account)
        return CaldavSource(
            CaldavConfig(account.url, account.user, stored_password(wiring.paths, account)),
            RemoteIndex(state),
            state.with_suffix(".caldav.json"),
            wiring.now,
            wiring.local_tz,
        )
