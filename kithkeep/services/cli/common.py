"""What every command shares: the app and its global options, the user's home and
settings, dates given on the command line, errors as one line, JSON on stdout.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.settings import Paths, home_dir

if TYPE_CHECKING:
    from kithkeep.domain.rules import Policy
    from kithkeep.projections.reading import ReadConnection
    from kithkeep.services.config.settings import Settings

#: The order `kithkeep --help` lists the commands in, whichever module defines them.
COMMAND_ORDER = (
    "init",
    "import",
    "people",
    "due",
    "person",
    "status",
    "daemon",
    "smtp-password",
    "rebuild",
    "cadence",
    "ignore",
    "link",
    "unlink",
    "demo",
    "sync",
    "refer",
    "digest",
    "project",
    "who-knows",
    "upcoming",
    "company",
    "account",
    "referrals",
    "store",
)


app = typer.Typer(
    name="kithkeep",
    help="Keeps your professional network warm: who you last were in touch with, who is due.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (ISO-8601 dates).")]
StdinOpt = Annotated[
    bool, typer.Option("--stdin", help="Read it from standard input instead of a prompt.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Answer as it stood on this date (YYYY-MM-DD, end of day UTC)."),
]


@dataclass
class GlobalOptions:
    """`--home` and `--debug`, as given before the command."""

    home: Path | None = None
    debug: bool = False


state = GlobalOptions()


@app.callback()
def _options(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Config and data folder (default: $KITHKEEP_HOME or the user data dir)."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    state.home = home
    state.debug = debug


def err(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def current_paths() -> Paths:
    return Paths(home_dir(state.home))


def current_settings() -> Settings:
    """The full, validated settings (pydantic: only for commands that need more than queries)."""
    from kithkeep.services.config.settings import load

    return load(current_paths().home)


def moment_of(value: str | None) -> int | None:
    """An `--as-of` date (end of that day, UTC) or time with an offset, as a Unix time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return int((datetime.combine(day.date(), time.max, UTC)).timestamp())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r}: expected YYYY-MM-DD") from None
    if moment.tzinfo is None:
        raise ConfigError(f"--as-of {value!r}: a time needs an offset (e.g. +00:00)")
    return int(moment.timestamp())


def query_conn() -> tuple[ReadConnection, Policy]:
    """A read connection to up-to-date views, and the rules' settings."""
    from kithkeep.services.usecases.views import open_views

    return open_views(current_paths(), heavy=current_settings)


def print_json(data: object) -> None:
    # No indent: the C encoder is ten times faster, and a pipe into jq reads either.
    sys.stdout.write(json.dumps(data) + "\n")


def read_secret(*, from_stdin: bool, prompt: str) -> str:
    """One line from stdin (`--stdin`, `--password-stdin`: scripts), else a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True))


def keep_secret(name: str, *, from_stdin: bool, prompt: str, kept: str) -> None:
    """Read a password and keep it (the keyring, else the 0600 secrets file); say where."""
    from kithkeep.services.config.secrets import set_secret

    secret = read_secret(from_stdin=from_stdin, prompt=prompt)
    if not secret:
        raise ConfigError("an empty password was not kept")
    where = set_secret(current_paths(), name, secret)
    typer.echo(f"Kept {kept} in {where}.")


def day(t: int | None) -> str:
    return "" if t is None else f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d}"
