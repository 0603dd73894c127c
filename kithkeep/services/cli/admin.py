"""Setting up and looking after a home: `init`, `import`, `demo`, `daemon`,
`smtp-password`, `rebuild`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import (
    JsonOpt,
    StdinOpt,
    app,
    current_paths,
    current_settings,
    err,
    keep_secret,
    note,
    print_json,
    state,
)
from kithkeep.services.cli.output import FormatOpt, Listing, emit, output_format
from kithkeep.services.cli.render import progress_bar, render_report

if TYPE_CHECKING:
    from kithkeep.services.config.settings import Settings


@app.command()
def init(
    me: Annotated[
        list[str], typer.Option("--me", help="One of your own addresses; repeat for more.")
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Start an existing config again (its accounts and a backup kept)."
        ),
    ] = False,
    encrypt: Annotated[
        bool,
        typer.Option(
            "--encrypt",
            help="Encrypt the events and views (key in the OS keyring, else a passphrase "
            "asked here or read from KITHKEEP_PASSPHRASE_FILE).",
        ),
    ] = False,
) -> None:
    """Write a config file naming your own addresses.

    An existing config is never overwritten: `--force` starts it again, keeping its
    [[accounts]] and the old file as a timestamped backup.
    """
    from kithkeep.services.config.editing import init_config
    from kithkeep.services.config.settings import load

    paths = current_paths()
    if encrypt:
        from kithkeep.services.usecases.encrypt import start_encrypted

        where = start_encrypted(paths)
        typer.echo(f"Encrypted {paths.home}; its key comes from {where}.")
    backup = init_config(paths, me, force=force)
    _suggest_self(load(paths.home))  # a home with mail in it already
    typer.echo(f"Wrote {paths.config}" + (f" (the old one is kept as {backup})" if backup else ""))


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="Maildir, mbox, .eml folder, .ics, .vcf or Takeout .zip")
    ],
    include_folder: Annotated[
        list[str] | None,
        typer.Option(
            "--include-folder",
            metavar="NAME",
            help="Read this junk, spam or trash folder too (repeatable)",
        ),
    ] = None,
    follow_links: Annotated[
        bool,
        typer.Option("--follow-links", help="Also read what symbolic links out of PATH lead to."),
    ] = False,
) -> None:
    """Import a mailbox, calendar or address book export (auto-detected); safe to run again.

    Junk, spam and trash folders are left out (counted), as every account leaves them out.
    """
    from kithkeep.services.usecases.ingest import import_path

    settings = current_settings()
    report = import_path(
        settings,
        path,
        progress=progress_bar(),
        include_folders=frozenset(include_folder or ()),
        follow_links=follow_links,
        on_wait=note,
    )
    render_report(report, path)
    if report.read == 0 and report.skipped == 0:
        err(f"nothing could be read from {path}")
        raise typer.Exit(1)
    _suggest_self(settings)


def _suggest_self(settings: Settings) -> None:
    """Addresses that are probably yours, with their evidence, if there are any."""
    from kithkeep.services.usecases.me import suggest

    found = suggest(settings)
    if found:
        typer.echo("These addresses may be yours (add with `kithkeep me add ADDRESS`):")
        for s in found[:10]:
            typer.echo(f"  {s.addresses[0]}: {'; '.join(s.evidence)}")


@app.command()
def demo() -> None:
    """Build a sample network (no account needed) and show who is due; the sample is
    removed afterwards unless --home names where to keep it."""
    import shutil

    from kithkeep.services.cli.queries import due
    from kithkeep.services.usecases.demo import demo as build_demo

    keep = state.home is not None
    result = build_demo(state.home, progress=progress_bar())
    state.home, state.no_pager = result.home, True
    typer.echo(
        f"Sample network: {result.people} people, {result.messages} messages, "
        f"{result.meetings} meetings, imported into {result.home}"
    )
    try:
        due(as_of=None, json_=False, limit=None, format_="table")
    finally:
        if not keep:
            shutil.rmtree(result.home, ignore_errors=True)
    me = typed_command()
    if keep:
        typer.echo(
            "\nTry next:\n"
            f"  export KITHKEEP_HOME={result.home}\n"
            f"  {me} people --sort overdue\n"
            f"  {me} person {result.example}\n"
            f"  {me} due --json\n"
        )
    else:
        typer.echo(
            "\nThe sample is gone again. To keep one and look around:\n"
            f"  {me} demo --home ~/kithkeep-demo\n"
        )
    typer.echo(
        "Your own mail (a home of its own; see README, 'Your own mail in five minutes'):\n"
        f"  {me} init --me you@example.com\n"
        f"  {me} import ~/Mail/archive      # Maildir, mbox, .eml folder, .ics, Takeout .zip\n"
        f"  {me} due"
    )


def typed_command() -> str:
    """How the user can type this command in a new shell: `kithkeep` if that is on PATH
    and is this one, else the path that works from here (`.venv/bin/kithkeep`)."""
    import os
    import shutil
    import sys

    argv0 = Path(sys.argv[0])
    if argv0.name == "__main__.py":
        return f"{_shown(Path(sys.executable))} -m kithkeep"
    found = shutil.which(argv0.name)
    if found and argv0.exists() and os.path.samefile(found, argv0):
        return argv0.name
    return _shown(argv0)


def _shown(path: Path) -> str:
    """A path relative to the working folder when inside it, else absolute."""
    full = path.absolute()
    try:
        return str(full.relative_to(Path.cwd()))
    except ValueError:
        return str(full)


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
    configure_logging(settings.paths, foreground, also_stderr=once)
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

    caught = rebuild_views(current_settings(), on_wait=note)
    typer.echo(f"Rebuilt the views from {caught.events} events.")


config_app = typer.Typer(help="The effective settings, and where each came from.")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(json_: JsonOpt = False, format_: FormatOpt = None) -> None:
    """Every setting as kithkeep uses it, and its source: default, file or environment."""
    from kithkeep.services.config.effective import effective

    paths = current_paths()
    found = effective(paths.home)
    fmt = output_format(format_, json_)
    if fmt == "json":
        print_json({e.name: e.as_json() for e in found})
        return
    listing = Listing(("setting", "value", "source"), title=f"Settings ({paths.config})")
    for e in found:
        listing.add(e.name, json.dumps(e.value, ensure_ascii=False), e.source)
    emit(listing, fmt)
