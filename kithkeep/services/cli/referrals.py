"""Introductions: `referrals` (and dismiss, close, reopen), `refer`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import (
    AsOfOpt,
    JsonOpt,
    LimitOpt,
    app,
    current_settings,
    day,
    moment_of,
    print_json,
    query_conn,
)
from kithkeep.services.cli.output import FormatOpt, Listing, emit, output_format
from kithkeep.services.cli.safe import safe

if TYPE_CHECKING:
    from kithkeep.projections.reading import ReadConnection
    from kithkeep.projections.referrals import Referral
    from kithkeep.services.usecases.referrals import Verdict

referrals_app = typer.Typer(
    help="Introductions you made and received, and their follow-up state.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(referrals_app, name="referrals")


STATUS_HELP = (
    "follow_up_due | awaiting | acknowledged | followed_up | connected | closed | dismissed"
)


def _referrals(moment: int | None) -> tuple[ReadConnection, list[Referral], dict[str, str], int]:
    from kithkeep.projections import referrals as ledger

    conn, policy = query_conn()
    at = moment or int(datetime.now(UTC).timestamp())
    found = ledger.referrals_for(conn, policy, at)
    names = ledger.names_for(conn, [p for r in found for p in (*r.parties, r.introducer)])
    return conn, found, names, at


@referrals_app.callback()
def referrals(
    ctx: typer.Context,
    status_: Annotated[str | None, typer.Option("--status", help=STATUS_HELP)] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    explain: Annotated[bool, typer.Option("--explain", help="Why each was detected.")] = False,
    limit: LimitOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Introductions and their follow-up state, most urgent first."""
    if ctx.invoked_subcommand is not None:
        return
    from kithkeep.domain.introductions import STATES

    if status_ is not None and status_ not in STATES:
        raise ConfigError(f"--status {status_!r}: expected one of {STATUS_HELP}")
    moment = moment_of(as_of)
    _, found, names, _ = _referrals(moment)
    from kithkeep.services.usecases.digest import by_urgency

    rows = by_urgency([r for r in found if status_ is None or r.status == status_])[:limit]
    fmt = output_format(format_, json_)
    if fmt == "json":
        print_json([r.as_json(names, explain) for r in rows])
        return
    listing = Listing(
        ("id", "made", "who", "status", "next follow-up", "evidence"),
        title="Introductions (mail between the two that you are not on is not seen)",
    )
    for r in rows:
        who = " ↔ ".join(r.label(p, names) for p in r.parties)
        if r.kind == "received":
            who = f"{r.label(r.introducer, names)} referred you to " + ", ".join(
                r.label(p, names) for p in r.parties[1:]
            )
        elif r.kind == "made-one-sided":
            from kithkeep.services.usecases.digest import reminder

            who = reminder(r, names)
        evidence = "" if r.evidence is None else f"{day(r.evidence.at)} {r.evidence.subject}"
        listing.add(r.id, day(r.made_at), who, r.status, day(r.next_follow_up_at), evidence)
    emit(listing, fmt, empty="No introductions" + (f" with status {status_}." if status_ else "."))
    if explain and fmt == "table":
        for r in rows:
            typer.echo(safe(f"{r.id} {r.subject or r.note}: " + "; ".join(r.reasons), markup=False))


def _verdict(prefix: str, verdict: Verdict, done: str) -> None:
    from kithkeep.services.usecases.referrals import mark_referral

    rid = mark_referral(current_settings(), prefix, verdict)
    typer.echo(f"{done} {rid}")


@referrals_app.command("dismiss")
def referrals_dismiss(
    prefix: Annotated[str, typer.Argument(help="The id (or its start).")],
) -> None:
    """Mark a detected introduction as not one (a false positive)."""
    _verdict(prefix, "dismiss", "Dismissed")


@referrals_app.command("close")
def referrals_close(prefix: Annotated[str, typer.Argument(help="The id (or its start).")]) -> None:
    """End an introduction by hand: nothing more to follow up."""
    _verdict(prefix, "close", "Closed")


@referrals_app.command("reopen")
def referrals_reopen(prefix: Annotated[str, typer.Argument(help="The id (or its start).")]) -> None:
    """Undo a dismiss or close."""
    _verdict(prefix, "reopen", "Reopened")


@app.command()
def refer(
    a: Annotated[str, typer.Argument(help="One person's address.")],
    b: Annotated[str, typer.Argument(help="The other's address.")],
    note: Annotated[str, typer.Option("--note", help="What it was about.")] = "",
    at: Annotated[str | None, typer.Option("--at", help="When (YYYY-MM-DD); default now.")] = None,
) -> None:
    """Log an introduction you made outside mail (phone, in person)."""
    from kithkeep.services.usecases import referrals as ledger

    moment = moment_of(at, "--at")
    when = datetime.fromtimestamp(moment, UTC) if moment else datetime.now(UTC)
    rid = ledger.refer(current_settings(), a, b, when, note)
    typer.echo(f"Logged introduction {rid}")
