"""Referrals in real corporate mail: the Enron `derrick-j` and `fossum-d` mailboxes.

Corporate mail holds few introductions and more one-sided referrals. These were checked
by hand (see the README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli, shared_data

pytestmark = pytest.mark.slow


def referrals_of(tmp_path: Path, mailbox: str, me: str, *include: str) -> list[dict[str, Any]]:
    home = tmp_path / mailbox
    run_cli(home, "init", "--me", me)
    folders = [arg for name in include for arg in ("--include-folder", name)]
    run_cli(home, "import", str(shared_data("enron", "maildir", mailbox)), *folders)
    rows: list[dict[str, Any]] = run_cli(home, "referrals", "--json", "--explain").json()
    return rows


def by_subject(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["subject"]: r for r in rows}


def names(row: dict[str, Any]) -> set[str]:
    """Each party's name and address, whichever are known."""
    return {x for p in row["parties"] for x in (p["name"], p["address"]) if x}


def test_fossum_passes_contacts_on(tmp_path: Path) -> None:
    found = by_subject(referrals_of(tmp_path, "fossum-d", "drew.fossum@enron.com"))
    paul = found["Paul B"]  # "Paul Bieniawski's phone number is …, give him a call"
    assert paul["kind"] == "made-one-sided"
    assert {"frank.oldenhuis@enron.com", "Paul Bieniawski"} <= names(paul)
    steve = found["Re: Transwestern"]  # "Steve Harris is VP of marketing … Steve is at 713-…"
    assert "Steve Harris" in names(steve)
    assert found["California Storage"]["cues"] == ["hook-up"]  # "hook you up with our …"
    # "Re: Introduction" answered someone who introduced himself: the cue was his.
    assert "Re: Introduction" not in found


def test_derrick_gives_and_receives_referrals(tmp_path: Path) -> None:
    # Marc Manly's "thanks for the referral" lies in deleted_items, which an import
    # leaves out unless asked (deleted mail is treated as every source treats Trash).
    found = by_subject(
        referrals_of(tmp_path, "derrick-j", "james.derrick@enron.com", "deleted_items")
    )
    eric = found["Eric Johnson"]  # "I gave him your name and number"
    assert eric["kind"] == "made-one-sided"
    assert "Eric Johnson" in names(eric)
    assert eric["status"] == "connected"  # Marc Manly: "thanks for the referral"
    assert eric["evidence"]["kind"] == "thanks"
    les = found["Career Opportunities at Enron"]  # "Les LoBaugh suggested that I contact you"
    assert les["kind"] == "received"
    assert les["referrer"]["name"] == "Les LoBaugh"
    assert "pincussr@nmenergy.com" in names(les)
    # "She needs to meet Mr. Derrick in the lobby": an appointment, not an introduction.
    lunch = "28260181.1075852458797.javamail.evans@thyme"
    assert lunch not in {r["message_id"] for r in found.values()}
