"""A CLI that feels like the tools people already like: one test per thing a newcomer
tripped over (issue #20), each asserting the new behaviour."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import REPO, Result, run_cli, shared_data

FOSSUM = "drew.fossum@enron.com"
ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def fossum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the real fossum-d mailbox imported (330 people and more)."""
    home = tmp_path_factory.mktemp("fossum") / "home"
    run_cli(home, "init", "--me", FOSSUM)
    run_cli(home, "import", str(shared_data("enron", "maildir", "fossum-d")))
    return home


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("sample") / "demo"
    run_cli(home, "demo", "--home", str(home))
    return home


def kk(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
    """kithkeep with no KITHKEEP_HOME: what the line itself says is all there is."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("KITHKEEP_")}
    p = subprocess.run(
        [sys.executable, "-m", "kithkeep", *args],
        capture_output=True,
        text=True,
        env={**full, **(env or {})},
        cwd=cwd,
        timeout=300,
        check=False,
    )
    return Result(p.returncode, p.stdout, p.stderr)


# -- global options, -h, --version, completion --------------------------------------------


def test_version_h_and_completion(tmp_path: Path) -> None:
    v = kk("--version")
    assert v.code == 0 and v.out.strip() == f"kithkeep {version('kithkeep')}"
    assert kk("due", "-h").out.startswith("Usage: ")
    assert "--install-completion" in kk("-h").out
    assert "kithkeep --install-completion" in (REPO / "README.md").read_text()


def test_global_options_anywhere_on_the_line(sample: Path, tmp_path: Path) -> None:
    before = kk("--home", str(sample), "due", "--json")
    after = kk("due", "--json", "--home", str(sample))
    equals = kk("due", f"--home={sample}", "--json")
    assert before.code == after.code == equals.code == 0, after.err
    assert json.loads(after.out) == json.loads(before.out) == json.loads(equals.out) != []
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.toml").write_text("max_audience = [")
    debug = kk("people", "--home", str(broken), "--debug")
    assert debug.code != 0 and "Traceback" in debug.err


def test_kithkeep_alone_shows_the_four_first_commands() -> None:
    alone = kk()
    assert alone.code == 0
    firsts = [line.split()[1] for line in alone.out.splitlines() if line.startswith("  kithkeep")]
    assert firsts == ["demo", "init", "import", "due"]


# -- consistent options -------------------------------------------------------------------


def test_due_takes_limit_like_every_list(sample: Path) -> None:
    for command in (["due"], ["people"], ["referrals"], ["directives"]):
        rows = kk(*command, "--json", "--limit", "2", "--home", str(sample)).out
        assert len(json.loads(rows)) <= 2, command
    assert len(json.loads(kk("due", "--json", "--limit", "2", "--home", str(sample)).out)) == 2


def test_negative_or_malformed_durations_name_the_value(sample: Path) -> None:
    negative = kk("cadence", "x@example.com", "-5d", "--home", str(sample))
    assert negative.code == 1 and "'-5d'" in negative.err and "No such option" not in negative.err
    assert "positive" in negative.err
    bad = kk("cadence", "x@example.com", "soon", "--home", str(sample))
    assert bad.code == 1 and "'soon'" in bad.err
    interval = kk("account", "add", "folder", "/tmp", "--interval", "-5", "--home", str(sample))
    assert interval.code == 2 and "-5" in interval.err and "--interval" in interval.err


# -- output for people and for pipes ------------------------------------------------------


def test_piped_people_are_full_tab_separated_lines(fossum: Path) -> None:
    everyone = {
        a for p in kk("people", "--json", "--home", str(fossum)).json() for a in p["addresses"]
    }
    assert len(everyone) > 250  # 296 people once automated senders are left out
    piped = kk("people", "--home", str(fossum), env={"COLUMNS": "80"})
    assert "…" not in piped.out
    header, *lines = piped.out.splitlines()
    assert header.split("\t")[:2] == ["name", "addresses"]
    shown = {a for line in lines for a in line.split("\t")[1].split(",")}
    assert shown == everyone
    assert all(line.count("\t") == header.count("\t") for line in lines)
    # The same as a table, asked for: folded, never cut.
    table = kk("people", "--format", "table", "--home", str(fossum), env={"COLUMNS": "80"})
    assert "…" not in table.out and "┃" in table.out


def test_long_lists_on_a_terminal_go_through_the_pager(fossum: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = {"PAGER": f"cat > {paged}", "COLUMNS": "100", "LINES": "20"}
    out = in_terminal(["people", "--home", str(fossum)], env)
    assert paged.exists() and "┃" in paged.read_text()
    assert "┃" not in out  # the table went to the pager, not to the screen
    paged.unlink()
    direct = in_terminal(["people", "--no-pager", "--home", str(fossum)], env)
    assert not paged.exists() and "┃" in direct


def test_no_color_and_columns_are_respected(sample: Path) -> None:
    colour = {"FORCE_COLOR": "1", "COLUMNS": "200"}
    rich = kk("due", "--format", "table", "--home", str(sample), env=colour)
    assert ANSI.search(rich.out)
    plain = kk("due", "--format", "table", "--home", str(sample), env={**colour, "NO_COLOR": "1"})
    assert not ANSI.search(plain.out)
    assert max(len(line) for line in plain.out.splitlines()) > 100  # COLUMNS=200, not 80


def test_json_is_uniformly_compact(sample: Path) -> None:
    for command in (["people"], ["due"], ["status"], ["digest"], ["config", "show"]):
        out = kk(*command, "--json", "--home", str(sample)).out
        assert json.loads(out) is not None
        assert '": ' not in out and '", "' not in out, command


# -- dates and words ----------------------------------------------------------------------


def test_person_status_and_digest_read_as_a_person_would(sample: Path, tmp_path: Path) -> None:
    due = kk("due", "--json", "--home", str(sample)).json()
    who = due[0]["addresses"][0]
    text = kk("person", who, "--home", str(sample)).out
    assert re.search(r"due \d{4}-\d{2}-\d{2} \((\d+ d ago|in \d+ d|today)\)", text), text
    assert "T" not in text.split("due ", 1)[1].split()[0]
    assert text.splitlines()[0].count(who) == 1  # the address once, not as a name too
    assert "every 1 days" not in text
    status = kk("status", "--home", str(sample)).out
    assert "None" not in status and not re.search(r"\d\d:\d\d:\d\d\.\d+", status)
    empty = kk("status", "--home", str(tmp_path / "new")).out
    assert "config: none yet" in empty and "None" not in empty
    digest = kk("digest", "--home", str(sample)).out
    assert not re.search(r"- (\S+@\S+) <\1>", digest)
    run_cli(sample, "cadence", who, "1d")
    assert "every day" in kk("person", who, "--home", str(sample)).out
    run_cli(sample, "cadence", who, "auto")


def test_errors_name_the_option_or_variable_at_fault(sample: Path) -> None:
    at = kk("refer", "a@x.example", "b@x.example", "--at", "2001-02-30", "--home", str(sample))
    assert at.code == 1 and "--at '2001-02-30'" in at.err and "--as-of" not in at.err
    env = kk("people", "--home", str(sample), env={"KITHKEEP_MAX_AUDIENCE": "abc"})
    assert env.code == 1 and "KITHKEEP_MAX_AUDIENCE='abc'" in env.err
    assert "config.toml" not in env.err


# -- a new home, the demo -----------------------------------------------------------------


def test_a_query_on_an_empty_home_answers_empty(tmp_path: Path) -> None:
    for command in (["due"], ["people"], ["referrals"]):
        r = kk(*command, "--json", "--home", str(tmp_path / "new"))
        assert (r.code, r.out) == (0, "[]\n"), command
        assert "nothing imported yet" in r.err
    tsv = kk("due", "--home", str(tmp_path / "new"))
    assert tsv.code == 0 and tsv.out.startswith("name\t")


def test_demo_hints_are_typeable_and_lead_to_ones_own_mail(tmp_path: Path) -> None:
    venv_bin = Path(sys.executable).parent
    script = venv_bin / "kithkeep"
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    r = subprocess.run(
        [str(script.relative_to(REPO)) if script.is_relative_to(REPO) else str(script), "demo"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=True,
    )  # fmt: skip
    hints = [line.strip() for line in r.stdout.splitlines() if "kithkeep " in line]
    typed = hints[-1].split()[0]
    assert typed.endswith("kithkeep") and typed != "kithkeep"  # not on PATH: its path
    assert (REPO / typed).exists() or Path(typed).exists()
    assert any(" init --me " in h for h in hints) and any(" import " in h for h in hints)
    assert hints[-1].endswith(" due")
    assert not list(tmp_path.glob("kithkeep-demo-*")), "the sample home is removed"
    kept = tmp_path / "kept"
    assert kk("demo", "--home", str(kept)).code == 0 and (kept / "events.sqlite").exists()


def in_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run kithkeep with a pseudo-terminal as stdin and stdout; what the screen got."""
    import pty

    full = {k: v for k, v in os.environ.items() if not k.startswith("KITHKEEP_")}
    leader, follower = pty.openpty()
    os.set_inheritable(follower, True)
    import fcntl
    import struct
    import termios

    rows, cols = int(env.get("LINES", "24")), int(env.get("COLUMNS", "80"))
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kithkeep", *args],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**full, **env},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")
