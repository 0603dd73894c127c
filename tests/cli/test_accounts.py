"""`account add|list|remove` edit the config in place; `sync` pulls every account."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli

HERE = Path(__file__).parent.parent / "data" / "introductions"


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", "me@example.com")
    config = home / "config.toml"
    config.write_text(config.read_text() + "\n# my own note, kept\n")
    return home


def test_add_list_sync_remove_a_folder_account(tmp_path: Path) -> None:
    home = _home(tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    for p in sorted(HERE.glob("*.eml"))[:5]:
        shutil.copy(p, drop / p.name)
    run_cli(home, "account", "add", "folder", str(drop), "--name", "drop")
    assert "# my own note, kept" in (home / "config.toml").read_text()
    listed = json.loads(run_cli(home, "account", "list", "--json").out)
    assert [(a["name"], a["type"]) for a in listed] == [("drop", "folder")]

    first = run_cli(home, "sync")
    assert first.out.startswith("drop: ") and " 0 new" not in first.out
    again = run_cli(home, "sync", "drop")
    assert "drop: 0 new" in again.out

    dup = run_cli(home, "account", "add", "folder", str(drop), "--name", "drop", check=False)
    assert dup.code == 1 and "exists already" in dup.err and "Traceback" not in dup.err

    run_cli(home, "account", "remove", "drop")
    assert json.loads(run_cli(home, "account", "list", "--json").out) == []
    people = json.loads(run_cli(home, "people", "--json").out)
    assert people  # the events stay


def test_one_failing_account_does_not_stop_the_others(tmp_path: Path) -> None:
    home = _home(tmp_path)
    good = tmp_path / "good"
    good.mkdir()
    for p in sorted(HERE.glob("*.eml"))[:3]:
        shutil.copy(p, good / p.name)
    gone = tmp_path / "gone"
    gone.mkdir()
    run_cli(home, "account", "add", "folder", str(gone), "--name", "gone")
    run_cli(home, "account", "add", "folder", str(good), "--name", "good")
    gone.rmdir()
    r = run_cli(home, "sync", check=False)
    assert r.code == 1
    assert "gone: " in r.err and "no such file or folder" in r.err and "Traceback" not in r.err
    assert "good: " in r.out

    unknown = run_cli(home, "sync", "nope", check=False)
    assert unknown.code == 1 and "no account named 'nope'" in unknown.err
