"""The contract every address book keeps, written once (as `contract.py` is for mail).

`CardContract` holds the tests; each address book's module subclasses it and provides
the `world` fixture: the far side of one account (a real Radicale, a stateful fake
served on loopback), which a test fills with numbered cards, changes, deletes from,
and makes forget its cursor. Syncing goes through the one page-and-cursor loop into a
real event store; what the views make of it is compared with importing the same cards
as a `.vcf` file.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from kithkeep.connectors.files import FileSource
from kithkeep.projections import queries
from kithkeep.services.accounts import SyncContext, build_source
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.runtime import open_runtime
from kithkeep.services.store.events import Store
from kithkeep.services.usecases import pull
from kithkeep.services.usecases.views import read_views
from tests.conftest import run_cli
from tests.contract.contract import ME, NOW, secrets_of

#: Cards of a seeded world.
N = 5


@dataclass(frozen=True)
class CardSpec:
    """What card `i` says: every address book can say all of it."""

    i: int
    emails: tuple[str, ...]
    name: str = ""
    organization: str = ""
    title: str = ""
    birthday: str = ""  # YYYY-MM-DD

    def vcard(self) -> str:
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:card-{self.i}@contract.test",
            f"FN:{self.name}",
            f"N:{self.name.split()[-1]};{self.name.split()[0]};;;",
            *(f"EMAIL;TYPE=INTERNET:{e}" for e in self.emails),
        ]
        if self.organization:
            lines.append(f"ORG:{self.organization}")
        if self.title:
            lines.append(f"TITLE:{self.title}")
        if self.birthday:
            lines.append(f"BDAY:{self.birthday}")
        return "\r\n".join([*lines, "END:VCARD"]) + "\r\n"


def card(i: int, *, second: bool = False) -> CardSpec:
    emails = (f"person{i}@example.org",) + ((f"person{i}@home.example",) if second else ())
    return CardSpec(
        i,
        emails,
        name=f"Person Number{i}",
        organization=f"Org {i % 2}",
        title=f"Title {i}",
        birthday=f"1980-{i % 12 + 1:02d}-{i + 10:02d}",
    )


class CardWorld(ABC):
    """The far side of one address-book account."""

    account: str = "book"
    #: How many address books the account holds (an idle sync asks each once).
    books: int = 1

    def __init__(self) -> None:
        #: The cards the source holds now, by number.
        self.held: dict[int, CardSpec] = {}

    @abstractmethod
    def configure(self, home: Path) -> None:
        """A new kithkeep home whose one account reads this world, signed in."""

    def put(self, spec: CardSpec) -> None:
        """Card `spec.i`, added or changed."""
        self._put(spec)
        self.held[spec.i] = spec

    def delete(self, i: int) -> None:
        """Card `i` deleted at the source."""
        self._delete(i)
        del self.held[i]

    @abstractmethod
    def _put(self, spec: CardSpec) -> None: ...

    @abstractmethod
    def _delete(self, i: int) -> None: ...

    @abstractmethod
    def expire_cursor(self, home: Path) -> None:
        """The source no longer accepts where `home` last stopped."""

    @abstractmethod
    def requests(self) -> int:
        """Requests the source has answered so far."""

    def secrets(self) -> list[str]:
        """Secrets the source handed out beyond those the home keeps (access tokens)."""
        return []

    def seed(self, n: int = N) -> None:
        for i in range(n):
            self.put(card(i))

    def as_vcf(self) -> str:
        return "".join(spec.vcard() for _, spec in sorted(self.held.items()))


@dataclass
class CardHome:
    path: Path
    world: CardWorld
    reports: list[pull.Report] = field(default_factory=list)

    def sync(self, *, full: bool = False) -> pull.Report:
        settings = load(self.path)
        account = settings.account(self.world.account)
        source = build_source(account, SyncContext(settings, NOW, UTC))
        store = Store(Paths(self.path).events)
        try:
            report = pull.run(source, store, parallel=False, full=full)
        finally:
            store.close()
        self.reports.append(report)
        return report

    def contact_events(self) -> list[str]:
        c = sqlite3.connect(f"file:{Paths(self.path).events}?mode=ro", uri=True)
        try:
            rows = c.execute("SELECT topic FROM stored_events ORDER BY rowid").fetchall()
        finally:
            c.close()
        return [t.rsplit(".", 1)[-1] for (t,) in rows if ":Contact." in t]


def import_path(home: Path, path: Path) -> None:
    store = Store(Paths(home).events)
    try:
        pull.run(FileSource(path, now=NOW), store, parallel=False)
    finally:
        store.close()


def mailbox(path: Path, senders: list[str]) -> Path:
    """An mbox with one message from each sender to me."""
    out = []
    for n, sender in enumerate(senders, start=1):
        out.append(
            f"From x Mon Jan  1 00:00:00 2024\nFrom: {sender}\nTo: {ME}\n"
            f"Date: Tue, {n} Jan 2024 10:00:00 +0000\nSubject: hello {n}\n"
            f"Message-ID: <mail-{n}@contract.test>\n\nbody\n"
        )
    path.write_text("\n".join(out), encoding="utf-8")
    return path


@contextmanager
def views(home: Path) -> Iterator[Any]:
    """The home's views, caught up."""
    with open_runtime(load(home)) as rt:
        rt.project(NOW)
    conn = read_views(load(home))
    try:
        yield conn
    finally:
        conn.close()


def book(home: Path) -> set[tuple[Any, ...]]:
    """What the views hold of the cards: each card's fields and its addresses."""
    with views(home) as conn:
        addresses: dict[str, list[str]] = {}
        for card_id, address in conn.execute(
            "SELECT card, address FROM card_addresses ORDER BY card, position"
        ):
            addresses.setdefault(card_id, []).append(address)
        return {
            (*row[1:], tuple(addresses.get(row[0], ())))
            for row in conn.execute(
                "SELECT id, name, organization, title, birthday, anniversary FROM cards"
            )
        }


def people(home: Path) -> dict[tuple[str, ...], queries.Person]:
    with views(home) as conn:
        found = queries.people(conn, now=int(NOW.timestamp()), default_cadence=180)
    return {p.addresses: p for p in found}


class CardContract:
    """The tests every address book must pass. A subclass provides the `world` fixture."""

    def home(self, tmp_path: Path, world: CardWorld, name: str = "home") -> CardHome:
        path = tmp_path / name
        world.configure(path)
        return CardHome(path, world)

    def test_full_then_incremental_equals_importing_the_same_cards(
        self, world: CardWorld, tmp_path: Path
    ) -> None:
        world.seed()
        home = self.home(tmp_path, world)
        first = home.sync()
        assert first.cards == N
        world.put(card(1, second=True))  # a new address
        world.put(card(N))  # a new card
        world.delete(3)
        second = home.sync()
        assert (second.cards, second.cards_withdrawn) == (2, 1)
        (tmp_path / "same.vcf").write_text(world.as_vcf(), encoding="utf-8")
        other = tmp_path / "imported"
        write_config(Paths(other), [ME], force=True)
        import_path(other, tmp_path / "same.vcf")
        assert book(home.path) == book(other)
        assert len(book(home.path)) == N

    def test_a_card_names_its_person_joins_their_addresses_and_goes_when_deleted(
        self, world: CardWorld, tmp_path: Path
    ) -> None:
        world.seed(3)
        home = self.home(tmp_path, world)
        mail = mailbox(
            tmp_path / "mail.mbox",
            ["person1@example.org", "Home One <person1@home.example>", "person2@example.org"],
        )
        import_path(home.path, mail)
        home.sync()
        found = people(home.path)
        assert found[("person1@example.org",)].name == "Person Number1"
        assert found[("person1@example.org",)].card is not None
        assert found[("person1@home.example",)].name == "Home One"
        world.put(card(1, second=True))
        home.sync()
        found = people(home.path)
        one = found[("person1@example.org", "person1@home.example")]
        assert (one.name, one.interactions) == ("Person Number1", 2)
        assert one.card is not None and one.card.organization == "Org 1"
        world.delete(1)
        assert home.sync().cards_withdrawn == 1
        found = people(home.path)
        # The mail stays; the card's name and its joining go with it.
        assert found[("person1@example.org",)].name == ""
        assert found[("person1@home.example",)].name == "Home One"
        assert found[("person2@example.org",)].name == "Person Number2"

    def test_a_second_pass_adds_nothing(self, world: CardWorld, tmp_path: Path) -> None:
        world.seed()
        home = self.home(tmp_path, world)
        home.sync()
        before = home.contact_events()
        assert before.count("Seen") == N
        assert home.sync().cards == 0
        assert home.sync(full=True).cards == 0
        assert home.contact_events() == before

    def test_an_expired_cursor_lists_again_without_doubling(
        self, world: CardWorld, tmp_path: Path
    ) -> None:
        world.seed()
        home = self.home(tmp_path, world)
        home.sync()
        world.delete(0)
        world.put(card(2, second=True))
        world.expire_cursor(home.path)
        again = home.sync()
        assert (again.cards, again.cards_withdrawn) == (1, 1)
        events = home.contact_events()
        assert (events.count("Seen"), events.count("Revised"), events.count("Withdrawn")) == (
            N,
            1,
            1,
        )
        assert len(book(home.path)) == N - 1

    def test_an_idle_sync_costs_one_request_per_address_book(
        self, world: CardWorld, tmp_path: Path
    ) -> None:
        world.seed()
        home = self.home(tmp_path, world)
        home.sync()
        home.sync()  # any second look a source takes after its first listing
        before = world.requests()
        assert home.sync().cards == 0
        assert world.requests() - before == world.books

    def test_no_secret_in_any_output_or_file(self, world: CardWorld, tmp_path: Path) -> None:
        world.seed()
        home = self.home(tmp_path, world)
        result = run_cli(home.path, "--debug", "sync")
        assert "5 new or changed" in result.out
        secrets = secrets_of(home.path) + world.secrets()
        assert secrets  # the grep has teeth
        files = [
            p
            for p in home.path.rglob("*")
            if p.is_file() and p.name != "secrets.json" and not p.name.endswith(".lock")
        ]
        for secret in secrets:
            assert secret not in result.out + result.err
            for p in files:
                assert secret.encode() not in p.read_bytes(), p
