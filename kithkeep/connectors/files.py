"""Files on disk: Maildir, mbox, .eml folders, .ics, .vcf contact cards, Google Takeout .zip.

One `FileSource` walks a path in a fixed (sorted) order and auto-detects each file.
Its cursor names the next file (and the byte offset inside an mbox) so that an
interrupted import resumes where its last saved page ended.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kithkeep.connectors import ics, vcard
from kithkeep.connectors.base import PAGE_SIZE, Page, Problem
from kithkeep.connectors.copies import ShiftedCopies
from kithkeep.connectors.folders import folder_kind, left_out
from kithkeep.connectors.limits import (
    DEFAULT,
    Limits,
    member_refused,
    not_regular,
    open_regular,
    read_regular,
    unreadable,
)
from kithkeep.connectors.mail import Skip, parse_message
from kithkeep.connectors.mbox import from_line_time, mbox_messages
from kithkeep.domain.card import Card
from kithkeep.domain.errors import InputError
from kithkeep.domain.interaction import Observation

_SKIP_NAMES = frozenset({"maildirfolder", "subscriptions", "courierimapkeywords"})
_SKIP_SUFFIXES = (
    ".json",
    ".html",
    ".csv",
    ".txt",
    ".md",
    ".rst",
    ".pdf",
    ".png",
    ".jpg",
    ".db",
    ".log",
)
_HEAD_BYTES = 1024 * 1024
#: Identities remembered to drop copies early (about 100 bytes each).
_SEEN_LIMIT = 250_000
DONE = -1

#: What reading a file gives, one at a time.
Item = Observation | Card | Problem | Skip


@dataclass(frozen=True, slots=True)
class _Position:
    path: str  # relative to the root, '/'-separated; '' when the root is a file
    #: Bytes into an mbox; items into a calendar or a zip; DONE once a file is read whole.
    offset: int = 0

    def encode(self) -> str:
        return json.dumps({"v": 1, "path": self.path, "offset": self.offset})

    @classmethod
    def decode(cls, cursor: str | None) -> _Position | None:
        if not cursor:
            return None
        try:
            d = json.loads(cursor)
            return cls(str(d["path"]), int(d["offset"]))
        except (ValueError, KeyError, TypeError):
            return None


class _File(NamedTuple):
    rel: str  # relative to the root, '/'-separated; sorts the walk
    path: str
    size: int
    mtime: float
    #: Why it is not read (a FIFO, a device, a link out of the folder), counted as a problem.
    problem: str = ""


@dataclass
class _Batch:
    observations: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fallbacks: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    duplicates: int = 0
    cards: list[Card] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)

    def add(self, item: Item) -> None:
        if isinstance(item, Observation):
            self.observations.append(item)
            if item.date_source != "header":
                self.fallbacks[item.date_source] += 1
            for s in item.signals:
                if s.startswith("bad-address:"):
                    self.notes["address left out: " + s[12:]] += 1
        elif isinstance(item, Card):
            self.cards.append(item)
        elif isinstance(item, Problem):
            self.problems.append(item)
        elif item.reason == "duplicate":
            self.duplicates += 1
        else:
            self.skipped += 1
            self.notes[item.reason] += 1

    def size(self) -> int:
        return (
            len(self.observations)
            + len(self.problems)
            + self.skipped
            + self.duplicates
            + len(self.cards)
        )

    def page(self, cursor: str | None, done: int, total: int) -> Page:
        return Page(
            self.observations,
            cursor,
            self.problems,
            dict(self.fallbacks),
            self.skipped,
            done,
            total,
            self.duplicates,
            cards=self.cards,
            notes=dict(self.notes),
        )


@dataclass(frozen=True)
class FileSource:
    """Everything importable under `root` (a file or a folder), auto-detected."""

    root: Path
    now: datetime
    local_tz: tzinfo = UTC
    page_size: int = PAGE_SIZE
    #: Folders read although junk or trash (`folders.left_out`), by name.
    include_folders: frozenset[str] = frozenset()
    limits: Limits = DEFAULT
    #: Follow symbolic links that lead out of `root` (never to anything but a regular file).
    follow_links: bool = False

    @property
    def key(self) -> str:
        return "file:" + str(self.root.resolve())

    def pages(self, cursor: str | None) -> Iterator[Page]:
        if not self.root.exists():
            raise InputError(f"{self.root}: no such file or folder")
        if not os.access(self.root, os.R_OK):
            raise InputError(f"{self.root}: permission denied")
        start = _Position.decode(cursor)
        files = self._files()
        total = sum(f.size for f in files)
        done = 0
        batch = _Batch()
        seen: set[int] = set()  # identities given in this run: copies are dropped early
        shifted = ShiftedCopies()  # and copies whose Date an export shifted by hours
        if start is not None:
            self._recall(files, start, seen, shifted)
        for f in files:
            if start is not None and (
                f.rel < start.path or (f.rel == start.path and start.offset == DONE)
            ):
                done += f.size
                continue
            offset = start.offset if start is not None and f.rel == start.path else 0
            start = None
            for item, next_offset in self._read(f, offset, seen, shifted):
                batch.add(item)
                if batch.size() >= self.page_size:
                    progress = done + min(max(next_offset, 0), f.size)
                    yield batch.page(_Position(f.rel, next_offset).encode(), progress, total)
                    batch = _Batch()
                    if len(seen) > _SEEN_LIMIT:
                        seen.clear()  # bounded memory: the store still drops any copy
                        shifted.clear()
            done += f.size
        yield batch.page(None, total, total)

    def _recall(
        self, files: list[_File], start: _Position, seen: set[int], shifted: ShiftedCopies
    ) -> None:
        """Remember what was read before `start` again (not giving it): a copy whose Date
        an export shifted is known after a resumed import as in one run from the start."""
        for f in files:
            if f.rel > start.path:
                return
            for _, next_offset in self._read(f, 0, seen, shifted):
                if f.rel == start.path and start.offset != DONE and next_offset >= start.offset:
                    return

    def _files(self) -> list[_File]:
        """Every candidate file in sorted order (strings and one stat each: this is hot)."""
        if not self.root.is_dir():
            st = self.root.stat()
            kind = "" if stat.S_ISREG(st.st_mode) else not_regular(st.st_mode)
            return [_File("", str(self.root), st.st_size, st.st_mtime, kind)]
        found: list[_File] = []
        root = str(self.root)
        inside = os.path.realpath(root)
        pending = [("", root)]
        while pending:
            rel_dir, path = pending.pop()
            try:
                entries = list(os.scandir(path))
            except OSError as error:
                if rel_dir:  # counted, and the rest of the folder is read
                    found.append(_File(rel_dir, path, 0, 0.0, unreadable(error, "folder")))
                continue
            dirs = {e.name for e in entries if e.is_dir(follow_symlinks=False)}
            maildir = {"cur", "new"} <= dirs
            for e in entries:
                name = e.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if name in dirs:
                    # Maildir++ keeps folders in dot-directories; other dot-directories are
                    # not mail, nor is a Maildir's tmp/ (messages still being delivered).
                    if (
                        name.startswith(".") and not os.path.isdir(os.path.join(e.path, "cur"))
                    ) or (maildir and name == "tmp"):
                        continue
                    pending.append((rel, e.path))
                    continue
                lower = name.lower()
                if (
                    name.startswith(".")
                    or lower in _SKIP_NAMES
                    or lower.startswith("dovecot")
                    or lower.endswith(_SKIP_SUFFIXES)
                ):
                    continue
                found.append(self._candidate(e, rel, inside))
        found.sort(key=lambda f: f.rel)
        return found

    def _candidate(self, e: os.DirEntry[str], rel: str, inside: str) -> _File:
        """A file to read, or why it is not read: only regular files are, and a symbolic
        link out of the folder only with `follow_links`."""
        try:
            st = e.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                target = os.path.realpath(e.path)
                if not self.follow_links and os.path.commonpath([inside, target]) != inside:
                    return _File(rel, e.path, 0, 0.0, "link out of the folder (--follow-links)")
                st = os.stat(e.path)
        except OSError as error:
            return _File(rel, e.path, 0, 0.0, unreadable(error, "file"))
        if not stat.S_ISREG(st.st_mode):
            return _File(rel, e.path, 0, 0.0, not_regular(st.st_mode))
        return _File(rel, e.path, st.st_size, st.st_mtime)

    def _read(
        self, f: _File, offset: int, seen: set[int], shifted: ShiftedCopies
    ) -> Iterator[tuple[Item, int]]:
        where = f.path
        if f.problem:
            yield Problem(f.problem, where), DONE
            return
        lower = where.lower()
        file_time = datetime.fromtimestamp(f.mtime, UTC)
        kind = left_out(f.rel, self.include_folders)
        if kind:
            yield from _left_out(where, offset, kind)
            return
        try:
            if lower.endswith((".vcf", ".vcard")):
                with open(where, "rb") as fh:
                    yield from self._cards(fh.read(), where, offset)
                return
            if lower.endswith((".ics", ".ical", ".ifb")):
                with open_regular(where) as fh:
                    data = fh.read(self.limits.calendar_bytes + 1)
                if len(data) > self.limits.calendar_bytes:
                    yield Problem(self._too_large("calendar"), where), DONE
                    return
                yield from self._calendar(data, where, offset)
                return
            if lower.endswith(".zip"):
                yield from self._takeout(Path(where), offset, seen, shifted)
                return
            # Headers are at the top: a whole small file, or its first megabyte.
            data = read_regular(where, -1 if f.size <= _HEAD_BYTES else _HEAD_BYTES)
            if data[:5] == b"From " or lower.endswith(".mbox"):
                with open_regular(where) as fh:
                    fh.seek(offset)
                    sent = ("sent-folder",) if left_out(f.rel, whole=True, kind="sent") else ()
                    yield from self._mbox(fh, where, offset, file_time, seen, shifted, sent)
                return
        except OSError as e:
            yield Problem(unreadable(e, "file"), where), DONE
            return
        if data[:11].upper() == b"BEGIN:VCARD":
            yield from self._cards(data, where, offset)
            return
        if data[:5].startswith(b"BEGIN"):
            yield from self._calendar(data, where, offset)
            return
        signals, skip = _folder_hints(f.rel)
        if skip:
            yield Skip(skip), DONE
            return
        yield (
            parse_message(
                data,
                origin=where,
                file_time=file_time,
                now=self.now,
                signals=signals,
                seen=seen,
                shifted=shifted,
                size=f.size,
                limits=self.limits,
            ),
            DONE,
        )

    def _cards(self, data: bytes, where: str, skip: int) -> Iterator[tuple[Item, int]]:
        """A file's contact cards; the offset counts cards already read."""
        for index, item in enumerate(vcard.parse_cards(data, origin=where), start=1):
            if index > skip:
                yield item, index

    def _calendar(self, data: bytes, where: str, skip: int) -> Iterator[tuple[Item, int]]:
        """A calendar's items in a fixed order; the offset counts items already read."""
        observations, problems = ics.parse_calendar(
            data,
            origin=where,
            now=self.now,
            local_tz=self.local_tz,
            keep=self.limits.occurrences_per_file,
        )
        items: list[Observation | Problem] = [*observations, *problems]
        for index, item in enumerate(items[skip:], start=skip + 1):
            yield item, index

    def _mbox(
        self,
        f: BinaryIO,
        where: str,
        offset: int,
        file_time: datetime,
        seen: set[int],
        shifted: ShiftedCopies,
        signals: tuple[str, ...] = (),
    ) -> Iterator[tuple[Item, int]]:
        for start, end, separator, header in mbox_messages(f, offset, self.limits):
            if header is None:
                yield Problem(self._too_large("header line or block"), f"{where}@{start}"), end
                continue
            delivered = from_line_time(separator)
            when = delivered or file_time
            yield (
                parse_message(
                    header,
                    origin=f"{where}@{start}",
                    file_time=when,
                    now=self.now,
                    seen=seen,
                    shifted=shifted,
                    size=end - start - len(separator),
                    signals=signals,
                    delivered=delivered is not None,
                    limits=self.limits,
                ),
                end,
            )

    def _too_large(self, what: str) -> str:
        cap = self.limits.calendar_bytes if what == "calendar" else self.limits.header_block_bytes
        return f"{what} over the limit ({cap // 1024} KB; see [limits])"

    def _takeout(
        self, path: Path, skip: int, seen: set[int], shifted: ShiftedCopies
    ) -> Iterator[tuple[Item, int]]:
        """A Google Takeout archive: its mbox(es), calendars and contacts, member by member."""
        try:
            z = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            yield Problem(f"unreadable zip ({type(e).__name__})", str(path)), 0
            return
        index = 0
        with z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                name = info.filename.lower()
                if info.is_dir() or not name.endswith((".mbox", ".ics", ".vcf")):
                    continue
                where = f"{path}!{info.filename}"
                kind = left_out(info.filename, self.include_folders, whole=True)
                too_large = member_refused(info, self.limits)
                if too_large:
                    index += 1
                    if index > skip:
                        yield Problem(too_large, where), index
                    continue
                try:
                    with z.open(info) as member:
                        items: Iterable[tuple[Item, int]]
                        if kind:
                            messages = mbox_messages(member, 0)  # type: ignore[arg-type]
                            items = ((Skip(kind), 0) for _ in messages)
                        elif name.endswith(".ics"):
                            items = self._calendar(member.read(), where, 0)
                        elif name.endswith(".vcf"):
                            items = self._cards(member.read(), where, 0)
                        else:
                            file_time = datetime(*info.date_time, tzinfo=UTC)
                            items = self._mbox(member, where, 0, file_time, seen, shifted)  # type: ignore[arg-type]
                        for item, _ in items:
                            index += 1
                            if index > skip:
                                yield item, index
                except (zipfile.BadZipFile, OSError, EOFError) as e:
                    yield Problem(f"unreadable zip member ({type(e).__name__})", where), index


def _left_out(
    where: str, offset: int, kind: str
) -> Iterator[tuple[Observation | Problem | Skip, int]]:
    """Each message of a file in a folder left out (`folders.left_out`), counted unread."""
    try:
        with open(where, "rb") as fh:
            if fh.read(5) != b"From " and not where.lower().endswith(".mbox"):
                yield Skip(kind), DONE
                return
            fh.seek(offset)
            for _, end, _, _ in mbox_messages(fh, offset):
                yield Skip(kind), end
    except OSError as e:
        yield Problem(f"unreadable file ({e.strerror or type(e).__name__})", where), DONE


def _folder_hints(rel: str) -> tuple[tuple[str, ...], str]:
    """Signals and skip reasons a Maildir's folders and flags carry."""
    parts = rel.split("/")
    name = parts[-1]
    kinds = {folder_kind(p) for p in parts[:-1]}
    # A Sent folder's mail is self's: a sender there not yet known as self may be an alias.
    signals: tuple[str, ...] = ("draft",) if "drafts" in kinds else ()
    if "sent" in kinds:
        signals = (*signals, "sent-folder")
    _, sep, flags = name.rpartition(":2,")
    if sep:
        if "T" in flags:
            return signals, "trash"
        if "D" in flags and "draft" not in signals:
            signals = ("draft", *signals)
    return signals, ""
