"""The contract every source keeps, written once (vdirsyncer's idea).

`SourceContract` holds the tests; each `test_*.py` beside it subclasses it for one
source and provides one fixture, `world`: the far side of one account (a folder on
disk, a stateful fake on a loopback socket, a real Dovecot or Radicale), which a test
seeds, changes, copies, deletes from, makes forget its cursor and locks out. The tests
drive the one page-and-cursor loop (`pull.run`) into a real event store, or the CLI as
a user runs it, and read back what was stored.

Where a source cannot express a promise, its subclass names the test in `cannot_express`
with the reason (skipped); where it breaks one, in `known_bugs` with the bug (a strict
xfail, which fails once the bug is fixed, until the entry goes).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kithkeep.connectors.base import Page, Source
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.services.accounts import SyncContext, build_source
from kithkeep.services.config.settings import Paths, load
from kithkeep.services.store.events import Store
from kithkeep.services.usecases import pull
from tests.conftest import run_cli

ME = "me@contract.test"
#: Items of a seeded world; every source is made to give them in several pages.
N = 6
#: Every item happened in the month before the tests run: inside every first sync's window.
NOW = datetime.now(UTC).replace(microsecond=0)


def when(i: int) -> datetime:
    """When item `i` happened (whole hours, so every source gives the same instant)."""
    return (NOW - timedelta(days=40 - i)).replace(minute=0, second=0)


def subject(i: int) -> str:
    return f"Contract item {i}"


def subjects(items: Iterable[int]) -> set[str]:
    return {subject(i) for i in items}


def message(i: int) -> bytes:
    """Item `i` as an RFC 822 message to me: one interaction, whatever folder holds it."""
    return (
        f"Message-ID: <item-{i}@contract.test>\r\n"
        f"Date: {format_datetime(when(i))}\r\n"
        f"From: Person {i} <person{i}@example.org>\r\n"
        f"To: Me <{ME}>\r\n"
        f"Subject: {subject(i)}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Hello from person {i}.\r\n"
    ).encode()


def meeting(i: int) -> str:
    """Item `i` as an iCalendar object: a meeting that has taken place."""
    start = when(i).strftime("%Y%m%dT%H%M%SZ")
    end = (when(i) + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kithkeep contract//EN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:item-{i}@contract.test\r\nDTSTAMP:20250101T000000Z\r\n"
        f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{subject(i)}\r\n"
        f"ORGANIZER;CN=Me:mailto:{ME}\r\n"
        f"ATTENDEE;CN=Person {i};PARTSTAT=ACCEPTED:mailto:person{i}@example.org\r\n"
        f"ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:{ME}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def append_account(home: Path, table: dict[str, Any]) -> None:
    """An `[[accounts]]` table appended to the home's config, as `account add` writes it."""
    lines = ["", "[[accounts]]"]
    for key, value in table.items():
        lines.append(f"{key} = {json.dumps(value)}")
    config = Paths(home).config
    config.write_text(config.read_text(encoding="utf-8") + "\n".join(lines) + "\n")


class World(ABC):
    """The far side of one account, as a contract test sees it.

    Items are numbered; item `i` is one interaction with subject `subject(i)`, however
    many copies of it the source holds.
    """

    #: The account's name in the config: its error line starts `error: NAME:`.
    account: str = "contract"
    #: What that line says when the source refuses the credentials.
    refused: str = ""

    @abstractmethod
    def configure(self, home: Path) -> None:
        """A new kithkeep home whose one account reads this world, signed in."""

    @abstractmethod
    def add(self, i: int) -> None:
        """Item `i`, in one place at the source."""

    def seed(self, n: int) -> None:
        for i in range(n):
            self.add(i)

    def copy(self, i: int) -> None:
        """A second copy of item `i` (another folder, label or calendar)."""
        raise NotImplementedError

    def delete(self, i: int) -> None:
        """One copy of item `i` deleted at the source."""
        raise NotImplementedError

    def as_file(self, i: int) -> tuple[str, bytes]:
        """Item `i` as a file a folder account would import (name, content)."""
        return f"item{i}.eml", message(i)

    @abstractmethod
    def expire_cursor(self, home: Path) -> None:
        """The source forgets (or no longer accepts) where `home` last stopped."""

    def break_credentials(self, home: Path) -> None:
        """The password `home` keeps is wrong now, or the provider revoked its token."""
        raise NotImplementedError

    def source(self, home: Path) -> Source:
        """The account's source, as `kithkeep sync` builds it (in small pages)."""
        settings = load(home)
        return self.small_pages(
            build_source(settings.account(self.account), SyncContext(settings, NOW, UTC))
        )

    def small_pages(self, source: Source) -> Source:
        """The source made to hand over a few items a page (a first sync is several)."""
        return source


@dataclass
class Home:
    """One kithkeep home synced from a world: its store, and what it holds."""

    path: Path
    world: World

    def sync(
        self,
        *,
        full: bool = False,
        should_stop: Callable[[], bool] | None = None,
        on_saved: Callable[[Any], None] | None = None,
        dies_at_page: int = 0,
        account: str = "",
    ) -> pull.Report:
        """One sync of the world's account (or another `account` of the home) through
        the page-and-cursor loop, in this process."""
        if account:
            settings = load(self.path)
            source = build_source(settings.account(account), SyncContext(settings, NOW, UTC))
        else:
            source = self.world.source(self.path)
        if dies_at_page:
            source = _Dying(source, dies_at_page)
        store = Store(Paths(self.path).events)
        try:
            return pull.run(
                source,
                store,
                parallel=False,
                full=full,
                should_stop=should_stop,
                on_saved=on_saved,
            )
        finally:
            store.close()

    def killed(self, *, in_flight: bool) -> None:
        """A sync in a child process, SIGKILLed as soon as its first page is committed,
        or (`in_flight`) once the source has handed over its second page, unsaved."""

        def sync() -> None:
            if in_flight:
                self.sync(dies_at_page=2)
            else:
                self.sync(on_saved=lambda _written: _die())

        # The child talks to the fakes over their sockets; the threads it does not
        # inherit are the fakes' servers, which go on serving in this process.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "This process", DeprecationWarning)
            child = multiprocessing.get_context("fork").Process(target=sync)
            child.start()
        child.join(60)
        if child.is_alive():
            child.kill()
            child.join()
        assert child.exitcode == -signal.SIGKILL, child.exitcode

    def events(self) -> list[tuple[str, int, str]]:
        """Every stored event of an interaction: (aggregate, version, topic), in order.

        A source's position is bookkeeping: a pass may move its cursor (a listing that
        ends is kept, so the next sync asks what changed since) without adding anything.
        """
        return [
            (oid, version, topic)
            for oid, version, topic, _ in self._rows()
            if ":Interaction." in topic
        ]

    def stored(self) -> dict[str, dict[str, Any]]:
        """Every interaction stored, by natural key: its latest fields, and if withdrawn."""
        by_id: dict[str, dict[str, Any]] = {}
        for oid, _version, topic, state in self._rows():
            if ":Interaction." not in topic:
                continue
            kind = topic.rsplit(".", 1)[-1]
            data = json.loads(state)
            data.pop("timestamp", None)  # when it was stored, not what
            data.pop("originator_topic", None)
            if kind == "Observed":
                by_id[oid] = {**data, "withdrawn": False}
            elif kind == "Revised":
                by_id[oid].update(data)
            elif kind in ("Withdrawn", "Restored"):
                by_id[oid]["withdrawn"] = kind == "Withdrawn"
        return {v["natural_key"]: v for v in by_id.values()}

    def live(self) -> set[str]:
        """The subjects of the interactions stored and not withdrawn."""
        return {v["subject"] for v in self.stored().values() if not v["withdrawn"]}

    def observed(self) -> int:
        return sum(1 for _, _, topic in self.events() if topic.endswith("Interaction.Observed"))

    def _rows(self) -> list[tuple[str, int, str, str]]:
        path = Paths(self.path).events
        if not path.exists():
            return []
        c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return c.execute(
                "SELECT originator_id, originator_version, topic, state FROM stored_events "
                "ORDER BY rowid"
            ).fetchall()
        finally:
            c.close()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class _Dying:
    """A source whose process dies when its `at`-th page is handed over, before the
    loop can save it (the source's own work for that page is done)."""

    inner: Source
    at: int

    @property
    def key(self) -> str:
        return self.inner.key

    def pages(self, cursor: str | None) -> Iterator[Page]:
        for number, page in enumerate(self.inner.pages(cursor), start=1):
            if number == self.at:
                _die()
            yield page


def secrets_of(home: Path) -> list[str]:
    """The secrets a home keeps (passwords, tokens, client secrets), to grep output for."""
    path = home / "secrets.json"
    found: list[str] = []

    def leaves(value: Any, key: str) -> Iterator[str]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from leaves(v, k)
        elif isinstance(value, str) and "secret" in key.lower():
            yield value

    for value in json.loads(path.read_text()).values() if path.exists() else ():
        try:
            inner = json.loads(value)
        except ValueError:
            found.append(value)  # a password or a refresh token
        else:
            found.extend(leaves(inner, ""))  # a client file or a token cache
    return [s for s in found if len(s) >= 6]


class SourceContract:
    """The tests every source must pass. A subclass provides the `world` fixture."""

    #: Promises this source cannot express, by test name, with the reason: skipped.
    cannot_express: ClassVar[dict[str, str]] = {}
    #: Promises this source is known to break, by test name or test id, with the bug:
    #: strict xfails, so a fix makes them fail until the entry goes.
    known_bugs: ClassVar[dict[str, str]] = {}

    @pytest.fixture(autouse=True)
    def _expressed(self, request: pytest.FixtureRequest) -> None:
        node = request.node
        if node.originalname in self.cannot_express:
            pytest.skip(self.cannot_express[node.originalname])
        bug = self.known_bugs.get(node.name) or self.known_bugs.get(node.originalname)
        if bug:
            node.add_marker(pytest.mark.xfail(strict=True, raises=AssertionError, reason=bug))

    @pytest.fixture
    def world(self) -> World:
        raise NotImplementedError("each source's test class provides its world")

    @pytest.fixture
    def homes(self, world: World, tmp_path: Path) -> Callable[[str], Home]:
        def make(name: str = "home") -> Home:
            path = tmp_path / name
            world.configure(path)
            return Home(path, world)

        return make

    # 1. Nothing twice --------------------------------------------------------------

    @pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
    def test_a_second_pass_adds_nothing(
        self, world: World, homes: Callable[[str], Home], full: bool
    ) -> None:
        world.seed(N)
        home = homes("home")
        first = home.sync()
        assert first.added == N and home.live() == subjects(range(N))
        before = home.events()
        again = home.sync(full=full)
        assert (again.added, again.withdrawn) == (0, 0)
        assert home.events() == before  # not one event more: no copy, no revision

    # 2. An interrupted sync --------------------------------------------------------

    @pytest.mark.parametrize(
        ("how", "during"),
        [
            ("stopped", "first"),
            ("killed", "first"),
            ("killed-in-flight", "first"),
            ("killed", "incremental"),
        ],
    )
    def test_an_interrupted_sync_then_rerun_equals_one_clean_run(
        self, world: World, homes: Callable[[str], Home], how: str, during: str
    ) -> None:
        world.seed(N)
        home = homes("interrupted")
        total = N
        if during == "incremental":
            home.sync()
            for i in range(N, N + 4):
                world.add(i)
            total = N + 4
        if how == "stopped":  # between two pages, as the daemon stops
            home.sync(should_stop=lambda: True)
        else:  # SIGKILL once a page was committed, or while one was in flight
            home.killed(in_flight=how == "killed-in-flight")
        assert home.live() != subjects(range(total))  # it came mid-sync ...
        if during == "first":
            assert home.live()  # ... after a page was saved
        if how == "stopped":  # and again after every page
            for _ in range(3 * N):
                if home.sync(should_stop=lambda: True).added == 0:
                    break
        home.sync()
        clean = homes("clean")
        clean.sync()
        assert home.stored() == clean.stored()
        assert home.live() == subjects(range(total))

    # 3. An expired cursor ----------------------------------------------------------

    def test_an_expired_cursor_resyncs_without_doubling(
        self, world: World, homes: Callable[[str], Home]
    ) -> None:
        world.seed(N)
        home = homes("home")
        home.sync()
        observed = home.observed()
        world.add(N)  # new since
        world.expire_cursor(home.path)
        report = home.sync()
        assert (report.added, report.withdrawn) == (1, 0)
        assert home.observed() == observed + 1  # the rest was not stored again
        assert home.live() == subjects(range(N + 1))
        assert home.sync().added == 0  # and the cursor that replaced it works

    def test_an_expired_cursor_finds_what_was_deleted_meanwhile(
        self, world: World, homes: Callable[[str], Home]
    ) -> None:
        world.seed(N)
        home = homes("home")
        home.sync()
        world.delete(0)
        world.add(N)
        world.expire_cursor(home.path)
        report = home.sync()
        assert (report.added, report.withdrawn) == (1, 1)
        assert home.live() == subjects(range(1, N + 1))

    # 4. Deletions ------------------------------------------------------------------

    def test_a_deletion_withdraws_exactly_the_last_copy(
        self, world: World, homes: Callable[[str], Home]
    ) -> None:
        world.seed(N)
        world.copy(1)  # item 1 is held twice
        home = homes("home")
        assert home.sync().added == N
        world.delete(0)  # its only copy
        world.delete(1)  # one of two
        report = home.sync()
        assert report.withdrawn == 1
        assert home.live() == subjects(range(1, N))
        world.delete(1)  # the last copy
        report = home.sync()
        assert report.withdrawn == 1
        assert home.live() == subjects(range(2, N))
        # A full pass finds the same: nothing new, nothing more gone, nothing restored.
        before = home.events()
        report = home.sync(full=True)
        assert (report.added, report.withdrawn) == (0, 0) and home.events() == before

    def test_a_copy_another_account_holds_keeps_it(
        self, world: World, homes: Callable[[str], Home]
    ) -> None:
        world.seed(N)
        home = homes("home")
        home.sync()
        kept = next(k for k, v in home.stored().items() if v["subject"] == subject(1))
        # Another account of the home holds a copy of item 1: its index says so, as its
        # own sync writes it (that account is never synced here).
        append_account(
            home.path,
            {"name": "other", "type": "imap", "host": "127.0.0.1", "user": "other@x.test"},
        )
        RemoteIndex(Paths(home.path).home / "connectors" / "other.sqlite").remember(
            "INBOX", [("7", kept)]
        )
        world.delete(0)
        world.delete(1)  # its last copy at this source, not the last one there is
        assert home.sync().withdrawn == 1
        assert home.live() == subjects(range(1, N))

    # 5. Refused credentials --------------------------------------------------------

    def test_refused_credentials_are_one_line_and_exit_1(
        self, world: World, homes: Callable[[str], Home]
    ) -> None:
        world.seed(2)
        home = homes("home")
        home.sync()
        before = home.events()
        secrets = secrets_of(home.path)
        world.break_credentials(home.path)
        secrets += secrets_of(home.path)
        result = run_cli(home.path, "sync", check=False)
        assert result.code == 1, result.out
        assert "Traceback" not in result.err
        (line,) = result.err.strip().splitlines()
        assert line.startswith(f"error: {world.account}: "), line
        assert world.refused in line, line
        assert secrets  # the grep has teeth
        assert not [s for s in secrets if s in result.err + result.out]
        assert home.events() == before
