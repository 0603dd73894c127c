"""The IMAP connector against a real Dovecot on loopback (tests/servers.py)."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli, shared_data, stable
from tests.servers import PASSWORD, mail_files

pytestmark = pytest.mark.slow

ME = "james.derrick@enron.com"


def add_imap(home: Path, server: Any, *extra: str, password: str = PASSWORD) -> Any:
    return run_cli(
        home,
        "account",
        "add",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        str(server.port),
        "--user",
        server.user,
        "--security",
        "plain",
        "--password-stdin",
        "--since-days",
        "36500",
        "--name",
        "box",
        *extra,
        input_text=password + "\n",
        check=False,
    )


def topics(home: Path) -> Counter[str]:
    """Stored events by kind (Observed, Withdrawn, Restored...)."""
    c = sqlite3.connect(f"file:{home / 'events.sqlite'}?mode=ro", uri=True)
    try:
        rows = c.execute("SELECT topic, count(*) FROM stored_events GROUP BY topic").fetchall()
    finally:
        c.close()
    return Counter({t.rsplit(".", 1)[-1]: n for t, n in rows})


def test_imap_sync_gives_the_same_people_as_importing_the_maildir(
    tmp_path: Path, start_dovecot: Callable[..., Any]
) -> None:
    inbox = shared_data("enron", "maildir", "derrick-j", "inbox")
    sent = shared_data("enron", "maildir", "derrick-j", "_sent_mail")
    server = start_dovecot(inbox=mail_files(inbox), sent=mail_files(sent))

    synced, imported = tmp_path / "synced", tmp_path / "imported"
    for home in (synced, imported):
        run_cli(home, "init", "--me", ME)
    assert add_imap(synced, server).code == 0
    out = run_cli(synced, "sync").out
    assert re.search(r"^box: \d+ new, 0 withdrawn", out, re.MULTILINE), out
    run_cli(imported, "import", str(inbox))
    run_cli(imported, "import", str(sent))

    people_synced = stable(run_cli(synced, "people", "--json").json())
    people_imported = stable(run_cli(imported, "people", "--json").json())
    assert len(people_imported) > 50
    assert people_synced == people_imported
    # Both folders were read (INBOX and the \Sent one found by its special-use flag).
    assert topics(synced)["Observed"] == topics(imported)["Observed"]


def _sync(home: Path, caplog: pytest.LogCaptureFixture) -> tuple[Any, Counter[str]]:
    """One in-process `kithkeep sync`: its report, and the IMAP commands it sent."""
    from kithkeep.services.config.settings import load
    from kithkeep.services.usecases.ingest import sync_accounts

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="kithkeep.imap.wire"):
        (result,) = sync_accounts(load(home), [])
    commands = Counter(r.getMessage() for r in caplog.records if r.name == "kithkeep.imap.wire")
    assert not result.error, result.error
    return result.report, commands


def _message(n: int, subject: str = "") -> bytes:
    return (
        f"Message-ID: <change-{n}@kithkeep.test>\r\n"
        f"Date: Mon, 03 Mar 2025 09:{n:02d}:00 +0000\r\n"
        f"From: Person {n} <person{n}@example.org>\r\n"
        f"To: James Derrick <{ME}>\r\n"
        f"Subject: {subject or f'note {n}'}\r\n\r\nHello.\r\n"
    ).encode()


@pytest.mark.parametrize("qresync", [True, False], ids=["qresync", "uid-search-diff"])
def test_server_changes_between_syncs_are_reflected_and_an_idle_sync_only_asks_status(
    tmp_path: Path,
    start_dovecot: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    qresync: bool,
) -> None:
    import dataclasses

    from kithkeep.services.accounts.imap import ImapProvider

    build = ImapProvider.source
    monkeypatch.setattr(
        ImapProvider,
        "source",
        lambda self, a, w: dataclasses.replace(build(self, a, w), qresync=qresync),
    )
    inbox = mail_files(shared_data("enron", "maildir", "derrick-j", "inbox"))[:30]
    sent = mail_files(shared_data("enron", "maildir", "derrick-j", "_sent_mail"))[:10]
    server = start_dovecot(inbox=inbox, sent=sent)
    admin = server.client()
    admin.create_folder("Archive")
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    assert add_imap(home, server, "--folders", "INBOX,Sent,Archive,Trash").code == 0

    first, commands = _sync(home, caplog)
    assert first.added > 30 and first.withdrawn == 0
    assert commands["FETCH"] >= 2  # headers of both non-empty folders
    observed = topics(home)["Observed"]

    # Nothing new: one STATUS per folder (Trash is never read), no SELECT, no FETCH.
    report, commands = _sync(home, caplog)
    assert (report.added, report.withdrawn) == (0, 0)
    assert commands["STATUS"] == 3
    assert commands["FETCH"] == commands["SELECT"] == commands["EXAMINE"] == 0
    assert commands["SEARCH"] == 0

    # New messages appended.
    admin.append("INBOX", _message(1))
    admin.append("INBOX", _message(2))
    report, commands = _sync(home, caplog)
    assert (report.added, report.withdrawn) == (2, 0)
    assert commands["FETCH"] == 1  # one batch, INBOX only
    assert topics(home)["Observed"] == observed + 2

    # A message expunged: its interaction is withdrawn.
    admin.select_folder("INBOX")
    (uid,) = admin.search(["HEADER", "Message-ID", "<change-1@kithkeep.test>"])
    admin.delete_messages([uid])
    admin.expunge()
    report, commands = _sync(home, caplog)
    assert (report.added, report.withdrawn) == (0, 1)
    if qresync:  # found through VANISHED since our MODSEQ, not by listing every UID
        assert commands["FETCH VANISHED"] == 1 and commands["SEARCH ALL"] == 0
    else:  # a server without QRESYNC: the UIDs listed and compared with ours
        assert commands["FETCH VANISHED"] == 0 and commands["SEARCH ALL"] == 1
    assert commands["FETCH"] == 0

    # A message moved INBOX -> Archive: found in Archive, so nothing is withdrawn.
    (uid,) = admin.search(["HEADER", "Message-ID", "<change-2@kithkeep.test>"])
    admin.move([uid], "Archive")
    report, commands = _sync(home, caplog)
    assert commands["SEARCH ALL"] == (0 if qresync else 2)
    assert (report.added, report.withdrawn) == (0, 0)
    assert topics(home)["Withdrawn"] == 1

    # And settled: the next idle sync costs STATUS alone again.
    report, commands = _sync(home, caplog)
    assert (report.added, report.withdrawn) == (0, 0)
    assert commands["FETCH"] == commands["EXAMINE"] == commands["SEARCH"] == 0
    assert commands["STATUS"] == 3
    admin.logout()


def test_a_wrong_password_at_account_add_is_one_line_and_saves_nothing(
    tmp_path: Path, start_dovecot: Callable[..., Any]
) -> None:
    # One that goes stale later, at sync: tests/contract (refused credentials).
    server = start_dovecot(inbox=[])
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    result = add_imap(home, server, password="not-the-password")
    assert result.code == 1
    assert result.err.strip().count("\n") == 0, result.err
    assert "login refused" in result.err and "Traceback" not in result.err
    assert "not-the-password" not in result.err
    # Nothing was saved.
    assert "box" not in run_cli(home, "account", "list").out


def test_a_server_down_is_reported_and_the_other_accounts_go_on(
    tmp_path: Path, start_dovecot: Callable[..., Any]
) -> None:
    server = start_dovecot(inbox=[])
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    assert add_imap(home, server).code == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "1.eml").write_bytes(_message(7))
    run_cli(home, "account", "add", "folder", str(drop), "--name", "drop")
    server.stop()

    result = run_cli(home, "sync", check=False)
    assert result.code == 1
    assert "Traceback" not in result.err
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"error: box: IMAP 127.0.0.1:{server.port}: cannot connect")
    assert "drop: 1 new" in result.out
