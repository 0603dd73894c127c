"""Setting up and looking after a home: `init`, `import`, `demo`, `daemon`,
`smtp-password`, `rebuild`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import (
    StdinOpt,
    app,
    current_paths,
    current_settings,
    err,
    keep_secret,
    state,
)
from kithkeep.services.cli.render import progress_bar, render_report


@app.command()
def init(
    me: Annotated[
        list[str], typer.Option("--me", help="One of your own addresses; repeat for more.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing config.")] = False,
) -> None:
    """Write a config file naming your own addresses."""
    from kithkeep.services.config.settings import load, write_config

    paths = current_paths()
    path = write_config(paths, me, force=force)
    load(paths.home)  # the addresses given must be valid
    typer.echo(f"Wrote {path}")


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="Maildir, mbox, .eml folder, .ics, .vcf or Takeout .zip")
    ],
) -> None:
    """Import a mailbox, calendar or address book export (auto-detected); safe to run again."""
    from kithkeep.services.usecases.ingest import import_path

    settings = current_settings()
    report = import_path(settings, path, progress=progress_bar())
    render_report(report, path)
    if report.read == 0 and report.skipped == 0:
        err(f"nothing could be read from {path}")
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """Build a sample network (no account needed) and show who is due."""
    from kithkeep.services.cli.queries import due
    from kithkeep.services.usecases.demo import demo as build_demo

    home = state.home
    result = build_demo(home, progress=progress_bar())
    state.home = result.home
    typer.echo(
        f"Sample network: {result.people} people, {result.messages} messages, "
        f"{result.meetings} meetings, imported into {result.home}"
    )
    due(as_of=None, json_=False)
    typer.echo(
        "\nTry next:\n"
        f"  export KITHKEEP_HOME={result.home}\n"
        "  kithkeep people --sort overdue\n"
        f"  kithkeep person {result.example}\n"
        "  kithkeep due --json\n"
    )


@app.command()
def daemon(
    once: Annotated[
        bool, typer.Option("--once", help="Sync every account once, then exit.")
    ] = False,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Log to stderr instead of logs/kithkeep.log.")
    ] = False,
    accounts: Annotated[
        str | None,
        typer.Option("--accounts", help="Only these accounts (comma-separated names)."),
    ] = None,
) -> None:
    """Keep syncing every account on its schedule; write a digest once a day."""
    from kithkeep.services.daemon.logs import configure_logging
    from kithkeep.services.daemon.scheduler import Daemon, only_accounts

    settings = current_settings()
    if accounts is not None:
        settings = only_accounts(settings, accounts.split(","))
    if not settings.accounts:
        raise ConfigError(
            f"no [[accounts]] in {settings.paths.config}: add one "
            '(e.g. name = "inbox", type = "folder", path = "~/Mail/drop")'
        )
    configure_logging(settings.paths, foreground or once)
    Daemon(settings).run(once=once)


@app.command("smtp-password")
def smtp_password(
    stdin: StdinOpt = False,
) -> None:
    """Keep the password the daemon uses to mail the digest ([digest] smtp_user)."""
    from kithkeep.services.usecases.digest import SMTP_SECRET

    current_settings()  # a config that loads: the password is of no use without one
    keep_secret(SMTP_SECRET, from_stdin=stdin, prompt="SMTP password", kept="the SMTP password")


@app.command()
def rebuild() -> None:
    """Replay every event into fresh views."""
    from kithkeep.services.usecases.views import rebuild as rebuild_views

    caught = rebuild_views(current_settings())
    typer.echo(f"Rebuilt the views from {caught.events} events.")
