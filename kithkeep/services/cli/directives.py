"""What the user tells kithkeep about people: `cadence`, `ignore`, `link`, `unlink`."""

from __future__ import annotations

from typing import Annotated

import typer

from kithkeep.domain.errors import ConfigError
from kithkeep.services.cli.common import app, current_settings


def _parse_days(value: str) -> int | None:
    v = value.strip().lower()
    if v in ("auto", "learn", "default", "none"):
        return None
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    n, unit = (v[:-1], v[-1]) if v[-1:] in units else (v, "d")
    try:
        days = int(n) * units[unit]
    except ValueError:
        raise ConfigError(f"cadence {value!r}: expected e.g. 90d, 6w, 3m, 1y or auto") from None
    if not 1 <= days <= 3650:
        raise ConfigError(f"cadence {value!r}: between 1 day and 10 years")
    return days


@app.command()
def cadence(
    who: Annotated[str, typer.Argument(help="An address.")],
    every: Annotated[str, typer.Argument(help="e.g. 90d, 6w, 3m, 1y; 'auto' to learn it again.")],
) -> None:
    """How often you want to be in touch with someone."""
    from kithkeep.services.usecases import directives

    days = _parse_days(every)
    address = directives.set_cadence(current_settings(), who, days)
    typer.echo(f"{address}: " + (f"every {days} days" if days else "cadence learned again"))


@app.command()
def ignore(
    pattern: Annotated[str, typer.Argument(help="ADDRESS or @DOMAIN")],
    undo: Annotated[bool, typer.Option("--undo", help="Count this sender again.")] = False,
) -> None:
    """Never count this sender (an address, or a whole @domain)."""
    from kithkeep.services.usecases import directives

    p = directives.ignore(current_settings(), pattern, undo=undo)
    typer.echo(f"{'No longer ignoring' if undo else 'Ignoring'} {p}")


@app.command()
def link(a: str, b: str) -> None:
    """Two addresses are the same person."""
    from kithkeep.services.usecases import directives

    x, y = directives.link(current_settings(), a, b, undo=False)
    typer.echo(f"Linked {x} and {y}")


@app.command()
def unlink(a: str, b: str) -> None:
    """Undo a link."""
    from kithkeep.services.usecases import directives

    x, y = directives.link(current_settings(), a, b, undo=True)
    typer.echo(f"Unlinked {x} and {y}")
