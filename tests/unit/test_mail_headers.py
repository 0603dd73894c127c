"""Header parsing: the cases real mail throws at a parser, and anything hypothesis can make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.connectors.base import Problem
from kithkeep.connectors.mail import Skip, addresses, header_block, parse_date, parse_message
from kithkeep.domain.interaction import Observation

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FILE_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def parse(raw: bytes) -> Observation | Problem | Skip:
    return parse_message(raw, origin="test", file_time=FILE_TIME, now=NOW)


def observed(raw: bytes) -> Observation:
    o = parse(raw)
    assert isinstance(o, Observation), o
    return o


def test_rfc2047_names_with_commas_are_split_after_decoding() -> None:
    got = addresses('"FooCorp, Inc." <x@foo.com>, =?utf-8?q?M=C3=BCller=2C_Hans?= <h@m.de>')
    assert got == [("FooCorp, Inc.", "x@foo.com"), ("Müller, Hans", "h@m.de")]


def test_group_syntax_and_undisclosed_recipients() -> None:
    assert addresses("undisclosed-recipients:;") == []
    assert [a for _, a in addresses("Team: a@x.com, b@y.com;, c@z.com")] == [
        "a@x.com",
        "b@y.com",
        "c@z.com",
    ]


def test_folded_headers_and_eight_bit_junk() -> None:
    raw = (
        b"From: =?iso-8859-1?q?Andr=E9?= <andre@example.com>\r\n"
        b"To: one@example.com,\r\n\ttwo@example.com,\r\n  three@example.com\r\n"
        b"Subject: caf\xe9 \xff\xfe and\r\n more\r\n"
        b"Date: Mon, 14 May 2001 16:39:00 -0700 (PDT)\r\n"
        b"Message-ID: <A@B>\r\n\r\nbody From: not@header.com\r\n"
    )
    o = observed(raw)
    assert o.sender is not None
    assert (o.sender.address, o.sender.name) == ("andre@example.com", "André")
    assert [p.address for p in o.parties] == [
        "one@example.com",
        "two@example.com",
        "three@example.com",
    ]
    assert o.subject.startswith("caf") and o.subject.endswith("and more")
    assert o.occurred_at == datetime(2001, 5, 14, 23, 39, tzinfo=UTC)
    assert o.message_id == "a@b"


def test_lotus_double_dot_addresses_survive() -> None:
    o = observed(
        b"From: c..giron@enron.com\nTo: x@enron.com\nDate: Tue, 1 May 2001 10:00:00 -0500\n\n"
    )
    assert o.sender is not None and o.sender.address == "c..giron@enron.com"


def test_bad_dates_fall_back_to_received_then_file_time() -> None:
    received = (
        b"Received: from a by b; Tue, 3 Jan 2023 10:00:00 +0000\n"
        b"Received: from c by d; Mon, 2 Jan 2023 10:00:00 +0000\n"
    )
    for date in (b"Date: Thu, 31 Dec 1979 16:00:00 -0800\n", b"Date: yesterday-ish\n", b""):
        o = observed(received + b"From: a@x.com\nTo: b@y.com\n" + date + b"\n")
        assert (o.occurred_at, o.date_source) == (datetime(2023, 1, 3, 10, tzinfo=UTC), "received")
        o = observed(b"From: a@x.com\nTo: b@y.com\n" + date + b"\n")
        assert (o.occurred_at, o.date_source) == (FILE_TIME, "file")
    future = observed(b"From: a@x.com\nTo: b@y.com\nDate: Sat, 1 Jan 2050 00:00:00 +0000\n\n")
    assert future.date_source == "file"


def test_copies_with_different_message_ids_share_one_identity() -> None:
    head = (
        b"From: a@x.com\nTo: B@y.com, c@z.com\nSubject: Lunch\n"
        b"Date: Tue, 1 May 2001 10:00:00 -0500\n"
    )
    one = observed(head + b"Message-ID: <1@x>\n\n")
    two = observed(
        head.replace(b"B@y.com, c@z.com", b"c@z.com, b@y.com") + b"Message-ID: <2@x>\n\n"
    )
    other = observed(head.replace(b"Lunch", b"Dinner") + b"Message-ID: <1@x>\n\n")
    assert one.interaction_id == two.interaction_id != other.interaction_id


def test_noise_signals_are_recorded() -> None:
    o = observed(
        b"From: news@list.org\nTo: me@x.com\nList-Id: <news.list.org>\n"
        b"List-Unsubscribe: <mailto:u@l>\nPrecedence: bulk\nAuto-Submitted: auto-generated\n"
        b"Date: Tue, 1 May 2001 10:00:00 -0500\n\n"
    )
    assert set(o.signals) >= {"list-id", "list-unsubscribe", "precedence:bulk"}
    assert "auto-submitted:auto-generated" in o.signals


def test_spam_and_trash_labels_are_skipped_and_drafts_marked() -> None:
    base = b"From: a@x.com\nTo: b@y.com\nDate: Tue, 1 May 2001 10:00:00 -0500\n"
    assert parse(base + b"X-Gmail-Labels: Inbox,Spam\n\n") == Skip("spam")
    assert parse(base + b"X-Gmail-Labels: Trash\n\n") == Skip("trash")
    assert "draft" in observed(base + b"X-Gmail-Labels: Drafts\n\n").signals


def test_things_that_are_not_mail_are_problems() -> None:
    for raw in (b"", b"\x00\x01\x02binary", b"just some text\nwith lines\n", b"Subject: hi\n\n"):
        got = parse(raw)
        assert isinstance(got, Problem)
        assert got.reason.startswith("not a mail message")


_header_names = st.sampled_from(
    [b"From", b"To", b"Cc", b"Bcc", b"Date", b"Subject", b"Message-ID", b"Received",
     b"References", b"In-Reply-To", b"List-Id", b"Precedence", b"Auto-Submitted", b"X-Junk"]
)  # fmt: skip
_values = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=120).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [b"=?utf-8?q?broken", b"=?x-unknown?b?AAAA?=", b"<a@b>, <<c@d>>", b'"unterminated <x@y>',
         b"Mon, 99 Foo 20001 99:99:99 +9999", b"a@b,,,@,c@", b"(comment (nested) a@b)", b":;",
         b"\xff\xfe\xfd", b"group: ;", b"x" * 2000]
    ),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_header_names, _values), max_size=12), st.binary(max_size=100))
def test_parser_never_raises_and_keeps_dates_aware(
    headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    raw = b"".join(name + b": " + value + b"\n" for name, value in headers) + b"\n" + body
    got = parse(raw)
    assert isinstance(got, Observation | Problem | Skip)
    if isinstance(got, Observation):
        assert got.occurred_at.tzinfo is not None
        assert datetime(1990, 1, 1, tzinfo=UTC) <= got.occurred_at <= NOW.replace(day=26)
        assert all("@" in p.address and p.address == p.address.lower() for p in got.parties)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse(raw), Observation | Problem | Skip)


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from(
            [UTC, *(timezone(timedelta(minutes=m)) for m in (-720, -300, 330, 345, 840))]
        ),
    )
)
def test_the_fast_date_path_agrees_with_the_standard_library(when: datetime) -> None:
    text = format_datetime(when.replace(microsecond=0))
    assert parse_date(text) == parsedate_to_datetime(text).astimezone(UTC)
    assert parse_date(text + " (PDT)") == parse_date(text)


def _header_block_before(data: bytes) -> bytes:
    """header_block as it was, looking for a CRLF blank line through the whole message."""
    end = data.find(b"\n\n")
    crlf = data.find(b"\r\n\r\n")
    if crlf != -1 and (end == -1 or crlf < end):
        end = crlf
    return data if end == -1 else data[:end]


@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b"To: x\n", b" "])).map(b"".join))
def test_the_header_block_ends_where_it_did(data: bytes) -> None:
    assert header_block(data) == _header_block_before(data)


def test_a_strangers_huge_display_name_is_cut_wherever_it_is_written() -> None:
    from kithkeep.connectors.ics import parse_calendar
    from kithkeep.domain.interaction import NAME_CHARS

    huge = "B" * 200_000
    o = observed(
        f'From: "{huge}" <a@x.example>\nTo: "{huge}" <me@x.example>\n'
        f'X-From: Ann A\nX-cc: "{huge}" <b@x.example>\nCc: b@x.example\nSubject: s\n'
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x>\n\nhi\n".encode()
    )
    names = [o.sender.name if o.sender else "", *(p.name for p in o.parties)]
    assert [len(n) for n in names] == [NAME_CHARS] * 3
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\n"
        "DTSTART:20240101T100000Z\r\nDTEND:20240101T110000Z\r\nSUMMARY:x\r\n"
        f"ORGANIZER;CN={huge}:mailto:a@x.example\r\n"
        f'ATTENDEE;CN="{huge}";PARTSTAT=ACCEPTED:mailto:b@x.example\r\n'
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    meetings, _ = parse_calendar(ics, origin="huge.ics", now=NOW, local_tz=UTC)
    assert meetings and all(len(p.name) == NAME_CHARS for p in meetings[0].parties)
