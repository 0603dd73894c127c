"""The faster parts swapped into the event library keep its format and its answers.

`FastJSONTranscoder` must write what the library's `JSONTranscoder` writes, byte for
byte, for every event kithkeep stores, and read anything the library can read to the
same value; `BatchSQLiteRecorder` must give each event the notification id it has.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder
from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.aggregates import Interaction
from kithkeep.domain.interaction import Kind, Observation, Party, Response, Role
from kithkeep.services.store.events import KithkeepApplication, Store
from kithkeep.services.store.persistence import FastJSONTranscoder, _plain

app = KithkeepApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
FAST = app.mapper.transcoder
LIBRARY = JSONTranscoder()
app.register_transcodings(LIBRARY)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)
parties = st.builds(Party, text, text, st.sampled_from(Role), st.sampled_from(Response) | text)


@st.composite
def observations(draw: Any) -> Observation:
    return Observation(
        draw(st.sampled_from(Kind)),
        draw(text),
        draw(moments),
        draw(st.none() | parties),
        tuple(draw(st.lists(parties, max_size=4))),
        draw(text),
        draw(text),
        draw(text),
        tuple(draw(st.lists(text, max_size=3))),
    )


def test_the_fast_transcoder_is_the_one_the_application_uses_and_it_takes_events() -> None:
    assert isinstance(FAST, FastJSONTranscoder)
    o = Observation(
        Kind.EMAIL, "k", datetime(2025, 1, 1, tzinfo=UTC), Party("a@x"), (Party("b@y"),)
    )
    state = dict(vars(Interaction.observed(o, datetime.now(UTC))))
    state.pop("originator_id"), state.pop("originator_version")  # as the mapper does
    assert _plain(state)  # so orjson writes it, not the standard module


@given(observations(), moments)
def test_an_observed_event_is_written_byte_for_byte_as_the_library_writes_it(
    o: Observation, timestamp: datetime
) -> None:
    state = dict(vars(Interaction.observed(o, timestamp)))
    state.pop("originator_id"), state.pop("originator_version")
    written = FAST.encode(state)
    assert written == LIBRARY.encode(state)
    assert FAST.decode(written) == LIBRARY.decode(written) == state
    assert FAST.decode_numberless(written) == state  # as the projector reads it


# Any JSON the library may have written: nested transcoded values, keys and strings that
# look like its markers, numbers orjson would not take, UUIDs, Decimals.
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | text
    | st.sampled_from(["_type_", "_data_", '"_type_"'])
    | moments
    | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(text | st.sampled_from(["_type_", "_data_"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(st.dictionaries(text, values, max_size=5))
def test_anything_the_library_writes_reads_back_the_same(state: dict[str, Any]) -> None:
    written = LIBRARY.encode(state)
    try:
        expected = LIBRARY.decode(written)
    except Exception as e:  # e.g. {"_type_": None, "_data_": None}: the library refuses it
        with pytest.raises(type(e)):
            FAST.decode(written)
        return
    assert FAST.decode(written) == expected
    assert LIBRARY.decode(FAST.encode(state)) == expected


def test_values_orjson_would_write_otherwise_go_through_the_library() -> None:
    for state in (
        {"id": uuid4()},  # orjson writes a bare UUID string, the library a transcoding
        {"big": 2**80},  # beyond 64 bits
        {"amount": Decimal("1.50")},
        {"nested": {"_type_": "not one of ours", "x": 1}},
        {"nan": float("nan")},
    ):
        assert FAST.encode(state) == LIBRARY.encode(state)
        assert repr(FAST.decode(FAST.encode(state))) == repr(LIBRARY.decode(LIBRARY.encode(state)))


def test_a_page_gets_the_notification_ids_its_events_were_stored_under(tmp_path: Path) -> None:
    store = Store(tmp_path / "events.sqlite")
    try:
        when = datetime(2025, 1, 1, tzinfo=UTC)
        ids: list[tuple[int, UUID]] = []
        for page in range(3):
            observations = [
                Observation(Kind.EMAIL, f"k{page}-{i}", when, Party("a@x.com"), (Party("b@y"),))
                for i in range(7)
            ]
            saved = store.save_page("src", observations, f"c{page}")
            ids += [(i, e.originator_id) for i, e in saved.written]
        stored = store.recorder.select_notifications(start=None, limit=100)
        assert ids == [(n.id, n.originator_id) for n in stored]
        assert [i for i, _ in ids] == list(range(1, 3 * 8 + 1))
    finally:
        store.close()


def test_directives_stored_under_their_old_name_are_still_read(tmp_path: Path) -> None:
    """`Directives` was stored as `AddressBook`: a store written then still answers."""
    from eventsourcing.persistence import StoredEvent

    from kithkeep.domain.aggregates import DIRECTIVES_ID, Directives

    store = Store(tmp_path / "events.sqlite")
    try:
        with store.directives() as d:
            d.link("a@x.com", "b@x.com")
            d.set_cadence("a@x.com", 30)
        stored = store.recorder.select_events(DIRECTIVES_ID)
        old = [
            StoredEvent(
                e.originator_id,
                e.originator_version,
                e.topic.replace(":Directives", ":AddressBook"),
                e.state,
            )
            for e in stored
        ]
        assert all(":AddressBook." in e.topic for e in old)
        events = [store.app.mapper.to_domain_event(e) for e in old]
        assert [type(e).__qualname__ for e in events] == [
            "Directives.Opened",
            "Directives.Linked",
            "Directives.CadenceSet",
        ]
        found: Any = None
        for e in events:
            found = e.mutate(found)
        assert isinstance(found, Directives)
        assert found.links == [["a@x.com", "b@x.com"]] and found.cadences == {"a@x.com": 30}
    finally:
        store.close()


class _CtrlCInDefault(FastJSONTranscoder):
    """Ctrl-C lands while orjson is in the transcoder's own callback."""

    def _encode_datetime(self, o: Any) -> dict[str, Any]:
        raise KeyboardInterrupt


def test_a_ctrl_c_inside_orjsons_callback_is_not_swallowed_by_the_fallback() -> None:
    # orjson wraps what `default` raised in its JSONEncodeError; the fallback to `json`
    # for numbers orjson cannot write must not take a Ctrl-C for one (an import then ran
    # on to its end and exited 0 after Ctrl-C, about one time in twenty under load).
    transcoder = _CtrlCInDefault()
    with pytest.raises(KeyboardInterrupt):
        transcoder.encode_plain({"at": datetime(2025, 1, 1, tzinfo=UTC)})
    # What the fallback is for still falls back: an integer beyond 64 bits.
    assert FAST.encode({"n": 2**70}) == LIBRARY.encode({"n": 2**70})
