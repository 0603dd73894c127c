"""Bad input is counted and reported in one line per reason; the import goes on."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Run, run_cli, shared_data

GOOD = (
    b"From: a@x.com\nTo: me@example.com\nSubject: hi\n"
    b"Date: Tue, 1 May 2001 10:00:00 -0500\n\nbody\n"
)


def test_real_world_ics_files_import_or_are_reported(cli: Run) -> None:
    cli("init", "--me", "me@example.com")
    folder = shared_data("ics")
    result = cli("import", str(folder))
    assert result.code == 0
    assert "Traceback" not in result.err + result.out
    lines = [line for line in result.out.splitlines() if "unreadable:" in line]
    assert lines, "the malformed calendars are reported"
    reported = sum(int(line.split()[0]) for line in lines)
    assert reported >= 8
    assert cli("status", "--json").json()["interactions"] > 1000
    again = cli("import", str(folder))
    assert "Imported 0 new interactions" in again.out


def _write_corpus(root: Path, junk: list[bytes]) -> None:
    root.mkdir(parents=True)
    (root / "good").write_bytes(GOOD)
    for i, data in enumerate(junk):
        (root / f"junk{i}").write_bytes(data)
    (root / "empty").write_bytes(b"")
    (root / "binary").write_bytes(bytes(range(256)) * 4)
    (root / "headers-only").write_bytes(b"Subject: nothing else\n")
    (root / "bad.ics").write_bytes(
        b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:garbage\nEND:VCALENDAR\n"
    )
    unreadable = root / "locked"
    unreadable.write_bytes(GOOD.replace(b"hi", b"locked"))
    unreadable.chmod(0)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(min_size=1, max_size=400), min_size=1, max_size=20))
def test_malformed_mail_corpus_never_crashes_an_import(
    tmp_path_factory: object, junk: list[bytes]
) -> None:
    import tempfile

    from tests.conftest import run_cli

    base = Path(tempfile.mkdtemp())
    corpus, home = base / "corpus", base / "home"
    _write_corpus(corpus, junk)
    run_cli(home, "init", "--me", "me@example.com")
    result = run_cli(home, "import", str(corpus), check=False)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert "Imported 1 new interactions" in result.out or "Imported 2 new" in result.out
    assert "unreadable: not a mail message" in result.out
    if os.geteuid() != 0:  # root reads anything
        assert "unreadable file" in result.out


def test_nothing_readable_is_one_line_and_exit_1(cli: Run, tmp_path: Path) -> None:
    cli("init", "--me", "me@example.com")
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "x").write_bytes(b"\x00\x01")
    result = cli("import", str(folder), check=False)
    assert result.code == 1
    assert result.err.strip().splitlines()[-1].startswith("error: nothing could be read")
    missing = cli("import", str(tmp_path / "nope"), check=False)
    assert missing.code == 1
    assert missing.err.strip() == f"error: {tmp_path / 'nope'}: no such file or folder"


def test_errors_are_one_line_without_traceback_unless_debug(cli: Run, home: Path) -> None:
    no_config = cli("import", str(home), check=False)
    assert no_config.code == 1
    assert no_config.err.count("\n") == 1 and "kithkeep init" in no_config.err
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("me = [unclosed\n")
    broken = cli("people", check=False)
    assert broken.code == 1 and broken.err.startswith("error: ") and "Traceback" not in broken.err
    (home / "config.toml").write_text('me = ["not an address"]\n')
    bad = cli("import", str(home), check=False)
    assert bad.code == 1 and "not an email address" in bad.err
    debug = cli("--debug", "import", str(home), check=False)
    assert debug.code == 1 and "Traceback" in debug.err
    assert cli("people", "--as-of", "last tuesday", check=False).err.startswith("error: --as-of")


def test_a_store_or_views_file_that_is_not_a_database_is_one_line(
    cli: Run, home: Path, tmp_path: Path
) -> None:
    cli("init", "--me", "robin@example.com")  # whose mail the corpus is
    cli("import", str(Path(__file__).parents[1] / "data" / "introductions"))
    clean = cli("people", "--json").json()
    events = (home / "events.sqlite").read_bytes()
    (home / "views.sqlite").write_bytes(b"not a database at all" * 300)
    # The views are only derived: built again from the events, in one line that says so.
    again = cli("people", "--json")
    assert again.json() == clean
    assert again.err.count("\n") == 1 and "built again from the events" in again.err
    assert (home / "events.sqlite").read_bytes() == events  # nothing stored was touched

    other = tmp_path / "other"
    run_cli(other, "init", "--me", "me@example.com")
    garbage = b"\x00garbage" * 700
    (other / "events.sqlite").write_bytes(garbage)
    bad = run_cli(other, "people", check=False)
    assert bad.code == 1 and "Traceback" not in bad.err, bad.err
    assert bad.err.count("\n") == 1 and "events.sqlite is not a SQLite database" in bad.err
    assert (other / "events.sqlite").read_bytes() == garbage
