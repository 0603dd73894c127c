"""Taking your data with you: `export` (JSON, CSV, vCard 4) and `backup` of a live home."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

import vobject

from tests.conftest import count_events, run_cli, shared_data, spawn_cli, stable


def test_export_vcf_of_the_demo_parses_and_round_trips_names_and_addresses(
    tmp_path: Path,
) -> None:
    home = tmp_path / "demo"
    run_cli(home, "--home", str(home), "demo")
    people = run_cli(home, "people", "--json").json()
    vcf = tmp_path / "people.vcf"
    run_cli(home, "export", "--format", "vcf", "--out", str(vcf))
    raw = vcf.read_bytes()
    assert raw.count(b"VERSION:4.0\r\n") == len(people)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cards = list(vobject.readComponents(raw.decode()))
    read = sorted((c.fn.value, sorted(e.value for e in c.contents.get("email", []))) for c in cards)
    want = sorted((p["name"] or p["addresses"][0], sorted(p["addresses"])) for p in people)
    assert read == want
    assert any(name != addresses[0] for name, addresses in read)  # names, not only addresses


def by_id(row: dict[str, object]) -> str:
    return str(row["id"])


def test_export_json_and_csv_hold_people_interactions_referrals_directives(
    tmp_path: Path,
) -> None:
    home = tmp_path / "demo"
    run_cli(home, "--home", str(home), "demo")
    first = run_cli(home, "people", "--json").json()[0]["addresses"][0]
    run_cli(home, "cadence", first, "30d")
    data = run_cli(home, "export").json()
    assert stable(data["people"]) == stable(run_cli(home, "people", "--json").json())
    assert {"kind": "cadence", "a": first, "b": None, "value": 30} in data["directives"]
    referrals = run_cli(home, "referrals", "--json").json()
    assert sorted(data["referrals"], key=by_id) == sorted(referrals, key=by_id)
    assert len(data["interactions"]) > 100
    meeting = next(i for i in data["interactions"] if i["kind"] == "meeting")
    assert meeting["participants"] and meeting["at"].endswith("+00:00")
    assert "body" not in json.dumps(data["interactions"][0])
    out = tmp_path / "tables"
    run_cli(home, "export", "--format", "csv", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "directives.csv", "interactions.csv", "people.csv", "referrals.csv"
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO((out / "people.csv").read_text())))
    assert len(rows) == len(data["people"])
    assert rows[0]["addresses"] == "; ".join(data["people"][0]["addresses"])
    with_three = list(csv.DictReader(io.StringIO((out / "interactions.csv").read_text())))
    assert len(with_three) == len(data["interactions"])
    assert run_cli(home, "export", "--format", "xml", check=False).code == 1


def events_in_order(path: Path) -> list[tuple[bytes, int]]:
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return c.execute(
            "SELECT originator_id, originator_version FROM stored_events ORDER BY rowid"
        ).fetchall()
    finally:
        c.close()


def test_backup_of_a_home_being_written_opens_and_answers_as_the_source_did(
    tmp_path: Path,
) -> None:
    mail = shared_data("enron", "maildir", "fossum-d")
    home, copy = tmp_path / "home", tmp_path / "copy"
    run_cli(home, "init", "--me", "drew.fossum@enron.com")
    writer = spawn_cli(home, "import", str(mail))
    try:
        deadline = time.monotonic() + 120
        while count_events(home) < 500 and time.monotonic() < deadline:
            time.sleep(0.05)
        run_cli(home, "backup", str(copy))
        assert writer.poll() is None, "the import ended before the backup: nothing was shown"
    finally:
        writer.wait(timeout=600)
    assert writer.returncode == 0
    backed, final = events_in_order(copy / "events.sqlite"), events_in_order(home / "events.sqlite")
    assert 500 <= len(backed) < len(final)
    assert backed == final[: len(backed)]  # a snapshot: a prefix of the history, no gap
    status = run_cli(copy, "--home", str(copy), "status")
    assert str(len(backed)) in status.out
    assert not (copy / "views.sqlite").exists()  # derived: built again on first use
    answers = stable(run_cli(copy, "people", "--json").json())
    assert answers
    run_cli(copy, "rebuild")
    assert stable(run_cli(copy, "people", "--json").json()) == answers
    assert run_cli(home, "backup", str(copy), check=False).code == 1  # never over a backup
    assert not (tmp_path / "copy.partial").exists()
