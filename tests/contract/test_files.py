"""The contract against a folder account: a Maildir, an mbox, .ics files and a Takeout
archive on disk."""

from __future__ import annotations

import dataclasses
import mailbox
import zipfile
from pathlib import Path
from typing import ClassVar

import pytest

from kithkeep.connectors.base import Source
from kithkeep.domain.aggregates import position_id
from kithkeep.services.config.settings import Paths, write_config
from kithkeep.services.store.events import Store
from tests.contract.contract import ME, SourceContract, World, append_account, meeting, message

NO_DELETIONS = (
    "a folder account imports what lands in it and keeps it: deleting a file withdraws "
    "nothing (the FileSource never reports a deletion)"
)


class Folder(World):
    """A folder whose items go round a Maildir, an mbox, .ics files and a Takeout .zip."""

    account = "drop"

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("cur", "new", "tmp"):
            (root / "Maildir" / sub).mkdir(parents=True, exist_ok=True)

    def configure(self, home: Path) -> None:
        write_config(Paths(home), [ME], force=True)
        append_account(home, {"name": self.account, "type": "folder", "path": str(self.root)})

    def add(self, i: int) -> None:
        layout = i % 4
        if layout == 0:
            (self.root / "Maildir" / "cur" / f"item{i:03d}:2,S").write_bytes(message(i))
        elif layout == 1:
            box = mailbox.mbox(self.root / "archive.mbox")
            try:
                box.add(message(i).replace(b"\r\n", b"\n"))
                box.flush()
            finally:
                box.close()
        elif layout == 2:
            (self.root / "calendar").mkdir(exist_ok=True)
            (self.root / "calendar" / f"item{i:03d}.ics").write_text(meeting(i))
        else:
            mbox = b"From person@example.org Mon Mar  3 09:00:00 2025\n" + message(i).replace(
                b"\r\n", b"\n"
            )
            with zipfile.ZipFile(self.root / "takeout.zip", "a") as z:
                z.writestr(f"Takeout/Mail/item{i:03d}.mbox", mbox)

    def small_pages(self, source: Source) -> Source:
        return dataclasses.replace(source, page_size=2)  # type: ignore[type-var]

    def expire_cursor(self, home: Path) -> None:
        # Files have no provider to forget a cursor: the one stored no longer reads.
        store = Store(Paths(home).events)
        try:
            position = store.app.repository.get(position_id(self.source(home).key))
            position.advance("{not a file cursor")
            store.app.save(position)
        finally:
            store.close()


class TestFolderOfFiles(SourceContract):
    cannot_express: ClassVar[dict[str, str]] = {
        "test_a_deletion_withdraws_exactly_the_last_copy": NO_DELETIONS,
        "test_an_expired_cursor_finds_what_was_deleted_meanwhile": NO_DELETIONS,
        "test_a_copy_another_account_holds_keeps_it": NO_DELETIONS,
        "test_refused_credentials_are_one_line_and_exit_1": "a folder has no password or token",
    }

    @pytest.fixture
    def world(self, tmp_path: Path) -> World:
        return Folder(tmp_path / "drop")
