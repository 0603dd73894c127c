"""The contract against a real Dovecot on loopback (tests/servers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kithkeep.connectors.base import Source
from kithkeep.services.accounts.base import secret_name
from kithkeep.services.config.secrets import set_secret
from kithkeep.services.config.settings import Paths, write_config
from tests.contract.contract import ME, SourceContract, World, append_account, message


class Dovecot(World):
    """Items arrive in Archive; a copy is the same message in INBOX."""

    account = "box"
    refused = "login refused for test (wrong user or password?)"

    def __init__(self, server: Any) -> None:
        self.server = server
        self.admin = server.client()
        # What an earlier test left goes: INBOX emptied, Archive made anew.
        if self.admin.folder_exists("Archive"):
            self.admin.delete_folder("Archive")
        self.admin.select_folder("INBOX")
        if uids := self.admin.search("ALL"):
            self.admin.delete_messages(uids)
            self.admin.expunge()
        self.admin.unselect_folder()
        self.admin.create_folder("Archive")

    def configure(self, home: Path) -> None:
        write_config(Paths(home), [ME], force=True)
        append_account(
            home,
            {
                "name": self.account,
                "type": "imap",
                "host": "127.0.0.1",
                "port": self.server.port,
                "user": self.server.user,
                "security": "plain",
                "folders": ["INBOX", "Archive"],
                "since_days": 36500,
            },
        )
        set_secret(Paths(home), secret_name(self.account, "password"), self.server.password)

    def small_pages(self, source: Source) -> Source:
        source.batch = 2  # type: ignore[attr-defined]  # messages fetched a page
        return source

    def add(self, i: int) -> None:
        self.admin.append("Archive", message(i))

    def copy(self, i: int) -> None:
        self.admin.append("INBOX", message(i))

    def delete(self, i: int) -> None:
        """Expunge item i from Archive, else from INBOX."""
        for folder in ("Archive", "INBOX"):
            self.admin.select_folder(folder)
            uids = self.admin.search(["HEADER", "Message-ID", f"<item-{i}@contract.test>"])
            if uids:
                self.admin.delete_messages(uids[:1])
                self.admin.expunge()
                return
        raise AssertionError(f"no copy of item {i} left")

    def expire_cursor(self, home: Path) -> None:
        # Archive deleted and created again, with what it held: a new UIDVALIDITY.
        self.admin.select_folder("Archive")
        held = self.admin.fetch(self.admin.search("ALL"), [b"BODY.PEEK[]"])
        before = self.admin.folder_status("Archive", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        self.admin.unselect_folder()
        self.admin.delete_folder("Archive")
        self.admin.create_folder("Archive")
        for uid in sorted(held):
            self.admin.append("Archive", held[uid][b"BODY[]"])
        assert self.admin.folder_status("Archive", [b"UIDVALIDITY"])[b"UIDVALIDITY"] != before

    def break_credentials(self, home: Path) -> None:
        set_secret(Paths(home), secret_name(self.account, "password"), "rotated-password")

    def close(self) -> None:
        self.admin.logout()


class TestImapAgainstDovecot(SourceContract):
    @pytest.fixture
    def world(self, dovecot_server: Any) -> Iterator[World]:
        world = Dovecot(dovecot_server)
        yield world
        world.close()
