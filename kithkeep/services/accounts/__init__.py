"""Accounts: one module per provider kind, behind one typed `Provider` protocol.

May import `services.config`, the connectors and the domain; never the store, the
runtime, the use cases, the daemon or the CLI.
"""

from kithkeep.services.accounts.base import Wiring, build_source

__all__ = ["Wiring", "build_source"]
