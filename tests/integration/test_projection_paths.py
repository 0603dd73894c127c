"""Every way of projecting the log gives the same views, on both back ends (`store_url`).

The projector takes a short backlog page by page, adding to the totals as it goes; a
long one in bulk, counting the totals once at the end; and a long bulk one with a helper
(a forked process, or a thread) planning pages while it writes them. The log here holds
what makes those paths differ: withdrawals, restorations and revisions (which the helper
leaves to the writer), directives, future meetings, noise and introductions.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.domain.interaction import Kind, Observation, Party, Response, Role
from kithkeep.projections.projector import LogReader, Projector, RawEvent
from kithkeep.projections.schema import VIEW_TABLES
from kithkeep.services.runtime import Runtime, open_runtime
from kithkeep.services.usecases.views import read_views
from tests.integration.test_store_and_views import ME, make_settings

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=400)


def corpus(n: int, seed: int = 3) -> list[Observation]:
    rng = random.Random(seed)
    people = [f"p{k}@org{k % 7}.example" for k in range(60)]
    out: list[Observation] = []
    for i in range(n):
        when = T0 + timedelta(hours=3 * i + rng.randrange(3))
        a, b = rng.sample(people, 2)
        name = f"Person {a.split('@')[0]}"
        roll = rng.random()
        if roll < 0.15:  # a meeting, some still to come (after NOW)
            when = T0 + timedelta(days=rng.randrange(0, 430))
            answer = Response.DECLINED if rng.random() < 0.2 else Response.ACCEPTED
            parties = (Party(a, name, Role.ATTENDEE, answer), Party(ME, "", Role.ATTENDEE))
            out.append(Observation(Kind.MEETING, f"m{i}", when, Party(ME), parties, f"meet {i}"))
        elif roll < 0.25:  # an introduction made by self
            out.append(
                Observation(
                    Kind.EMAIL,
                    f"k{i}",
                    when,
                    Party(ME),
                    (Party(a, name), Party(b)),
                    f"Introduction: {a} <> {b}",
                    signals=("cue:intro-subject",),
                )
            )
        elif roll < 0.35:  # a newsletter
            out.append(
                Observation(
                    Kind.EMAIL, f"k{i}", when, Party(a), (Party(ME),), "news", signals=("list-id",)
                )
            )
        elif roll < 0.7:
            out.append(Observation(Kind.EMAIL, f"k{i}", when, Party(a, name), (Party(ME),), "hi"))
        else:
            cc = (Party(b),) if rng.random() < 0.3 else ()
            out.append(Observation(Kind.EMAIL, f"k{i}", when, Party(ME), (Party(a), *cc), "re"))
    return out


def fill(rt: Runtime, n: int = 1500, *, withdrawals: bool = True) -> None:
    """Pages of mail and meetings, with directives and (unless told not to) withdrawals,
    restorations and revisions."""
    observations = corpus(n)
    for k in range(0, n, 100):
        page = observations[k : k + 100]
        gone = [o.natural_key for o in observations[max(0, k - 50) : k : 9]] if withdrawals else []
        rt.store.save_page("mail", page, f"c{k}", gone)
        if k % 300 == 0 and withdrawals:  # some of what went comes back
            rt.store.save_page("mail", observations[max(0, k - 50) : k : 18], f"r{k}")
        if k % 400 == 0 and withdrawals:  # a meeting moved after it took place
            meetings = [o for o in observations[:k] if o.kind is Kind.MEETING][:3]
            moved = [o._replace(occurred_at=o.occurred_at + timedelta(hours=1)) for o in meetings]
            rt.store.save_page("cal", moved, f"v{k}", revise=True)
        if k == 700:
            with rt.store.directives() as directives:
                directives.ignore("*@org3.example")
                directives.link("p1@org1.example", "p8@org1.example")
                directives.set_cadence("p2@org2.example", 30)


def dump(settings: Any) -> dict[str, list[tuple[Any, ...]]]:
    c = read_views(settings)
    try:
        out = {}
        for table in VIEW_TABLES:
            rows = c.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted((tuple(r) for r in rows), key=repr)
        return out
    finally:
        c.close()


def project(rt: Runtime, *, bulk_from: int, parallel_from: int, helper: str = "auto") -> int:
    p = rt.projector
    p.page, p.bulk_page, p.bulk_from, p.parallel_from = 97, 131, bulk_from, parallel_from
    p.helper = helper  # type: ignore[assignment]
    return p.rebuild(rt.settings.policy(), int(NOW.timestamp())).events


NEVER = 10**9
WAYS = {
    "page by page": {"bulk_from": NEVER, "parallel_from": NEVER},
    "bulk": {"bulk_from": 0, "parallel_from": NEVER},
    "bulk, helper process": {"bulk_from": 0, "parallel_from": 0, "helper": "process"},
    "bulk, helper thread": {"bulk_from": 0, "parallel_from": 0, "helper": "thread"},
}


#: A statement that fails if run: the bulk paths' totals must then come from their tally.
NOT_RECOUNTED = "INSERT INTO stats SELECT * FROM no_recount_expected"


@pytest.mark.parametrize("withdrawals", [True, False], ids=["withdrawals", "none withdrawn"])
def test_every_way_of_projecting_gives_the_same_views(
    tmp_path: Path, store_url: str, withdrawals: bool
) -> None:
    settings = make_settings(tmp_path, store_url)
    with open_runtime(settings) as rt:
        fill(rt, withdrawals=withdrawals)
        found = {}
        for way, knobs in WAYS.items():
            if way != "page by page" and not withdrawals:
                # Bulk pages into an empty view, none withdrawing anything: what they add
                # up to is counted as they are written, not counted again from the tables.
                rt.view.recount_all_stats = NOT_RECOUNTED
            assert project(rt, **knobs) > 1400  # type: ignore[arg-type]
            found[way] = dump(settings)
            if not store_url:  # a bulk backlog drops indexes on SQLite: built again
                c = read_views(settings)
                names = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
                c.close()
                assert {"interactions_thread", "team_contacts_iid"} <= names, way
    reference = found["page by page"]
    assert len(reference["interactions"]) > 1000
    assert reference["future"] and reference["intros"] and reference["directives"]
    assert any(r for r in reference["stats"])
    for way, views in found.items():
        for table in VIEW_TABLES:
            assert views[table] == reference[table], (way, table)


class FailingInHelper:
    """The store's log reader, failing for the helper after two pages."""

    def __init__(self, log: LogReader) -> None:
        self.log = log
        self.pid = os.getpid()
        self.calls = 0

    def __call__(self, start: int, limit: int, stop: int | None = None) -> Sequence[RawEvent]:
        helper = os.getpid() != self.pid or threading.current_thread().name == "kithkeep-projector"
        if helper:
            self.calls += 1
            if self.calls > 2:
                raise OSError("the helper's disk went away")
        return self.log(start, limit, stop)

    def close(self) -> None:
        self.log.close()


@pytest.mark.parametrize("helper", ["process", "thread"])
def test_a_helper_that_fails_leaves_the_writer_to_finish_alone(
    tmp_path: Path, store_url: str, helper: str
) -> None:
    settings = make_settings(tmp_path, store_url)
    with open_runtime(settings) as rt:
        fill(rt)
        project(rt, **WAYS["page by page"])  # type: ignore[arg-type]
        reference = dump(settings)
        projector: Projector = rt.projector
        projector.read = FailingInHelper(projector.read)
        project(rt, bulk_from=0, parallel_from=0, helper=helper)
        assert dump(settings) == reference


def test_a_tally_the_view_no_longer_adds_up_to_is_not_used(tmp_path: Path, store_url: str) -> None:
    """A projector counts its bulk pages as it writes them; if another projector writes
    into the view before it settles, that count is short of the view, and the totals are
    counted again from the tables."""
    settings = make_settings(tmp_path, store_url)
    policy, now = settings.policy(), int(NOW.timestamp())
    with open_runtime(settings) as rt, open_runtime(settings) as other:
        fill(rt, withdrawals=False)
        p = rt.projector
        p.page, p.bulk_page, p.bulk_from, p.parallel_from = 97, 131, 0, NEVER
        settle = p.view.settle

        def others_page_first(now: int) -> None:
            # New mail, projected by the other process (a page it takes from memory,
            # without settling) between this one's last page and its settling.
            later = corpus(1600)[1500:]
            saved = rt.store.save_page("mail", later, "c1500")
            assert other.projector.take(saved.written, policy, now)
            settle(now)

        p.view.settle = others_page_first  # type: ignore[method-assign]
        p.rebuild(policy, now)
        found = dump(settings)
        p.view.settle = settle  # type: ignore[method-assign]
        project(rt, **WAYS["page by page"])  # type: ignore[arg-type]
        assert found == dump(settings)
        assert len(found["interactions"]) == 1600


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 50_000), st.integers(0, 60_000), st.integers(1, 4), st.integers(1, 5000))
def test_the_stretches_helpers_plan_cover_the_backlog_once_and_start_short(
    start: int, length: int, helpers: int, page: int
) -> None:
    p = Projector.__new__(Projector)  # only its page sizes are read
    p.page, p.bulk_page = page, 4 * page
    stretches = p.stretches(start, start + length, helpers)
    assert [low for low, _ in stretches[1:]] == [high for _, high in stretches[:-1]]
    if length:
        assert stretches[0][0] == start and stretches[-1][1] == start + length
    else:
        assert stretches == []
    sizes = [high - low for low, high in stretches]
    assert all(0 < n <= p.bulk_page for n in sizes)
    assert sizes[:-1] == sorted(sizes[:-1])  # shorter first, then whole pages
