"""The index of remote items: pages held until their cursor is saved, peers' copies."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.connectors.remote_index import RemoteIndex


@given(pages=st.integers(min_value=1, max_value=8), saved=st.integers(min_value=0, max_value=8))
def test_settle_keeps_the_pages_a_saved_cursor_counts_and_forgets_the_rest(
    pages: int, saved: int
) -> None:
    with tempfile.TemporaryDirectory() as d:
        index = RemoteIndex(Path(d) / "i.sqlite")
        try:
            for n in range(1, pages + 1):
                index.remember("s", [(f"r{n}", f"k{n}")], 3, page=n)
            index.settle("s", saved)
            kept = index.keys("s", [f"r{n}" for n in range(1, pages + 1)])
            assert kept == {f"r{n}": f"k{n}" for n in range(1, min(saved, pages) + 1)}
            held = index.conn.execute("SELECT count(*) FROM items WHERE held IS NOT NULL")
            assert held.fetchone()[0] == 0
        finally:
            index.close()


def test_a_key_a_peer_holds_is_no_orphan(tmp_path: Path) -> None:
    mine, other, junk = tmp_path / "mine.sqlite", tmp_path / "other.sqlite", tmp_path / "junk"
    junk.write_bytes(b"not a database")
    index = RemoteIndex(mine, peers=[other, junk, tmp_path / "never-synced.sqlite", mine])
    peer = RemoteIndex(other)
    try:
        index.remember("INBOX", [("1", "a"), ("2", "b"), ("3", "c")])
        peer.remember("Archive", [("9", "b")])
        assert index.orphaned_by("INBOX", ["1", "2"]) == ["a"]  # b: the other still has it
        peer.forget("Archive", ["9"])
        assert index.orphaned_by("INBOX", ["1", "2"]) == ["a", "b"]
        assert index.peers == (other, junk, tmp_path / "never-synced.sqlite")
    finally:
        index.close()
        peer.close()


def test_an_index_made_before_pages_were_held_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    c = sqlite3.connect(path)
    c.executescript(
        "CREATE TABLE items (scope TEXT NOT NULL, remote_id TEXT NOT NULL, "
        "natural_key TEXT NOT NULL, sweep INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (scope, remote_id)) WITHOUT ROWID;"
        "INSERT INTO items VALUES ('s', 'r', 'k', 2), ('s', 'p', 'q', -1);"
    )
    c.close()
    index = RemoteIndex(path)
    try:
        index.settle("s", 0)  # the old mark for "not known to be saved" (-1) goes too
        assert index.keys("s", ["r", "p"]) == {"r": "k"}
    finally:
        index.close()
