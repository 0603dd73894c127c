"""The Graph source's cursor and withdrawals, against the fake, under any sequence of
new mail, deletes, moves, copies, expired delta links, full syncs and interrupted runs:
what is stored and not withdrawn is exactly what the synced folders hold."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kithkeep.connectors.graph import GraphClient, GraphSource
from kithkeep.connectors.graph_items import Unresolved, header_block
from kithkeep.connectors.mail import parse_message
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.interaction import Observation
from tests.fakes.graph import FakeMicrosoft, Mailbox, graph_message
from tests.integration.outlook_data import Corpus

NOW = datetime.now(UTC)
FOLDERS = ("inbox", "sentitems", "archive")


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft(tmp_path_factory.mktemp("graph")) as f:
        f.valid_tokens.add("token")
        yield f


class Store:
    """What `Store.save_page` keeps, in short: observations by key, withdrawn or not; the cursor."""

    def __init__(self) -> None:
        self.live: dict[str, bool] = {}
        self.cursor: str | None = None

    def save(self, observations: Any, cursor: str | None, withdrawn: Any) -> None:
        for o in observations:
            self.live[o.natural_key] = True
        for k in withdrawn:
            if k in self.live:
                self.live[k] = False
        self.cursor = cursor


def run(fake: FakeMicrosoft, index: Path, store: Store, *, full: bool, stop_after: int) -> None:
    session = requests.Session()
    session.trust_env = False  # else $REQUESTS_CA_BUNDLE wins over `verify`
    session.verify = str(fake.ca_path)
    client = GraphClient(lambda _r: "token", session=session, sleep=lambda _s: None)
    source = GraphSource(
        key="outlook:t", client=client,
        graph=fake.graph, index=RemoteIndex(index), now=NOW, local_tz=UTC,
        folders=FOLDERS, since_days=3650, ahead_days=10,
    )  # fmt: skip
    pages = source.pages(None if full else store.cursor)
    try:
        for i, page in enumerate(pages):
            store.save(page.observations, page.cursor, page.withdrawn)
            if i + 1 == stop_after:  # a crash right after a page was saved
                pages.close()
                break
    finally:
        session.close()


def key(raw: bytes) -> str:
    o = parse_message(
        header_block(graph_message(raw), Unresolved()), origin="", file_time=NOW, now=NOW
    )
    assert isinstance(o, Observation)
    return o.natural_key


ops = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.sampled_from(FOLDERS), st.integers(1, 30)),
        st.tuples(st.just("delete"), st.integers(0, 10**6)),
        st.tuples(st.just("move"), st.integers(0, 10**6), st.sampled_from((*FOLDERS, "junkemail"))),
        st.tuples(st.just("copy"), st.integers(0, 10**6), st.sampled_from(FOLDERS)),
        st.tuples(st.just("sync"), st.integers(0, 4)),
        st.tuples(st.just("full"), st.integers(0, 4)),
        st.just(("expire",)),
    ),
    max_size=14,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=ops, seed=st.integers(0, 1000))
def test_stored_and_live_is_what_the_folders_hold(
    fake: FakeMicrosoft, tmp_path: Path, steps: list[Any], seed: int
) -> None:
    fake.box = Mailbox(folders={f: type(fake.box.calendar)() for f in FOLDERS})
    fake.expired_before = 0
    rng = random.Random(seed)
    corpus = Corpus(now=NOW)
    raws: dict[str, bytes] = {}
    index = tmp_path / f"index-{rng.randrange(10**9)}.sqlite"
    store = Store()
    n = 0
    for step in steps:
        held = sorted((f, i) for f, d in fake.box.folders.items() for i in d.items)
        if step[0] == "new":
            for _ in range(step[2]):
                _ident, raw = corpus.mail(rng, outbound=rng.random() < 0.5)
                n += 1
                raws[f"g{n}"] = raw
                fake.box.put(step[1], f"g{n}", graph_message(raw))
        elif step[0] in ("delete", "move", "copy") and held:
            folder, ident = held[step[1] % len(held)]
            if step[0] == "delete":
                fake.box.remove(folder, ident)
            elif step[0] == "move" and step[2] != folder:
                fake.box.move(folder, step[2], ident)
            elif step[0] == "copy" and ident + "c" not in fake.box.folders[step[2]].items:
                n += 1
                raws[f"g{n}"] = raws[ident]
                fake.box.put(step[2], f"g{n}", fake.box.folders[folder].items[ident])
        elif step[0] in ("sync", "full"):
            run(fake, index, store, full=step[0] == "full", stop_after=step[1])
        elif step[0] == "expire":
            fake.expire_deltas()
    run(fake, index, store, full=False, stop_after=0)
    expected = {key(raws[i]) for f in FOLDERS for i in fake.box.folders[f].items}
    assert {k for k, live in store.live.items() if live} == expected


def test_a_run_killed_before_forgetting_still_withdraws_the_last_copy(
    fake: FakeMicrosoft, tmp_path: Path
) -> None:
    fake.box = Mailbox(folders={f: type(fake.box.calendar)() for f in FOLDERS})
    fake.expired_before = 0
    rng = random.Random(1)
    corpus = Corpus(now=NOW)
    _i, raw = corpus.mail(rng, outbound=True)
    fake.box.put("inbox", "a", graph_message(raw))
    fake.box.put("sentitems", "b", graph_message(raw))
    store, index = Store(), tmp_path / "index.sqlite"
    run(fake, index, store, full=False, stop_after=0)
    assert store.live == {key(raw): True}
    _i, other = corpus.mail(rng, outbound=False)
    fake.box.put("inbox", "c", graph_message(other))
    fake.box.remove("inbox", "a")  # the other copy still holds it
    run(fake, index, store, full=False, stop_after=1)  # killed once that page was saved
    fake.box.remove("sentitems", "b")  # now the last copy goes
    run(fake, index, store, full=False, stop_after=0)
    assert store.live == {key(raw): False, key(other): True}


def test_a_held_meeting_moved_afterwards_is_revised_not_doubled(
    fake: FakeMicrosoft, tmp_path: Path
) -> None:
    from datetime import timedelta

    from kithkeep.services.store.events import Store as EventStore
    from tests.fakes.graph import graph_events
    from tests.integration.outlook_data import attendee, event

    fake.box = Mailbox(folders={f: type(fake.box.calendar)() for f in FOLDERS})
    fake.expired_before = 0
    held = (NOW - timedelta(days=3)).strftime("%Y%m%dT100000")
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        + event("held@x", held, "Review", [attendee(1)], tz="UTC")
        + "END:VCALENDAR\r\n"
    )
    (original,), _ = graph_events(ics.encode(), NOW - timedelta(days=30), NOW + timedelta(days=1))
    fake.box.put_event(original)
    store = EventStore(tmp_path / "events.sqlite")
    index = RemoteIndex(tmp_path / "index.sqlite")

    def sync() -> list[Observation]:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(fake.ca_path)
        client = GraphClient(lambda _r: "token", session=session, sleep=lambda _s: None)
        source = GraphSource(
            key="outlook:t", client=client,
            graph=fake.graph, index=index, now=NOW, local_tz=UTC,
            folders=FOLDERS, since_days=3650, ahead_days=10,
        )  # fmt: skip
        seen: list[Observation] = []
        for page in source.pages(store.cursor("outlook:t")):
            store.save_page(
                "outlook:t", page.observations, page.cursor, page.withdrawn, revise=page.revise
            )
            seen.extend(page.observations)
        session.close()
        return seen

    (first,) = sync()
    corrected = {
        **original,
        "start": {
            **original["start"],
            "dateTime": original["start"]["dateTime"].replace("T10:", "T12:"),
        },
    }
    fake.box.put_event(corrected)
    (again,) = sync()
    assert again.natural_key == first.natural_key
    assert again.occurred_at - first.occurred_at == timedelta(hours=2)
    import sqlite3

    with sqlite3.connect(tmp_path / "events.sqlite") as c:
        topics = [t for (t,) in c.execute("SELECT topic FROM stored_events")]
    assert sum(t.endswith("Interaction.Observed") for t in topics) == 1
    assert sum(t.endswith("Interaction.Revised") for t in topics) == 1
    store.close()
