"""`kithkeep demo`: a sample network, imported through the ordinary path, offline."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli


def test_demo_builds_a_network_and_shows_who_is_due(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = run_cli(home, "--home", str(home), "demo")
    assert "Sample network: 50 people" in result.out
    assert "Due for a word from you" in result.out
    assert "Try next:" in result.out and f"KITHKEEP_HOME={home}" in result.out
    due = run_cli(home, "due", "--json").json()
    assert 5 <= len(due) <= 30
    assert [p["overdue_days"] for p in due] == sorted(
        (p["overdue_days"] for p in due), reverse=True
    )
    people = run_cli(home, "people", "--json").json()
    assert 45 <= len(people) <= 60
    assert {p["cadence_source"] for p in people} >= {"learned"}
    assert any(p["last_meeting"] for p in people)
    assert not any("newsletter" in a or "no-reply" in a for p in people for a in p["addresses"])
    again = run_cli(home, "import", str(home / "sample"))
    assert "Imported 0 new interactions" in again.out


def test_demo_without_home_uses_a_fresh_temporary_folder(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "unused", "demo")
    line = next(x for x in result.out.splitlines() if "KITHKEEP_HOME=" in x)
    demo_home = Path(line.split("=", 1)[1])
    assert demo_home.exists() and demo_home != tmp_path / "unused"
    assert (demo_home / "events.sqlite").exists()
