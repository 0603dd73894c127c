"""Accounts that sign in with a user name and a password (IMAP, CalDAV).

The password (or app password) is asked for once, checked by logging in, and kept with
`config.secrets` (the OS keyring, else a file only the user can read) under the
account's name: never in the config, a cursor, an event or an error message.
"""

from __future__ import annotations

from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import normalize_address
from kithkeep.services.accounts.base import secret_name
from kithkeep.services.config.secrets import get_secret
from kithkeep.services.config.settings import Account, Paths, load


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
