"""Relationships beyond `due`: `owed` (replies owed) and `reconnect` (dormant ones)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from kithkeep.projections.queries import iso
from kithkeep.services.cli.common import (
    AsOfOpt,
    JsonOpt,
    LimitOpt,
    app,
    moment_of,
    print_json,
    query_conn,
)
from kithkeep.services.cli.render import ago
from kithkeep.services.cli.safe import safe


@app.command()
def owed(as_of: AsOfOpt = None, json_: JsonOpt = False, limit: LimitOpt = None) -> None:
    """Replies you owe: personal mail you have not answered, newest first."""
    from kithkeep.services.usecases.relationships import replies_owed

    moment = moment_of(as_of)
    conn, policy = query_conn()
    at = moment or int(datetime.now(UTC).timestamp())
    found = replies_owed(conn, policy, at)[:limit]
    if json_:
        print_json([o.as_json(iso, at) for o in found])
        return
    if not found:
        typer.echo("No replies owed.")
        return
    for o in found:
        line = f"{ago(iso(o.at), at)}  {o.sender}: {o.subject or '(no subject)'}"
        typer.echo(safe(line, markup=False))  # a stranger's subject: no control codes


@app.command()
def reconnect(as_of: AsOfOpt = None, json_: JsonOpt = False, limit: LimitOpt = None) -> None:
    """Dormant relationships that mattered, strongest (when last in touch) first."""
    from kithkeep.services.usecases.relationships import reconnect as dormant

    moment = moment_of(as_of)
    conn, policy = query_conn()
    now = int(datetime.now(UTC).timestamp())
    at = moment or now
    found = dormant(conn, policy, now, moment)[:limit]
    if json_:
        print_json([{**p.as_json(), "strength_then": then} for p, then in found])
        return
    if not found:
        typer.echo("No dormant relationships.")
        return
    for p, then in found:
        who = safe(f"{p.name} <{p.key}>" if p.name else p.key, markup=False)
        typer.echo(
            f"{who}: strength {then} when last in touch, last contact {ago(p.last_contact, at)}"
        )
