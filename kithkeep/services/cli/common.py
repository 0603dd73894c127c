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
    "owed",
    "reconnect",
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
    "directives",
    "upcoming",
    "company",
    "forget",
    "export",
    "backup",
    "encrypt",
    "account",
    "config",
    "me",
    "merges",
    "referrals",
    "store",
)


#: `-h` as well as `--help`, on every command (click hands it down to subcommands).
CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="kithkeep",
    help="Keeps your professional network warm: who you last were in touch with, who is due.",
    invoke_without_command=True,
    context_settings=CONTEXT,
    rich_markup_mode=None,  # help shows `[outlook] client_id` as written, not as markup
    pretty_exceptions_enable=False,
)

#: What `kithkeep` alone shows: the four commands a new user needs first.
FIRST_STEPS = """\
kithkeep keeps your professional network warm. Start here:

  kithkeep demo                        a sample network, no account needed
  kithkeep init --me you@example.com   write a config naming your own addresses
  kithkeep import ~/Mail/archive       a Maildir, mbox, .eml folder, .ics or Takeout .zip
  kithkeep due                         who to get in touch with now

`kithkeep --help` lists every command; `kithkeep COMMAND -h` explains one.
"""

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (ISO-8601 dates).")]
StdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (scripts)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Answer as it stood on this date, e.g. 2024-03-01 (end of day UTC)."
    ),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many, e.g. 20.")]

#: Options that belong to the whole command line, wherever they are written on it.
GLOBAL_FLAGS = ("--debug", "--no-pager")
GLOBAL_VALUED = ("--home",)


@dataclass
class GlobalOptions:
    """`--home`, `--debug`, `--no-pager`: given anywhere on the line."""

    home: Path | None = None
    debug: bool = False
    no_pager: bool = False
    #: Said on stderr once the command has succeeded (a failing one says only its error).
    notice: str = ""


state = GlobalOptions()


def hoist_global_options(args: list[str]) -> list[str]:
    """The arguments with the global options moved before the command, where click wants them."""
    front, rest = split_global_options(args)
    return front + rest


def split_global_options(args: list[str]) -> tuple[list[str], list[str]]:
    """The global options (with their values), and the other arguments, in order."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        if a in GLOBAL_FLAGS or any(a.startswith(v + "=") for v in GLOBAL_VALUED):
            front.append(a)
        elif a in GLOBAL_VALUED and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        else:
            rest.append(a)
        i += 1
    return front, rest


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"kithkeep {version('kithkeep')}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Config and data folder, e.g. ~/kithkeep (default: $KITHKEEP_HOME, "
            "else the user data dir).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Never page long lists (default: $PAGER).")
    ] = False,
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state.home = home
    state.debug = debug
    state.no_pager = no_pager
    _private_home()
    if ctx.invoked_subcommand is None:
        typer.echo(FIRST_STEPS, nl=False)


def _private_home() -> None:
    """What an older run left readable is tightened (`main` set the umask first); said
    once the command succeeds: a failing one says only its error, in one line."""
    from kithkeep.services.config.privacy import tighten

    home = home_dir(state.home)
    changed = tighten(home)
    if changed:
        state.notice = (
            f"note: made {len(changed)} path(s) under {home} private (folders 0700, files 0600)"
        )


def err(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def note(message: str) -> None:
    """A line on stderr that is not an error (waiting for another writer)."""
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


def current_paths() -> Paths:
    return Paths(home_dir(state.home))


def current_settings() -> Settings:
    """The full, validated settings (pydantic: only for commands that need more than queries)."""
    from kithkeep.services.config.settings import load

    return load(current_paths().home)


def moment_of(value: str | None, option: str = "--as-of") -> int | None:
    """A date (end of that day, UTC) or time with an offset, as a Unix time; errors name
    the option it came from."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return int((datetime.combine(day.date(), time.max, UTC)).timestamp())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r}: expected a date, YYYY-MM-DD") from None
    if moment.tzinfo is None:
        raise ConfigError(f"{option} {value!r}: a time needs an offset (e.g. +00:00)")
    return int(moment.timestamp())


def query_conn() -> tuple[ReadConnection, Policy]:
    """A read connection to up-to-date views, and the rules' settings; on a home with
    nothing imported yet, empty views (the answer is empty, the hint goes to stderr)."""
    from kithkeep.services.usecases.views import open_views_or_empty

    conn, policy, hint = open_views_or_empty(current_paths(), heavy=current_settings)
    if hint:
        sys.stderr.write(f"note: {hint}\n")
    return conn, policy


def print_json(data: object) -> None:
    # Compact, like every answer (the C encoder is ten times faster; jq reads either).
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_secret(*, from_stdin: bool, prompt: str) -> str:
    """One line from stdin (`--password-stdin`: scripts), else a hidden prompt."""
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
