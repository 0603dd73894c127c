"""Crashes, re-runs, rebuilds and --as-of all give the answers of one clean run."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import message_from_binary_file, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import count_events, run_cli, shared_data, stable

ME = "james.derrick@enron.com"
pytestmark = pytest.mark.slow

VIEW_DUMPS = {
    "interactions": "SELECT id, at, kind, direction, sender, subject, thread, audience, noise "
    "FROM interactions ORDER BY id",
    "participants": "SELECT p.address, p.at, i.id, p.how, p.contact, p.name FROM participants p "
    "JOIN interactions i ON i.iid = p.iid ORDER BY p.address, p.at, i.id",
    "stats": "SELECT * FROM stats ORDER BY address",
    "names": "SELECT * FROM names ORDER BY address, name",
    "future": "SELECT f.address, f.at, i.id FROM future f JOIN interactions i ON i.iid = f.iid "
    "ORDER BY 1, 2, 3",
}


def dump_views(home: Path) -> dict[str, list[Any]]:
    """The views' content, keyed by interaction id (not by notification number)."""
    c = sqlite3.connect(home / "views.sqlite")
    try:
        return {name: c.execute(q).fetchall() for name, q in VIEW_DUMPS.items()}
    finally:
        c.close()


def answers(home: Path) -> dict[str, Any]:
    return {
        "people": stable(run_cli(home, "people", "--json").json()),
        "due": stable(run_cli(home, "due", "--json").json()),
        "as_of": run_cli(home, "people", "--json", "--as-of", "2001-06-30").json(),
    }


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("clean")
    run_cli(home, "init", "--me", ME)
    run_cli(home, "import", str(shared_data("enron", "maildir")))
    return home


@pytest.mark.parametrize("kill_at", [0.0, 0.4, 0.9])
def test_sigkill_during_import_then_rerun_equals_clean_run(
    clean_run: Path, tmp_path: Path, kill_at: float
) -> None:
    """Killed after the first event, and after 40% and 90% of what a clean run stores."""
    kill_after_events = max(1, int(kill_at * count_events(clean_run)))
    mail = shared_data("enron", "maildir")
    home = tmp_path / "killed"
    run_cli(home, "init", "--me", ME)
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kithkeep", "import", str(mail)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while count_events(home) < kill_after_events:
        assert proc.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the parser child dies with it
    proc.wait()
    partial = count_events(home)
    assert partial < count_events(clean_run)

    rerun = run_cli(home, "import", str(mail))
    assert "new interactions" in rerun.out
    assert dump_views(home) == dump_views(clean_run)
    assert answers(home) == answers(clean_run)
    again = run_cli(home, "import", str(mail))
    assert "Imported 0 new interactions" in again.out


def test_rebuild_equals_incremental_views(clean_run: Path, tmp_path: Path) -> None:
    home = tmp_path / "copy"
    shutil.copytree(clean_run, home)
    before = dump_views(home)
    assert before["stats"], "the clean run projected something"
    run_cli(home, "rebuild")
    assert dump_views(home) == before
    # Incremental in two parts, then a rebuild, is the same again.
    two = tmp_path / "two"
    run_cli(two, "init", "--me", ME)
    run_cli(two, "import", str(shared_data("enron", "maildir", "derrick-j")))
    run_cli(two, "import", str(shared_data("enron", "maildir")))
    assert dump_views(two)["stats"] == before["stats"]
    run_cli(two, "rebuild")
    assert dump_views(two)["stats"] == before["stats"]


def _dated(path: Path) -> datetime | None:
    with path.open("rb") as f:
        msg = message_from_binary_file(f, policy=policy.compat32)
    try:
        when = parsedate_to_datetime(msg["Date"])
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@pytest.mark.parametrize("cut", ["2000-12-31", "2001-06-30", "2001-10-15"])
def test_as_of_matches_a_fresh_import_of_only_earlier_mail(
    clean_run: Path, tmp_path: Path, cut: str
) -> None:
    mail = shared_data("enron", "maildir")
    end = datetime.fromisoformat(cut + "T23:59:59+00:00")
    earlier = tmp_path / "earlier"
    for path in mail.rglob("*"):
        if not path.is_file():
            continue
        when = _dated(path)
        if when is not None and datetime(1990, 1, 1, tzinfo=UTC) <= when <= end:
            target = earlier / path.relative_to(mail)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    home = tmp_path / "fresh"
    run_cli(home, "init", "--me", ME)
    run_cli(home, "import", str(earlier))
    as_of = run_cli(clean_run, "people", "--json", "--as-of", cut).json()
    fresh = run_cli(home, "people", "--json", "--as-of", cut).json()
    assert as_of == fresh  # strength, tier, state and fading included
    assert {"strength", "tier", "state", "fading"} <= set(as_of[0])
    assert {p["state"] for p in as_of} >= {"active", "one-way"}
    assert len(as_of) < len(run_cli(clean_run, "people", "--json").json())
    due_then = run_cli(clean_run, "due", "--json", "--as-of", cut).json()
    assert due_then == run_cli(home, "due", "--json", "--as-of", cut).json()
    assert due_then and all(p["state"] == "due" and p["tier"] != "one-way" for p in due_then)
    # One clock: "ago" and "overdue" counted at the as-of moment, in text as in JSON.
    late = due_then[0]
    since = datetime.fromisoformat(late["last_contact"])
    text = run_cli(clean_run, "person", late["addresses"][0], "--as-of", cut).out
    assert re.search(rf"\({(end - since).days}\s*d\s+ago\)", text), text


def test_the_fast_due_answer_equals_the_general_one(clean_run: Path) -> None:
    from kithkeep.projections import queries

    c = queries.connect(clean_run / "views.sqlite")
    try:
        # Today everyone is long dormant: ask half a year after the mail ends instead.
        now = int(datetime(2002, 6, 30, tzinfo=UTC).timestamp())
        fast = queries.due_json(c, now=now, default_cadence=180)
        general = queries.due(queries.answers(c, now=now, default_cadence=180, only_due=True))
        assert fast is not None and len(fast) > 100
        assert fast == [a.json for a in general]
    finally:
        c.close()


def test_what_the_views_keep_of_each_relationship_is_what_its_figures_make(
    clean_run: Path, tmp_path: Path
) -> None:
    """`stats.worth`, `half_life` and `head` are the domain's rules on each row's figures;
    a change of the figures makes them NULL until `settle`; and `due --json` answers the
    same from them or without them."""
    from kithkeep.domain.strength import Bond, half_life, strength
    from kithkeep.projections import queries

    copy = tmp_path / "views.sqlite"
    shutil.copy(clean_run / "views.sqlite", copy)
    w = sqlite3.connect(copy)
    rows = w.execute(
        "SELECT address, first, last, n, w_out, w_in, w_meet, learned, replies, worth, "
        "half_life, head, json_object('name', nullif(name, ''), 'addresses', "
        "json_array(address), 'first_contact', first_iso, 'last_contact', last_iso, "
        "'last_outbound', last_out_iso, 'last_inbound', last_in_iso, 'last_meeting', "
        "last_meeting_iso, 'interactions', n) FROM stats"
    ).fetchall()
    assert len(rows) > 200
    for address, *figures, worth, kept, head, whole in rows:
        b = Bond(*figures)
        assert worth == strength(b, b.last or 0) and kept == half_life(b), address
        assert head + "}" == whole, address
    now = int(datetime(2002, 6, 30, tzinfo=UTC).timestamp())
    c = queries.connect(copy)
    kept_answer = queries.due_json(c, now=now, default_cadence=180)
    c.close()
    # A figure changes: what was kept of that row is NULL again (the trigger).
    w.execute("UPDATE stats SET n = n + 0 WHERE rowid % 3 = 0")
    w.execute("UPDATE stats SET learned = learned WHERE rowid % 3 = 1")
    left = w.execute("SELECT count(*) FROM stats WHERE worth IS NOT NULL").fetchone()[0]
    assert left < len(rows) / 2
    w.commit()
    w.close()
    c = queries.connect(copy)
    try:
        assert kept_answer is not None and len(kept_answer) > 100
        assert queries.due_json(c, now=now, default_cadence=180) == kept_answer
    finally:
        c.close()
