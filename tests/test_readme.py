"""The README's Quickstart stays true: two commands, the second being what CI runs."""

from __future__ import annotations

import re

from tests.conftest import REPO


def quickstart_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "the Quickstart has a code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_demo_then_tests() -> None:
    first, second = quickstart_commands()
    assert first.startswith("python3 -m venv") and first.endswith("kithkeep demo")
    assert second.startswith("python3 -m venv") and "pytest" in second


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert quickstart_commands()[1] in ci


def test_package_data_ships_the_demo_roster() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"data/*"' in pyproject
    assert (REPO / "kithkeep" / "data" / "demo_network.json").exists()
