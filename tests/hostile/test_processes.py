"""One writer at a time, politely; Ctrl-C and SIGKILL leave nothing behind; a FIFO
in a folder account does not hang the daemon, which stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli, stable
from tests.hostile.conftest import message

pytestmark = pytest.mark.slow

FROM = b"From x Tue May  1 10:00:00 2001\n"


def _mbox(path: Path, first: int, n: int, sender: str) -> Path:
    path.write_bytes(
        b"".join(
            FROM + message(i, f"{sender}{i % 50}@example.org") + b"\n"
            for i in range(first, first + n)
        )
    )
    return path


def _start(home: Path, *args: str, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "kithkeep", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


def _kithkeep_processes(marker: str) -> list[int]:
    """Live processes whose command line names `marker` (zombies are gone already)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(pid))
    return found


def test_two_imports_into_one_home_both_finish_twenty_times(tmp_path: Path) -> None:
    a = _mbox(tmp_path / "a.mbox", 0, 150, "a")
    b = _mbox(tmp_path / "b.mbox", 1000, 150, "b")
    sequential = tmp_path / "sequential"
    run_cli(sequential, "init", "--me", "me@example.com")
    run_cli(sequential, "import", str(a))
    run_cli(sequential, "import", str(b))
    expected = stable(run_cli(sequential, "people", "--json").json())
    tracebacks = waited = 0
    for n in range(20):
        home = tmp_path / f"home{n}"
        run_cli(home, "init", "--me", "me@example.com")
        first, second = _start(home, "import", str(a)), _start(home, "import", str(b))
        for p in (first, second):
            _, err = p.communicate(timeout=120)
            tracebacks += "Traceback" in err
            assert p.returncode == 0, err
            waited += "waiting for the import running as pid" in err
        assert stable(run_cli(home, "people", "--json").json()) == expected
    assert tracebacks == 0
    print(f"figures: 20 runs, {waited} said they waited")


def test_sigkill_of_an_import_leaves_no_kithkeep_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", "me@example.com")
    big = _mbox(tmp_path / "sigkill-marker.mbox", 0, 60_000, "k")
    p = _start(home, "import", str(big))
    deadline = time.monotonic() + 60
    while len(_kithkeep_processes("sigkill-marker")) < 2:  # the parser child is forked
        if p.poll() is not None or time.monotonic() > deadline:
            p.communicate()
            pytest.fail("no child was forked")
        time.sleep(0.05)
    p.kill()
    p.communicate()
    deadline = time.monotonic() + 10
    while _kithkeep_processes("sigkill-marker") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _kithkeep_processes("sigkill-marker") == []


def test_ctrl_c_is_one_line_and_leaves_no_child(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", "me@example.com")
    big = _mbox(tmp_path / "sigint-marker.mbox", 0, 60_000, "c")
    p = _start(home, "import", str(big), start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_kithkeep_processes("sigint-marker")) < 2:
        assert p.poll() is None and time.monotonic() < deadline, "no child was forked"
        time.sleep(0.05)
    time.sleep(1)
    os.killpg(p.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "run the same command again to resume" in lines[0], err
    assert _kithkeep_processes("sigint-marker") == []
    again = run_cli(home, "import", str(big))
    assert "Traceback" not in again.err


def test_daemon_once_with_a_fifo_finishes_and_the_daemon_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", "me@example.com")
    drop = tmp_path / "drop"
    drop.mkdir()
    os.mkfifo(drop / "0-fifo")
    for i in range(5):
        (drop / f"{i}.eml").write_bytes(message(i))
    with (home / "config.toml").open("a") as f:
        f.write(f'\n[[accounts]]\nname = "drop"\ntype = "folder"\npath = "{drop}"\n')
    once = run_cli(home, "daemon", "--once", timeout=60)
    assert once.code == 0 and "Traceback" not in once.err
    assert run_cli(home, "status", "--json").json()["interactions"] == 5
    daemon = _start(home, "daemon", "--foreground")
    time.sleep(5)
    assert daemon.poll() is None
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    daemon.communicate(timeout=10)
    print(f"figures: the daemon stopped {time.monotonic() - started:.1f} s after SIGTERM")
    assert daemon.returncode is not None
