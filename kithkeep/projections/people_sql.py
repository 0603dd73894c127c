"""The statements that write the people view: a page's rows, its totals and names.

Written for SQLite in SQL that PostgreSQL runs too; `pgview.py` takes the upserts'
`ON CONFLICT` clauses and the recount's shape from here and inserts rows its own way.
"""

from __future__ import annotations

from kithkeep.domain.rules import LEARN_MIN_CONTACTS
from kithkeep.domain.strength import WEIGHTS
from kithkeep.projections.schema import head_sql

# Portable SQL (SQLite and PostgreSQL): the old value qualified, no two-argument min/max.
_PICK = (
    "CASE WHEN excluded.{c} IS NULL THEN stats.{c} WHEN stats.{c} IS NULL THEN excluded.{c} "
    "WHEN excluded.{c} {op} stats.{c} THEN excluded.{c} ELSE stats.{c} END"
)
STATS_COLUMNS = (
    "address",
    "first",
    "last",
    "last_out",
    "last_in",
    "last_meeting",
    "n",
    "w_out",
    "w_in",
    "w_meet",
    "replies",
    "dirty",
)
UPSERT_STATS_SET = (
    "ON CONFLICT (address) DO UPDATE SET "
    f"first = {_PICK.format(c='first', op='<')}, "
    f"last = {_PICK.format(c='last', op='>')}, "
    f"last_out = {_PICK.format(c='last_out', op='>')}, "
    f"last_in = {_PICK.format(c='last_in', op='>')}, "
    f"last_meeting = {_PICK.format(c='last_meeting', op='>')}, "
    "n = stats.n + excluded.n, w_out = stats.w_out + excluded.w_out, "
    "w_in = stats.w_in + excluded.w_in, w_meet = stats.w_meet + excluded.w_meet, "
    "replies = stats.replies + excluded.replies, dirty = 1"
)
UPSERT_NAMES_SET = "ON CONFLICT (address, name) DO UPDATE SET n = names.n + excluded.n"
UPSERT_EVIDENCE_SET = (
    "ON CONFLICT (address, evidence) DO UPDATE SET n = self_evidence.n + excluded.n"
)
_UPSERT_STATS = (
    f"INSERT INTO stats ({', '.join(STATS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
    + UPSERT_STATS_SET
)

#: Each address's totals counted again from its rows (`{where}` narrows the addresses).
#: Too few contacts to learn a cadence from (distinct days <= contacts): nothing to settle.
_WEIGHT = WEIGHTS.weight_sql("i.audience", "p.how")
_TOTALS = (
    "SELECT p.address AS address, min(p.at) AS first, max(p.at) AS last, "
    "max(CASE WHEN p.how = 'out' THEN p.at END) AS last_out, "
    "max(CASE WHEN p.how = 'in' THEN p.at END) AS last_in, "
    "max(CASE WHEN p.how = 'meet' THEN p.at END) AS last_meeting, count(*) AS n, "
    + "".join(
        f"sum(CASE WHEN p.how = '{how}' THEN {_WEIGHT} ELSE 0 END) AS w_{col}, "
        for how, col in (("out", "out"), ("in", "in"), ("meet", "meet"))
    )
    + f"sum({WEIGHTS.reply_sql('i.replied', 'p.address', 'p.how')}) AS replies, "
    + f"CASE WHEN count(*) >= {LEARN_MIN_CONTACTS} THEN 1 ELSE 0 END AS dirty "
    "FROM participants p JOIN interactions i ON i.iid = p.iid "
    "WHERE p.contact = 1 AND p.at <= ? {where} GROUP BY p.address"
)
RECOUNT_STATS = f"INSERT INTO stats ({', '.join(STATS_COLUMNS)}) " + _TOTALS
#: Every address's totals, with its most frequent display name (names counted first).
RECOUNT_ALL = (
    f"INSERT INTO stats ({', '.join(STATS_COLUMNS)}, name) SELECT t.*, {{name}} FROM ("
    + _TOTALS.format(where="")
    + ") AS t {join}"
)
RECOUNT_ALL_STATS = RECOUNT_ALL.format(
    name="coalesce((SELECT name FROM names WHERE names.address = t.address "
    "ORDER BY names.n DESC, names.name LIMIT 1), '')",
    join="",
)
RECOUNT_NAMES = (
    "INSERT INTO names SELECT address, name, count(*) FROM participants "
    "WHERE name != '' {where} GROUP BY address, name"
)

#: Rows of one page, per table: how SQLite inserts them (PostgreSQL has its own way).
INSERTS = {
    "interactions": "INSERT OR REPLACE INTO interactions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "participants": "INSERT OR REPLACE INTO participants VALUES (?,?,?,?,?,?)",
    "future": "INSERT OR REPLACE INTO future VALUES (?,?,?,?)",
    "intros": "INSERT OR REPLACE INTO intros VALUES (?,?,?,?,?,?,?,?,?,?)",
    "team_contacts": "INSERT OR REPLACE INTO team_contacts VALUES (?,?,?,?,?,?)",
    "outbound_cc": "INSERT OR REPLACE INTO outbound_cc VALUES (?,?,?)",
    "names": "INSERT INTO names VALUES (?,?,?) " + UPSERT_NAMES_SET,
    "self_evidence": "INSERT INTO self_evidence VALUES (?,?,?) " + UPSERT_EVIDENCE_SET,
    "stats": _UPSERT_STATS,
    # Into an emptied table: totals counted whole, with the learned cadence and the name.
    "counted_stats": "INSERT INTO stats (address, first, last, last_out, last_in, "
    "last_meeting, n, w_out, w_in, w_meet, replies, learned, name) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "counted_names": "INSERT INTO names VALUES (?,?,?)",
    "learned": "UPDATE stats SET learned = ?, dirty = 0 WHERE address = ?",
    "automated": "UPDATE stats SET automated_reason = ? WHERE address = ?",
}

#: Self wrote to them: no automated-sender rule holds (`senders.automated_reason`).
CLEAR_AUTOMATED = (
    "UPDATE stats SET automated_reason = '' WHERE last_out IS NOT NULL "
    "AND (automated_reason IS NULL OR automated_reason != '')"
)
UNCLASSIFIED = "SELECT address FROM stats WHERE automated_reason IS NULL"

#: Bulk pages were written: `settle` counts every address's totals and names again.
MARK_STALE = (
    "INSERT INTO meta VALUES ('totals', 'stale') ON CONFLICT (key) DO UPDATE SET value = 'stale'"
)

#: Contacts come due (the future's rows up to now), with their weights.
MATURED = (
    "SELECT f.address, f.at, f.how, "
    + WEIGHTS.weight_sql("i.audience", "f.how")
    + ", "
    + WEIGHTS.reply_sql("i.replied", "f.address", "f.how")
    + " FROM future f JOIN interactions i ON i.iid = f.iid WHERE f.at <= ?"
)

#: Relationships whose figures changed since `settle` last worked out what they make of
#: them, with those figures (a `Bond`'s fields, in its order).
UNSETTLED = (
    "SELECT address, first, last, n, w_out, w_in, w_meet, learned, replies FROM stats "
    "WHERE worth IS NULL"
)
#: Their strength when last in touch, its half-life, and the start of their JSON.
SETTLE_STANDING = (
    f"UPDATE stats SET worth = ?, half_life = ?, head = {head_sql()} WHERE address = ?"
)
