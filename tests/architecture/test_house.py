"""The house keeps its shape: the import contracts bite, modules stay small, the seams of
`services` are typed, and a query command starts without the heavy libraries."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

PACKAGE = REPO / "kithkeep"
MAX_LINES = 500


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    linter = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(linter), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("house")
    shutil.copytree(PACKAGE, root / "kithkeep", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


LAYERS = (
    "Inside services, arrows point inward: cli -> daemon -> usecases -> runtime -> "
    "accounts | store -> config"
)
ACYCLIC = "No two sibling modules or packages import each other, directly or round about"
NO_RICH = "Typer and Rich only under services.cli"

#: Per contract: files that break it, and the other contracts they may break too (an import
#: against the layers also closes a loop between siblings).
VIOLATIONS: dict[str, tuple[dict[str, str], set[str]]] = {
    LAYERS: (
        {"kithkeep/services/config/_wrong_way.py": "import kithkeep.services.usecases.views\n"},
        {ACYCLIC},
    ),
    ACYCLIC: (
        {
            "kithkeep/projections/_loop_a.py": "import kithkeep.projections._loop_b\n",
            "kithkeep/projections/_loop_b.py": "import kithkeep.projections._loop_a\n",
        },
        set(),
    ),
    NO_RICH: ({"kithkeep/services/usecases/_pretty.py": "import rich.console\n"}, set()),
}


def _verdicts(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' report (names wrap over lines)."""
    text = " ".join(output.split())
    found = {}
    for name in (LAYERS, ACYCLIC, NO_RICH):
        at = text.find(name + " ")
        assert at >= 0, f"{name!r} not in the report:\n{output}"
        found[name] = text[at + len(name) + 1 :].split(" ", 1)[0]
    return found


@pytest.mark.slow
def test_the_contracts_hold_and_each_breaks_when_a_violating_import_is_added(copy: Path) -> None:
    clean = _lint_imports(copy)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert set(_verdicts(clean.stdout).values()) == {"KEPT"}
    for contract, (files, also) in VIOLATIONS.items():
        for rel, text in files.items():
            (copy / rel).write_text(text)
        try:
            broken = _lint_imports(copy)
        finally:
            for rel in files:
                (copy / rel).unlink()
        assert broken.returncode == 1, f"{contract}: not broken\n{broken.stdout}"
        verdicts = _verdicts(broken.stdout)
        assert verdicts.pop(contract) == "BROKEN", broken.stdout
        for other, verdict in verdicts.items():
            assert verdict == "KEPT" or other in also, f"{contract} also broke {other}"


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"


def _is_any(node: ast.expr | None) -> bool:
    """`Any`, `typing.Any`, or a union with one of them at its top."""
    if node is None:
        return False
    if isinstance(node, ast.Name):
        return node.id == "Any"
    if isinstance(node, ast.Attribute):
        return node.attr == "Any"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_any(node.left) or _is_any(node.right)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _is_any(ast.parse(node.value, mode="eval").body)
    return False


def _public_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """Module-level functions and methods of module-level classes, not named `_...`."""
    found: list[ast.FunctionDef] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += [n for n in node.body if isinstance(n, ast.FunctionDef)]
    return [f for f in found if not f.name.startswith("_")]


def test_no_public_function_of_services_takes_or_returns_any() -> None:
    loose: list[str] = []
    for path in sorted((PACKAGE / "services").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for f in _public_functions(tree):
            a = f.args
            params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
            bad = [p.arg for p in params if p is not None and _is_any(p.annotation)]
            if _is_any(f.returns):
                bad.append("return")
            if bad:
                loose.append(f"{path.relative_to(REPO)}:{f.lineno} {f.name}: {', '.join(bad)}")
    assert not loose, "typed Any:\n" + "\n".join(loose)


def test_the_any_check_sees_what_it_must() -> None:
    tree = ast.parse(
        "from typing import Any\n"
        "def f(x: Any) -> int: ...\n"
        "def g(x: int) -> 'Any | None': ...\n"
        "class C:\n    def m(self, *args: Any) -> None: ...\n"
        "def _private(x: Any) -> Any: ...\n"
        "def fine(x: dict[str, int]) -> list[str]: ...\n"
    )
    names = {f.name for f in _public_functions(tree)}
    assert names == {"f", "g", "m", "fine"}
    flagged = {
        f.name
        for f in _public_functions(tree)
        if _is_any(f.returns)
        or any(
            p is not None and _is_any(p.annotation)
            for p in (*f.args.args, f.args.vararg, f.args.kwarg)
        )
    }
    assert flagged == {"f", "g", "m"}


HEAVY = (
    "pydantic",
    "pydantic_settings",
    "eventsourcing",
    "rich",
    "googleapiclient",
    "msal",
    "imapclient",
    "caldav",
    "psycopg",
)

_PROBE = """
import json, sys
heavy_names = set(json.loads(sys.argv[1]))
from kithkeep.services.cli.entry import main
sys.argv = ["kithkeep", "due", "--json"]
code = 0
try:
    main()
except SystemExit as e:
    code = e.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & heavy_names)
sys.stderr.write(json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


@pytest.mark.slow
def test_due_json_starts_without_the_heavy_libraries(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "--home", str(home), "demo", timeout=600)
    run_cli(home, "due", "--json")  # the views are caught up: the quick path from here on
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY)],
        env={**os.environ, "KITHKEEP_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = json.loads(probe.stderr.strip().splitlines()[-1])
    assert found["code"] in (0, None)
    assert probe.stdout.startswith("[") and len(json.loads(probe.stdout)) > 0
    assert found["heavy"] == [], f"`due --json` imported {found['heavy']}"


def test_the_readme_names_every_module() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    built = readme.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    missing = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py") and p.name not in built
    )
    assert not missing, f"README's 'How it is built' leaves out {missing}"


def test_help_lists_every_command_as_it_always_has() -> None:
    """The CLI split into modules, one per command group; `--help` keeps its order."""
    import typer.main

    from kithkeep.services.cli.app import app
    from kithkeep.services.cli.common import COMMAND_ORDER

    listed = typer.main.get_command(app).list_commands(None)  # type: ignore[attr-defined,arg-type]
    assert listed == list(COMMAND_ORDER)
    assert listed[:4] == ["init", "import", "people", "due"]
