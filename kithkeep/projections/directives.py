"""The user's word as the views keep it: address-book and referral events into rows.

Links (and merges accepted), merges refused, cadences set by hand and ignored patterns
go into `directives`; introductions
logged, dismissed, closed or reopened into `referral_marks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from kithkeep.domain.aggregates import Directives, Referrals


class Cursor(Protocol):
    """What writing a directive needs of a back end's cursor (SQLite's or PostgreSQL's)."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> object: ...


def apply_directive(c: Cursor, event: Directives.Event | Referrals.Event) -> None:
    """One address-book or referrals event written into the view, in `c`'s transaction."""
    # Their fields are made by `@event` from each command's arguments: unknown to mypy.
    e: Any = event
    name = type(e).__name__
    if name in ("Linked", "MergeAccepted"):
        a, b = sorted((e.a, e.b))
        c.execute("INSERT OR IGNORE INTO directives (kind, a, b) VALUES ('link', ?, ?)", (a, b))
        c.execute("DELETE FROM directives WHERE kind = 'unlink' AND a = ? AND b = ?", (a, b))
    elif name == "Unlinked":
        a, b = sorted((e.a, e.b))
        c.execute("DELETE FROM directives WHERE kind = 'link' AND a = ? AND b = ?", (a, b))
        # Kept: a contact card holding both does not join them again.
        c.execute("INSERT OR IGNORE INTO directives (kind, a, b) VALUES ('unlink', ?, ?)", (a, b))
    elif name == "CadenceSet":
        c.execute("DELETE FROM directives WHERE kind = 'cadence' AND a = ?", (e.address,))
        if e.days is not None:
            c.execute(
                "INSERT INTO directives (kind, a, value) VALUES ('cadence', ?, ?)",
                (e.address, e.days),
            )
    elif name == "MergeRejected":
        a, b = sorted((e.a, e.b))
        c.execute("INSERT OR IGNORE INTO directives (kind, a, b) VALUES ('no-merge', ?, ?)", (a, b))
    elif name == "Ignored":
        c.execute("INSERT OR IGNORE INTO directives (kind, a) VALUES ('ignore', ?)", (e.pattern,))
    elif name == "Unignored":
        c.execute("DELETE FROM directives WHERE kind = 'ignore' AND a = ?", (e.pattern,))
    elif name == "Logged":
        c.execute(
            "INSERT INTO referral_marks VALUES (?, 'logged', ?, ?, ?, ?)",
            (e.referral_id, int(e.made_at.timestamp()), e.a, e.b, e.note),
        )
    elif name in ("Dismissed", "Closed", "Reopened"):
        c.execute(
            "INSERT INTO referral_marks (id, kind, at) VALUES (?, ?, ?)",
            (e.referral_id, name.lower(), int(e.timestamp.timestamp())),
        )
