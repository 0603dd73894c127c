"""See what you told it: `config show` names each setting's source, `directives` lists
what you told kithkeep about people, with when, each undoable from there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kithkeep.services.config.settings import batch_uri_for, load
from tests.conftest import Result, Run, run_cli


def with_env(home: Path, *args: str, **env: str) -> Result:
    p = subprocess.run(
        [sys.executable, "-m", "kithkeep", "--home", str(home), *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("KITHKEEP_")}, **env},
    )  # fmt: skip
    return Result(p.returncode, p.stdout, p.stderr)


def test_config_show_names_the_source_of_each_setting(cli: Run, home: Path) -> None:
    cli("init", "--me", "me@example.com")
    config = home / "config.toml"
    config.write_text(
        config.read_text().replace("max_audience = 15", "max_audience = 40")
        + '\n[store]\nurl = "postgresql://me:hunter2@db.example/kk"\n'
    )
    shown = with_env(home, "config", "show", "--json", KITHKEEP_DEFAULT_CADENCE_DAYS="60").json()
    assert shown["max_audience"] == {"value": 40, "source": "file"}
    assert shown["default_cadence_days"] == {"value": 60, "source": "environment"}
    assert shown["daemon.digest_time"] == {"value": "08:00", "source": "default"}
    assert shown["me"] == {"value": ["me@example.com"], "source": "file"}
    assert shown["store.url"]["value"] == "postgresql://me:***@db.example/kk"
    table = with_env(home, "config", "show", "--format", "tsv", KITHKEEP_MAX_AUDIENCE="9")
    assert "max_audience\t9\tenvironment" in table.out.splitlines()
    assert "hunter2" not in table.out + table.err


def test_directives_lists_what_you_told_it_with_when_and_undo(cli: Run, home: Path) -> None:
    cli("init", "--me", "me@example.com")
    assert cli("directives", "--json").json() == []
    cli("ignore", "@news.example")
    cli("cadence", "ada@example.com", "6w")
    cli("link", "ada@example.com", "ada@home.example")
    cli("link", "bob@example.com", "bob@home.example")
    cli("unlink", "bob@example.com", "bob@home.example")
    cli("ignore", "spam@example.com")
    cli("ignore", "spam@example.com", "--undo")
    told = cli("directives", "--json").json()
    assert [(t["kind"], t["what"]) for t in told] == [
        ("ignore", "@news.example"),
        ("cadence", "ada@example.com every 42 days"),
        ("link", "ada@example.com ada@home.example"),
    ]
    assert all(t["at"][:4].isdigit() and t["at"].endswith("+00:00") for t in told)
    assert told[0]["at"] <= told[1]["at"] <= told[2]["at"]
    # Each undo works as printed.
    for t in told:
        args = t["undo"].split()[1:]
        assert cli(*args).code == 0
    assert cli("directives", "--json").json() == []
    assert cli("directives").out.startswith("kind\twhat\tsince\tundo")


def test_gmail_batches_follow_the_api_endpoint(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", "me@example.com")
    with (home / "config.toml").open("a") as f:
        f.write('\n[gmail]\napi_endpoint = "http://127.0.0.1:8765/"\n')
        f.write('\n[google_calendar]\napi_endpoint = "http://127.0.0.1:8765/calendar/v3/"\n')
    ends = load(home).endpoints
    assert ends.gmail_batch_uri == "http://127.0.0.1:8765/batch/gmail/v1"
    assert ends.calendar_batch_uri == "http://127.0.0.1:8765/batch/calendar/v3"
    assert batch_uri_for("", "gmail/v1") == ""  # Google's own: the library knows where
    with (home / "config.toml").open("a") as f:
        f.write('batch_uri = "http://elsewhere.example/b"\n')  # given: kept
    assert load(home).endpoints.calendar_batch_uri == "http://elsewhere.example/b"
