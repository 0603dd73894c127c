"""Help that teaches: every command's `--help`, kept as a snapshot; each renders what its
source says (no `[section]` eaten as markup), and every argument and option explains
itself. Regenerate the snapshot with KITHKEEP_UPDATE_HELP=1 after a deliberate change."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from kithkeep.services.cli.app import app
from kithkeep.services.cli.examples import EXAMPLES

SNAPSHOT = Path(__file__).parent / "help_snapshot.txt"


# Typer carries its own copy of click: its classes are known here by what they do.
def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if hasattr(group, "list_commands"):
        for name in group.list_commands(None):
            sub = group.get_command(None, name)
            assert sub is not None
            yield from commands(sub, (*path, name))


ROOT = typer.main.get_command(app)
ALL = list(commands(ROOT))


def command_at(path: tuple[str, ...]) -> Any:
    cmd: Any = ROOT
    for name in path:
        found = cmd.get_command(None, name)
        assert found is not None
        cmd = found
    return cmd


def help_of(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(
        app, [*path, "--help"], prog_name="kithkeep", env={"COLUMNS": "100", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "kithkeep")
def test_help_renders_its_source_literally_and_explains_every_parameter(
    path: tuple[str, ...],
) -> None:
    shown = help_of(path)
    cmd = command_at(path)
    said = flat(shown)
    assert flat(cmd.help or "").split("\n")[0][:60] in said, "the command's own words"
    for param in cmd.params:
        text = getattr(param, "help", None)
        assert text, f"{' '.join(path)}: {param.name} has no help"
        assert flat(text) in said, f"{param.name}: help shown as written"
        assert not (
            getattr(param, "is_flag", False)
            and param.default is True
            and not getattr(param, "secondary_opts", None)
        ), f"{param.name}: a flag that is on by default cannot be turned off"
    for bracketed in re.findall(r"\[[^\]]*\]", cmd.help or ""):
        assert bracketed in shown, f"markup ate {bracketed}"
    assert "{" not in re.sub(r"\{[^}]*\}", "", shown) and not re.search(r"\{\w+\}", shown)
    if path:
        key = " ".join(path)
        assert key in EXAMPLES, f"`kithkeep {key}` has no example"
        assert f"Example: {EXAMPLES[key]}" in said


def test_help_snapshot() -> None:
    shown = [(" ".join(["kithkeep", *p, "--help"]), help_of(p)) for p in ALL]
    text = "".join(f"$ {line}\n{out}\n" for line, out in shown)
    if os.environ.get("KITHKEEP_UPDATE_HELP") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8"), (
        "the help changed: review it, then KITHKEEP_UPDATE_HELP=1 pytest tests/cli/test_help.py"
    )
