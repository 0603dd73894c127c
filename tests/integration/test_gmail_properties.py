"""Properties of the Gmail connector: one natural key per message, history netting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.connectors.gmail import HEADERS, GmailSource, _net
from kithkeep.connectors.google_api import Caller
from kithkeep.connectors.mail import parse_message
from kithkeep.connectors.remote_index import RemoteIndex
from tests.fakes.google import FakeGoogle

NOW = datetime(2026, 6, 1, tzinfo=UTC)

words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30
)
address = st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,5})?@[a-z]{1,8}\.(com|org|de)", fullmatch=True)
named = st.tuples(words.filter(lambda w: '"' not in w and "\\" not in w), address)


def render(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f'"{n}" <{a}>' if n.strip() else a for n, a in pairs)


@st.composite
def messages(draw: Any) -> bytes:
    when = NOW - timedelta(seconds=draw(st.integers(0, 10**8)))
    lines = [
        f"From: {render([draw(named)])}",
        f"To: {render(draw(st.lists(named, min_size=1, max_size=4)))}",
    ]
    if draw(st.booleans()):
        lines.append(f"Cc: {render(draw(st.lists(named, min_size=1, max_size=3)))}")
    # Gmail gives every message a Message-ID; without it and a Date, a file's identity
    # is a hash of its whole header block, which no API can reproduce.
    dated, with_id = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    if dated:
        lines.append(f"Date: {format_datetime(when)}")
    subject = draw(words)
    if draw(st.booleans()):
        from email.header import Header

        subject = Header(subject, "utf-8").encode()  # RFC 2047, possibly folded
    lines.append(f"Subject: {subject}")
    if with_id:
        lines.append(f"Message-ID: <{draw(st.uuids())}@x>")
    for name in draw(st.lists(st.sampled_from(["List-Id", "Precedence", "Auto-Submitted"]))):
        lines.append(f"{name}: {draw(words.filter(lambda w: w.strip() and ':' not in w))}")
    body = draw(st.sampled_from(["Hello", "Intro: meet Ann", "x"]))
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


@settings(max_examples=80, deadline=None)
@given(messages())
def test_a_message_read_from_gmail_json_is_the_message_read_from_its_file(raw: bytes) -> None:
    fake = FakeGoogle()
    mid = fake.add_message(raw, {"INBOX"}, internal_ms=int(NOW.timestamp() * 1000))
    code, json_message = fake.get_message(mid, {"metadataHeaders": list(HEADERS)})
    assert code == 200
    source = GmailSource(
        "t",
        lambda: None,
        caller=Caller("t", "reauth"),
        index=RemoteIndex(Path("/nonexistent/never-opened.sqlite")),
        now=NOW,
        since_days=3650,
    )
    from_gmail = source.observe(json_message)
    from_file = parse_message(raw, origin="f", file_time=NOW, now=NOW)
    assert type(from_gmail) is type(from_file)
    if hasattr(from_file, "natural_key"):
        assert from_gmail.natural_key == from_file.natural_key  # type: ignore[union-attr]
        assert from_gmail.parties == from_file.parties  # type: ignore[union-attr]
        assert from_gmail.sender == from_file.sender  # type: ignore[union-attr]
        assert from_gmail.occurred_at == from_file.occurred_at  # type: ignore[union-attr]
        noise = {s for s in from_file.signals if not s.startswith("cue:")}  # type: ignore[union-attr]
        assert set(from_gmail.signals) == noise  # type: ignore[union-attr]


changes = st.lists(
    st.tuples(
        st.sampled_from(["add", "delete", "spam", "unspam", "trash", "star"]),
        st.integers(0, 5),
    ),
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(0, 5)), changes)
def test_history_nets_out_to_the_mailbox_as_it_is_now(
    before: set[int], script: list[tuple[str, int]]
) -> None:
    fake = FakeGoogle()
    ids: dict[int, str] = {}
    for n in sorted(before):
        ids[n] = fake.add_message(f"Subject: {n}\r\n\r\n".encode(), {"INBOX"})
    start = fake.history_id
    for verb, n in script:
        mid = ids.get(n)
        here = mid is not None and mid in fake.messages
        if verb == "add" and not here:
            ids[n] = fake.add_message(f"Subject: {n}\r\n\r\n".encode(), {"INBOX"})
        elif here and mid is not None:
            if verb == "delete":
                fake.delete_message(mid)
            elif verb == "spam":
                fake.relabel(mid, add={"SPAM"}, remove={"INBOX"})
            elif verb == "unspam":
                fake.relabel(mid, add={"INBOX"}, remove={"SPAM"})
            elif verb == "trash":
                fake.relabel(mid, add={"TRASH"})
            else:
                fake.relabel(mid, add={"STARRED"})
    code, answer = fake.list_history({"startHistoryId": [str(start)], "maxResults": ["500"]})
    assert code == 200
    present, gone = _net(answer.get("history", []))
    visible = {m.id for m in fake.messages.values() if not m.labels & {"SPAM", "TRASH", "DRAFT"}}
    touched = present | gone
    assert present == visible & touched
    assert gone == touched - visible
