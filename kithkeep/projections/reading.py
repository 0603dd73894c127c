"""The read side's one seam: a connection to the views, whichever back end holds them.

`sqlite3.Connection` satisfies it as it is; `pgview.PgReader` makes PostgreSQL speak
the same way (`?` placeholders, rows as tuples, JSON as text). The read side asks for
nothing more than this, so every query runs unchanged on both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol


class Rows(Protocol):
    """The answer to one statement, read once."""

    # Rows are tuples of SQL values (str, int, float, bytes or None), as each driver gives.
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class ReadConnection(Protocol):
    """A connection the read side queries with `?` (or `:name`) placeholders, then closes."""

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /) -> Rows: ...

    def close(self) -> None: ...


def like_literal(text: str) -> str:
    """`text` matched literally by `LIKE ? ESCAPE '!'` (its `%` and `_` are not wildcards)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
