"""A full disk and a read-only home are one line each, and nothing stored is lost.

Both need a small file system of their own (a tmpfs mounted here: root, or a
container that allows it); elsewhere they skip with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.conftest import measure, message

pytestmark = pytest.mark.slow

FROM = b"From x Tue May  1 10:00:00 2001\n"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "fs"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _mbox(path: Path, n: int) -> Path:
    path.write_bytes(
        b"".join(FROM + message(i, f"p{i % 500}@example.org", "x" * 200) + b"\n" for i in range(n))
    )
    return path


def test_a_full_disk_is_one_line_and_keeps_what_was_saved(small_fs: Path, tmp_path: Path) -> None:
    home = small_fs / "home"
    run_cli(home, "init", "--me", "me@example.com")
    small = _mbox(tmp_path / "small.mbox", 50)
    run_cli(home, "import", str(small))
    people = run_cli(home, "people", "--json").json()
    run = measure(home, "import", str(_mbox(tmp_path / "big.mbox", 20_000)))
    assert run.code == 1, run.out
    line = run.one_line_error()
    assert "disk is full" in line, line
    # What was saved before stays readable (a later page's transaction was rolled back).
    assert run_cli(home, "status", "--json").json()["interactions"] >= 50
    shutil.rmtree(home / "locks", ignore_errors=True)
    after = run_cli(home, "people", "--json", check=False)
    assert after.code in (0, 1) and "Traceback" not in after.err
    if after.code == 0:
        assert {p["addresses"][0] for p in people} <= {p["addresses"][0] for p in after.json()}


def test_a_read_only_home_is_one_line(small_fs: Path, tmp_path: Path) -> None:
    home = small_fs / "home"
    run_cli(home, "init", "--me", "me@example.com")
    run_cli(home, "import", str(_mbox(tmp_path / "a.mbox", 20)))
    events = (home / "events.sqlite").read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        for command in (("import", str(_mbox(tmp_path / "b.mbox", 20))), ("rebuild",)):
            run = measure(home, *command)
            assert run.code == 1, (command, run.out)
            line = run.one_line_error()
            assert "read-only" in line or "cannot write" in line, line
        assert (home / "events.sqlite").read_bytes() == events
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=False)
