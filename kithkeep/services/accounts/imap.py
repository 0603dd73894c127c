"""IMAP accounts: `account add imap` (the password checked by logging in) and their source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from kithkeep.connectors.imap import ImapConfig

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapRequest(PasswordRequest):
    """`account add imap`: the server, the login and which folders to read."""

    host: str
    port: int | None = None
    security: str = "tls"
    folders: tuple[str, ...] = ()
    since_days: int | None = None


def imap_config(account: Account, password: str) -> ImapConfig:
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


class ImapProvider(Provider[ImapRequest]):
    kinds = ("imap",)

    def add(self, paths: Paths, request: ImapRequest) -> list[Added]:
        """Log in once (a refused password is one clear line), then save the account."""
        from kithkeep.connectors.imap import ImapConfig, close, connect

        r = request
        config = ImapConfig(
            host=r.host,
            port=r.port or DEFAULT_PORTS.get(r.security, 993),
            user=r.user,
            password=r.password,
            security=r.security,
            folders=r.folders,
        )
        table: dict[str, TomlValue] = {
            "host": r.host,
            "port": config.port,
            "user": r.user,
            "security": r.security,
            "folders": list(config.folders),
            "since_days": r.since_days,
            "interval_minutes": r.interval_minutes,
        }
        return [add_with_password(paths, "imap", r, lambda: close(connect(config)), table)]

    def source(self, account: Account, context: SyncContext) -> Source:
        from kithkeep.connectors.imap import ImapSource

        if not account.host or not account.user:
            raise ConfigError(f"account {account.name}: an imap account needs host and user")
        state = context.state_path(account)
        return ImapSource(
            imap_config(account, stored_password(context.paths, account)),
            context.index(account),
            state.with_suffix(".imap.json"),
            context.now,
        )
