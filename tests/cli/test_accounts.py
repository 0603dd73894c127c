"""`account add|list|remove` edit the config in place; `sync` pulls every account."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli

HERE = Path(__file__).parent.parent / "data" / "introductions"


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    run_cli(
        home, "init", "--me", "me@example.com", "--me", "robin@example.com"
    )  # robin: the corpus
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


def test_every_account_add_takes_interval_and_since_days(tmp_path: Path) -> None:
    """Every mail or calendar kind takes both; an address book (no dates) takes --interval."""
    import typer.main

    from kithkeep.services.cli.app import app

    add = typer.main.get_command(app).get_command(None, "account").get_command(None, "add")  # type: ignore[attr-defined]
    kinds = add.list_commands(None)
    assert set(kinds) >= {"folder", "gmail", "google-calendar", "outlook", "imap", "caldav"}
    for kind in kinds:
        options = {o for p in add.get_command(None, kind).params for o in p.opts}
        wanted = {"--interval"} if kind in ("carddav", "google-contacts") else {"--since-days"}
        assert wanted | {"--interval"} <= options, kind
        assert "--stdin" not in options


def test_a_folder_account_reads_only_its_window_when_given(tmp_path: Path) -> None:
    home = _home(tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    for n, date in enumerate(("Tue, 1 May 2001 10:00:00 -0500", None)):
        from datetime import UTC, datetime
        from email.utils import format_datetime

        when = date or format_datetime(datetime.now(UTC))
        (drop / f"{n}.eml").write_text(
            f"From: p{n}@x.example\nTo: me@example.com\nSubject: s\nDate: {when}\n"
            f"Message-ID: <w{n}@x>\n\n.\n"
        )
    run_cli(home, "account", "add", "folder", str(drop), "--name", "recent", "--since-days", "30")
    assert "since_days = 30" in (home / "config.toml").read_text()
    assert run_cli(home, "sync").out.startswith("recent: 1 new")
    people = {a for p in json.loads(run_cli(home, "people", "--json").out) for a in p["addresses"]}
    assert people == {"p1@x.example"}
