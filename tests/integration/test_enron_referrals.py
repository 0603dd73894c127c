"""Introductions in real corporate mail: the Enron `derrick-j` and `fossum-d` mailboxes.

Corporate mail holds few introductions. These were checked by hand (see the README).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli, shared_data

pytestmark = pytest.mark.slow


def referrals_of(tmp_path: Path, mailbox: str, me: str) -> list[dict[str, object]]:
    home = tmp_path / mailbox
    run_cli(home, "init", "--me", me)
    run_cli(home, "import", str(shared_data("enron", "maildir", mailbox)))
    rows: list[dict[str, object]] = run_cli(home, "referrals", "--json", "--explain").json()
    return rows


def test_fossum_connects_a_colleague_with_a_working_group(tmp_path: Path) -> None:
    rows = referrals_of(tmp_path, "fossum-d", "drew.fossum@enron.com")
    found = {str(r["message_id"]): r for r in rows}
    intro = found["3520877.1075842522973.javamail.evans@thyme"]
    assert intro["kind"] == "made"
    assert {p["address"] for p in intro["parties"]} == {  # type: ignore[attr-defined]
        "harry.kingerski@enron.com",
        "maria.pavlou@enron.com",
    }
    assert intro["status"] == "follow_up_due"  # nothing between the two is seen afterwards
    assert "cue: subject-intro" in intro["reasons"]  # type: ignore[operator]


def test_derrick_lunch_logistics_are_no_introduction(tmp_path: Path) -> None:
    rows = referrals_of(tmp_path, "derrick-j", "james.derrick@enron.com")
    ids = {str(r["message_id"]) for r in rows}
    # "She needs to meet Mr. Derrick in the lobby": an appointment, not an introduction.
    assert "28260181.1075852458797.javamail.evans@thyme" not in ids
    assert isinstance(rows, list)
