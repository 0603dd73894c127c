"""Withdrawn interactions (deleted at the source) leave the answers; seen again, they return.

On both back ends (`store_url`: SQLite files, then PostgreSQL).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kithkeep.connectors.base import Page
from kithkeep.domain.interaction import Kind, Observation, Party
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases import pull as sync
from kithkeep.services.usecases.views import read_views
from tests.pg import empty, use_store

ME = "me@example.com"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=400)
SENDERS = ("a@x.com", "b@x.com", "c@x.com")


def mail(i: int) -> Observation:
    sender = SENDERS[i % len(SENDERS)]
    return Observation(
        Kind.EMAIL, f"k{i}", T0 + timedelta(days=i), Party(sender, f"Name {sender[0]}"),
        (Party(ME),), f"s{i}",
    )  # fmt: skip


@dataclass
class Scripted:
    """A source whose pages are given: what a provider connector reports."""

    pages_: list[Page]
    key: str = "scripted"

    def pages(self, cursor: str | None) -> Iterator[Page]:
        return iter(self.pages_)


def page(seen: Sequence[int] = (), gone: Sequence[int] = ()) -> Page:
    return Page([mail(i) for i in seen], None, withdrawn=[f"k{i}" for i in gone])


def configure(home: Path, store_url: str = "") -> None:
    write_config(Paths(home), [ME], force=True)
    use_store(home, store_url)


def run(home: Path, pages: list[Page], store_url: str = "") -> None:
    configure(home, store_url)
    with open_runtime(load(home)) as rt:
        sync.run(Scripted(pages), rt.store, parallel=False, on_saved=rt.projecting(NOW))
        rt.project(NOW)


def views(home: Path) -> dict[str, Any]:
    c = read_views(load(home))
    try:
        return {
            "stats": c.execute(
                "SELECT address, first, last, last_in, n, learned, name FROM stats "
                "WHERE n > 0 ORDER BY address"
            ).fetchall(),
            "interactions": c.execute("SELECT id FROM interactions ORDER BY id").fetchall(),
            "names": c.execute("SELECT * FROM names ORDER BY address, name").fetchall(),
        }
    finally:
        c.close()


def test_a_withdrawn_message_leaves_and_a_restored_one_returns(
    tmp_path: Path, store_url: str
) -> None:
    home = tmp_path / "home"
    run(home, [page(seen=[0, 3, 6, 1])], store_url)
    a = {r[0]: r for r in views(home)["stats"]}["a@x.com"]
    assert a[4] == 3 and a[2] == int((T0 + timedelta(days=6)).timestamp())

    run(home, [page(gone=[6])], store_url)
    a = {r[0]: r for r in views(home)["stats"]}["a@x.com"]
    assert a[4] == 2 and a[2] == int((T0 + timedelta(days=3)).timestamp())

    run(home, [page(gone=[1])], store_url)
    assert "b@x.com" not in {r[0] for r in views(home)["stats"]}

    run(home, [page(seen=[6])], store_url)  # seen again: restored
    a = {r[0]: r for r in views(home)["stats"]}["a@x.com"]
    assert a[4] == 3 and a[2] == int((T0 + timedelta(days=6)).timestamp())

    before = views(home)
    configure(home, store_url)
    with open_runtime(load(home)) as rt:
        rt.projector.rebuild(rt.settings.policy(), int(NOW.timestamp()))
    assert views(home) == before


ops = st.lists(
    st.tuples(st.lists(st.integers(0, 8), max_size=4), st.lists(st.integers(0, 8), max_size=3)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops)
def test_any_history_of_sightings_and_withdrawals_ends_as_the_live_set(
    store_url: str, history: list[tuple[list[int], list[int]]]
) -> None:
    live: set[int] = set()
    for seen, gone in history:  # a page's sightings come before its withdrawals
        live |= set(seen)
        live -= set(gone)
    base = Path(tempfile.mkdtemp())
    # One database per back end and example: the replayed store, then the fresh one.
    empty(store_url)
    run(base / "replayed", [page(seen, gone) for seen, gone in history], store_url)
    replayed = views(base / "replayed")
    empty(store_url)
    run(base / "fresh", [page(sorted(live))] if live else [], store_url)
    assert replayed == views(base / "fresh")
