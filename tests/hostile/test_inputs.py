"""Small inputs with unbounded cost: each is read in bounded memory and time, what is
past a limit is counted as a problem, and the rest of the input is imported."""

from __future__ import annotations

import os
import socket
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.conftest import Measured, measure, message

pytestmark = pytest.mark.slow

MB = 1024 * 1024
FROM = b"From x Tue May  1 10:00:00 2001\n"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    run_cli(home, "init", "--me", "me@example.com")
    return home


def _write(path: Path, parts: Iterator[bytes]) -> Path:
    with path.open("wb") as f:
        for part in parts:
            f.write(part)
    return path


def _good(first: int, n: int) -> Iterator[bytes]:
    for i in range(first, first + n):
        yield FROM + message(i) + b"\n"


def _imported(run: Measured) -> int:
    assert run.code == 0, run.err
    assert "Traceback" not in run.err + run.out
    return int(run.out.split("Imported ")[1].split()[0])


def _interactions(home: Path) -> int:
    return int(run_cli(home, "status", "--json").json()["interactions"])


def _one_long_line() -> Iterator[bytes]:
    yield FROM + b"From: a@x.org\nX-Junk: "
    for _ in range(400):
        yield b"x" * MB
    yield b"\nTo: me@example.com\n\nbody\n\n"


def _many_short_lines() -> Iterator[bytes]:
    yield FROM + b"From: a@x.org\nTo: me@example.com\n"
    line = b"X-Junk: " + b"y" * 70 + b"\n"
    for _ in range(400):
        yield line * (MB // len(line))
    yield b"\nbody\n\n"


@pytest.mark.parametrize("headers", [_one_long_line, _many_short_lines])
def test_400_mb_of_header_in_an_mbox(
    home: Path, tmp_path: Path, headers: Callable[[], Iterator[bytes]]
) -> None:
    def parts() -> Iterator[bytes]:
        yield from _good(0, 5)
        yield from headers()
        yield from _good(5, 5)

    run = measure(home, "import", str(_write(tmp_path / "huge.mbox", parts())))
    run.within_bounds()
    assert _imported(run) == 10
    assert "1 unreadable: header line or block over the limit" in run.out


def test_a_small_zip_whose_member_is_one_huge_header_line(home: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "takeout.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("Takeout/Mail/All mail.mbox", "w", force_zip64=True) as member:
            member.write(FROM + b"Subject: ")
            for _ in range(1024):
                member.write(b"z" * MB)
        z.writestr("Takeout/Mail/good.mbox", b"".join(_good(0, 3)))
    assert bomb.stat().st_size < 5 * MB
    run = measure(home, "import", str(bomb))
    run.within_bounds()
    assert _imported(run) == 3
    assert "1 unreadable: zip member compressed over 200:1" in run.out


def test_a_calendar_over_its_size_limit_is_not_read(home: Path, tmp_path: Path) -> None:
    def parts() -> Iterator[bytes]:
        yield b"BEGIN:VCALENDAR\r\n"
        event = b"BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20200101T100000Z\r\nEND:VEVENT\r\n"
        for _ in range(70):
            yield event * (MB // len(event))
        yield b"END:VCALENDAR\r\n"

    folder = tmp_path / "cal"
    folder.mkdir()
    _write(folder / "huge.ics", parts())
    _write(folder / "mail.mbox", _good(0, 4))
    run = measure(home, "import", str(folder))
    run.within_bounds()
    assert _imported(run) == 4
    assert "1 unreadable: calendar over the limit" in run.out


def test_sixty_messages_with_100k_recipients_are_bulk(home: Path, tmp_path: Path) -> None:
    # Folded as mailers do (a single 1.7 MB line is refused by the header line limit).
    to = ",\n ".join(f"p{i}@example.org" for i in range(100_000)).encode()

    def parts() -> Iterator[bytes]:
        for n in range(60):
            yield (
                FROM + b"From: boss@example.org\nTo: " + to + b", me@example.com\n"
                b"Subject: all hands " + str(n).encode() + b"\n"
                b"Date: Tue, 1 May 2001 10:00:00 -0500\n\nhello\n\n"
            )

    run = measure(home, "import", str(_write(tmp_path / "wide.mbox", parts())))
    run.within_bounds()
    assert _imported(run) == 60
    due = run_cli(home, "people", "--json").json()
    boss = [p for p in due if "boss@example.org" in p["addresses"]]
    assert boss == [] or boss[0]["interactions"] == 0  # bulk: never contact


def test_160k_encoded_words_decode_in_linear_time(home: Path, tmp_path: Path) -> None:
    with (home / "config.toml").open("a") as f:
        f.write("\n[limits]\nheader_block_bytes = 8388608\n")  # room for all of them
    subject = b"\n ".join([b"=?utf-8?q?caf=C3=A9?="] * 160_000)
    data = FROM + b"From: a@x.org\nTo: me@example.com\nSubject: " + subject + b"\n\nbody\n\n"
    run = measure(home, "import", str(_write(tmp_path / "words.mbox", iter([data]))))
    run.within_bounds()
    assert _imported(run) == 1


def test_200_minutely_series_keep_the_file_limit_of_recent_meetings(
    home: Path, tmp_path: Path
) -> None:
    with (home / "config.toml").open("a") as f:
        f.write("\n[limits]\noccurrences_per_file = 4000\n")
    events = [
        f"BEGIN:VEVENT\r\nUID:m{i}\r\nDTSTART:20200101T000000Z\r\nDURATION:PT1M\r\n"
        f"RRULE:FREQ=MINUTELY\r\nSUMMARY:s\r\nORGANIZER:mailto:a{i}@x.org\r\n"
        "ATTENDEE:mailto:me@example.com\r\nEND:VEVENT\r\n"
        for i in range(200)
    ]
    ics = tmp_path / "minutely.ics"
    ics.write_text("BEGIN:VCALENDAR\r\n" + "".join(events) + "END:VCALENDAR\r\n")
    assert ics.stat().st_size < 64 * 1024
    run = measure(home, "import", str(ics))
    run.within_bounds()
    assert _imported(run) <= 4000
    assert _interactions(home) <= 4000


def test_fifo_dev_zero_socket_and_unreadable_folder_are_problems(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
    for i in range(6):
        (folder / "cur" / f"{i:02d}.eml").write_bytes(message(i))
    os.mkfifo(folder / "cur" / "00a-fifo")
    (folder / "cur" / "01a-zero").symlink_to("/dev/zero")
    (folder / "cur" / "02a-outside").symlink_to(Path(__file__))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "cur" / "03a-socket"))
    locked = folder / ".Locked"
    (locked / "cur").mkdir(parents=True)
    (locked / "cur" / "x.eml").write_bytes(message(99))
    try:
        (locked / "cur").chmod(0)
        run = measure(home, "import", str(folder))
    finally:
        (locked / "cur").chmod(0o755)
        server.close()
    run.within_bounds()
    root = os.geteuid() == 0  # root reads a folder whatever its mode
    assert _imported(run) == (7 if root else 6)
    assert "not a regular file (a FIFO)" in run.out
    assert "1 unreadable: not a regular file (a socket)" in run.out
    assert "2 unreadable: link out of the folder" in run.out  # /dev/zero and this file
    if not root:
        assert "unreadable folder" in run.out
    # A rerun does not stop at the FIFO either; links are followed only to regular files.
    again = measure(home, "import", "--follow-links", str(folder))
    again.within_bounds()
    assert again.code == 0 and "Imported 0 new" in again.out
    assert "1 unreadable: not a regular file (a device)" in again.out
