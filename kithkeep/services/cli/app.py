"""The whole command line: the Typer app with every command group registered.

Each group lives in its own module (`queries`, `relationships`, `directives`, `referrals`,
`accounts`, `admin`, `store`, `me`, `merges`, `privacy`); a command parses its options,
calls one use case and renders the answer. `kithkeep` itself starts in `entry`, which
imports only the group a command line names (this module when it names none).
"""

from __future__ import annotations

from kithkeep.services.cli import (
    accounts,
    admin,
    directives,
    me,
    merges,
    privacy,
    queries,
    referrals,
    relationships,
    store,
)
from kithkeep.services.cli.common import app
from kithkeep.services.cli.entry import finish, main

#: The command groups, registered on `app` as their modules are imported.
GROUPS = (
    admin,
    queries,
    relationships,
    directives,
    referrals,
    accounts,
    store,
    me,
    merges,
    privacy,
)

finish(app)

__all__ = ["GROUPS", "app", "main"]
