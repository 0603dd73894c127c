"""`kithkeep` loads only the command group a command line names: every command is where
`entry.HOMES` says, and shows the same help loaded alone as in the whole app."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from kithkeep.services.cli.app import app
from kithkeep.services.cli.entry import HOMES, command_named

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def test_every_command_and_group_is_registered_where_homes_says() -> None:
    found = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or info.callback.__name__.replace("_", "-")
        found[name] = info.callback.__module__.rsplit(".", 1)[1]
    for group in app.registered_groups:
        sub = group.typer_instance
        assert sub is not None and group.name
        callbacks = [c.callback for c in sub.registered_commands if c.callback]
        found[group.name] = callbacks[0].__module__.rsplit(".", 1)[1]
    assert found == HOMES


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["due", "--json"], "due"),
        (["--home", "/x", "--debug", "due"], "due"),
        (["--home=/x", "people"], "people"),
        (["--help"], None),
        (["--version"], None),
        ([], None),
        (["--home", "/x"], None),
        (["account", "add", "imap"], "account"),
        (["nosuch"], "nosuch"),
    ],
)
def test_the_command_a_line_names(args: list[str], command: str | None) -> None:
    assert command_named(args) == command


def whole_app_help(name: str) -> str:
    result = CliRunner().invoke(app, [name, "--help"], prog_name="kithkeep", env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(HOMES))
def test_a_command_loaded_alone_shows_the_help_of_the_whole_app(name: str) -> None:
    probe = (
        "import sys\n"
        "from kithkeep.services.cli import entry\n"
        f"group = entry.load([{name!r}])\n"
        "import typer.main\n"
        "from typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(group, [{name!r}, '--help'], prog_name='kithkeep')\n"
        "sys.stdout.write(r.output)\n"
        "others = sorted(m for m in sys.modules if m.startswith('kithkeep.services.cli.')\n"
        "    and m.rsplit('.', 1)[1] in set(entry.HOMES.values()))\n"
        "sys.stderr.write(' '.join(others))\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
        check=True,
    )
    assert p.stdout == whole_app_help(name)
    loaded = set(p.stderr.split())
    assert HOMES[name] in {m.rsplit(".", 1)[1] for m in loaded}
    # Alone: not every group (the accounts' and the daemon's modules stay out of `due`).
    if HOMES[name] == "queries":
        assert "kithkeep.services.cli.accounts" not in loaded


def test_the_whole_app_lists_every_command() -> None:
    listed = typer.main.get_command(app).list_commands(None)  # type: ignore[attr-defined,arg-type]
    assert set(HOMES) == set(listed)
