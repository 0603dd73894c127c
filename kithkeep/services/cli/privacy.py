"""Your data: `forget` a person, `export` (JSON, CSV, vCard 4), `backup`, `encrypt`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import app, current_paths, current_settings, query_conn


@app.command()
def forget(
    who: Annotated[str, typer.Argument(help="An address, or a person's name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
) -> None:
    """Erase a person for good: events, views, logs, digests; later imports drop them."""
    from kithkeep.services.usecases.forget import forget as erase
    from kithkeep.services.usecases.forget import resolve

    settings = current_settings()
    target = resolve(settings, who)
    shown = ", ".join(target.addresses)
    if not target.known:
        typer.echo(f"{shown} is not in the views: they will be kept out of what comes in.")
    if not yes and not typer.confirm(
        f"Forget {shown} for good? This cannot be undone", default=False
    ):
        raise typer.Exit(1)
    done = erase(settings, target)
    typer.echo(
        f"Forgot {done.addresses} address(es): {done.events} events rewritten, "
        f"{done.files} files scrubbed; later imports leave them out."
    )


@app.command()
def export(
    format_: Annotated[str, typer.Option("--format", help="json | csv | vcf")] = "json",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="A file (json, vcf), or a folder for csv's four tables; default: stdout "
            "(csv: the people only).",
        ),
    ] = None,
) -> None:
    """Take your data with you: people, interactions, introductions, directives."""
    from kithkeep.services.usecases import export as exporting

    if format_ not in exporting.FORMATS:
        raise ConfigError(f"--format {format_!r}: expected json, csv or vcf")
    conn, policy = query_conn()
    data = exporting.gather(conn, policy, int(datetime.now(UTC).timestamp()))
    if format_ == "csv" and out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, rows in data.tables().items():
            (out / f"{name}.csv").write_text(exporting.csv_text(rows))
        typer.echo(f"Wrote {len(data.tables())} tables to {out}", err=True)
        return
    if format_ == "json":
        text = json.dumps(data.as_json(), ensure_ascii=False, indent=1) + "\n"
    elif format_ == "csv":
        text = exporting.csv_text(data.people)
    else:
        text = exporting.vcards(data.people)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, newline="")
    typer.echo(f"Wrote {out}", err=True)


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="A new folder for the copy.")],
) -> None:
    """A consistent copy of the home, even while the daemon writes; `--home PATH` opens it."""
    from kithkeep.services.store.backup import backup as copy_home

    settings = current_settings()
    if settings.store_url:
        raise ConfigError(
            "the events are in PostgreSQL: back them up with pg_dump (backup copies a SQLite home)"
        )
    done = copy_home(current_paths(), path)
    typer.echo(f"Backed up {done.databases} databases and {done.files} files to {done.target}")


@app.command()
def encrypt() -> None:
    """Encrypt a home in use (events, and views on SQLite); run again if interrupted."""
    from kithkeep.services.usecases.encrypt import encrypt_home

    settings = current_settings()
    done = encrypt_home(settings)
    typer.echo(
        f"Encrypted {settings.paths.home}: {done.events} events encrypted now, "
        f"{done.removed} files in clear removed, the views built again encrypted."
    )
