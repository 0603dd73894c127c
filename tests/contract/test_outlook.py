"""The contract against the stateful Microsoft fake: Outlook mail and calendar over Graph."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kithkeep.connectors.base import Source
from kithkeep.services.config.settings import Paths, load, write_config
from tests.contract.contract import ME, SourceContract, World, meeting, message, when
from tests.fakes.graph import FakeMicrosoft, graph_events, graph_message

FOLDERS = ("inbox", "sentitems")


def signed_in(home: Path, fake: FakeMicrosoft, account: str, *, contacts: bool = False) -> None:
    """A new home with one Outlook account, signed in to the fake (with its contacts)."""
    from kithkeep.services.accounts.outlook import sign_in

    paths = Paths(home)
    write_config(paths, [ME], force=True)
    with paths.config.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[outlook]\nauthority_host = "{fake.authority_host}"\n'
            f'graph_endpoint = "{fake.graph}"\nclient_id = "test-client"\n'
        )
    sign_in(  # the device-code flow, which the fake consents to at once
        load(home),
        name=account,
        client_id="",
        tenant="organizations",
        interval=15,
        echo=lambda _text: None,
        contacts=contacts,
    )


class Outlook(World):
    """One mailbox: items go round the inbox, the sent items and the calendar; a copy
    of a message is the same message in the other folder."""

    account = "work"
    refused = "the sign-in has expired (invalid_grant)"

    def __init__(self, fake: FakeMicrosoft) -> None:
        self.fake = fake
        #: Each item's (folder, Graph id) copies; the calendar's folder is "".
        self.ids: dict[int, list[tuple[str, str]]] = {}
        self.built: list[Any] = []

    def source(self, home: Path) -> Source:
        source = super().source(home)
        self.built.append(source)
        return source

    def close(self) -> None:
        # A sync leaves its HTTP session open (the process ends); these tests do not.
        for source in self.built:
            source.client.close()

    def configure(self, home: Path) -> None:
        signed_in(home, self.fake, self.account)

    def add(self, i: int) -> None:
        where = (*FOLDERS, "")[i % 3]
        if where:
            self._put(i, where)
            return
        start = when(i) - timedelta(days=1)
        (event,), _ = graph_events(meeting(i).encode(), start, start + timedelta(days=2))
        self.fake.box.put_event(event)
        self.ids.setdefault(i, []).append(("", event["id"]))

    def as_file(self, i: int) -> tuple[str, bytes]:
        return (f"item{i}.ics", meeting(i).encode()) if i % 3 == 2 else super().as_file(i)

    def _put(self, i: int, folder: str) -> None:
        ident = f"item{i}-{folder}"
        self.fake.box.put(folder, ident, graph_message(message(i)))
        self.ids.setdefault(i, []).append((folder, ident))

    def copy(self, i: int) -> None:
        (folder, _ident), *_ = self.ids[i]
        assert folder, "a meeting is one event"
        self._put(i, next(f for f in FOLDERS if f != folder))

    def delete(self, i: int) -> None:
        folder, ident = self.ids[i].pop(0)
        if folder:
            self.fake.box.remove(folder, ident)
        else:
            self.fake.box.remove_event(ident)

    def expire_cursor(self, home: Path) -> None:
        self.fake.expire_deltas()  # every delta link given so far answers 410

    def break_credentials(self, home: Path) -> None:
        self.fake.revoke_access_tokens()
        self.fake.valid_refresh.clear()  # and the sign-in itself is gone


class TestOutlookAgainstFakeGraph(SourceContract):
    @pytest.fixture
    def world(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
        with FakeMicrosoft(tmp_path) as fake:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_path))
            monkeypatch.setattr("kithkeep.connectors.graph.PAGE_SIZE", 2)  # items a page
            world = Outlook(fake)
            yield world
            world.close()
