"""Gmail through the real googleapiclient against the stateful fake: views equal file imports."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kithkeep.services.config.settings import load
from tests.conftest import count_events, run_cli
from tests.fakes.google import FakeGoogle
from tests.integration.google_kit import ALIAS, ME, NOW, configure, mailbox, message, write_eml

AS_OF = (NOW + timedelta(days=1)).date().isoformat()


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(ME) as f:
        f.aliases = [ALIAS]
        yield f


pytestmark = pytest.mark.usefixtures("no_os_keyring")


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


def _observed(home: Path) -> int:
    import sqlite3

    c = sqlite3.connect(home / "events.sqlite")
    try:
        return int(
            c.execute(
                "SELECT count(*) FROM stored_events WHERE topic LIKE '%Interaction.Observed'"
            ).fetchone()[0]
        )
    finally:
        c.close()


def test_an_expired_history_id_lists_again_and_fetches_only_what_is_new(
    tmp_path: Path, fake: FakeGoogle
) -> None:
    # Nothing stored twice, what is gone withdrawn: tests/contract (every source).
    for mail in mailbox(600, seed=11):
        fake.add_message(mail.raw, mail.labels)
    home = tmp_path / "home"
    configure(home, fake, calendar=None)
    run_cli(home, "sync")

    rng = random.Random(3)
    for mid in rng.sample(sorted(fake.messages), 30):
        fake.delete_message(mid)
    for mid in rng.sample(sorted(fake.messages), 10):
        fake.relabel(mid, add={"TRASH"})
    fresh = list(mailbox(12, seed=12, start=NOW - timedelta(days=5), days=4))
    for k, mail in enumerate(fresh):
        fake.add_message(
            mail.raw.replace(b"Message-ID: <m", f"Message-ID: <z{k}".encode()), mail.labels
        )
    fake.expire_history()
    fake.calls.clear()
    run_cli(home, "sync")
    assert fake.calls["gmail.history.list"] == 2  # 404, then a replay after the listing
    assert fake.calls["gmail.messages.list"] == 2  # the listing again (600 messages)
    assert fake.calls["gmail.messages.get"] == len(fresh)  # only what is new is fetched
    assert people_of(home) == imported(tmp_path / "files", fake)


def test_an_incremental_sync_with_nothing_new_makes_one_call_each(
    tmp_path: Path, fake: FakeGoogle
) -> None:
    for mail in mailbox(120, seed=5):
        fake.add_message(mail.raw, mail.labels)
    fake.put_event(
        {
            "id": "e1",
            "summary": "Coffee",
            "start": {"dateTime": (NOW - timedelta(days=3)).isoformat()},
            "organizer": {"email": ME},
            "attendees": [{"email": ME}, {"email": "ann@x.com", "responseStatus": "accepted"}],
        }
    )
    home = tmp_path / "home"
    configure(home, fake)
    run_cli(home, "sync")
    run_cli(home, "sync")
    fake.aliases.append("me@old-domain.example")  # a send-as address added in Gmail since
    fake.calls.clear()
    out = run_cli(home, "sync").out
    assert "me@old-domain.example" in load(home).account("work").addresses
    assert "work: 0 new" in out and "cal: 0 new" in out
    listings = {k: v for k, v in fake.calls.items() if k.endswith(".list") and "sendAs" not in k}
    assert listings == {"gmail.history.list": 1, "calendar.events.list": 1}
    assert fake.calls["gmail.messages.get"] == 0 and fake.calls["batch"] == 0


def test_faults_lose_and_double_nothing(tmp_path: Path, fake: FakeGoogle) -> None:
    for mail in mailbox(1200, seed=21):
        fake.add_message(mail.raw, mail.labels)
    fake.fail("gmail.messages.list", "503", times=2)
    fake.fail("gmail.messages.list", "drop")
    fake.fail("gmail.messages.get", "429", times=40, retry_after=0.2)
    fake.fail("gmail.messages.get", "403rate", times=5, retry_after=0.1)
    fake.fail("gmail.messages.get", "500", times=5)
    fake.fail("batch", "drop")
    fake.fail("gmail.profile", "401")  # the access token expires: refreshed, and on
    fake.fail("gmail.sendAs", "403")  # aliases unreadable: the sync goes on without
    fake.fail("gmail.messages.get", "401")  # mid-batch: the client refreshes, redoes the parts
    home = tmp_path / "home"
    configure(home, fake, calendar=None)
    run_cli(home, "sync")
    assert fake.faults == []  # every fault was met
    assert fake.calls["oauth.token"] >= 2
    # Only the refused parts of a batch were sent again (a dropped batch never arrived):
    # 50 refused for now, then the 50 parts that met the expired token.
    assert fake.calls["gmail.messages.get"] == len(fake.messages) + 40 + 5 + 5 + 50

    for mail in mailbox(100, seed=22, start=NOW - timedelta(days=9), days=8):
        fake.add_message(mail.raw.replace(b"Message-ID: <m", b"Message-ID: <f"), mail.labels)
    fake.fail("gmail.history.list", "500", times=2)
    fake.fail("gmail.history.list", "drop")
    fake.fail("gmail.messages.get", "429", times=10, retry_after=0.1)
    fake.fail("gmail.history", "401")
    run_cli(home, "sync")
    assert fake.faults == []

    clean = tmp_path / "clean"
    configure(clean, fake, calendar=None)
    run_cli(clean, "sync")
    assert _observed(home) == _observed(clean)
    assert people_of(home) == people_of(clean) == imported(tmp_path / "files", fake)


def test_a_first_sync_reaches_back_since_days_and_stops_there(
    tmp_path: Path, fake: FakeGoogle
) -> None:
    for mail in mailbox(1400, seed=41):  # two years, newest listed first
        fake.add_message(mail.raw, mail.labels)
    home = tmp_path / "home"
    configure(home, fake, calendar=None, since_days=120)
    run_cli(home, "sync")
    assert fake.calls["gmail.messages.list"] == 1  # the first page reaches past the window
    assert fake.calls["gmail.messages.get"] < 400  # the rest is never fetched
    first = min(p["first_contact"] for p in people_of(home))
    assert first >= (NOW - timedelta(days=120)).isoformat()
