"""kithkeep on PostgreSQL, as users run it: a history copied over, several daemons and a
projection process on one store, a team asking who knows whom, and a database that is down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import REPO, run_cli, shared_data
from tests.pg import use_store

pytestmark = pytest.mark.slow
FOSSUM = "drew.fossum@enron.com"


def init(home: Path, url: str, *me: str, extra: str = "") -> Path:
    run_cli(home, "init", *(x for a in me for x in ("--me", a)))
    use_store(home, url)
    if extra:
        with (home / "config.toml").open("a") as f:
            f.write(extra)
    return home


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute(sql).fetchall()  # type: ignore[arg-type]


def wait_for(
    check: Callable[[], bool], seconds: float, what: str, detail: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {detail()}")


#: Answers compared across homes are asked as of one fixed moment: "now" moves on between
#: two commands, and someone's overdue_days turns over at the time of day they fell due.
AT = ("--as-of", "2026-06-30")


# -- store copy ------------------------------------------------------------------------------


def test_store_copy_of_fossum_gives_the_same_people_even_when_interrupted(
    tmp_path: Path, pg_url: str
) -> None:
    local = init(tmp_path / "sqlite", "", FOSSUM)
    run_cli(local, "import", str(shared_data("enron", "maildir", "fossum-d")))
    expected = run_cli(local, "people", "--json", *AT).json()
    assert len(expected) > 100

    shared = init(tmp_path / "pg", pg_url, FOSSUM)
    run_cli(shared, "store", "migrate")
    run_cli(shared, "store", "migrate")  # idempotent
    source = f"sqlite://{local / 'events.sqlite'}"
    first = run_cli(shared, "store", "copy", "--from", source, "--max-events", "700")
    assert "Copied 700 events" in first.out and "interrupted" in first.out
    partial = run_cli(shared, "people", "--json", *AT).json()  # views follow a partial copy
    assert 0 < len(partial) <= len(expected)

    rest = run_cli(shared, "store", "copy", "--from", source)
    assert "complete" in rest.out
    assert run_cli(shared, "people", "--json", *AT).json() == expected
    again = run_cli(shared, "store", "copy", "--from", source)
    assert "Copied 0 events" in again.out
    assert run_cli(shared, "people", "--json", *AT).json() == expected
    due = run_cli(local, "due", "--json", *AT).json()
    assert run_cli(shared, "due", "--json", *AT).json() == due
    assert (
        run_cli(shared, "referrals", "--json", *AT).json()
        == run_cli(local, "referrals", "--json", *AT).json()
    )


def test_a_copy_killed_mid_way_resumes_to_the_same_people(tmp_path: Path) -> None:
    from tests.pg import pg_database

    local = init(tmp_path / "sqlite", "", FOSSUM)
    run_cli(local, "import", str(shared_data("enron", "maildir", "fossum-d")))
    expected = run_cli(local, "people", "--json", *AT).json()
    with pg_database() as url:
        shared = init(tmp_path / "pg", url, FOSSUM)
        source = f"sqlite://{local / 'events.sqlite'}"
        env = {**os.environ, "KITHKEEP_HOME": str(shared)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "kithkeep", "store", "copy", "--from", source],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def some_copied() -> bool:
            try:
                return bool(query(url, "SELECT count(*) FROM kithkeep_events")[0][0])
            except psycopg.Error:
                return False

        wait_for(lambda: some_copied() or proc.poll() is not None, 60, "the copy to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run_cli(shared, "store", "copy", "--from", source)
        assert run_cli(shared, "people", "--json", *AT).json() == expected


# -- several daemons and a projection process ----------------------------------------------


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in started:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_three_daemons_and_a_projector_lose_nothing_and_double_nothing(
    tmp_path: Path, pg_url: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    mail = shared_data("enron", "maildir", "fossum-d")
    # `all_documents` holds many of the others' messages: each is stored once.
    folders = {"folder-0": "_sent_mail", "folder-1": "all_documents", "folder-2": "notes_inbox"}
    reference = init(tmp_path / "reference", "", FOSSUM)
    for sub in folders.values():
        run_cli(reference, "import", str(mail / sub))
    expected = run_cli(reference, "people", "--json", *AT).json()
    (expected_interactions,) = [
        r[0] for r in _sqlite(reference / "views.sqlite", "SELECT count(*) FROM interactions")
    ]

    accounts = "".join(
        f'\n[[accounts]]\nname = "{name}"\ntype = "folder"\npath = "{mail / sub}"\n'
        "interval_minutes = 0.1\n"
        for name, sub in folders.items()
    )
    extra = f"\n[daemon]\njitter_seconds = 0\n{accounts}"
    homes = [init(tmp_path / f"worker-{i}", pg_url, FOSSUM, extra=extra) for i in range(3)]
    run_cli(homes[0], "store", "migrate")

    def spawn(home: Path, *args: str) -> subprocess.Popen[bytes]:
        with (home / "stderr.log").open("ab") as log:
            p = subprocess.Popen(
                [sys.executable, "-m", "kithkeep", *args],
                env={**os.environ, "KITHKEEP_HOME": str(home)},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        processes.append(p)
        return p

    projector = init(tmp_path / "projector", pg_url, FOSSUM)
    spawn(projector, "project")
    daemons = [
        spawn(home, "daemon", "--foreground", "--accounts", name)
        for home, name in zip(homes, folders, strict=True)
    ]

    def stored_events() -> int:
        return int(query(pg_url, "SELECT count(*) FROM kithkeep_events")[0][0])

    # Kill the daemon with the most to do as soon as anything is stored: it is mid-sync
    # (parsing, or inside a page's transaction). Restarted, it resumes from its cursor.
    deadline = time.monotonic() + 120
    while stored_events() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    daemons[1].send_signal(signal.SIGKILL)
    daemons[1].wait()
    spawn(homes[1], "daemon", "--foreground", "--accounts", "folder-1")

    def views_complete() -> bool:
        rows = query(
            pg_url,
            "SELECT (SELECT count(*) FROM interactions), "
            "(SELECT max(notification_id) FROM kithkeep_events), "
            "(SELECT notification_id FROM kithkeep_views_tracking "
            "WHERE application_name = 'kithkeep')",
        )
        n, latest, position = rows[0]
        return bool(n == expected_interactions and latest == position)

    def logs() -> str:
        state = query(
            pg_url,
            "SELECT (SELECT count(*) FROM interactions), "
            "(SELECT max(notification_id) FROM kithkeep_events), "
            "(SELECT notification_id FROM kithkeep_views_tracking "
            "WHERE application_name = 'kithkeep')",
        )
        texts = [(h / "stderr.log").read_text()[-3000:] for h in (projector, *homes)]
        return f"{state} (expected {expected_interactions})\n" + "\n---\n".join(texts)

    wait_for(views_complete, 240, "the views to hold every interaction", logs)
    ((n, distinct),) = query(pg_url, "SELECT count(*), count(DISTINCT id) FROM interactions")
    assert n == distinct == expected_interactions
    observed = query(
        pg_url,
        "SELECT count(*), count(DISTINCT originator_id) FROM kithkeep_events "
        "WHERE topic LIKE '%Interaction.Observed'",
    )
    assert observed == [(expected_interactions, expected_interactions)]
    assert run_cli(homes[2], "people", "--json", *AT).json() == expected
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        assert p.wait(timeout=60) in (0, -signal.SIGKILL), logs()


def test_connections_lost_mid_sync_lose_nothing(
    tmp_path: Path, pg_url: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    mail = shared_data("enron", "maildir", "fossum-d", "all_documents")
    reference = init(tmp_path / "reference", "", FOSSUM)
    run_cli(reference, "import", str(mail))
    expected = run_cli(reference, "people", "--json", *AT).json()
    extra = (
        "\n[daemon]\njitter_seconds = 0\nbackoff_cap_minutes = 0.02\n"
        f'\n[[accounts]]\nname = "docs"\ntype = "folder"\npath = "{mail}"\n'
        "interval_minutes = 0.02\n"
    )
    home = init(tmp_path / "worker", pg_url, FOSSUM, extra=extra)
    run_cli(home, "store", "migrate")
    with (home / "stderr.log").open("ab") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "kithkeep", "daemon", "--foreground"],
            env={**os.environ, "KITHKEEP_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    processes.append(daemon)
    # Cut every connection the daemon has, again and again, while it syncs.
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        query(
            pg_url,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        time.sleep(0.05)
    wanted = len(
        _sqlite(
            reference / "events.sqlite",
            "SELECT 1 FROM stored_events WHERE topic LIKE '%Interaction.Observed'",
        )
    )

    def all_stored() -> bool:
        return bool(
            query(
                pg_url,
                "SELECT count(*) FROM kithkeep_events WHERE topic LIKE '%Interaction.Observed'",
            )[0][0]
            == wanted
        )

    wait_for(all_stored, 120, "the daemon to store every interaction")
    assert daemon.poll() is None, (home / "stderr.log").read_text()
    assert run_cli(home, "people", "--json", *AT).json() == expected


def _sqlite(path: Path, sql: str) -> list[tuple[Any, ...]]:
    import sqlite3

    c = sqlite3.connect(path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def test_one_account_is_synced_by_one_process_at_a_time(pg_url: str) -> None:
    from kithkeep.services.store.events import AccountBusyError
    from kithkeep.services.store.postgres import PgStore, parse_url

    one, two = PgStore(parse_url(pg_url)), PgStore(parse_url(pg_url))
    try:
        with one.account_lock("gmail-alice"):
            with pytest.raises(AccountBusyError), two.account_lock("gmail-alice"):
                pass
            with two.account_lock("outlook-bob"):
                pass
        with two.account_lock("gmail-alice"):  # released with its holder
            pass
    finally:
        one.close()
        two.close()


# -- a team: who knows whom --------------------------------------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)
TEAM = '\n[team]\nmembers = { alice = ["alice@firm.example"], bob = ["bob@firm.example"] }\n'


def write_mail(folder: Path, n: int, sender: str, to: str, subject: str, days_ago: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    when = format_datetime(NOW - timedelta(days=days_ago))
    (folder / f"{n:03}.eml").write_text(
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {when}\n"
        f"Message-ID: <{n}.{sender}>\n\nhello\n"
    )


def team_mail(tmp_path: Path) -> tuple[Path, Path]:
    alice_mail, bob_mail = tmp_path / "alice-mail", tmp_path / "bob-mail"
    # Alice: five exchanges with Carol about a year ago, one with Dave five years ago.
    for i in range(5):
        write_mail(
            alice_mail,
            i,
            "alice@firm.example",
            "carol@client.example",
            f"Alice secret merger {i}",
            360 + i,
        )
    write_mail(
        alice_mail,
        10,
        "dave@client.example",
        "alice@firm.example",
        "Alice secret old times",
        5 * 365,
    )
    # Bob: one note to Carol last week, and Dave wrote to him last month.
    write_mail(bob_mail, 20, "bob@firm.example", "carol@client.example", "Bob private pay", 7)
    write_mail(bob_mail, 21, "dave@client.example", "bob@firm.example", "Bob private lunch", 30)
    write_mail(bob_mail, 22, "erin@other.example", "bob@firm.example", "Bob private other", 3)

    return alice_mail, bob_mail


def test_who_knows_ranks_by_recency_and_strength_and_keeps_subjects_apart(
    tmp_path: Path, pg_url: str
) -> None:
    alice_mail, bob_mail = team_mail(tmp_path)
    alice = init(tmp_path / "alice", pg_url, "alice@firm.example", extra=TEAM)
    bob = init(tmp_path / "bob", pg_url, "bob@firm.example", extra=TEAM)
    run_cli(alice, "import", str(alice_mail))
    run_cli(bob, "import", str(bob_mail))

    def ranked(home: Path, who: str) -> list[str]:
        return [w["member"] for w in run_cli(home, "who-knows", who, "--json").json()]

    for home in (alice, bob):
        assert ranked(home, "carol@client.example") == ["alice", "bob"]  # five beat one
        assert ranked(home, "dave@client.example") == ["bob", "alice"]  # recent beats old
        # The company: Bob's two recent contacts there outweigh Alice's five a year ago.
        assert ranked(home, "@client.example") == ["bob", "alice"]
        assert ranked(home, "erin@other.example") == ["bob"]
        assert ranked(home, "nobody@nowhere.example") == []
    carol = run_cli(bob, "who-knows", "carol@client.example", "--json").json()
    assert carol[0]["interactions"] == 5 and carol[1]["interactions"] == 1
    assert carol[1]["last_contact"] == (NOW - timedelta(days=7)).isoformat()

    for home, theirs in ((alice, "Bob private"), (bob, "Alice secret")):
        for who in ("carol@client.example", "dave@client.example", "@client.example"):
            for args in ((), ("--json",)):
                out = run_cli(home, "who-knows", who, *args).out
                assert theirs not in out and "secret" not in out and "private" not in out
        # A member's own subjects show in their timeline; the other member's never do.
        for args in ((), ("--json",)):
            out = run_cli(home, "person", "carol@client.example", *args).out
            assert theirs not in out
        mine = "Alice secret" if home == alice else "Bob private"
        assert mine in run_cli(home, "person", "carol@client.example", "--json").out


def test_who_knows_on_the_sqlite_store_of_one_home(tmp_path: Path) -> None:
    alice_mail, bob_mail = team_mail(tmp_path)
    home = init(tmp_path / "alice", "", "alice@firm.example", extra=TEAM)
    run_cli(home, "import", str(alice_mail))
    run_cli(home, "import", str(bob_mail))
    ranked = [
        w["member"] for w in run_cli(home, "who-knows", "dave@client.example", "--json").json()
    ]
    assert ranked == ["bob", "alice"]
    timeline = run_cli(home, "person", "carol@client.example", "--json").out
    assert "Alice secret" in timeline and "Bob private" not in timeline


# -- a database that is down -------------------------------------------------------------------


def test_a_database_that_is_down_is_one_line_without_the_password(tmp_path: Path) -> None:
    home = init(tmp_path / "down", "postgresql://kk:s3cr3t-pw@127.0.0.1:1/kithkeep", FOSSUM)
    for args in (("people",), ("store", "migrate"), ("status",)):
        result = run_cli(home, *args, check=False)
        if args == ("status",):
            assert "s3cr3t-pw" not in result.out + result.err
            continue
        assert result.code == 1, result.err
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
        assert "s3cr3t-pw" not in result.err
        assert "Traceback" not in result.err
    bad = init(tmp_path / "bad", "", FOSSUM, extra='\n[store]\nurl = "mysql://x@y/z"\n')
    result = run_cli(bad, "people", check=False)
    assert result.code == 1 and "store.url" in result.err and "Traceback" not in result.err


def test_introductions_in_another_members_mail_stay_theirs(tmp_path: Path) -> None:
    """Referrals and the digest show the viewer's own introductions, never another
    member's subjects (a team on the SQLite store of one home: the same read side)."""
    alice_mail, bob_mail = team_mail(tmp_path)
    intro = (REPO / "tests/data/introductions/015-intro-priya-jonas.eml").read_text()
    intro = intro.replace("Robin Example <robin@example.com>", "Bob <bob@firm.example>")
    intro = intro.replace("Intro: Priya <> Jonas", "Intro: Priya <> Jonas, Bob private intro")
    (bob_mail / "intro.eml").write_text(intro)
    home = init(tmp_path / "alice", "", "alice@firm.example", extra=TEAM)
    run_cli(home, "import", str(alice_mail))
    run_cli(home, "import", str(bob_mail))
    for args in (("referrals", "--json"), ("referrals",)):
        out = run_cli(home, *args).out
        assert "Bob private" not in out and "priya" not in out.lower(), args
    for args in (("digest", "--json"), ("digest",)):
        assert "Bob private" not in run_cli(home, *args).out  # contacts yes, subjects no
    bob = init(tmp_path / "bob", "", "bob@firm.example", extra=TEAM)
    run_cli(bob, "import", str(bob_mail))
    found = run_cli(bob, "referrals", "--json", *AT).json()
    assert [r["subject"] for r in found] == ["Intro: Priya <> Jonas, Bob private intro"]


def test_opening_the_store_while_connections_are_cut_retries_or_says_so_in_one_line(
    tmp_path: Path, pg_url: str
) -> None:
    """A daemon starting while the server cuts connections (a restart, an administrator)
    stopped with a traceback; opening is now tried again, or fails as a StoreError."""
    import threading

    from kithkeep.domain.errors import StoreError
    from kithkeep.services.store.postgres import open_pg

    run_cli(init(tmp_path / "home", pg_url, FOSSUM), "store", "migrate")
    stop = threading.Event()

    def cut() -> None:
        while not stop.is_set():
            query(
                pg_url,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            time.sleep(0.01)

    cutter = threading.Thread(target=cut)
    cutter.start()
    opened = failed = 0
    try:
        for _ in range(25):
            try:
                store, _view = open_pg(pg_url, tmp_path / "home")
            except StoreError as e:
                assert "\n" not in str(e) and "postgres@" not in str(e).split("//")[0]
                failed += 1
            else:
                store.close()
                opened += 1
    finally:
        stop.set()
        cutter.join()
    assert opened + failed == 25
    assert opened > 0  # retried through the cuts, not given up at the first
