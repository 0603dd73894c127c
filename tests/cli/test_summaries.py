"""Honest summaries: what an import found, per kind; each source complete or partial;
a stopped daemon shown as stopped, its accounts' counts kept across runs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Run, shared_data

ME = "james.derrick@enron.com"


def summary(out: str) -> dict[str, int]:
    first = out.splitlines()[0]
    found = {"new": int(re.search(r"Imported (\d+) new", first).group(1))}  # type: ignore[union-attr]
    for n, what in re.findall(r"(\d+) (copies within this import|already known|noise|"
                              r"skipped|problems)", first):  # fmt: skip
        found[what.split()[0]] = int(n)
    return found


def test_an_import_separates_new_copies_known_noise_and_problems(cli: Run, tmp_path: Path) -> None:
    cli("init", "--me", ME)
    mail = shared_data("enron", "maildir", "derrick-j")
    first = summary(cli("import", str(mail)).out)
    assert set(first) == {"new", "copies", "already", "noise", "skipped", "problems"}
    # Enron keeps each message in several folders: copies of this same import, not "known".
    assert first["copies"] > 100 and first["already"] == 0 and first["new"] > 300
    assert first["noise"] > 0
    again = summary(cli("import", str(mail)).out)
    assert again["new"] == 0
    assert again["already"] == first["new"] and again["copies"] == first["copies"]


def test_status_says_complete_or_partial_per_source(cli: Run, tmp_path: Path) -> None:
    cli("init", "--me", "me@example.com")
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    eml = (
        "From: a@x.com\nTo: me@example.com\nSubject: hi\n"
        "Date: Tue, 1 May 2001 10:00:00 -0500\n\n.\n"
    )
    (good / "1.eml").write_text(eml)
    (bad / "1.eml").write_text(eml.replace("hi", "there"))
    (bad / "junk").write_bytes(b"\x00\x01\x02 not mail")
    cli("import", str(good))
    cli("import", str(bad))
    sources = cli("status", "--json").json()["sources"]
    line = {s.split(":", 2)[1]: s for s in sources}
    assert line[str(good.resolve())].endswith(", complete")
    assert "partial: 1 unreadable (not a mail message" in line[str(bad.resolve())]


def test_a_stopped_daemon_is_shown_stopped_and_keeps_its_counts(
    cli: Run, home: Path, tmp_path: Path
) -> None:
    cli("init", "--me", "me@example.com")
    drop = tmp_path / "drop"
    drop.mkdir()
    cli("account", "add", "folder", str(drop), "--name", "drop", "--interval", "1")
    for n in (1, 2):
        (drop / f"{n}.eml").write_text(
            f"From: p{n}@x.com\nTo: me@example.com\nSubject: s{n}\n"
            f"Date: Tue, {n} May 2001 10:00:00 -0500\nMessage-ID: <{n}@x>\n\n.\n"
        )
        cli("daemon", "--once")
    assert (home / "logs" / "kithkeep.log").exists(), "--once writes its log too"
    assert "added=1" in (home / "logs" / "kithkeep.log").read_text()
    daemon = cli("status", "--json").json()["daemon"]
    assert daemon["running"] is False
    (drop_state,) = daemon["accounts"]
    assert drop_state["added_total"] == 2 and drop_state["next_run"] is None
    text = cli("status").out
    assert "daemon: stopped" in text and "next run" not in text
    assert "drop (folder): ok" in text and "added 2" in text
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", text), "no microseconds"
