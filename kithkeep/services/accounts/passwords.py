"""Accounts that sign in with a user name and a password (IMAP, CalDAV).

The password (or app password) is asked for once, checked by logging in, and kept with
`config.secrets` (the OS keyring, else a file only the user can read) under the
account's name: never in the config, a cursor, an event or an error message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import normalize_address
from kithkeep.services.accounts.base import Added, secret_name
from kithkeep.services.config.editing import TomlValue, add_account
from kithkeep.services.config.secrets import get_secret, set_secret
from kithkeep.services.config.settings import Account, Paths, load


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordRequest:
    """What adding any user-and-password account takes; each kind adds where its server is."""

    user: str
    password: str
    name: str | None = None
    #: The account's own address (default: the login, if it is one) and aliases.
    address: str | None = None
    aliases: tuple[str, ...] = ()
    interval_minutes: float = 15


def stored_password(paths: Paths, account: Account) -> str:
    """The account's kept password; a missing one says how to add the account again."""
    found = get_secret(paths, secret_name(account.name, "password"))
    if not found:
        raise ConfigError(
            f"account {account.name}: no password kept; add the account again "
            f"(`kithkeep account add {account.type} ... --name {account.name}`)"
        )
    return found


def own_addresses(user: str, address: str | None, aliases: list[str]) -> tuple[str, list[str]]:
    """The account's own address (given, else the login if it is one) and its aliases."""
    own = address or (user if "@" in user else "")
    return (
        normalize_address(own) if own else "",
        [normalize_address(a) for a in aliases if a.strip()],
    )


def check_new(paths: Paths, name: str) -> None:
    """Refuse a taken name (or a missing config) before asking any server anything."""
    if not paths.config.exists():
        raise ConfigError(
            f"no config at {paths.config}: run `kithkeep init --me YOU@EXAMPLE.COM` first"
        )
    settings = load(paths.home)
    if any(a.name == name for a in settings.accounts):
        raise ConfigError(f"an account named {name!r} exists already")


def add_with_password(
    paths: Paths,
    kind: str,
    request: PasswordRequest,
    log_in: Callable[[], None],
    table: Mapping[str, TomlValue],
) -> Added:
    """Refuse a taken name, log in once (a refused password is one clear line), keep the
    password, then write the account: `table` and the account's own addresses."""
    name = request.name or request.user
    check_new(paths, name)
    own, others = own_addresses(request.user, request.address, list(request.aliases))
    log_in()
    where = set_secret(paths, secret_name(name, "password"), request.password)
    account = add_account(
        paths,
        {"name": name, "type": kind, **table, "address": own, "addresses": others},
    )
    return Added(account, where)
