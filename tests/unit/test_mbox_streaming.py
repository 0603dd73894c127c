"""An mbox is read as a stream: a 100 MB body costs a bounded amount of memory."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

from kithkeep.connectors.mail import BODY_BYTES
from kithkeep.connectors.mbox import LINE_LIMIT, mbox_messages

HEAD = (
    b"From sam@harbor.example Mon Jan  1 10:00:00 2024\n"
    b"From: Sam <sam@harbor.example>\nTo: frank@x.example\nSubject: Paul\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <big@x.example>\n\n"
    b"Paul Brennan's number is 617-555-0142, give him a call.\n"
)
NEXT = (
    b"\n\nFrom bo@x.example Tue Jan  2 10:00:00 2024\nFrom: bo@x.example\nTo: sam@harbor.example\n"
    b"Subject: small\nDate: Tue, 2 Jan 2024 10:00:00 +0000\n\nhi\n"
)
BIG = 100 * 1024 * 1024


class Endless(io.RawIOBase):
    """A message whose body is 100 MB without a newline, made as it is read."""

    def __init__(self) -> None:
        self.parts = [HEAD, b"", NEXT]
        self.left = BIG
        self.largest = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        if self.parts[0]:
            line, sep, rest = self.parts[0].partition(b"\n")
            self.parts[0] = rest
            return line + sep
        if self.left:
            n = min(self.left, size if size and size > 0 else self.left)
            self.left -= n
            self.largest = max(self.largest, n)
            return b"x" * n
        if self.parts[2]:
            line, sep, rest = self.parts[2].partition(b"\n")
            self.parts[2] = rest
            return line + sep
        return b""


def test_a_100_mb_body_is_read_in_bounded_pieces_and_only_its_start_is_kept() -> None:
    stream = Endless()
    messages = list(mbox_messages(stream, 0))  # type: ignore[arg-type]
    assert len(messages) == 2
    start, end, _, kept = messages[0]
    assert end - start > BIG  # every byte was read past ...
    assert stream.largest <= LINE_LIMIT  # ... a bounded piece at a time ...
    assert len(kept) <= len(HEAD) + BODY_BYTES  # ... and only the body's start was kept
    assert b"give him a call" in kept
    assert messages[1][3].startswith(b"From: bo@x.example")


def test_importing_a_100_mb_message_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    with path.open("wb") as f:
        f.write(HEAD)
        chunk = b"y" * (1024 * 1024)
        for _ in range(100):
            f.write(chunk)  # one 100 MB line
        f.write(NEXT)
    script = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from pathlib import Path
        from kithkeep.connectors.files import FileSource
        src = FileSource(Path({str(path)!r}), now=datetime.now(UTC))
        n = sum(len(p.observations) for p in src.pages(None))
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forking
        # parent (pytest, large late in a run); the high-water mark is this image's own.
        hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
        print(n, hwm.split()[1])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "2"
    peak_kb = int(out[1])
    assert peak_kb < 80 * 1024, f"peak RSS {peak_kb} KB for a 100 MB message"
