"""Shared by the Google tests and benchmark: a home wired to the fake, and mailboxes."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from kithkeep.services.accounts.base import secret_name
from kithkeep.services.config.editing import add_account
from kithkeep.services.config.secrets import set_secret
from kithkeep.services.config.settings import Paths, write_config
from tests.fakes.google import FakeGoogle

ME = "me@example.com"
ALIAS = "me.alias@example.org"
#: Far above anything a test sends, so tests are not paced (the benchmark sets its own).
UNPACED = 100_000_000
NOW = datetime.now(UTC).replace(microsecond=0)


def configure(
    home: Path,
    fake: FakeGoogle,
    *,
    gmail: str | None = "work",
    calendar: str | None = "cal",
    quota_per_minute: int | None = UNPACED,
    since_days: int | None = None,
) -> str:
    """A home whose accounts are signed in to the fake; the refresh token they share."""
    paths = Paths(home)
    write_config(paths, [ME], force=True)
    with paths.config.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[gmail]\napi_endpoint = "{fake.url}"\n'
            + (f"quota_per_minute = {quota_per_minute}\n" if quota_per_minute else "")
            + f'\n[google_calendar]\napi_endpoint = "{fake.url}calendar/v3/"\n'
            + (f"quota_per_minute = {quota_per_minute}\n" if quota_per_minute else "")
        )
    refresh = fake.grant()
    client = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "token_uri": fake.url + "token",
    }
    for name, kind in ((gmail, "gmail"), (calendar, "google-calendar")):
        if name is None:
            continue
        set_secret(paths, secret_name(name, "token"), refresh)
        set_secret(paths, secret_name(name, "client"), json.dumps(client))
        table: dict[str, object] = {"name": name, "type": kind, "address": fake.address}
        if kind == "gmail":
            table["addresses"] = list(fake.aliases)
        if since_days is not None:
            table["since_days"] = since_days
        add_account(paths, table)
    return refresh


@dataclass
class Mail:
    raw: bytes
    labels: set[str]


_FIRST = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lou"]
_LAST = ["ng", "ortiz", "park", "quinn", "ross", "singh", "tran", "ueda", "vance", "wolf"]


def people(n: int = 300) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
        out.append((f"{first.title()} {last.title()}", f"{first}.{last}{i}@corp{i % 7}.com"))
    return out


def message(
    i: int,
    when: datetime,
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    subject: str,
    *,
    cc: list[tuple[str, str]] = (),  # type: ignore[assignment]
    bulk: bool = False,
    reply_to: str = "",
) -> bytes:
    def addr(pairs: list[tuple[str, str]]) -> str:
        return ", ".join(f'"{n}" <{a}>' if n else a for n, a in pairs)

    lines = [
        f"From: {addr([sender])}",
        f"To: {addr(to)}",
        *([f"Cc: {addr(cc)}"] if cc else []),
        f"Subject: {subject}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: <m{i}.{int(when.timestamp())}@mail.example>",
        *([f"In-Reply-To: <m{i - 1}@mail.example>"] if reply_to else []),
        *(["List-Id: <news.corp0.com>", "Precedence: bulk"] if bulk else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello,\r\nthanks for the note about {subject.lower()}.\r\nBest regards",
        "",
    ]
    return "\r\n".join(lines).encode()


def mailbox(
    n: int, seed: int = 4, *, start: datetime | None = None, days: float = 700
) -> Iterator[Mail]:
    """`n` Gmail messages over two years: in and out, aliases, lists, intro subjects,
    and copies of one message under SENT and INBOX (a note to self)."""
    rng = random.Random(seed)
    crowd = people()
    start = start or NOW - timedelta(days=730)
    step = timedelta(days=days) / max(n, 1)
    i = 0
    while i < n:
        when = (start + step * i).replace(microsecond=0)
        other = rng.sample(crowd, rng.choice((1, 1, 1, 2, 3)))
        roll = rng.random()
        if roll < 0.35:
            me = ("Me", rng.choice((ME, ME, ALIAS)))
            raw = message(i, when, me, other, f"Re: topic {i % 97}")
            labels = {"SENT"}
            if roll < 0.03 and i + 1 < n:
                # Written to self too: Gmail keeps a second copy under INBOX.
                yield Mail(raw, labels)
                i += 1
                labels = {"INBOX", "UNREAD"}
        elif roll < 0.42:
            raw = message(i, when, ("News", "news@corp0.com"), [("", ME)], f"Digest {i}", bulk=True)
            labels = {"INBOX", "CATEGORY_UPDATES"}
        elif roll < 0.44:
            a, b = rng.sample(crowd, 2)
            raw = message(i, when, ("Me", ME), [a, b], f"Intro: {a[0]} <> {b[0]}")
            labels = {"SENT"}
        else:
            raw = message(i, when, other[0], [("Me", ME)], f"Question {i % 89}", cc=other[1:])
            labels = {"INBOX"}
        yield Mail(raw, labels)
        i += 1


def write_eml(folder: Path, fake: FakeGoogle) -> int:
    """What the fake mailbox holds now (spam, trash, drafts left out), as .eml files."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for mid, m in fake.messages.items():
        if m.labels & {"SPAM", "TRASH", "DRAFT", "CHAT"}:
            continue
        (folder / f"{mid}.eml").write_bytes(m.raw)
        n += 1
    return n
