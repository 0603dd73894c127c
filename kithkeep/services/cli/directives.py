"""What the user tells kithkeep about people: `cadence`, `ignore`, `link`, `unlink`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import JsonOpt, LimitOpt, app, current_settings, print_json
from kithkeep.services.cli.output import FormatOpt, Listing, emit, every, output_format


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def _parse_days(value: str) -> int | None:
    v = value.strip().lower()
    if v in ("auto", "learn", "default", "none"):
        return None
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    n, unit = (v[:-1], v[-1]) if v[-1:] in units else (v, "d")
    if not n.strip().lstrip("+-").isdigit():
        raise ConfigError(f"cadence {value!r}: expected e.g. 90d, 6w, 3m, 1y or auto")
    days = int(n) * units[unit]
    if days <= 0:
        raise ConfigError(f"cadence {value!r}: a cadence is a positive duration, e.g. 90d")
    if days > 3650:
        raise ConfigError(f"cadence {value!r}: at most 10 years")
    return days


# A value like `-5d` is the duration, not an option: let it through to be judged.
@app.command(context_settings={"ignore_unknown_options": True})
def cadence(
    who: Annotated[str, typer.Argument(help="An address, e.g. ada@example.com.")],
    every_: Annotated[
        str,
        typer.Argument(metavar="EVERY", help="e.g. 90d, 6w, 3m, 1y; 'auto' to learn it again."),
    ],
) -> None:
    """How often you want to be in touch with someone (undo: `cadence ADDRESS auto`)."""
    from kithkeep.services.usecases import directives

    days = _parse_days(every_)
    address = directives.set_cadence(current_settings(), who, days, warn=warn)
    typer.echo(f"{address}: " + (every(days) if days else "cadence learned again"))


@app.command()
def ignore(
    pattern: Annotated[str, typer.Argument(help="ADDRESS or @DOMAIN, e.g. @newsletters.example.")],
    undo: Annotated[bool, typer.Option("--undo", help="Count this sender again.")] = False,
) -> None:
    """Never count this sender (an address, or a whole @domain)."""
    from kithkeep.services.usecases import directives

    p = directives.ignore(current_settings(), pattern, undo=undo, warn=warn)
    typer.echo(f"{'No longer ignoring' if undo else 'Ignoring'} {p}")


AddressA = Annotated[str, typer.Argument(help="One address, e.g. ada@example.com.")]
AddressB = Annotated[str, typer.Argument(help="The other, e.g. ada@home.example.")]


@app.command()
def link(a: AddressA, b: AddressB) -> None:
    """Two addresses are the same person."""
    from kithkeep.services.usecases import directives

    x, y = directives.link(current_settings(), a, b, undo=False, warn=warn)
    typer.echo(f"Linked {x} and {y}")


@app.command()
def unlink(a: AddressA, b: AddressB) -> None:
    """Undo a link."""
    from kithkeep.services.usecases import directives

    x, y = directives.link(current_settings(), a, b, undo=True)
    typer.echo(f"Unlinked {x} and {y}")


@app.command("directives")
def directives_(
    json_: JsonOpt = False,
    format_: FormatOpt = None,
    limit: LimitOpt = None,
) -> None:
    """What you told kithkeep: ignores, links, set cadences, dismissed and closed
    introductions, each with when, and the command that undoes it."""
    from kithkeep.services.usecases.directives import told

    found = told(current_settings())[:limit]
    fmt = output_format(format_, json_)
    if fmt == "json":
        print_json([t.as_json() for t in found])
        return
    listing = Listing(("kind", "what", "since", "undo"), title="What you told kithkeep")
    for t in found:
        listing.add(t.kind, t.what, t.at if fmt == "tsv" else t.at[:16].replace("T", " "), t.undo)
    emit(listing, fmt, empty="Nothing yet: no ignores, links, cadences or marks.")
