"""The contract against a real Radicale on loopback (tests/servers.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kithkeep.services.accounts.base import secret_name
from kithkeep.services.config.secrets import set_secret
from kithkeep.services.config.settings import Paths, write_config
from tests.contract.contract import ME, SourceContract, World, append_account, meeting

CALENDARS = ("work", "home")


class Radicale(World):
    """Two calendars, items alternating between them (a sync is a page per calendar);
    a copy is the same event (same UID) in the other calendar."""

    account = "cal"
    refused = "login refused for test (wrong user or password?)"

    def __init__(self, server: Any) -> None:
        self.server = server
        for name in CALENDARS:  # what an earlier test left goes
            server.calendar(name).delete()
        self.calendars = {name: server.calendar(name) for name in CALENDARS}
        #: Each item's copies, by calendar name.
        self.held: dict[int, list[str]] = {}

    def configure(self, home: Path) -> None:
        write_config(Paths(home), [ME], force=True)
        append_account(
            home,
            {"name": self.account, "type": "caldav", "url": self.server.url, "user": "test"},
        )
        set_secret(Paths(home), secret_name(self.account, "password"), self.server.password)

    def _save(self, i: int, calendar: str) -> None:
        self.calendars[calendar].save_event(meeting(i))
        self.held.setdefault(i, []).append(calendar)

    def as_file(self, i: int) -> tuple[str, bytes]:
        return f"item{i}.ics", meeting(i).encode()

    def add(self, i: int) -> None:
        self._save(i, CALENDARS[i % 2])

    def copy(self, i: int) -> None:
        self._save(i, next(c for c in CALENDARS if c not in self.held[i]))

    def delete(self, i: int) -> None:
        calendar = self.held[i].pop(0)
        self.calendars[calendar].event_by_uid(f"item-{i}@contract.test").delete()

    def expire_cursor(self, home: Path) -> None:
        # Radicale forgets every sync token it gave (its cache of them is gone).
        tokens = list(self.server.root.glob("collections/**/.Radicale.cache/sync-token/*"))
        assert tokens
        for token in tokens:
            token.unlink()

    def break_credentials(self, home: Path) -> None:
        set_secret(Paths(home), secret_name(self.account, "password"), "rotated-password")


class TestCaldavAgainstRadicale(SourceContract):
    @pytest.fixture
    def world(self, radicale_server: Any) -> World:
        return Radicale(radicale_server)
