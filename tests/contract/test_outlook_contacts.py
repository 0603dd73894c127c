"""The address-book contract against the stateful Microsoft fake: Outlook contacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.contract.cards import CardContract, CardSpec, CardWorld
from tests.contract.test_outlook import signed_in
from tests.fakes.graph import FakeMicrosoft


def contact(spec: CardSpec) -> dict[str, Any]:
    return {
        "id": f"contact{spec.i}",
        "displayName": spec.name,
        "givenName": spec.name.split()[0],
        "surname": spec.name.split()[-1],
        "emailAddresses": [{"name": spec.name, "address": e} for e in spec.emails],
        "companyName": spec.organization,
        "jobTitle": spec.title,
        "birthday": f"{spec.birthday}T11:59:00Z",
    }


class OutlookContacts(CardWorld):
    account = "work"

    def __init__(self, fake: FakeMicrosoft) -> None:
        super().__init__()
        self.fake = fake

    def configure(self, home: Path) -> None:
        signed_in(home, self.fake, self.account, contacts=True)

    def _put(self, spec: CardSpec) -> None:
        self.fake.box.put_contact(contact(spec))

    def _delete(self, i: int) -> None:
        self.fake.box.remove_contact(f"contact{i}")

    def expire_cursor(self, home: Path) -> None:
        self.fake.expire_deltas()  # every delta link given so far answers 410

    def requests(self) -> int:
        return sum(1 for _, path, _ in self.fake.graph_requests() if "/contacts/" in path)

    def secrets(self) -> list[str]:
        return list(self.fake.issued)


class TestOutlookContactsAgainstFakeGraph(CardContract):
    @pytest.fixture
    def world(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CardWorld]:
        with FakeMicrosoft(tmp_path) as fake:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_path))
            monkeypatch.setattr("kithkeep.connectors.graph.PAGE_SIZE", 2)  # items a page
            yield OutlookContacts(fake)
