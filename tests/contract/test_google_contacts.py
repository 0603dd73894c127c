"""The address-book contract against the stateful Google fake's People API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kithkeep.services.accounts.base import secret_name
from kithkeep.services.config.secrets import set_secret
from kithkeep.services.config.settings import Paths, write_config
from tests.contract.cards import CardContract, CardSpec, CardWorld
from tests.contract.contract import ME, append_account
from tests.fakes.google_people import FakeGooglePeople


def person(spec: CardSpec) -> dict[str, Any]:
    given, family = spec.name.split()[0], spec.name.split()[-1]
    year, month, day = (int(x) for x in spec.birthday.split("-"))
    return {
        "resourceName": f"people/c{spec.i}",
        "metadata": {"sources": [{"type": "CONTACT", "id": str(spec.i)}]},
        "names": [
            {
                "displayName": spec.name,
                "givenName": given,
                "familyName": family,
                "metadata": {"primary": True},
            }
        ],
        "emailAddresses": [{"value": e, "type": "work"} for e in spec.emails],
        "organizations": [{"name": spec.organization, "title": spec.title}],
        "birthdays": [{"date": {"year": year, "month": month, "day": day}}],
    }


class GoogleContacts(CardWorld):
    account = "contacts"

    def __init__(self, fake: FakeGooglePeople) -> None:
        super().__init__()
        self.fake = fake

    def configure(self, home: Path) -> None:
        paths = Paths(home)
        write_config(paths, [ME], force=True)
        with paths.config.open("a", encoding="utf-8") as f:
            f.write(f'\n[google_contacts]\napi_endpoint = "{self.fake.url}people/"\n')
        client = {
            "client_id": self.fake.client_id,
            "client_secret": self.fake.client_secret,
            "token_uri": self.fake.url + "token",
        }
        set_secret(paths, secret_name(self.account, "token"), self.fake.grant())
        set_secret(paths, secret_name(self.account, "client"), json.dumps(client))
        append_account(home, {"name": self.account, "type": "google-contacts", "address": ME})

    def _put(self, spec: CardSpec) -> None:
        self.fake.put_contact(person(spec))

    def _delete(self, i: int) -> None:
        self.fake.delete_contact(f"people/c{i}")

    def expire_cursor(self, home: Path) -> None:
        self.fake.expire_people_tokens()

    def requests(self) -> int:
        return self.fake.calls["people.connections.list"]

    def secrets(self) -> list[str]:
        return list(self.fake.issued)


class TestGoogleContactsAgainstFake(CardContract):
    @pytest.fixture(params=[410, 400], ids=["expired-410", "expired-400"])
    def world(
        self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[CardWorld]:
        monkeypatch.setattr("kithkeep.connectors.gcontacts.PAGE", 2)  # contacts a page
        with FakeGooglePeople(ME) as fake:
            fake.expired_status = request.param
            yield GoogleContacts(fake)
