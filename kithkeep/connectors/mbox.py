"""mbox files read as a stream: one message at a time, each line in bounded pieces.

However long a message or a line, at most a header block and `BODY_BYTES` of its body
are held (for cues, never stored); the rest is read past.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO

from kithkeep.connectors.limits import DEFAULT, Limits
from kithkeep.connectors.mail import BODY_BYTES

#: Longest piece of a line read at once (by default): a line without end stays bounded.
LINE_LIMIT = DEFAULT.header_line_bytes


def lines(f: BinaryIO, limit: int = LINE_LIMIT) -> Iterator[tuple[bytes, bool]]:
    """(piece, starts a line) for each line of `f`, long lines cut in pieces of `limit`
    bytes: a line of any length holds bounded memory."""
    at_start = True
    while piece := f.readline(limit):
        yield piece, at_start
        at_start = piece.endswith(b"\n")


def mbox_messages(
    f: BinaryIO, offset: int, limits: Limits = DEFAULT
) -> Iterator[tuple[int, int, bytes, bytes | None]]:
    """(start, end, From_ line, headers + the first `BODY_BYTES` of the body) per message;
    None instead of those bytes when a header line or the header block is over its limit.

    Streamed: however long a message, at most a header block and `BODY_BYTES` of its
    body are held, for cues (never stored); the rest is read past.
    """
    pos = offset
    start = -1
    separator = b""
    kept: list[bytes] = []
    size = 0
    over = False
    in_header = False
    body_left = 0
    previous_blank = True
    for line, line_start in lines(f, limits.header_line_bytes):
        if line_start and previous_blank and line.startswith(b"From "):
            if start >= 0:
                yield start, pos, separator, None if over else b"".join(kept)
            start, separator, kept, in_header = pos, line[:1000], [], True
            size, over = 0, False
        elif in_header:
            if line in (b"\n", b"\r\n"):
                kept.append(line)
                in_header, body_left = False, BODY_BYTES
            elif not over:
                size += len(line)
                over = size > limits.header_block_bytes or not line.endswith(b"\n")
                if over:
                    kept = []  # the message is a problem: nothing of it is held
                else:
                    kept.append(line)
        elif body_left > 0 and not over:
            kept.append(line[:body_left])
            body_left -= len(line)
        pos += len(line)
        previous_blank = line_start and line in (b"\n", b"\r\n")
    if start >= 0:
        yield start, pos, separator, None if over else b"".join(kept)


def from_line_time(separator: bytes) -> datetime | None:
    """The delivery time on an mbox `From ` line (asctime format), if it has one."""
    parts = separator.decode("ascii", "replace").split()
    if len(parts) < 7:
        return None
    try:
        d = parsedate_to_datetime(" ".join(parts[2:7]))
    except (TypeError, ValueError, IndexError):
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)
