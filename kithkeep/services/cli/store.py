"""A shared store and a team: `store migrate|copy|password`, `project`, `who-knows`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import (
    JsonOpt,
    StdinOpt,
    app,
    current_settings,
    keep_secret,
    print_json,
)

store_app = typer.Typer(help="The event store: PostgreSQL tables, copying a history over.")
app.add_typer(store_app, name="store")


@store_app.command("migrate")
def migrate() -> None:
    """Create the tables of the PostgreSQL store ([store] url) if missing; idempotent."""
    from kithkeep.services.usecases.views import migrate as run

    typer.echo(f"The event store and views are ready in {run(current_settings())}.")


@store_app.command("copy")
def copy(
    from_: Annotated[
        str,
        typer.Option(
            "--from", help="sqlite:///PATH/events.sqlite or the home folder, e.g. ~/kithkeep."
        ),
    ],
    to: Annotated[
        str | None,
        typer.Option("--to", help="postgresql://USER@HOST:PORT/DB (default: [store] url)"),
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option("--max-events", min=1, help="Stop after this many (resume later)."),
    ] = None,
) -> None:
    """Copy a SQLite history into PostgreSQL; run it again to resume where it stopped."""
    from kithkeep.services.store.copy import copy_history

    s = current_settings()
    target = to or s.store_url
    if not target:
        raise ConfigError("give --to postgresql://... or set [store] url")
    done = copy_history(from_, target, s.paths.home, max_events=max_events)
    state = "complete" if done.complete else "interrupted: run it again to resume"
    typer.echo(
        f"Copied {done.copied} events ({done.skipped} already there) of {done.total}; {state}."
    )


@store_app.command("password")
def password(
    stdin: StdinOpt = False,
) -> None:
    """Keep the PostgreSQL password in the keyring (used when the URL has none)."""
    from kithkeep.services.store.postgres import PASSWORD_SECRET

    current_settings()  # a config that loads: the password is of no use without one
    keep_secret(
        PASSWORD_SECRET,
        from_stdin=stdin,
        prompt="PostgreSQL password",
        kept="the database password",
    )


@app.command()
def project(
    log_file: Annotated[
        bool, typer.Option("--log-file", help="Log to logs/kithkeep.log instead of stderr.")
    ] = False,
) -> None:
    """Keep the views live on a PostgreSQL store (LISTEN/NOTIFY), until stopped."""
    from kithkeep.services.daemon.live import project_forever
    from kithkeep.services.daemon.logs import configure_logging

    s = current_settings()
    configure_logging(s.paths, not log_file)
    project_forever(s)


@app.command("who-knows")
def who_knows(
    who: Annotated[str, typer.Argument(help="ADDRESS or @DOMAIN, e.g. @client.example.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, e.g. 5.")] = 10,
    json_: JsonOpt = False,
) -> None:
    """Team members with the strongest recent contact with a person or company."""
    from kithkeep.services.usecases import team
    from kithkeep.services.usecases.views import open_views

    s = current_settings()
    if not s.team:
        raise ConfigError(f"no [team] members in {s.paths.config}")
    conn, _ = open_views(s.paths, heavy=lambda: s)
    try:
        found = team.who_knows(conn, who, int(datetime.now(UTC).timestamp()))[:limit]
        organizations = team.organizations(conn, who)
    finally:
        conn.close()
    if json_:
        print_json([{**w.as_json(), "organizations": organizations} for w in found])
        return
    if organizations:
        typer.echo(f"{team.target(who)}: {', '.join(organizations)}")
    if not found:
        typer.echo(f"No one in the team has been in touch with {team.target(who)}.")
        return
    for w in found:
        last = datetime.fromtimestamp(w.last_contact, UTC)
        typer.echo(
            f"{w.member}: strength {w.strength:.2f}, {w.interactions} contacts, "
            f"last {last:%Y-%m-%d} ({', '.join(w.addresses)})"
        )
