"""The cursors of Gmail, Google Calendar and Graph: typed, and saved as they always were.

A cursor written before the cursors were typed reads back as the same state and is
written again byte for byte; whatever text a store holds, reading it never raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kithkeep.connectors.cursors import (
    CalendarCursor,
    CalendarListed,
    CalendarListing,
    CalendarSynced,
    GmailCursor,
    GmailHistory,
    GmailListed,
    GmailListing,
    GraphCursor,
    GraphDelta,
    decode_calendar,
    decode_gmail,
)
from kithkeep.connectors.graph import GraphClient, GraphSource
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.errors import CursorExpiredError

texts = st.text(max_size=40)
ints = st.integers(-(2**63), 2**63)

gmail_states = st.one_of(
    st.builds(GmailListing, texts, texts, ints),
    st.builds(GmailListed, texts, ints),
    st.builds(GmailHistory, texts, texts),
)
calendar_states = st.one_of(
    st.builds(CalendarListing, texts, ints),
    st.builds(CalendarListed, texts, ints),
    st.builds(CalendarSynced, texts, texts),
)
deltas = st.builds(GraphDelta, texts, ints, st.booleans())
graph_states = st.builds(
    GraphCursor,
    st.dictionaries(texts, deltas, max_size=4),
    st.none() | deltas,
    st.none() | st.tuples(texts, st.lists(texts, max_size=4).map(tuple)),
)

# -- what the code wrote before the cursors were typed, byte for byte --------------------

ME = "https://graph.microsoft.com/v1.0/me"
INBOX, SENT = ME + "/mailFolders/inbox/messages/delta", ME + "/mailFolders/sentitems/messages/delta"
CALENDAR = ME + "/calendarView/delta"
SAVED: list[tuple[str, GmailCursor | CalendarCursor | GraphCursor]] = [
    ('{"h": "1700", "list": "", "sweep": 1}', GmailListing("1700", "", 1)),
    ('{"h": "1700", "list": "0816921746", "sweep": 3}', GmailListing("1700", "0816921746", 3)),
    ('{"h": "1700", "gone": 1}', GmailListed("1700", 1)),
    ('{"h": "1812"}', GmailHistory("1812")),
    ('{"h": "1700", "p": "12591287"}', GmailHistory("1700", "12591287")),
    ('{"page": "", "sweep": 0}', CalendarListing("", 0)),
    ('{"page": "CiAKGjBpNDd2", "sweep": 2}', CalendarListing("CiAKGjBpNDd2", 2)),
    ('{"sync": "CPDAlvWDx70C=", "gone": 2}', CalendarListed("CPDAlvWDx70C=", 2)),
    ('{"sync": "CPDAlvWDx70C="}', CalendarSynced("CPDAlvWDx70C=")),
    ('{"sync": "CPDA", "page": "CiAK"}', CalendarSynced("CPDA", "CiAK")),
    ('{"mail": {}}', GraphCursor()),
    (
        '{"mail": {"inbox": {"full": true, "link": "' + INBOX + '?$skiptoken=Ab1", "sweep": 1}}}',
        GraphCursor({"inbox": GraphDelta(INBOX + "?$skiptoken=Ab1", 1, full=True)}),
    ),
    (
        '{"calendar": {"link": "' + CALENDAR + '?$deltatoken=c9", "sweep": 2}, '
        '"forget": ["mail:inbox", ["AAMkAGI2", "AAMkAGI3"]], '
        '"mail": {"inbox": {"link": "' + INBOX + '?$deltatoken=Zx", "sweep": 3}, '
        '"sentitems": {"link": "' + SENT + '?$deltatoken=Q", "sweep": 1}}}',
        GraphCursor(
            {
                "inbox": GraphDelta(INBOX + "?$deltatoken=Zx", 3),
                "sentitems": GraphDelta(SENT + "?$deltatoken=Q", 1),
            },
            GraphDelta(CALENDAR + "?$deltatoken=c9", 2),
            ("mail:inbox", ("AAMkAGI2", "AAMkAGI3")),
        ),
    ),
]


def _decode(state: GmailCursor | CalendarCursor | GraphCursor) -> Callable[[str], object]:
    if isinstance(state, GmailListing | GmailListed | GmailHistory):
        return decode_gmail
    if isinstance(state, CalendarListing | CalendarListed | CalendarSynced):
        return decode_calendar
    return GraphCursor.decode


@pytest.mark.parametrize(("saved", "state"), SAVED)
def test_a_saved_cursor_reads_as_its_state_and_is_written_again_unchanged(
    saved: str, state: GmailCursor | CalendarCursor | GraphCursor
) -> None:
    assert _decode(state)(saved) == state
    assert state.encode() == saved


#: Never written, but read before: read alike (and written as above).
READ_ALIKE: list[tuple[str, GmailCursor | CalendarCursor | GraphCursor]] = [
    ('{"h": "1", "p": ""}', GmailHistory("1")),
    ('{"h": "1", "sweep": 2, "v": 1}', GmailHistory("1")),
    ('{"sweep": 4}', CalendarListing("", 4)),
    ('{"sync": "s", "sweep": 4}', CalendarSynced("s")),
    ('{"mail": {}, "forget": []}', GraphCursor()),
    ('{"mail": {}, "calendar": null}', GraphCursor()),
    (
        '{"mail": {"a": {"link": "l", "sweep": 1, "full": false}}}',
        GraphCursor({"a": GraphDelta("l", 1)}),
    ),
]


@pytest.mark.parametrize(("saved", "state"), READ_ALIKE)
def test_a_cursor_read_before_is_read_alike(
    saved: str, state: GmailCursor | CalendarCursor | GraphCursor
) -> None:
    assert _decode(state)(saved) == state


# -- round trips --------------------------------------------------------------------------


@given(gmail_states)
def test_a_gmail_cursor_reads_back_as_written(state: GmailCursor) -> None:
    assert type(state).decode(state.encode()) == state
    assert decode_gmail(state.encode()) == state


@given(calendar_states)
def test_a_calendar_cursor_reads_back_as_written(state: CalendarCursor) -> None:
    assert type(state).decode(state.encode()) == state
    assert decode_calendar(state.encode()) == state


@given(graph_states)
def test_a_graph_cursor_reads_back_as_written(state: GraphCursor) -> None:
    assert GraphCursor.decode(state.encode()) == state


# -- the reading before, kept here to compare against --------------------------------------


def _object_before(cursor: str) -> dict[str, object] | None:
    try:
        state = json.loads(cursor)
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def gmail_before(cursor: str) -> GmailCursor | None:
    """`gmail._load` and the head of `GmailSource._pages` before the cursors were typed."""
    state = _object_before(cursor)
    if state is None or "h" not in state:
        return None
    if "list" in state:
        return GmailListing(str(state["h"]), str(state["list"]), int(state["sweep"]))
    if "gone" in state:
        return GmailListed(str(state["h"]), int(state["gone"]))
    return GmailHistory(str(state["h"]), str(state.get("p", "")))


def calendar_before(cursor: str) -> CalendarCursor | None:
    """`gcal._load` and `CalendarSource._pages` / `_list` before the cursors were typed."""
    state = _object_before(cursor)
    if state is None or not ("sync" in state or "sweep" in state):
        return None
    if "gone" in state:
        return CalendarListed(str(state["sync"]), int(state["gone"]))
    if "sync" in state:
        return CalendarSynced(str(state["sync"]), str(state.get("page", "")))
    return CalendarListing(str(state.get("page", "")), int(state["sweep"]))


def _some_of(fields: dict[str, st.SearchStrategy[object]]) -> st.SearchStrategy[str]:
    """JSON objects with any of these keys (and an unknown one), in any order."""
    return (
        st.fixed_dictionaries({}, optional={**fields, "x": ints})
        .flatmap(lambda d: st.permutations(list(d.items())))
        .map(lambda items: json.dumps(dict(items)))
    )


@given(_some_of({"h": texts, "list": texts, "sweep": ints, "gone": ints, "p": texts}))
def test_gmail_reads_any_cursor_of_its_keys_as_before(cursor: str) -> None:
    try:
        before = gmail_before(cursor)
    except KeyError:  # a listing without its sweep failed the sync; now it lists again
        before = None
    assert decode_gmail(cursor) == before


@given(_some_of({"sync": texts, "page": texts, "sweep": ints, "gone": ints}))
def test_the_calendar_reads_any_cursor_of_its_keys_as_before(cursor: str) -> None:
    try:
        before = calendar_before(cursor)
    except KeyError:  # a sweep without its sync token failed the sync; now it lists again
        before = None
    assert decode_calendar(cursor) == before


def _delta_json(link: str, sweep: int, full: bool) -> dict[str, object]:
    return {"link": link, "sweep": sweep, **({"full": True} if full else {})}


graph_json = st.fixed_dictionaries(
    {"mail": st.dictionaries(texts, st.builds(_delta_json, texts, ints, st.booleans()))},
    optional={
        "calendar": st.builds(_delta_json, texts, ints, st.booleans()),
        "forget": st.tuples(texts, st.lists(texts, min_size=1)).map(list),
    },
).map(lambda d: json.dumps(d, sort_keys=True))


@given(graph_json)
def test_a_graph_cursor_as_written_before_is_written_again_unchanged(cursor: str) -> None:
    state = GraphCursor.decode(cursor)
    assert state is not None
    assert state.encode() == cursor


# -- junk ---------------------------------------------------------------------------------

KEYS = ["h", "list", "sweep", "gone", "p", "sync", "page", "mail", "calendar", "forget"]
KEYS += ["link", "full", "inbox"]
json_values = st.recursive(
    st.none() | st.booleans() | ints | st.floats() | texts,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | texts, inner, max_size=5)
    ),
    max_leaves=12,
)
junk = st.one_of(st.text(), json_values.map(json.dumps))
DECODERS: list[tuple[Callable[[str | None], object], tuple[type, ...]]] = [
    (GmailListing.decode, (GmailListing,)),
    (GmailListed.decode, (GmailListed,)),
    (GmailHistory.decode, (GmailHistory,)),
    (decode_gmail, (GmailListing, GmailListed, GmailHistory)),
    (CalendarListing.decode, (CalendarListing,)),
    (CalendarListed.decode, (CalendarListed,)),
    (CalendarSynced.decode, (CalendarSynced,)),
    (decode_calendar, (CalendarListing, CalendarListed, CalendarSynced)),
    (GraphCursor.decode, (GraphCursor,)),
]
NASTY = [
    None,
    "",
    "[" * 100_000,
    "NaN",
    "1" * 5000,
    '{"h": "1", "list": "", "sweep": 1e999}',
    '{"sync": "s", "gone": NaN}',
    '{"mail": {"inbox": {"link": "l", "sweep": 1, "full": 1}}}',
    '{"mail": {}, "forget": ["mail:inbox"]}',
    '{"mail": {}, "calendar": []}',
    "\ud800",
]


def _reads_or_starts_again(text: str | None) -> None:
    for decode, kinds in DECODERS:
        state = decode(text)
        assert state is None or isinstance(state, kinds)


@given(junk)
def test_reading_any_text_never_raises(text: str) -> None:
    _reads_or_starts_again(text)


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_reading_nasty_text_never_raises(text: str | None) -> None:
    _reads_or_starts_again(text)


@given(junk)
def test_a_cursor_is_in_one_state_at_most(text: str) -> None:
    gmail = [d(text) for d in (GmailListing.decode, GmailListed.decode, GmailHistory.decode)]
    calendar = [
        d(text) for d in (CalendarListing.decode, CalendarListed.decode, CalendarSynced.decode)
    ]
    assert sum(s is not None for s in gmail) <= 1
    assert sum(s is not None for s in calendar) <= 1


@pytest.mark.parametrize("text", ["junk", "[]", '{"mail": []}', '{"mail": {"inbox": 3}}'])
def test_an_unreadable_graph_cursor_asks_for_a_full_sync(tmp_path: Path, text: str) -> None:
    client = GraphClient(lambda _refresh: "token")
    source = GraphSource(
        key="outlook:t",
        client=client,
        graph="https://graph.invalid/v1.0",
        index=RemoteIndex(tmp_path / "index.sqlite"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        local_tz=UTC,
    )
    try:
        with pytest.raises(CursorExpiredError, match="sync --full"):
            next(source.pages(text))
    finally:
        source.index.close()
        client.close()


@pytest.mark.parametrize(
    "text",
    [
        '{"h": "5", "list": "t", "sweep": 2, "n": 3}',
        '{"h": "5", "gone": 2, "n": 7}',
        '{"h": "9", "p": "q", "n": 1}',
        '{"h": "9", "n": 12}',
    ],
)
def test_a_gmail_cursor_counts_the_pages_it_handed_over(text: str) -> None:
    state = decode_gmail(text)
    assert state is not None and state.handed == json.loads(text)["n"]
    assert state.encode() == text


@given(st.integers(min_value=-(2**70), max_value=2**70) | st.booleans() | st.text())
def test_an_unreadable_page_count_counts_as_none(n: object) -> None:
    state = decode_gmail(json.dumps({"h": "5", "n": n}))
    assert state is not None
    ok = isinstance(n, int) and not isinstance(n, bool) and n >= 0
    assert state.handed == (n if ok else 0)
