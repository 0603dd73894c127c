"""`me`: your own addresses, listed, added, removed, and suggested with their evidence."""

from __future__ import annotations

from typing import Annotated

import typer

from kithkeep.services.cli.common import JsonOpt, app, current_settings, print_json

me_app = typer.Typer(
    help="Your own addresses: list, add, remove, and suggestions with their evidence.",
    invoke_without_command=True,
)
app.add_typer(me_app, name="me")

AddressArg = Annotated[str, typer.Argument(help="An email address of yours.")]


@me_app.callback()
def me(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List your own addresses (with no subcommand)."""
    from kithkeep.services.usecases import me as own

    if ctx.invoked_subcommand is None:
        found = list(own.addresses(current_settings()))
        if json_:
            print_json(found)
        else:
            typer.echo("\n".join(found))


@me_app.command("add")
def add(address: AddressArg) -> None:
    """Count an address as yours (the config is edited in place; the views rebuild)."""
    from kithkeep.services.usecases import me as own

    typer.echo(f"Your addresses: {', '.join(own.add(current_settings(), address))}")


@me_app.command("remove")
def remove(address: AddressArg) -> None:
    """Stop counting an address as yours."""
    from kithkeep.services.usecases import me as own

    found = own.remove(current_settings(), address)
    typer.echo(f"Your addresses: {', '.join(found) or 'none'}")


@me_app.command("suggest")
def suggest(json_: JsonOpt = False) -> None:
    """Addresses that are probably yours, each with its evidence (none is added)."""
    from kithkeep.services.cli.render import print_suggestions
    from kithkeep.services.usecases import me as own

    hint = "Add one with `kithkeep me add ADDRESS`."
    print_suggestions(own.suggest(current_settings()), json_, hint, ids=False)
