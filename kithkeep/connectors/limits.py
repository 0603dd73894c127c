"""What one input may cost: bounds on everything a stranger controls.

Mail and calendars are written by strangers; a header line, a header block, a
recipient list, a calendar or a zip member can be made as large as anyone likes. Each
bound here turns such an input into a counted problem (or, for recipients, into bulk
mail) instead of memory and time without end. Defaults are documented in
`config/kithkeep.toml` (`[limits]`) and each can be overridden there. Only regular
files are read: a FIFO would block, a device would never end.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    #: Longest header line read (a folded header counts each of its lines).
    header_line_bytes: int = 256 * 1024
    #: Largest header block read per message; beyond it the message is a problem.
    header_block_bytes: int = 2 * MB
    #: Recipients read per message (To, Cc, Bcc together); beyond them it is bulk mail.
    recipients: int = 1000
    #: RFC 2047 encoded words decoded per header (the rest is left as it came).
    encoded_words: int = 200
    #: Largest calendar (.ics file or zip member) read.
    calendar_bytes: int = 64 * MB
    #: Meetings kept per calendar file, the most recent ones.
    occurrences_per_file: int = 20_000
    #: Largest zip member read (uncompressed), and the largest compression ratio of a
    #: member over 1 MB (a zip bomb's is in the thousands; mail's is under 20).
    zip_member_bytes: int = 32 * 1024 * MB
    zip_ratio: int = 200

    def recipients_cut(self, value: str, room: int | None = None) -> tuple[str, bool]:
        """The start of an address list holding at most `recipients` (or `room`, what is
        left of them) commas' worth of addresses, and whether anything was cut (linear:
        no parser sees the rest)."""
        cap = self.recipients if room is None else room
        if value.count(",") < cap:
            return value, False
        at = -1
        for _ in range(cap):
            at = value.index(",", at + 1)
        return value[:at], True


DEFAULT = Limits()


def _regular_fd(path: str) -> tuple[int, os.stat_result]:
    """A descriptor of `path` and its status, if it is a regular file: a FIFO put there
    since the walk must not block the import, nor a device flood it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegularError(not_regular(st.st_mode))
    return fd, st


def open_regular(path: str) -> BinaryIO:
    """`path` opened for reading if it is a regular file (`_regular_fd`)."""
    fd, _ = _regular_fd(path)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_regular(path: str, most: int = -1) -> bytes:
    """What `open_regular(path).read(most)` gives (`most` -1: the whole file), without a
    file object: this is done for every message of a folder."""
    fd, st = _regular_fd(path)
    try:
        chunks: list[bytes] = []
        got = 0
        while most < 0 or got < most:
            want = most - got if most >= 0 else max(st.st_size + 1 - got, 65536)
            chunk = os.read(fd, want)
            chunks.append(chunk)
            got += len(chunk)
            if len(chunk) < want:  # a regular file reads short only at its end
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


class NotRegularError(OSError):
    """Found where a regular file was: its message is the Problem's reason."""


def not_regular(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
    }
    kind = next((name for test, name in kinds.items() if test(mode)), "not a regular file")
    return f"not a regular file ({kind})"


def unreadable(e: OSError, what: str) -> str:
    if isinstance(e, NotRegularError):
        return str(e)
    return f"unreadable {what} ({e.strerror or type(e).__name__})"


def member_refused(info: zipfile.ZipInfo, limits: Limits) -> str:
    """Why a zip member is not read (too large, or compressed like a bomb), or ''."""
    if info.file_size > limits.zip_member_bytes:
        return f"zip member over the limit ({limits.zip_member_bytes // MB} MB; see [limits])"
    if info.file_size > MB and info.file_size > limits.zip_ratio * max(info.compress_size, 1):
        return f"zip member compressed over {limits.zip_ratio}:1 (a zip bomb?; see [limits])"
    if info.filename.lower().endswith(".ics") and info.file_size > limits.calendar_bytes:
        return f"calendar over the limit ({limits.calendar_bytes // MB} MB; see [limits])"
    return ""
