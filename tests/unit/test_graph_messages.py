"""Graph JSON to the header block `parse_message` reads: the same interaction as the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.connectors.graph_items import Unresolved, header_block, when, windows_zone
from kithkeep.connectors.mail import parse_message
from kithkeep.domain.interaction import Observation

NOW = datetime(2026, 1, 1, tzinfo=UTC)
names = st.text(
    st.characters(whitelist_categories=("Lu", "Ll"), whitelist_characters=" ,.'-éüßøñ"),
    max_size=25,
).map(lambda s: " ".join(s.split()))
addresses = st.from_regex(
    r"[a-z](\.?[a-z0-9_]){0,10}@[a-z]{1,8}\.(com|org|example)", fullmatch=True
)
people = st.tuples(names, addresses)
subjects = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80).map(
    lambda s: " ".join(s.split())
)


def _file(
    sender: tuple[str, str], to: list[tuple[str, str]], cc: list[tuple[str, str]],
    subject: str, when: datetime, msgid: str, bulk: bool,
) -> bytes:  # fmt: skip
    m = EmailMessage()
    m["From"] = _addr(sender)
    m["To"] = ", ".join(_addr(p) for p in to)
    if cc:
        m["Cc"] = ", ".join(_addr(p) for p in cc)
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = msgid
    if bulk:
        m["List-Id"] = "<news.example.com>"
    m.set_content("Hello there.\n")
    # Unfolded: CPython's folder can encode a list's comma into a word, which no mailer does.
    return m.as_bytes(policy=policy.default.clone(max_line_length=998))


def _addr(p: tuple[str, str]) -> str:
    from email.headerregistry import Address

    return str(Address(p[0], addr_spec=p[1]))


def _graph(p: tuple[str, str]) -> dict[str, Any]:
    return {"emailAddress": {"name": p[0] or p[1], "address": p[1]}}


def _same(a: Observation, b: Observation) -> None:
    assert a.natural_key == b.natural_key
    assert a.sender == b.sender and a.parties == b.parties
    assert a.subject == b.subject and a.occurred_at == b.occurred_at
    assert set(a.signals) == set(b.signals) and a.thread_key == b.thread_key


@settings(max_examples=150, deadline=None)
@given(
    sender=people,
    to=st.lists(people, min_size=1, max_size=4),
    cc=st.lists(people, max_size=3),
    subject=subjects,
    seconds=st.integers(0, 10 * 365 * 86400),
    bulk=st.booleans(),
)
def test_a_graph_message_reads_as_the_same_interaction_as_its_file(
    sender: tuple[str, str], to: list[tuple[str, str]], cc: list[tuple[str, str]],
    subject: str, seconds: int, bulk: bool,
) -> None:  # fmt: skip
    when = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    msgid = f"<{seconds}.x@example.com>"
    as_file = parse_message(
        _file(sender, to, cc, subject, when, msgid, bulk), origin="f", file_time=NOW, now=NOW
    )
    graph = {
        "from": _graph(sender),
        "toRecipients": [_graph(p) for p in to],
        "ccRecipients": [_graph(p) for p in cc],
        "sentDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": subject,
        "internetMessageId": msgid,
        "internetMessageHeaders": [{"name": "List-Id", "value": "<news.example.com>"}]
        if bulk
        else [],
    }
    as_graph = parse_message(header_block(graph, Unresolved()), origin="g", file_time=NOW, now=NOW)
    assert isinstance(as_file, Observation) and isinstance(as_graph, Observation)
    _same(as_file, as_graph)


def test_exchange_legacy_addresses_are_counted_never_people() -> None:
    unresolved = Unresolved()
    x500 = "/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=BOB"
    block = header_block(
        {
            "from": {"emailAddress": {"name": "Bob", "address": x500}},
            "toRecipients": [
                {"emailAddress": {"name": "carol@example.com", "address": x500 + "2"}},
                {"emailAddress": {"name": "Dan", "address": "dan@example.com"}},
            ],
            "sentDateTime": "2025-01-01T10:00:00Z",
            "subject": "hi",
        },
        unresolved,
    )
    o = parse_message(block, origin="g", file_time=NOW, now=NOW)
    assert isinstance(o, Observation)
    assert o.sender is None and [p.address for p in o.parties] == [
        "carol@example.com",
        "dan@example.com",
    ]
    assert unresolved.count == 1 and b"EXCHANGELABS" not in block


def test_windows_zone_names_map_to_iana_zones() -> None:
    assert windows_zone("Pacific Standard Time", UTC) == ZoneInfo("America/Los_Angeles")
    assert windows_zone("W. Europe Standard Time", UTC) == ZoneInfo("Europe/Berlin")
    assert windows_zone("Tokyo Standard Time", UTC) == ZoneInfo("Asia/Tokyo")
    assert windows_zone("Europe/Paris", UTC) == ZoneInfo("Europe/Paris")
    assert windows_zone("UTC", ZoneInfo("Asia/Tokyo")) in (ZoneInfo("Etc/UTC"), ZoneInfo("UTC"))
    assert windows_zone("No Such Zone", ZoneInfo("Asia/Tokyo")) == ZoneInfo("Asia/Tokyo")
    summer = {"dateTime": "2025-07-01T09:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert when(summer, False, UTC) == datetime(2025, 7, 1, 16, 0, tzinfo=UTC)
    winter = {"dateTime": "2025-01-15T09:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert when(winter, False, UTC) == datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
    all_day = {"dateTime": "2025-01-15T00:00:00.0000000", "timeZone": "UTC"}
    berlin = ZoneInfo("Europe/Berlin")
    assert when(all_day, True, berlin) == datetime(2025, 1, 15, tzinfo=berlin).astimezone(UTC)
