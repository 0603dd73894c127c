"""An encrypted home: nothing personal in any file, the same answers, a wrong key refused."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Result, run_cli, spawn_cli, stable
from tests.pg import use_store

ME = "robin@example.com"
PASSPHRASE = "correct horse battery staple"
QUERIES = (
    ("people", "--json"),
    ("due", "--json"),
    ("referrals", "--json"),
    ("digest", "--json", "--as-of", "2025-12-01"),
    ("people", "--json", "--as-of", "2024-06-30"),
    ("export",),
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's home, in clear: its sample mail and calendar, and its answers."""
    home = tmp_path_factory.mktemp("demo") / "demo"
    run_cli(home, "--home", str(home), "demo")
    return home


@pytest.fixture(scope="module")
def plain(demo: Path) -> Path:
    """The demo's mail and calendar imported into a home in clear, as a user would."""
    home = demo.parent / "plain"
    run_cli(home, "init", "--me", ME)
    run_cli(home, "import", str(demo / "sample"))
    return home


@pytest.fixture
def passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_os_keyring: None) -> Path:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    monkeypatch.setenv("KITHKEEP_PASSPHRASE_FILE", str(path))
    return path


def answers(home: Path) -> list[object]:
    out: list[object] = []
    for q in QUERIES:
        data = run_cli(home, *q).json()
        if isinstance(data, list) and data and "id" in data[0]:
            data = sorted(data, key=lambda r: r["id"])
        out.append(stable(data))
    return out


def known_terms(demo: Path) -> list[str]:
    """20 things no file of an encrypted home may show: names, subjects, addresses."""
    c = sqlite3.connect(demo / "views.sqlite")
    names = [r[0] for r in c.execute("SELECT DISTINCT name FROM names WHERE name LIKE '% %'")]
    subjects = [
        r[0]
        for r in c.execute("SELECT DISTINCT subject FROM interactions WHERE length(subject) > 14")
    ]
    addresses = [
        r[0] for r in c.execute("SELECT DISTINCT address FROM stats WHERE address != ?", (ME,))
    ]
    c.close()
    terms = names[:7] + subjects[:7] + addresses[:6]
    assert len(terms) == 20
    return terms


def clear_traces(home: Path, terms: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for root, _dirs, files in os.walk(home):
        for name in files:
            data = Path(root, name).read_bytes()
            hits = [t for t in terms if t.encode() in data]
            if hits:
                found[str(Path(root, name).relative_to(home))] = hits
    return found


def fingerprint(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        # writer.lock names the pid that last asked to write: no data of the home's.
        if p.is_file() and p.name != "writer.lock"
    }


def one_line_error(result: Result) -> None:
    assert result.code == 1, result
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err


def test_an_encrypted_home_shows_nothing_and_answers_the_same(
    demo: Path, plain: Path, tmp_path: Path, passphrase: Path, store_url: str
) -> None:
    home = tmp_path / "encrypted"
    out = run_cli(home, "init", "--encrypt", "--me", ME).out
    assert "passphrase" in out
    use_store(home, store_url)
    run_cli(home, "import", str(demo / "sample"))
    assert answers(home) == answers(plain)
    terms = known_terms(plain)
    assert clear_traces(plain, terms), "the terms are in a plain home's files: a real test"
    assert clear_traces(home, terms) == {}
    if not store_url:  # a backup stays encrypted, and opens with the same passphrase
        copy = tmp_path / "backup"
        run_cli(home, "backup", str(copy))
        assert clear_traces(copy, terms) == {}
        assert answers(copy) == answers(plain)
    if store_url:
        import psycopg

        with psycopg.connect(store_url) as c:
            states = b"".join(bytes(r[0]) for r in c.execute("SELECT state FROM kithkeep_events"))
        assert states and not [t for t in terms if t.encode() in states]


def test_a_wrong_or_missing_key_is_one_line_and_writes_nothing(
    demo: Path, tmp_path: Path, passphrase: Path
) -> None:
    home = tmp_path / "encrypted"
    run_cli(home, "init", "--encrypt", "--me", ME)
    run_cli(home, "import", str(demo / "sample"))
    before = fingerprint(home)
    passphrase.write_text("not the passphrase\n")
    for command in (
        ("people", "--json"),
        ("due",),
        ("status",),
        ("import", str(demo / "sample")),
        ("rebuild",),
        ("forget", "sam@specimen-bio.example.net", "--yes"),
        ("export",),
        ("encrypt",),
    ):
        result = run_cli(home, *command, check=False)
        one_line_error(result)
        assert "wrong passphrase" in result.err or "encrypted already" in result.err
    env_less = {k: v for k, v in os.environ.items() if k != "KITHKEEP_PASSPHRASE_FILE"}
    p = subprocess.run(
        [sys.executable, "-m", "kithkeep", "people", "--json"],
        env={**env_less, "KITHKEEP_HOME": str(home)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    one_line_error(Result(p.returncode, p.stdout, p.stderr))
    assert "KITHKEEP_PASSPHRASE_FILE" in p.stderr
    passphrase.chmod(0o644)
    one_line_error(run_cli(home, "people", "--json", check=False))
    assert fingerprint(home) == before


def test_encrypting_a_home_in_use_killed_midway_then_again_gives_the_same_answers(
    demo: Path, tmp_path: Path, passphrase: Path
) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    run_cli(home, "import", str(demo / "sample"))
    plain = answers(home)
    described = home / "encryption.json"
    states = []
    for delay in (0.0, 0.15, 0.4):
        p = spawn_cli(home, "encrypt")
        deadline = time.monotonic() + 60
        while not described.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        state = json.loads(described.read_text())["state"]
        states.append(state)
        if state == "encrypting":
            one_line_error(run_cli(home, "people", "--json", check=False))
    assert "encrypting" in states, "never killed midway: the test showed nothing"
    if json.loads(described.read_text())["state"] == "encrypting":
        run_cli(home, "encrypt")
    assert answers(home) == plain
    assert clear_traces(home, known_terms(demo)) == {}
    assert run_cli(home, "encrypt", check=False).code == 1  # encrypted already
    run_cli(home, "import", str(demo / "sample"))
    assert answers(home) == plain
