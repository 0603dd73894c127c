"""The address books' cursors: what they write they read back; junk never raises (a
cursor that cannot be read means a full listing, which finds what is gone)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.connectors.carddav import BookState, CarddavCursor
from kithkeep.connectors.gcontacts import ContactsCursor
from kithkeep.connectors.graph_contacts import ContactsState, _join, _split

ids = st.lists(st.text(min_size=1, max_size=12), max_size=5, unique=True)
junk = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=10,
    ).map(json.dumps),
)


@given(st.dictionaries(st.text(max_size=20), st.tuples(st.text(max_size=10), ids)), st.integers())
def test_carddav_cursor_round_trips(books: dict[str, tuple[str, list[str]]], at: int) -> None:
    cursor = CarddavCursor(
        {
            url: BookState(token, {h: f'"{h}"' for h in hrefs})
            for url, (token, hrefs) in books.items()
        },
        at,
    )
    assert CarddavCursor.decode(cursor.encode()) == cursor


@given(st.text(max_size=10), st.text(max_size=10), ids, ids)
def test_google_contacts_cursor_round_trips(
    token: str, page: str, known: list[str], seen: list[str]
) -> None:
    cursor = ContactsCursor(token, page, sorted(known), sorted(seen))
    assert ContactsCursor.decode(cursor.encode()) == cursor


@given(st.one_of(st.none(), st.text(max_size=30)), st.text(max_size=20), st.booleans(), ids)
def test_outlook_cursor_keeps_the_mail_cursor_beside_the_contacts(
    mail: str | None, link: str, full: bool, known: list[str]
) -> None:
    state = ContactsState(link, full, sorted(known), [])
    assert _split(_join(mail, state)) == (mail, state)


def test_an_outlook_cursor_from_before_contacts_is_the_mail_cursor() -> None:
    before = json.dumps({"mail": {"inbox": {"link": "x", "sweep": 1}}}, sort_keys=True)
    assert _split(before) == (before, ContactsState())


@given(junk)
def test_junk_never_raises(cursor: str | None) -> None:
    CarddavCursor.decode(cursor)
    ContactsCursor.decode(cursor)
    _split(cursor)
