"""`due --json` in one SQLite statement: who is due, their JSON, what is at stake and why.

The figures come from `stats`; strength, tier, what is at stake and the `why` line are
the domain's rules as SQL (`domain/strength_sql.py`), written as `standing.due_fields`
writes them in Python for the answers SQLite cannot give alone (linked addresses,
contacts come due since the projector ran), and ordered as `queries.due` orders them.
"""

from __future__ import annotations

from collections.abc import Mapping

from kithkeep.domain.strength_sql import (
    Figures,
    at_stake_sql,
    strength_sql,
    tier_sql,
)

#: The running figures' columns, as the statement names them.
_F = Figures("f", "l", "n_", "wo", "wi", "wm", "lr", "r")

#: The members a `due` row adds to a person's JSON object (as `standing.due_fields`).
DUE_MEMBERS = (
    ", 'strength', CAST(round(st) AS INTEGER), 'tier', t, 'state', 'due', "
    "'at_stake', round(stake, 1), 'why', t || ', strength ' || CAST(round(st) AS INTEGER) "
    "|| ' (' || CAST(round(worth) AS INTEGER) || ' when last in touch): silent ' || "
    "((:now - l) / 86400) || 'd, rhythm ' || days || 'd (' || source || ')'"
)


def due_json(columns: Mapping[str, str], json_object: str, source_from: str) -> str:
    """The statement: one row per person due, their whole JSON object as text, what is
    at stake first. `columns` are what `json_object` is written from, by name; `:now`
    and `:default` are bound as for `queries`."""
    named = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    return f"""
        WITH figures AS MATERIALIZED (
            SELECT {named}, s.first AS f, s.last AS l, s.n AS n_, s.w_out AS wo,
                s.w_in AS wi, s.w_meet AS wm, s.learned AS lr, s.replies AS r
            {source_from}
        ), standing AS MATERIALIZED (
            SELECT *, {strength_sql(_F, ":now")} AS st, {strength_sql(_F, "l")} AS worth
            FROM figures
        ), ranked AS MATERIALIZED (
            SELECT *, {tier_sql(_F, "st")} AS t,
                {at_stake_sql("worth", _F, ":now", "days")} AS stake
            FROM standing
        )
        SELECT {json_object} FROM ranked ORDER BY stake DESC, address"""
