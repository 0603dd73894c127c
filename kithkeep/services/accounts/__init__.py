"""Accounts: one module per provider kind, behind one typed `Provider` (add, source, remove).

Importing the package imports every provider module, which registers itself by
subclassing `Provider`; their client libraries load only when a source is built.
May import `services.config`, the connectors and the domain; never the store, the
runtime, the use cases, the daemon or the CLI.
"""

from __future__ import annotations

from typing import Never

from kithkeep.connectors.base import Source
from kithkeep.services.accounts import caldav, carddav, folder, google, imap, outlook
from kithkeep.services.accounts.base import Provider, SyncContext, registered
from kithkeep.services.config.settings import Account

#: The provider modules, each registered by its classes.
PROVIDERS = (folder, google, outlook, imap, caldav, carddav)


def provider_for(kind: str) -> Provider[Never]:
    """The provider serving accounts of this type."""
    return registered(kind)


def build_source(account: Account, context: SyncContext) -> Source:
    """The source an account is synced from."""
    return provider_for(account.type).source(account, context)


__all__ = ["PROVIDERS", "Provider", "SyncContext", "build_source", "provider_for"]
