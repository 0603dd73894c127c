"""Sign-in through google-auth-oauthlib against the fake's OAuth endpoints, and secrets."""

from __future__ import annotations

import http.client
import json
import logging
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kithkeep.services.config.settings import load
from tests.conftest import run_cli
from tests.fakes.google import FakeGoogle, Fault
from tests.integration.google_kit import ALIAS, ME, NOW, configure, mailbox


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(ME) as f:
        f.aliases = [ALIAS]
        yield f


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(fail.Keyring())
    # The fake's OAuth endpoints are plain http on loopback; oauthlib wants this said.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def start_add(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`kithkeep account add ... --no-browser`, up to where it shows the consent address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kithkeep", "account", "add", *args, "--no-browser"],
        env={**os.environ, "KITHKEEP_HOME": str(home)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("http"):
            return proc, line.strip()
    proc.kill()
    raise AssertionError(f"no consent address shown: {proc.communicate()[1]}")


def test_sign_in_by_loopback_and_by_pasting_then_remove(tmp_path: Path, fake: FakeGoogle) -> None:
    home = tmp_path / "home"
    configure(home, fake, gmail=None, calendar=None)
    secrets_file = tmp_path / "client_secret.json"
    secrets_file.write_text(json.dumps(fake.client_secrets()))

    # 1. The browser comes back to the loopback server (urllib follows the redirect).
    proc, url = start_add(
        home, "gmail", "--client-secrets", str(secrets_file), "--name", "work", "--with-calendar"
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith(fake.url + "o/oauth2/auth?")  # the file's auth_uri, nothing else
    assert query["access_type"] == ["offline"]
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert b"signed in" in answer.read()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Added work (gmail, me@example.com)" in out
    assert "Added work-calendar (google-calendar, me@example.com)" in out
    assert sorted(fake.granted_scopes) == [
        "https://www.googleapis.com/auth/calendar.readonly",
        "https://www.googleapis.com/auth/gmail.metadata",
        "https://www.googleapis.com/auth/gmail.settings.basic",
    ]
    work = load(home).account("work")
    assert work.addresses == (ALIAS,)  # send-as aliases count as self
    assert ALIAS in load(home).me

    # The secrets are in the 0600 file, not in the config.
    store = home / "secrets.json"
    assert store.stat().st_mode & 0o777 == 0o600
    kept = json.loads(store.read_text())
    refresh = kept["account:work:token"]
    assert refresh in fake.refresh_tokens and kept["account:work-calendar:token"] == refresh
    config = (home / "config.toml").read_text()
    assert refresh not in config and fake.client_secret not in config

    # 2. No loopback: the user pastes the address the browser ended on.
    proc, url = start_add(
        home, "google-calendar", "--client-secrets", str(secrets_file), "--name", "cal2"
    )
    split = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(split.hostname or "", split.port, timeout=30)
    conn.request("GET", f"{split.path}?{split.query}")
    location = conn.getresponse().getheader("Location") or ""
    conn.close()
    out, err = proc.communicate(location + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert "Added cal2 (google-calendar, me@example.com)" in out

    for mail in mailbox(40):
        fake.add_message(mail.raw, mail.labels)
    synced = run_cli(home, "sync").out
    assert "work: 39 new" in synced or "work: 40 new" in synced

    # Removing one account forgets its sign-in; the other keeps its own copy.
    run_cli(home, "account", "remove", "work")
    kept = json.loads(store.read_text())
    assert "account:work:token" not in kept and "account:work:client" not in kept
    assert "work-calendar: 0 new" in run_cli(home, "sync", "work-calendar").out

    # A revoked refresh token: one line saying how to sign in again.
    fake.refresh_tokens.clear()
    failed = run_cli(home, "sync", "work-calendar", check=False)
    assert failed.code == 1
    assert (
        "the sign-in has expired or was revoked; run "
        "`kithkeep account add google-calendar --name work-calendar --client-secrets FILE`"
    ) in failed.err
    assert len(failed.err.strip().splitlines()) == 1 and "Traceback" not in failed.err
    assert refresh not in failed.err and fake.client_secret not in failed.err


def test_no_secret_in_logs_events_or_errors(tmp_path: Path, fake: FakeGoogle) -> None:
    from kithkeep.services.usecases.ingest import sync_accounts

    for mail in mailbox(300, seed=8, start=NOW - timedelta(days=100), days=90):
        fake.add_message(mail.raw, mail.labels)
    fake.put_event(
        {
            "id": "e1",
            "summary": "Coffee",
            "start": {"dateTime": (NOW - timedelta(days=3)).isoformat()},
            "attendees": [{"email": ME}, {"email": "ann@x.com"}],
        }
    )
    home = tmp_path / "home"
    refresh = configure(home, fake)
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        fake.fail("gmail.messages.get", "429", times=3, retry_after=0.1)
        fake.fail("gmail.profile", "401")  # a refresh mid-sync
        first = sync_accounts(load(home), [], debug=True)
        fake.refresh_tokens.discard(refresh)
        fake.expire_access_tokens()
        second = sync_accounts(load(home), [], debug=True)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert not any(r.error for r in first), [r.error for r in first]
    errors = [r.error or "" for r in second]
    assert all("sign-in has expired or was revoked" in e for e in errors), [r.error for r in second]

    log = log_file.read_text()
    assert "googleapiclient.discovery DEBUG URL being requested" in log  # debug is on
    assert "trying again" in log
    secrets = [refresh, fake.client_secret, *fake.issued]
    assert len(fake.issued) >= 2
    places = {"log": log, "errors": "\n".join(errors)}
    for path in home.rglob("*"):
        if path.is_file() and path.name != "secrets.json":
            places[str(path)] = path.read_bytes().decode("latin-1")
    assert any("events.sqlite" in p for p in places)
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in {where}"


def test_an_unexpected_answer_while_adding_is_one_line(tmp_path: Path, fake: FakeGoogle) -> None:
    """Google Calendar's `calendars.get` answering 404: provider, call and status, no trace."""
    home = tmp_path / "home"
    configure(home, fake, gmail=None, calendar=None)
    secrets_file = tmp_path / "client_secret.json"
    secrets_file.write_text(json.dumps(fake.client_secrets()))
    fake.faults.append(Fault("calendar.calendars.get", "404", times=5))
    proc, url = start_add(home, "google-calendar", "--client-secrets", str(secrets_file))
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert b"signed in" in answer.read()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: google-calendar: calendars.get answered HTTP 404")
    assert run_cli(home, "account", "list", "--json").json() == []
