"""Strangers' names and subjects reach the terminal as text: never Rich markup, never
a control sequence (`people`, `person`, `due`, `referrals` on a real pty)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.services.cli.safe import safe
from tests.cli.test_feel import in_terminal
from tests.conftest import run_cli
from tests.hostile.conftest import measure

HOSTILE_NAMES = ["[/]", "[bold red]boss[/]", "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"]
HOSTILE_SUBJECTS = [
    "[/bold] oops",
    "\x1b[2Jcleared",
    "[link=http://evil.example]free money[/link]",
    "evil\u202etxt.exe",
    "bell\x07\x9b31m",
]


def _days_ago(days: int) -> str:
    """A Date: header this many days before now (due, not yet dormant, today)."""
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    return format_datetime(datetime.now(UTC) - timedelta(days=days))


def _mbox(path: Path) -> None:
    """A two-way history with every hostile name and subject, long overdue."""
    out = []
    for i, name in enumerate(HOSTILE_NAMES):
        who = f"p{i}@example.org"
        for j, subject in enumerate(HOSTILE_SUBJECTS):
            for k, (frm, to) in enumerate(
                ((f'"{name}" <{who}>', "me@example.com"), ("me@example.com", f'"{name}" <{who}>'))
            ):
                out.append(
                    f"From x Tue May  1 10:00:00 2001\nFrom: {frm}\nTo: {to}\n"
                    f"Subject: {subject}\nMessage-ID: <h{i}-{j}-{k}@example.org>\n"
                    f"Date: {_days_ago(200 + 20 * j + k)}\n\nhello\n\n"
                )
    # An introduction by self between two of them, its subject hostile too.
    out.append(
        "From x Tue May  1 10:00:00 2001\nFrom: me@example.com\n"
        f'To: "{HOSTILE_NAMES[0]}" <p0@example.org>, "{HOSTILE_NAMES[1]}" <p1@example.org>\n'
        "Subject: Introduction: [/] meet \x1b[2J [link=http://x]\nMessage-ID: <intro@x>\n"
        f"Date: {_days_ago(150)}\n\nI'd like to introduce you two.\n\n"
    )
    path.write_text("".join(out), encoding="utf-8")


def _on_pty(home: Path, *args: str) -> str:
    """kithkeep's output as a 200-column terminal shows it."""
    env = {"KITHKEEP_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": "200"}
    return in_terminal(list(args), {**env, "LINES": "50"})


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("terminal")
    home = root / "home"
    run_cli(home, "init", "--me", "me@example.com")
    _mbox(root / "hostile.mbox")
    run = measure(home, "import", str(root / "hostile.mbox"))
    assert run.code == 0, run.err
    run.within_bounds()
    run_cli(home, "refer", "p0@example.org", "p2@example.org", "--note", "[/] \x1b[2J note")
    return home


# Rich's own styling (SGR: ESC [ ... m) is fine; anything else is the attacker's.
def _foreign_controls(out: str) -> list[str]:
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", out)
    return re.findall("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]", text)


@pytest.mark.parametrize(
    "args",
    [
        ("people",),
        ("due",),
        ("person", "p0@example.org"),
        ("person", "p1@example.org"),
        ("referrals",),
    ],
)
def test_no_markup_error_and_no_escape_sequence_on_a_terminal(
    hostile_home: Path, args: tuple[str, ...]
) -> None:
    out = _on_pty(hostile_home, *args)
    assert "Traceback" not in out and "MarkupError" not in out
    assert "hello" in out or "@example.org" in out or "Introduction" in out  # it answered
    assert _foreign_controls(out) == [], out
    assert "\x1b]8;" not in out  # no live hyperlink
    assert "\x1b[2J" not in out


def test_the_hostile_text_is_shown_as_text(hostile_home: Path) -> None:
    import re

    out = re.sub(r"\x1b\[[0-9;]*m", "", _on_pty(hostile_home, "person", "p1@example.org"))
    assert "[bold red]boss[/]" in out
    assert "[link=http://evil.example]free money[/link]" in out
    assert "[/bold] oops" in out


def test_json_output_keeps_the_text_as_it_came(hostile_home: Path) -> None:
    data = run_cli(hostile_home, "person", "p0@example.org", "--json").json()
    subjects = {e["subject"] for e in data["timeline"]}
    assert "\x1b[2Jcleared" in subjects


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_safe_text_renders_as_itself_without_controls(raw: str) -> None:
    from rich.console import Console

    console = Console(width=10_000, color_system=None)
    with console.capture() as captured:
        console.print(safe(raw), end="", soft_wrap=True, highlight=False)
    shown = captured.get()
    # Escaped markup shows as the text itself (a trailing backslash stays doubled, so
    # that markup after it is not escaped); in a table cell, `Text` shows it exactly.
    assert shown.rstrip("\\") == safe(raw, markup=False).rstrip("\\")
    assert not any(
        ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in shown
    )
