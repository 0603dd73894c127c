"""The limits themselves, in-process: bounded reading whatever the bytes (hypothesis),
and calendars that keep the most recent meetings."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.connectors.ics import parse_calendar
from kithkeep.connectors.limits import Limits, NotRegularError, read_regular
from kithkeep.connectors.mail import BODY_BYTES, decode_words
from kithkeep.connectors.mbox import mbox_messages

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SMALL = Limits(header_line_bytes=64, header_block_bytes=256)
LINES = st.lists(
    st.one_of(
        st.just(b"From x Tue May  1 10:00:00 2001\n"),
        st.just(b"\n"),
        st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"") + b"\n"),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_mbox_reading_is_bounded_and_accounts_for_every_byte(lines: list[bytes]) -> None:
    data = b"".join(lines)
    messages = list(mbox_messages(io.BytesIO(data), 0, SMALL))
    for start, end, _, kept in messages:
        assert start < end <= len(data)
        if kept is None:
            continue
        # What is kept: the header block (whole lines, each and all within their limits),
        # then, after the blank line, at most `BODY_BYTES` of the body (read for cues).
        parts = kept.split(b"\n")
        lines_ = [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        blank = next((i for i, x in enumerate(lines_) if x in (b"\n", b"\r\n")), len(lines_))
        head, body = lines_[:blank], b"".join(lines_[blank + 1 :])
        assert sum(map(len, head)) <= SMALL.header_block_bytes
        assert all(len(line) < SMALL.header_line_bytes for line in head)
        assert len(body) <= BODY_BYTES
    if messages:
        assert messages[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in pairwise(messages))


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=200))
def test_recipients_are_cut_after_the_limit(limit: int, n: int) -> None:
    value = ", ".join(f"p{i}@x.org" for i in range(n))
    head, cut = Limits(recipients=limit).recipients_cut(value)
    assert cut == (n > limit)
    assert len([a for a in head.split(",") if a.strip()]) == min(n, limit)


def test_encoded_words_past_the_limit_are_left_undecoded() -> None:
    words = " ".join(["=?utf-8?q?caf=C3=A9?="] * 1000)
    assert decode_words(words, 10) == "café" * 10
    assert decode_words("=?utf-8?q?caf=C3=A9?=", 10) == "café"


def _calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


def _series(uid: str, rule: str, start: str = "19900101T000000Z") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT1S\r\nRRULE:{rule}\r\n"
        "ORGANIZER:mailto:a@x.org\r\nATTENDEE:mailto:me@example.com\r\nEND:VEVENT\r\n"
    )


def test_an_unbounded_secondly_series_keeps_its_most_recent_occurrences() -> None:
    found, problems = parse_calendar(
        _calendar(_series("s", "FREQ=SECONDLY")), origin="x", now=NOW, local_tz=UTC, keep=300
    )
    assert 0 < len(found) <= 300
    assert min(o.occurred_at for o in found) > NOW - timedelta(hours=1)
    assert max(o.occurred_at for o in found) <= NOW
    assert [p.reason for p in problems] == ["recurrence truncated"]


def test_a_count_is_kept_when_the_series_is_fast_forwarded() -> None:
    # 10 minutes of seconds, long ago: nothing of it is near `now`, all of it is kept.
    found, _ = parse_calendar(
        _calendar(_series("c", "FREQ=SECONDLY;COUNT=600", "20200101T000000Z")),
        origin="x",
        now=NOW,
        local_tz=UTC,
        keep=1000,
    )
    assert len(found) == 600
    assert max(o.occurred_at for o in found) == datetime(2020, 1, 1, 0, 9, 59, tzinfo=UTC)


def test_many_series_in_one_file_keep_the_file_limit_most_recent() -> None:
    events = [_series(f"m{i}", "FREQ=MINUTELY", "20260101T000000Z") for i in range(20)]
    events.append(_series("old", "FREQ=YEARLY;COUNT=3", "19950101T000000Z"))
    found, problems = parse_calendar(
        _calendar(*events), origin="x", now=NOW, local_tz=UTC, keep=1000
    )
    assert len(found) <= 1000
    assert all(o.occurred_at > NOW - timedelta(days=1) for o in found)  # the old ones go
    assert any("the oldest left out" in p.reason for p in problems)


@settings(deadline=None)
@given(st.binary(max_size=20_000), st.integers(min_value=-1, max_value=25_000))
def test_read_regular_reads_what_a_file_object_does(data: bytes, most: int) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        with open(f.name, "rb") as fh:
            assert read_regular(f.name, most) == fh.read(most)


def test_read_regular_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularError):
        read_regular(str(fifo))  # and does not block
    with pytest.raises(OSError):
        read_regular(str(tmp_path / "gone"))
