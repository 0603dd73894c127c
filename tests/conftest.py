"""Shared fixtures: where the real data lives, a fresh home, and the CLI as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.pg"]  # PostgreSQL fixtures: pg_url, store_url

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KITHKEEP_SHARED", REPO.parent / "shared"))
IN_CI = bool(os.environ.get("CI"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skip (or fail in CI) when it is not there."""
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing, and CI must run the tests that read it")
        pytest.skip(f"{path} is missing: these tests need the shared data set beside the repo")
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


def run_cli(
    home: Path, *args: str, check: bool = True, timeout: float = 300, input_text: str | None = None
) -> Result:
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    env.pop("KITHKEEP_ME", None)
    p = subprocess.run(
        [sys.executable, "-m", "kithkeep", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        input=input_text,
    )
    result = Result(p.returncode, p.stdout, p.stderr)
    if check and p.returncode != 0:
        raise AssertionError(f"kithkeep {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return result


def spawn_cli(home: Path, *args: str) -> subprocess.Popen[bytes]:
    """`kithkeep ARGS` started in the background on `home` (to be killed, or waited for)."""
    return subprocess.Popen(
        [sys.executable, "-m", "kithkeep", *args],
        env={**os.environ, "KITHKEEP_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stable(rows: Any) -> Any:
    """Answers without `overdue_days`, to compare answers asked at different moments:
    "now" moves on between two commands, and overdue_days turns over at the time of day
    someone fell due (`due_at`, kept, says the same thing). A list ordered by it (`due`)
    is ordered by `due_at` instead, which does not move."""
    if isinstance(rows, list):
        out = [stable(r) for r in rows]
        if rows and all(isinstance(r, dict) and "overdue_days" in r for r in rows):
            out.sort(key=lambda r: (r.get("due_at") or "", r.get("addresses") or []))
        return out
    if isinstance(rows, dict):
        return {k: stable(v) for k, v in rows.items() if k != "overdue_days"}
    return rows


def count_events(home: Path) -> int:
    """Events stored under a home, read the way another process would (0 if none yet)."""
    import sqlite3

    try:
        c = sqlite3.connect(f"file:{home / 'events.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return int(c.execute("SELECT count(*) FROM stored_events").fetchone()[0])
        finally:
            c.close()
    except sqlite3.Error:
        return 0


@pytest.fixture
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No keyring service here: secrets go to the home's 0600 file, for the CLI too."""
    import keyring
    from keyring.backends import fail

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cli(home: Path) -> Run:
    def run(*args: str, check: bool = True) -> Result:
        return run_cli(home, *args, check=check)

    return run


# -- real servers on loopback (tests/servers.py) ------------------------------------


def dovecot_or_skip(inbox: list[Path] = (), sent: list[Path] = ()) -> Any:  # type: ignore[assignment]
    """A seeded Dovecot in a folder of its own; skip with the reason where it cannot run,
    or fail in CI, which must run the IMAP tests. The caller stops it (and removes
    `server.root`)."""
    import tempfile

    from tests.servers import Dovecot, dovecot_missing

    reason = dovecot_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason}, and CI must run the IMAP tests")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="kithkeep-dovecot-"))
    return Dovecot.start(root, inbox=inbox, sent=sent)


@pytest.fixture
def start_dovecot() -> Iterator[Callable[..., Any]]:
    """Start a seeded Dovecot (skip with the reason where it cannot run, unless CI).

    Its folder is outside pytest's tmp tree: a pytest run started meanwhile resets that
    tree to 0700, and Dovecot's unprivileged auth process must reach the passwd file.
    """
    import shutil

    started: list[Any] = []

    def start(inbox: list[Path] = (), sent: list[Path] = ()) -> Any:  # type: ignore[assignment]
        server = dovecot_or_skip(inbox, sent)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Any]:
    from tests.servers import Radicale

    server = Radicale.start(tmp_path / "radicale")
    yield server
    server.stop()
