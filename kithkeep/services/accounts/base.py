"""The seam every provider kind goes through: add an account, build its source, remove it.

Each provider module (`folder`, `google`, `outlook`, `imap`, `caldav`) subclasses
`Provider` for the kinds it serves, and so registers itself: `provider_for(kind)` finds
it by the account's type. A provider's client library is imported only inside its
methods, so loading this package costs a query command nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import ClassVar, Generic, Never, TypeVar

from kithkeep.connectors.base import Page, Source
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.editing import remove_account
from kithkeep.services.config.secrets import delete_secret
from kithkeep.services.config.settings import Account, Paths, Settings


@dataclass(frozen=True, slots=True)
class SyncContext:
    """What a sync gives the source it builds besides the account: the settings, the
    moment the sync runs at, the local time zone, where the account keeps its state."""

    settings: Settings
    now: datetime
    local_tz: tzinfo

    @property
    def paths(self) -> Paths:
        return self.settings.paths

    def state_path(self, account: Account) -> Path:
        """The account's own connector state (remote ids → interactions)."""
        return self.paths.home / "connectors" / f"{account.name}.sqlite"

    def index(self, account: Account) -> RemoteIndex:
        """The account's index of remote items, with the other accounts' as its peers: a
        copy another account still holds keeps an interaction."""
        others = [self.state_path(a) for a in self.settings.accounts if a.name != account.name]
        return RemoteIndex(self.state_path(account), peers=others)


@dataclass(frozen=True, slots=True)
class Added:
    """An account written into the config, and where its secret went (if it has one)."""

    account: Account
    #: "keyring", the secrets file's path, or "" when the account keeps no secret.
    where: str = ""


def secret_name(account: str, what: str) -> str:
    """The keyring entry of one account's secret (token, password, client secret)."""
    return f"account:{account}:{what}"


#: The secrets an account may hold; `account remove` forgets them all.
SECRET_KINDS = ("token", "password", "client", "cache")

#: What a provider is asked to add: each kind has its own request type.
Request_contra = TypeVar("Request_contra", contravariant=True)

_REGISTRY: dict[str, type[Provider[Never]]] = {}


class Provider(ABC, Generic[Request_contra]):
    """One provider kind: how its accounts are added, read and removed.

    A subclass names the account types it serves in `kinds`; defining it registers it.
    """

    #: The `type` values of `[[accounts]]` tables this provider serves.
    kinds: ClassVar[tuple[str, ...]] = ()
    #: Reading its source is local work worth a second core (network sources wait instead).
    parallel: ClassVar[bool] = False

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        for kind in cls.kinds:
            _REGISTRY[kind] = cls

    @abstractmethod
    def add(self, paths: Paths, request: Request_contra) -> list[Added]:
        """Sign in or check what the request names, then write the account(s) to the config."""

    @abstractmethod
    def source(self, account: Account, context: SyncContext) -> Source:
        """The account's source, ready for `sync`."""

    def remove(self, paths: Paths, account: Account) -> None:
        """Take the account out of the config and forget its secrets; its events stay."""
        remove_account(paths, account.name)
        for kind in SECRET_KINDS:
            delete_secret(paths, secret_name(account.name, kind))


def registered(kind: str) -> Provider[Never]:
    """The provider serving this account type (its module must have been imported)."""
    found = _REGISTRY.get(kind)
    if found is None:
        raise ConfigError(f"account type {kind!r} is not supported by this version")
    return found()


@dataclass(frozen=True, slots=True)
class Windowed:
    """A source read only from `since` on: an account's `--since-days` for sources that
    have no window of their own (a folder, a CalDAV calendar). What is older is left out
    (counted as skipped), under the same key, so positions and copies are unchanged."""

    inner: Source
    since: datetime

    @property
    def key(self) -> str:
        return self.inner.key

    def pages(self, cursor: str | None) -> Iterator[Page]:
        for page in self.inner.pages(cursor):
            kept = [o for o in page.observations if o.occurred_at >= self.since]
            left = len(page.observations) - len(kept)
            yield replace(page, observations=kept, skipped=page.skipped + left) if left else page


def windowed(source: Source, account: Account, context: SyncContext) -> Source:
    """The source as the account asks: within its `since_days` when the config names them."""
    if not account.window_given:
        return source
    return Windowed(source, context.now - timedelta(days=account.since_days))
