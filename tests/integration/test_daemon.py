"""The daemon, run as a user runs it: accounts on a schedule, live views, signals, backoff."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.conftest import count_events, run_cli, shared_data, stable

pytestmark = pytest.mark.slow
ME = "me@example.com"


def config(home: Path, accounts: dict[str, Path], interval_minutes: float = 1 / 60) -> None:
    home.mkdir(parents=True, exist_ok=True)
    text = f'me = ["{ME}"]\ntimezone = "UTC"\n\n[daemon]\njitter_seconds = 0\n'
    for name, path in accounts.items():
        text += (
            f'\n[[accounts]]\nname = "{name}"\ntype = "folder"\npath = "{path}"\n'
            f"interval_minutes = {interval_minutes}\n"
        )
    (home / "config.toml").write_text(text)


def drop(folder: Path, sender: str, n: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    when = format_datetime(datetime(2024, 1, 1 + n % 27, 9, tzinfo=UTC))
    (folder / f"{sender}-{n}.eml").write_text(
        f"From: {sender}\nTo: {ME}\nSubject: note {n}\nDate: {when}\n"
        f"Message-ID: <{sender}-{n}@x>\n\nhello\n"
    )


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def start_daemon(home: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        p = subprocess.Popen(
            [sys.executable, "-m", "kithkeep", "daemon", "--foreground"],
            env={**os.environ, "KITHKEEP_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(p)
        wait_for(lambda: status(home)["daemon"]["running"], 15, "the daemon to start")
        return p

    yield start
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()


def status(home: Path) -> dict[str, object]:
    result: dict[str, object] = run_cli(home, "status", "--json").json()
    return result


def addresses(home: Path) -> set[str]:
    return {a for p in run_cli(home, "people", "--json").json() for a in p["addresses"]}


def accounts(home: Path) -> dict[str, dict[str, object]]:
    d = status(home)["daemon"]
    return {a["name"]: a for a in d["accounts"]}  # type: ignore[index]


def test_files_dropped_in_appear_while_200_queries_run(
    home: Path, tmp_path: Path, start_daemon: Callable[[], subprocess.Popen[bytes]]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    config(home, {"one": one, "two": two})
    daemon = start_daemon()

    def query(i: int) -> int:
        args = ("people", "--json") if i % 2 else ("due", "--json")
        return run_cli(home, *args, check=False).code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = pool.map(query, range(200))
        for n in range(5):
            drop(one, f"ann{n}@x.example", n)
            drop(two, f"bo{n}@x.example", n)
            time.sleep(0.3)
        wait_for(
            lambda: (
                {f"ann{n}@x.example" for n in range(5)} | {f"bo{n}@x.example" for n in range(5)}
                <= addresses(home)
            ),
            20,
            "dropped mail to show up in people --json",
        )
        failures = [c for c in codes if c != 0]
    assert failures == [], "a query failed while the daemon wrote"
    state = accounts(home)
    assert state["one"]["healthy"] and state["two"]["healthy"]
    assert state["one"]["added_total"] == 5 and state["two"]["added_total"] == 5
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=10) == 0


def test_a_second_daemon_is_refused_and_a_stale_lock_taken_over(
    home: Path, tmp_path: Path, start_daemon: Callable[[], subprocess.Popen[bytes]]
) -> None:
    config(home, {"one": tmp_path / "one"})
    (tmp_path / "one").mkdir()
    first = start_daemon()
    second = run_cli(home, "daemon", check=False)
    assert second.code == 1
    assert f"already running for {home} (pid {first.pid})" in second.err
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not status(home)["daemon"]["running"]
    again = start_daemon()
    assert status(home)["daemon"]["pid"] == again.pid
    again.send_signal(signal.SIGINT)
    assert again.wait(timeout=10) == 0


def test_a_failing_account_backs_off_while_the_other_goes_on(
    home: Path, tmp_path: Path, start_daemon: Callable[[], subprocess.Popen[bytes]]
) -> None:
    good = tmp_path / "good"
    good.mkdir()
    config(home, {"good": good, "gone": tmp_path / "no-such-folder"})
    daemon = start_daemon()
    wait_for(lambda: int(accounts(home)["gone"]["failures"]) >= 3, 30, "three failures")
    gone = accounts(home)["gone"]
    assert not gone["healthy"] and "no such folder" in str(gone["last_error"])
    runs_before = int(accounts(home)["good"]["runs"])
    drop(good, "cy@x.example")
    wait_for(lambda: "cy@x.example" in addresses(home), 15, "the good account to go on")
    assert int(accounts(home)["good"]["runs"]) > runs_before
    # Backing off: with a 1 s interval, the third failure waits 8 s, not 1.
    next_run = datetime.fromisoformat(str(accounts(home)["gone"]["next_run"]))
    last_error = datetime.fromisoformat(str(accounts(home)["gone"]["last_error_at"]))
    assert (next_run - last_error).total_seconds() >= 3.5
    text = run_cli(home, "status").out
    assert "gone (folder): failing" in text and "good (folder): ok" in text
    # A config broken under the running daemon is reported; the daemon goes on.
    good_text = (home / "config.toml").read_text()
    (home / "config.toml").write_text(good_text + "\nmax_audience = -3\n")
    wait_for(
        lambda: "max_audience" in str(status(home)["daemon"]["config_error"]),  # type: ignore[index]
        15,
        "the broken config to be reported",
    )
    assert daemon.poll() is None
    (home / "config.toml").write_text(good_text)
    wait_for(
        lambda: status(home)["daemon"]["config_error"] is None,  # type: ignore[index]
        15,
        "the mended config to be seen",
    )
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=10) == 0


def test_sigterm_during_a_sync_then_a_fresh_daemon_loses_and_doubles_nothing(
    home: Path, tmp_path: Path, start_daemon: Callable[[], subprocess.Popen[bytes]]
) -> None:
    mail = tmp_path / "mail"
    shutil.copytree(shared_data("enron", "maildir", "derrick-j"), mail)
    config(home, {"mail": mail}, interval_minutes=60)
    (home / "config.toml").write_text(
        (home / "config.toml").read_text().replace(ME, "james.derrick@enron.com")
    )
    daemon = start_daemon()
    wait_for(lambda: count_events(home) > 0, 30, "the first page")
    daemon.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert daemon.wait(timeout=10) == 0
    assert time.monotonic() - started < 10
    partial = count_events(home)

    run_cli(home, "daemon", "--once")
    clean = tmp_path / "clean"
    run_cli(clean, "init", "--me", "james.derrick@enron.com")
    run_cli(clean, "import", str(mail))
    assert count_events(home) >= partial
    assert stable(run_cli(home, "people", "--json").json()) == stable(
        run_cli(clean, "people", "--json").json()
    )
    interactions = json.loads(run_cli(home, "status", "--json").out)["interactions"]
    assert interactions == json.loads(run_cli(clean, "status", "--json").out)["interactions"]


def test_the_digest_is_written_once_the_clock_passes_its_time(tmp_path: Path) -> None:
    from kithkeep.services.config.settings import load
    from kithkeep.services.daemon.scheduler import Daemon

    home, mail = tmp_path / "home", tmp_path / "mail"
    mail.mkdir(parents=True)
    # A relationship (mail both ways), last in touch nine months before the digest.
    for n, (sender, to) in enumerate([("old@x.example", ME), (ME, "old@x.example")]):
        when = format_datetime(datetime(2025, 6, 1 + n, 9, tzinfo=UTC))
        (mail / f"old-{n}.eml").write_text(
            f"From: {sender}\nTo: {to}\nSubject: note\nDate: {when}\n"
            f"Message-ID: <old-{n}@x>\n\nhello\n"
        )
    config(home, {"mail": mail})
    settings = load(home)
    clock = [datetime(2026, 3, 2, 7, 59, tzinfo=UTC)]
    daemon = Daemon(settings, clock=lambda: clock[0])
    daemon.run(once=True)
    assert not (home / "digest").exists(), "not before 08:00"
    clock[0] = datetime(2026, 3, 2, 8, 0, 30, tzinfo=UTC)
    daemon.run(once=True)
    digest = home / "digest" / "2026-03-02.md"
    assert digest.exists()
    text = digest.read_text()
    assert "People due for a word from you (1)" in text and "old@x.example" in text
    digest.write_text("kept")
    daemon.run(once=True)
    assert digest.read_text() == "kept", "once a day"
    log = home / "logs" / "kithkeep.log"
    assert not log.exists() or "digest" in log.read_text()
