"""Gmail through the real googleapiclient against the stateful fake: views equal file imports."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import count_events, run_cli
from tests.fakes.google import FakeGoogle
from tests.integration.google_kit import ALIAS, ME, NOW, configure, mailbox, message, write_eml

AS_OF = (NOW + timedelta(days=1)).date().isoformat()


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(ME) as f:
        f.aliases = [ALIAS]
        yield f


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    # No keyring service here: secrets go to the 0600 file, for this process and its children.
    import keyring
    from keyring.backends import fail

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(fail.Keyring())


def people_of(home: Path) -> object:
    return run_cli(home, "people", "--json", "--as-of", AS_OF).json()


def imported(tmp: Path, fake: FakeGoogle) -> object:
    """`people` of a second home that imports the fake's messages as .eml files."""
    home = tmp / "files-home"
    run_cli(home, "init", "--me", ME, "--me", ALIAS)
    write_eml(tmp / "eml", fake)
    run_cli(home, "import", str(tmp / "eml"))
    return people_of(home)


def change(fake: FakeGoogle, rng: random.Random, start: int) -> None:
    """New mail, deletions, moves to spam and trash and back, add-then-delete."""
    by_raw: dict[bytes, list[str]] = {}
    for m in fake.messages.values():
        by_raw.setdefault(m.raw, []).append(m.id)
    copies = [ids for ids in by_raw.values() if len(ids) == 2]
    assert len(copies) > 20
    for ids in copies[:10]:
        fake.delete_message(ids[0])  # the other copy keeps the interaction
    for ids in copies[10:15]:
        fake.delete_message(ids[0])
        fake.delete_message(ids[1])
    ids = sorted(fake.messages)
    for mid in rng.sample(ids, 60):
        fake.delete_message(mid)
    ids = sorted(fake.messages)
    for mid in rng.sample(ids, 40):
        fake.relabel(mid, add={"SPAM"}, remove={"INBOX"})
    for mid in rng.sample(sorted(set(fake.messages) - set(ids[:0])), 25):
        if "SPAM" not in fake.messages[mid].labels:
            fake.relabel(mid, add={"TRASH"})
    spam = [m for m in fake.messages.values() if "SPAM" in m.labels]
    for m in spam[:5]:
        fake.relabel(m.id, add={"INBOX"}, remove={"SPAM"})
    recent = mailbox(150, seed=start, start=NOW - timedelta(days=20), days=19)
    for k, mail in enumerate(recent):
        raw = mail.raw.replace(b"Message-ID: <m", f"Message-ID: <n{k}x".encode(), 1)
        mid = fake.add_message(raw, mail.labels)
        if k % 25 == 0:
            fake.delete_message(mid)  # added and gone inside one history window
    fake.add_message(
        message(99_999, NOW - timedelta(days=1), ("Me", ME), [("", "x@y.com")], "draft"),
        {"DRAFT"},
    )


def test_full_then_incremental_sync_equals_importing_the_same_messages(
    tmp_path: Path, fake: FakeGoogle
) -> None:
    for mail in mailbox(5000):
        fake.add_message(mail.raw, mail.labels)
    assert sum(1 for m in fake.messages.values() if m.labels == {"SENT"}) > 1000
    home = tmp_path / "home"
    configure(home, fake, calendar=None)

    first = run_cli(home, "sync")
    assert "work:" in first.out
    assert fake.calls["gmail.messages.list"] == 10  # pages of 500
    assert people_of(home) == imported(tmp_path / "before", fake)

    change(fake, random.Random(7), 1)
    fake.calls.clear()
    second = run_cli(home, "sync")
    assert "withdrawn" in second.out
    assert fake.calls["gmail.messages.list"] == 0  # incremental: history only
    assert fake.calls["gmail.history.list"] >= 1
    new, withdrawn = (int(x) for x in re.findall(r"(\d+) new, (\d+) withdrawn", second.out)[0])
    assert new > 100 and withdrawn > 80
    assert people_of(home) == imported(tmp_path / "after", fake)

    events = count_events(home)
    fake.calls.clear()
    run_cli(home, "sync")
    assert fake.calls["gmail.history.list"] == 1
    assert count_events(home) == events
