"""Lists for people and for pipes: a table on a terminal (paged when long), tab-separated
lines with full values in a pipe, or JSON; and dates as a person reads them.

`--format table|tsv|json` chooses; without it a terminal gets the table and anything
else the tab-separated lines, so `kithkeep people | grep ...` finds every full address.
Rich honours `NO_COLOR` and `COLUMNS`; the pager is `$PAGER` (pydoc's choice), never
when `--no-pager` is given or the answer fits the screen.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.safe import safe

if TYPE_CHECKING:
    from rich.console import Console

Format = Literal["table", "tsv", "json"]

FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="table | tsv | json (default: a table on a terminal, TSV lines in a pipe).",
    ),
]


def output_format(chosen: str | None, json_: bool = False) -> Format:
    """`--json` wins; else `--format`; else a table for a terminal and TSV for a pipe."""
    if json_:
        return "json"
    if chosen is None:
        return "table" if sys.stdout.isatty() else "tsv"
    if chosen in ("table", "tsv", "json"):
        return chosen  # type: ignore[return-value]
    raise ConfigError(f"--format {chosen!r}: expected table, tsv or json")


def human_date(when: int | str | None, now: int) -> str:
    """`2026-12-19 (in 12 d)`, `2026-11-01 (36 d ago)`, `2026-12-07 (today)`; '—' if unknown."""
    if when is None:
        return "—"
    t = int(datetime.fromisoformat(when).timestamp()) if isinstance(when, str) else when
    shown = f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d}"
    days = (t - now) // 86400 if t >= now else -((now - t) // 86400)
    if days == 0:
        return f"{shown} (today)"
    return f"{shown} (in {days} d)" if days > 0 else f"{shown} ({-days} d ago)"


def every(days: int) -> str:
    return "every day" if days == 1 else f"every {days} days"


@dataclass
class Listing:
    """Rows of full values: `table` shows them to a person, `tsv` to a program."""

    columns: Sequence[str]
    title: str = ""
    rows: list[Sequence[str]] = field(default_factory=list)

    def add(self, *values: str) -> None:
        self.rows.append(values)


def tsv_cell(value: str) -> str:
    # A tab or a line break inside a value would split it: one space instead; other
    # control codes (a stranger's ESC[2J) are dropped.
    return safe(value.replace("\t", " ").replace("\r", " ").replace("\n", " "), markup=False)


def emit(listing: Listing, fmt: Format, *, empty: str = "No one.") -> None:
    """Print a listing as a table (paged if longer than the screen) or as TSV lines."""
    if fmt == "tsv":
        out = sys.stdout
        out.write("\t".join(listing.columns) + "\n")
        for row in listing.rows:
            out.write("\t".join(tsv_cell(v) for v in row) + "\n")
        return
    if not listing.rows:
        typer.echo(empty)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=listing.title or None)
    for col in listing.columns:
        table.add_column(col, overflow="fold")  # wrapped, never cut with '…'
    for row in listing.rows:
        # Strangers' text: never markup (Text), never a control code (safe).
        table.add_row(*(Text(safe(v, markup=False)) for v in row))
    print_paged(table, len(listing.rows) + 4)


def screen() -> Console:
    """The console answers are printed on; under NO_COLOR, no escape codes at all (Rich
    alone would still write bold and italics)."""
    from rich.console import Console

    return Console(highlight=False, color_system=None if os.environ.get("NO_COLOR") else "auto")


def print_paged(renderable: object, lines: int) -> None:
    """Print to stdout; through the pager when on a terminal, taller than it, and allowed."""
    from kithkeep.services.cli.common import state

    out = screen()
    height = shutil.get_terminal_size().lines
    if not state.no_pager and sys.stdout.isatty() and sys.stdin.isatty() and lines > height:
        with out.pager(styles=False):  # a pager shows escape codes unless told `-R`
            out.print(renderable)
        return
    out.print(renderable)
