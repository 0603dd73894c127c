"""IMAP and CalDAV accounts: `account add imap|caldav`, and their sources for `sync`.

The password (or app password) is asked for once, checked by logging in, and kept
with `secrets` (the OS keyring, else a file only the user can read) under the
account's name: never in the config, a cursor, an event or an error message.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError, InputError
from kithkeep.domain.rules import normalize_address
from kithkeep.services.accounts.base import Wiring, add_account, secret_name
from kithkeep.services.config.settings import Account, Paths, load

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}


@dataclass(frozen=True, slots=True)
class Added:
    account: Account
    where: str  # where the password went: "keyring" or the secrets file


def read_password(*, from_stdin: bool, prompt: str) -> str:
    """One line from stdin (`--password-stdin`), else a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import typer

        password = str(typer.prompt(prompt, hide_input=True))
    if not password:
        raise InputError("no password given")
    return password


def _password(paths: Paths, account: Account) -> str:
    from kithkeep.services.config.secrets import get_secret

    found = get_secret(paths, secret_name(account.name, "password"))
    if not found:
        raise ConfigError(
            f"account {account.name}: no password kept; add the account again "
            f"(`kithkeep account add {account.type} ... --name {account.name}`)"
        )
    return found


def _own(user: str, address: str | None, aliases: list[str]) -> tuple[str, list[str]]:
    own = address or (user if "@" in user else "")
    return (
        normalize_address(own) if own else "",
        [normalize_address(a) for a in aliases if a.strip()],
    )


# -- IMAP ---------------------------------------------------------------------------


def imap_config(account: Account, password: str) -> Any:
    from kithkeep.connectors.imap import ImapConfig

    return ImapConfig(
        host=account.host,
        port=account.port or DEFAULT_PORTS.get(account.security, 993),
        user=account.user,
        password=password,
        security=account.security,
        folders=account.folders,
        since_days=account.since_days,
    )


def imap_source(account: Account, wiring: Wiring) -> Source:
    from kithkeep.connectors.imap import ImapSource
    from kithkeep.connectors.remote_index import RemoteIndex

    if not account.host or not account.user:
        raise ConfigError(f"account {account.name}: an imap account needs host and user")
    state = wiring.state_path(account)
    return ImapSource(
        imap_config(account, _password(wiring.paths, account)),
        RemoteIndex(state),
        state.with_suffix(".imap.json"),
        wiring.now,
    )


def add_imap(
    paths: Paths,
    *,
    host: str,
    user: str,
    password: str,
    port: int | None = None,
    security: str = "tls",
    folders: list[str] | None = None,
    name: str | None = None,
    address: str | None = None,
    aliases: list[str] | None = None,
    since_days: int | None = None,
    interval_minutes: float = 15,
) -> Added:
    """Log in once (a refused password is one clear line), then save the account."""
    from kithkeep.connectors.imap import ImapConfig, close, connect
    from kithkeep.services.config.secrets import set_secret

    name = name or user
    _check_new(paths, name)
    own, others = _own(user, address, aliases or [])
    config = ImapConfig(
        host=host,
        port=port or DEFAULT_PORTS.get(security, 993),
        user=user,
        password=password,
        security=security,
        folders=tuple(folders or ()),
    )
    close(connect(config))
    where = set_secret(paths, secret_name(name, "password"), password)
    account = add_account(
        paths,
        {
            "name": name,
            "type": "imap",
            "host": host,
            "port": config.port,
            "user": user,
            "security": security,
            "folders": list(config.folders),
            "address": own,
            "addresses": others,
            "since_days": since_days,
            "interval_minutes": interval_minutes,
        },
    )
    return Added(account, where)


# -- CalDAV -------------------------------------------------------------------------


def caldav_source(account: Account, wiring: Wiring) -> Source:
    from kithkeep.connectors.caldav import CaldavConfig, CaldavSource
    from kithkeep.connectors.remote_index import RemoteIndex

    if not account.url or not account.user:
        raise ConfigError(f"account {account.name}: a caldav account needs url and user")
    state = wiring.state_path(account)
    return CaldavSource(
        CaldavConfig(account.url, account.user, _password(wiring.paths, account)),
        RemoteIndex(state),
        state.with_suffix(".caldav.json"),
        wiring.now,
        wiring.local_tz,
    )


def add_caldav(
    paths: Paths,
    *,
    url: str,
    user: str,
    password: str,
    name: str | None = None,
    address: str | None = None,
    aliases: list[str] | None = None,
    interval_minutes: float = 15,
) -> Added:
    from kithkeep.connectors.caldav import CaldavConfig, discover
    from kithkeep.services.config.secrets import set_secret

    name = name or user
    _check_new(paths, name)
    own, others = _own(user, address, aliases or [])
    discover(CaldavConfig(url, user, password))
    where = set_secret(paths, secret_name(name, "password"), password)
    account = add_account(
        paths,
        {
            "name": name,
            "type": "caldav",
            "url": url,
            "user": user,
            "address": own,
            "addresses": others,
            "interval_minutes": interval_minutes,
        },
    )
    return Added(account, where)


def _check_new(paths: Paths, name: str) -> None:
    """Refuse a taken name (or a missing config) before asking any server anything."""
    if not paths.config.exists():
        raise ConfigError(
            f"no config at {paths.config}: run `kithkeep init --me YOU@EXAMPLE.COM` first"
        )
    settings = load(paths.home)
    if any(a.name == name for a in settings.accounts):
        raise ConfigError(f"an account named {name!r} exists already")
