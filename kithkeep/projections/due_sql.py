"""`due --json` in one SQLite statement: who is due, their JSON, what is at stake and why.

The figures come from `stats`, with what the projection keeps of them there (`worth`:
the strength when last in touch; `half_life`; `head`: the start of the person's JSON),
so the statement only works out what the moment changes: the strength now (the worth
halved once per half-life of silence), the tier, what is at stake, the `why` line. It
writes what `standing.due_fields` writes in Python for the answers SQLite cannot give
alone (linked addresses, contacts come due since the projector ran), ordered as
`queries.due` orders them. Where the projection has not yet kept a row's figures (a
page taken since the last `settle`), the domain's rules as SQL (`strength_sql`) work
them out in the statement instead: the answer is the same either way.
"""

from __future__ import annotations

from kithkeep.domain.strength_sql import (
    Figures,
    at_stake_sql,
    half_life_sql,
    recency_sql,
    strength_sql,
    tier_sql,
)
from kithkeep.projections.schema import head_sql

#: The running figures of the person in `stats s`.
_S = Figures("s.first", "s.last", "s.n", "s.w_out", "s.w_in", "s.w_meet", "s.learned", "s.replies")
#: Kept by the projection (`PeopleView._standing`), else worked out here.
_WORTH = f"coalesce(s.worth, {strength_sql(_S, 's.last')})"
_HALF_LIFE = f"coalesce(s.half_life, {half_life_sql(_S)})"
_HEAD = f"coalesce(s.head, {head_sql('s.')})"
#: The figures as the inner statement names them.
_F = Figures("f", "l", "n_", "wo", "wi", "wm", "lr", "r")

#: A due person's JSON object (as `Answer.json` with `standing.due_fields`), from its
#: head on; the real number as SQLite's `json_object` writes one.
_OBJECT = (
    '%s,"cadence_days":%d,"cadence_source":"%s","due_at":%s,"overdue_days":%d,'
    '"organization":null,"title":null,"birthday":null,"anniversary":null,'
    '"card_source":null,"automated_reason":%s,"strength":%d,"tier":"%s","state":"due",'
    '"at_stake":%!0.15g,"why":"%s, strength %d (%d when last in touch): '
    'silent %dd, rhythm %dd (%s)"}'
)


def due_json(days: str, source: str, due_iso: str, overdue: str, source_from: str) -> str:
    """The statement: one row per person due, their whole JSON object as text, what is
    at stake first. The arguments are `queries._clauses`' (SQL over `stats s`); `:now`
    and `:default` are bound as for `queries`."""
    recency = recency_sql(_F, ":now", "hl")
    st = f"(CASE WHEN l IS NULL OR n_ = 0 THEN 0.0 ELSE worth * {recency} END)"
    tier = tier_sql(_F, "st")
    stake = at_stake_sql("worth", _F, ":now", "days")
    return f"""
        SELECT printf('{_OBJECT}', head, days, src, due_iso, overdue,
            json_quote(nullif(automated, '')), CAST(round(st) AS INTEGER), {tier},
            round({stake}, 1), {tier}, CAST(round(st) AS INTEGER),
            CAST(round(worth) AS INTEGER), (:now - l) / 86400, days, src)
        FROM (
            SELECT *, {st} AS st FROM (
                SELECT s.address AS address, {_HEAD} AS head, {days} AS days,
                    {source} AS src, json_quote({due_iso}) AS due_iso, {overdue} AS overdue,
                    coalesce(s.automated_reason, '') AS automated, {_WORTH} AS worth,
                    {_HALF_LIFE} AS hl, s.first AS f, s.last AS l, s.n AS n_,
                    s.w_out AS wo, s.w_in AS wi, s.w_meet AS wm, s.learned AS lr,
                    s.replies AS r
                {source_from}
            )
        )
        ORDER BY {stake} DESC, address"""
