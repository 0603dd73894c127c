"""`kithkeep forget`: a person erased from every stored byte, durably, others unchanged."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from email.parser import BytesParser
from email.policy import compat32
from email.utils import formataddr, getaddresses
from pathlib import Path

from tests.conftest import run_cli, shared_data, spawn_cli, stable

ME = "drew.fossum@enron.com"
GONE = "susan.scott@enron.com"
#: What must be nowhere afterwards: the address, and her name as mail writes it.
TRACES = re.compile(rb"susan\.scott@enron\.com|susan scott|scott, susan", re.IGNORECASE)


def traces(home: Path) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(home):
        for name in files:
            path = Path(root, name)
            if TRACES.search(path.read_bytes()):
                found.append(str(path.relative_to(home)))
    return found


def without(mail: Path, out: Path, address: str) -> None:
    """A copy of a Maildir with `address` taken out of every From, To, Cc and Bcc."""
    for src in mail.rglob("*"):
        dest = out / src.relative_to(mail)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        raw = src.read_bytes()
        if address.encode() not in raw.lower():
            dest.write_bytes(raw)
            continue
        msg = BytesParser(policy=compat32).parsebytes(raw)
        for header in ("From", "To", "Cc", "Bcc"):
            values = msg.get_all(header)
            if not values:
                continue
            kept = [(n, a) for n, a in getaddresses(values) if a.lower() != address]
            del msg[header]
            if kept:
                msg[header] = ", ".join(formataddr(x) for x in kept)
        dest.write_bytes(msg.as_bytes())


def people(home: Path) -> list[object]:
    rows = stable(run_cli(home, "people", "--json").json())
    return sorted(rows, key=lambda r: r["addresses"])


def imported(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    run_cli(home, "init", "--me", ME)
    run_cli(home, "import", str(shared_data("enron", "maildir", "fossum-d")))
    return home


def test_forget_leaves_no_trace_and_everyone_else_as_without_her(tmp_path: Path) -> None:
    home = imported(tmp_path, "home")
    (home / "digest").mkdir()
    (home / "digest" / "2001-05-01.md").write_text(
        "# Due\n- Susan Scott <susan.scott@enron.com>, 40 days\n- Kim <kim@enron.com>\n"
    )
    (home / "logs").mkdir()
    (home / "logs" / "kithkeep.log").write_text("digest: Scott, Susan is due\nsync ok\n")
    assert traces(home), "nothing of her to forget: the test shows nothing"
    before = {tuple(p["addresses"]) for p in people(home)}
    assert (GONE,) in before
    done = run_cli(home, "forget", GONE, "--yes")
    assert "Forgot 1 address(es)" in done.out
    assert traces(home) == []
    assert "Kim <kim@enron.com>" in (home / "digest" / "2001-05-01.md").read_text()
    assert "sync ok" in (home / "logs" / "kithkeep.log").read_text()

    mail = tmp_path / "mail-without-her"
    without(shared_data("enron", "maildir", "fossum-d"), mail, GONE)
    fresh = tmp_path / "fresh"
    run_cli(fresh, "init", "--me", ME)
    run_cli(fresh, "import", str(mail))
    after = people(home)
    assert all(GONE not in p["addresses"] for p in after)
    assert after == people(fresh)

    again = run_cli(home, "import", str(shared_data("enron", "maildir", "fossum-d")))
    assert "Imported 0 new" in again.out
    assert traces(home) == [] and people(home) == after


def test_an_address_forgotten_before_its_mail_arrives_is_dropped_at_the_door(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    out = run_cli(home, "forget", GONE, "--yes").out
    assert "not in the views" in out
    run_cli(home, "import", str(shared_data("enron", "maildir", "fossum-d")))
    assert traces(home) == []
    assert all(GONE not in p["addresses"] for p in people(home))


def test_forget_killed_midway_then_run_again_ends_as_one_clean_run(tmp_path: Path) -> None:
    clean = imported(tmp_path, "clean")
    run_cli(clean, "forget", GONE, "--yes")
    killed = imported(tmp_path, "killed")
    wal = killed / "events.sqlite-wal"
    stamp = wal.stat().st_mtime_ns if wal.exists() else 0
    p = spawn_cli(killed, "forget", GONE, "--yes")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if wal.exists() and wal.stat().st_mtime_ns != stamp:
            break  # it has started writing
        time.sleep(0.01)
    time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    run_cli(killed, "forget", GONE, "--yes")
    assert traces(killed) == []
    assert people(killed) == people(clean)
    again = run_cli(killed, "import", str(shared_data("enron", "maildir", "fossum-d")))
    assert "Imported 0 new" in again.out
    assert people(killed) == people(clean)


def test_forget_by_a_name_nobody_has_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    result = run_cli(home, "forget", "Nobody Atall", "--yes", check=False)
    assert result.code == 1 and result.err.count("\n") == 1


def test_forget_on_postgresql_leaves_nothing_in_a_pg_dump(tmp_path: Path, pg_url: str) -> None:
    from tests.pg import use_store

    home = tmp_path / "pg"
    run_cli(home, "init", "--me", ME)
    use_store(home, pg_url)
    run_cli(home, "import", str(shared_data("enron", "maildir", "fossum-d")))

    def dump() -> bytes:
        return subprocess.run(
            ["pg_dump", "--no-owner", pg_url], capture_output=True, check=True, timeout=300
        ).stdout

    assert TRACES.search(dump())
    sqlite_home = imported(tmp_path, "sqlite")
    run_cli(sqlite_home, "forget", GONE, "--yes")
    run_cli(home, "forget", GONE, "--yes")
    assert TRACES.search(dump()) is None
    assert traces(home) == []
    assert people(home) == people(sqlite_home)
    run_cli(home, "import", str(shared_data("enron", "maildir", "fossum-d")))
    assert TRACES.search(dump()) is None
