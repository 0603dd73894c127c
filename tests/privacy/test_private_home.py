"""The home is private: folders 0700, files 0600; secrets files others can read are refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import run_cli, shared_data


def modes(home: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(home.stat().st_mode)}
    for root, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            path = Path(root, name)
            found[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_init_import_and_daemon_leave_only_private_paths(home: Path, tmp_path: Path) -> None:
    mail = shared_data("enron", "maildir", "derrick-j", "sent")
    os.umask(0o022)  # a user's usual umask: kithkeep must not depend on it
    run_cli(home, "init", "--me", "jderric@enron.com")
    run_cli(home, "import", str(mail))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "1.eml").write_text(
        "From: ada@example.com\nTo: jderric@enron.com\nSubject: hello\n"
        "Date: Mon, 1 Jan 2001 10:00:00 +0000\nMessage-ID: <p1@x>\n\nhi\n"
    )
    run_cli(home, "account", "add", "folder", str(drop), "--name", "drop")
    run_cli(home, "daemon", "--once")
    run_cli(home, "digest")
    found = modes(home)
    assert {"config.toml", "events.sqlite", "views.sqlite"} <= set(found)
    assert len(found) >= 6, found  # the daemon's and the digest's files too
    wrong = {
        p: f"{m:04o}" for p, m in found.items() if m != (0o700 if (home / p).is_dir() else 0o600)
    }
    assert wrong == {}


def test_an_older_open_home_is_tightened_with_one_notice(home: Path, tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "1.eml").write_text(
        "From: ada@example.com\nTo: me@example.com\nSubject: hello\n"
        "Date: Mon, 1 Jan 2001 10:00:00 +0000\nMessage-ID: <p1@x>\n\nhi\n"
    )
    run_cli(home, "init", "--me", "me@example.com")
    run_cli(home, "import", str(mail))
    home.chmod(0o755)
    (home / "config.toml").chmod(0o644)
    (home / "logs").mkdir(mode=0o755)
    (home / "logs" / "old.log").write_text("x")
    (home / "logs" / "old.log").chmod(0o664)
    (home / "events.sqlite").chmod(0o644)
    result = run_cli(home, "people", "--json")
    assert result.json()[0]["addresses"] == ["ada@example.com"]
    notes = [line for line in result.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "5 path(s)" in notes[0] and "private" in notes[0]
    assert set(modes(home).values()) <= {0o700, 0o600}
    again = run_cli(home, "people", "--json")
    assert "note:" not in again.err
    # A command that fails says its error in one line; the tightening is done all the same.
    (home / "config.toml").chmod(0o644)
    failed = run_cli(home, "person", "nobody@example.com", check=False)
    assert failed.code == 1 and failed.err.count("\n") == 1 and failed.err.startswith("error:")
    assert set(modes(home).values()) <= {0o700, 0o600}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_a_secrets_file_others_can_read_is_refused_in_one_line(
    home: Path, mode: int, no_os_keyring: None
) -> None:
    run_cli(home, "init", "--me", "me@example.com")
    secrets = home / "secrets.json"
    secrets.write_text('{"smtp": "hunter2"}')
    secrets.chmod(mode)
    result = run_cli(home, "smtp-password", "--password-stdin", check=False, input_text="pw\n")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert f"chmod 600 {secrets}" in result.err and f"{mode:04o}" in result.err
    assert "hunter2" not in result.err
    assert stat.S_IMODE(secrets.stat().st_mode) == mode  # refused, not quietly fixed
    assert secrets.read_text() == '{"smtp": "hunter2"}'
    secrets.chmod(0o600)
    run_cli(home, "smtp-password", "--password-stdin", input_text="pw\n")
