"""Outlook end to end: `kithkeep account add outlook` and `kithkeep sync` in a subprocess,
through msal and requests, against the fake Microsoft sign-in and Graph on loopback TLS."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli, stable
from tests.fakes.graph import ALIAS, ME, FakeMicrosoft
from tests.integration.outlook_data import Corpus, build, change

pytestmark = pytest.mark.slow


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with FakeMicrosoft(tmp_path) as f:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(f.ca_path))
        yield f


def signed_in(tmp_path: Path, fake: FakeMicrosoft, name: str = "home") -> Path:
    home = tmp_path / name
    run_cli(home, "init", "--me", ME)
    config = home / "config.toml"
    config.write_text(
        config.read_text()
        + f'\n[outlook]\nauthority_host = "{fake.authority_host}"\n'
        + f'graph_endpoint = "{fake.graph}"\nclient_id = "test-client"\n'
    )
    r = run_cli(home, "account", "add", "outlook", "--name", "work", "--tenant", "organizations")
    assert "FAKE-CODE" in r.err and "Added work (outlook)" in r.out
    return home


def from_files(tmp_path: Path, corpus: Corpus, name: str) -> list[Any]:
    home = tmp_path / name
    run_cli(home, "init", "--me", ME, "--me", ALIAS)
    corpus.write_files(tmp_path / (name + "-files"))
    run_cli(home, "import", str(tmp_path / (name + "-files")))
    return people(home)


def people(home: Path) -> list[Any]:
    return sorted(stable(run_cli(home, "people", "--json").json()), key=json.dumps)


def test_sign_in_writes_the_account_and_its_own_addresses(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    home = signed_in(tmp_path, fake)
    [account] = run_cli(home, "account", "list", "--json").json()
    assert (account["name"], account["type"], account["address"]) == ("work", "outlook", ME)
    text = (home / "config.toml").read_text()
    assert ALIAS in text and 'tenant = "organizations"' in text
    assert (home / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert "RefreshToken" in json.loads((home / "secrets.json").read_text())["account:work:cache"]


def test_full_then_incremental_sync_equals_importing_the_same_files(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC))
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    first = run_cli(home, "sync", "work")
    assert first.out.startswith("work: ") and "error" not in first.err
    before = people(home)
    assert before == from_files(tmp_path, corpus, "files-1")
    met = {p["addresses"][0] for p in before if p["last_meeting"]}
    assert {"p1@corp1.example", "p3@corp3.example", "p8@corp1.example"} <= met
    assert "p4@corp4.example" not in met  # self declined

    change(corpus, fake)
    second = run_cli(home, "sync", "work")
    assert ", 0 withdrawn" not in second.out, second.out
    after = people(home)
    assert after == from_files(tmp_path, corpus, "files-2")
    assert after != before
    met = {p["addresses"][0] for p in after if p["last_meeting"]}
    assert "p9@corp2.example" in met and "p8@corp1.example" not in met
    assert fake.max_in_flight <= 4 and fake.violations == 0


def test_a_new_alias_is_found_at_sync_and_counted_as_self(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    home = signed_in(tmp_path, fake)
    fake.profile["proxyAddresses"] = [*fake.profile["proxyAddresses"], "smtp:new@contoso.example"]
    run_cli(home, "sync", "work")
    assert "new@contoso.example" not in (home / "config.toml").read_text()  # checked today
    marker = home / "connectors" / "work.self-checked"
    os.utime(marker, (0, 0))
    mark = len(fake.requests)
    run_cli(home, "sync", "work")
    assert ("GET", "/v1.0/me") in [(m, p) for m, p, _ in fake.graph_requests(mark)]
    text = (home / "config.toml").read_text()
    assert "new@contoso.example" in text and ALIAS in text


def test_a_declined_sign_in_is_one_line_and_adds_nothing(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    fake.decline_sign_in = True
    home = tmp_path / "home"
    run_cli(home, "init", "--me", ME)
    config = home / "config.toml"
    config.write_text(
        config.read_text() + f'\n[outlook]\nauthority_host = "{fake.authority_host}"\n'
        f'graph_endpoint = "{fake.graph}"\n'
    )
    r = run_cli(home, "account", "add", "outlook", check=False)
    assert r.code == 1 and "client_id" in r.err and "Traceback" not in r.err
    r = run_cli(home, "account", "add", "outlook", "--client-id", "c", check=False)
    assert r.code == 1 and r.err.strip().endswith("sign-in failed (authorization_declined)")
    assert run_cli(home, "account", "list", "--json").json() == []
    bad = run_cli(
        home, "account", "add", "outlook", "--client-id", "c", "--tenant", "a/b", check=False
    )
    assert bad.code == 1 and "--tenant" in bad.err


def test_the_daemon_syncs_an_outlook_account_like_the_cli(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC), 300)
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    run_cli(home, "daemon", "--once")
    assert people(home) == from_files(tmp_path, corpus, "files")
    [account] = run_cli(home, "status", "--json").json()["daemon"]["accounts"]
    assert account["name"] == "work" and account["last_error"] is None
