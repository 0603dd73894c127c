"""`merges`: one person behind several addresses, proposed with evidence, accepted or refused."""

from __future__ import annotations

from typing import Annotated

import typer

from kithkeep.services.cli.common import JsonOpt, app, current_settings

IdArg = Annotated[str, typer.Argument(help="A suggestion's id (as `kithkeep merges` shows it).")]
HELP = "Addresses that are probably one person: list, accept ID, reject ID."

merges_app = typer.Typer(help=HELP, invoke_without_command=True)
app.add_typer(merges_app, name="merges")


@merges_app.callback()
def merges(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the merge suggestions (with no subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from kithkeep.services.cli.render import print_suggestions
    from kithkeep.services.usecases.merges import suggestions

    hint = "Take one with `kithkeep merges accept ID`, refuse it with `merges reject ID`."
    print_suggestions(suggestions(current_settings()), json_, hint, ids=True)


@merges_app.command("accept")
def accept(merge_id: IdArg) -> None:
    """The two addresses are one person (undo with `kithkeep unlink A B`)."""
    from kithkeep.services.usecases.merges import accept as take

    typer.echo(f"Linked {' and '.join(take(current_settings(), merge_id).addresses)}.")


@merges_app.command("reject")
def reject(merge_id: IdArg) -> None:
    """Never propose this pair again."""
    from kithkeep.services.usecases.merges import reject as refuse

    pair = refuse(current_settings(), merge_id).addresses
    typer.echo(f"Will not propose {' and '.join(pair)} again.")
