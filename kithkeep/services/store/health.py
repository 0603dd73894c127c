"""Whether a SQLite file is a sound database, asked before anything writes into it.

A file that is not SQLite, is cut short, or has garbage in its pages is refused in one
line: writing on would only spread the damage. `PRAGMA quick_check` reads every page
once (a second or so per gigabyte, warm), without the slow index comparisons of
`integrity_check`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_MAGIC = b"SQLite format 3\x00"


def damage(path: Path) -> str:
    """What is wrong with the database at `path`, in a few words; '' if it is sound or
    not there (an empty file is a new database, and said so by the caller)."""
    try:
        with path.open("rb") as f:
            head = f.read(100)
        size = path.stat().st_size
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"unreadable ({e.strerror or type(e).__name__})"
    if not head:
        return ""
    if len(head) < 100 or not head.startswith(_MAGIC):
        return "not a SQLite database"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1) or size % page:
        return "cut short or not a SQLite database"
    try:
        c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = c.execute("PRAGMA quick_check").fetchmany(2)
        finally:
            c.close()
    except sqlite3.Error as e:
        return str(e)
    if rows != [("ok",)]:
        return f"damaged ({rows[0][0] if rows else 'no answer'})"
    return ""


def is_empty(path: Path) -> bool:
    """A database file that is there but holds nothing (0 bytes: a truncated one?)."""
    try:
        return path.stat().st_size == 0
    except OSError:
        return False
