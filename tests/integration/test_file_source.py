"""Reading files: every layout auto-detected, and a cursor that resumes anywhere."""

from __future__ import annotations

import mailbox
import zipfile
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kithkeep.connectors.base import Page
from kithkeep.connectors.files import FileSource

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def message(i: int, sender: str = "a@x.com", to: str = "me@example.com") -> bytes:
    when = format_datetime(datetime(2020, 1, 1, tzinfo=UTC).replace(day=1 + i % 28, hour=i % 24))
    return (
        f"From: Person {i} <{sender}>\nTo: {to}\nSubject: note {i}\nDate: {when}\n"
        f"Message-ID: <{i}@x.com>\n\nFrom the body, line one\nFrom here on\n"
    ).encode()


def keys(pages: list[Page]) -> list[str]:
    return [f.natural_key for p in pages for f in p.observations]


def write_mbox(path: Path, n: int, first: int = 0) -> None:
    box = mailbox.mbox(path)
    for i in range(first, first + n):
        box.add(message(i))
    box.flush()
    box.close()


def test_maildir_mbox_eml_ics_and_takeout_are_detected(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "cur" / "1:2,S").write_bytes(message(1))
    (md / "cur" / "2:2,D").write_bytes(message(2))  # draft flag
    (md / "cur" / "3:2,ST").write_bytes(message(3))  # trashed
    (md / "new" / "4").write_bytes(message(4))
    (md / "tmp" / "5").write_bytes(message(5))  # still being delivered
    (md / ".Junk" / "cur").mkdir(parents=True)
    (md / ".Junk" / "cur" / "6:2,").write_bytes(message(6))
    (md / ".Sent" / "cur").mkdir(parents=True)
    (md / ".Sent" / "cur" / "7:2,S").write_bytes(message(7, "me@example.com", "b@y.com"))
    (md / "dovecot.index").write_bytes(b"\x00binary")
    (tmp_path / "one.eml").write_bytes(message(8))
    write_mbox(tmp_path / "box.mbox", 3, first=100)
    cal = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20200101T100000Z\r\nSUMMARY:x\r\n"
    cal += b"ORGANIZER:mailto:o@x.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\r\n"
    cal += b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    (tmp_path / "cal.ics").write_bytes(cal)
    with zipfile.ZipFile(tmp_path / "takeout.zip", "w") as z:
        z.writestr("Takeout/Mail/All mail.mbox", (tmp_path / "box.mbox").read_bytes())
        z.writestr("Takeout/Calendar/me.ics", cal.replace(b"u1", b"u2"))
    pages = list(FileSource(tmp_path, now=NOW).pages(None))
    observations = [f for p in pages for f in p.observations]
    origins = sorted(Path(f.origin.split("@")[0].split("!")[0]).name for f in observations)
    assert origins == sorted(
        ["1:2,S", "2:2,D", "4", "7:2,S", "one.eml", "box.mbox", "box.mbox", "box.mbox",
         "cal.ics", "takeout.zip"]
    )  # fmt: skip
    assert sum(p.skipped for p in pages) == 2  # junk folder, trashed flag
    assert sum(p.duplicates for p in pages) == 3  # the Takeout mbox repeats box.mbox
    drafts = [f for f in observations if "draft" in f.signals]
    assert [Path(f.origin).name for f in drafts] == ["2:2,D"]
    assert {f.kind.value for f in observations} == {"email", "meeting"}
    assert pages[-1].cursor is None


def test_mbox_bodies_with_from_lines_do_not_split_messages(tmp_path: Path) -> None:
    write_mbox(tmp_path / "box.mbox", 50)
    observations = [
        f for p in FileSource(tmp_path / "box.mbox", now=NOW).pages(None) for f in p.observations
    ]
    assert [f.subject for f in observations] == [f"note {i}" for i in range(50)]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page_size=st.integers(1, 7),
    stop_after=st.integers(0, 12),
    layout=st.sampled_from(["mbox", "maildir", "zip", "ics"]),
)
def test_resuming_from_any_saved_cursor_reads_the_rest_exactly_once(
    tmp_path_factory: object, page_size: int, stop_after: int, layout: str
) -> None:
    import tempfile

    root = Path(tempfile.mkdtemp())
    if layout == "mbox":
        write_mbox(root / "a.mbox", 20)
        write_mbox(root / "b.mbox", 5, first=15)  # copies: given once in a run
    elif layout == "maildir":
        for i in range(25):
            (root / f"d{i % 3}").mkdir(exist_ok=True)
            (root / f"d{i % 3}" / str(i)).write_bytes(message(i))
    elif layout == "ics":
        events = "".join(
            f"BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:2020010{1 + i % 9}T10{i:02d}00Z\r\n"
            f"SUMMARY:m{i}\r\nORGANIZER:mailto:o@x.com\r\nEND:VEVENT\r\n"
            for i in range(25)
        )
        (root / "c.ics").write_text(f"BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n")
    else:
        write_mbox(root / "a.mbox", 25)
        with zipfile.ZipFile(root / "t.zip", "w") as z:
            z.write(root / "a.mbox", "Takeout/Mail/x.mbox")
        (root / "a.mbox").unlink()
    source = FileSource(root, now=NOW, page_size=page_size)
    whole = keys(list(source.pages(None)))
    assert len(whole) == len(set(whole)) == (20 if layout == "mbox" else 25)
    first: list[Page] = []
    for page in source.pages(None):
        if len(first) == stop_after:
            break
        first.append(page)
    cursor = first[-1].cursor if first else None
    if first and cursor is None:
        assert keys(first) == whole
        return
    rest = list(source.pages(cursor))
    # A resumed run may give again a copy of something before the cursor (the store
    # drops it); it never loses anything, and keeps the order.
    resumed = keys(first) + keys(rest)
    assert set(resumed) == set(whole)
    assert list(dict.fromkeys(resumed)) == whole
