"""The store's page transaction and the view's time-dependent answers, below the CLI.

Every test runs on both back ends (`store_url`: SQLite files, then PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kithkeep.domain.interaction import Kind, Observation, Party, Response, Role
from kithkeep.projections import queries
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.runtime import Runtime, open_runtime
from kithkeep.services.usecases.views import read_views
from tests.pg import empty, use_store

ME = "me@example.com"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def mail(i: int, sender: str = "a@x.com") -> Observation:
    return Observation(
        Kind.EMAIL, f"k{i}", T0 + timedelta(days=i), Party(sender), (Party(ME),), f"s{i}"
    )


def make_settings(home: Path, store_url: str = ""):  # type: ignore[no-untyped-def]
    write_config(Paths(home), [ME], force=True)
    use_store(home, store_url)
    return load(home)


def stored(rt: Runtime) -> int:
    """Events in the store (PostgreSQL's notification ids may have gaps: count them)."""
    return len(rt.store.recorder.select_notifications(start=None, limit=1_000_000))


def views(settings: Any) -> Any:
    return read_views(settings)


def test_duplicates_inside_a_page_and_already_stored_do_not_lose_the_rest(
    tmp_path: Path, store_url: str
) -> None:
    with open_runtime(make_settings(tmp_path, store_url)) as rt:
        first = rt.store.save_page("src", [mail(1), mail(2), mail(1)], "c1")
        assert (first.added, first.duplicates) == (2, 1)
        second = rt.store.save_page("src", [mail(2), mail(3), mail(3), mail(4)], "c2")
        assert (second.added, second.duplicates) == (2, 2)
        assert rt.store.cursor("src") == "c2"
        again = rt.store.save_page("src", [mail(1), mail(4)], "c3")
        assert again.added == 0
        assert stored(rt) == 4 + 2  # four interactions, one position started and advanced


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.integers(0, 30), max_size=12), max_size=8))
def test_any_sequence_of_pages_stores_each_interaction_once(
    store_url: str, pages: list[list[int]]
) -> None:
    import tempfile

    home = Path(tempfile.mkdtemp())
    empty(store_url)
    settings_ = make_settings(home, store_url)
    with open_runtime(settings_) as rt:
        for n, page in enumerate(pages):
            rt.store.save_page("src", [mail(i) for i in page], f"c{n}")
        rt.project(T0 + timedelta(days=100))
    c = views(settings_)
    count = c.execute("SELECT count(*) FROM interactions").fetchone()[0]
    c.close()
    assert count == len({i for page in pages for i in page})


def test_a_meeting_counts_once_it_has_started(tmp_path: Path, store_url: str) -> None:
    meeting_at = T0 + timedelta(days=30)
    meeting = Observation(
        Kind.MEETING, "ical:m1", meeting_at, Party("org@x.com"),
        (Party(ME, role=Role.ATTENDEE, response=Response.ACCEPTED),
         Party("guest@x.com", role=Role.ATTENDEE, response=Response.ACCEPTED),
         Party("nope@x.com", role=Role.ATTENDEE, response=Response.DECLINED)),
        "Planning",
    )  # fmt: skip
    settings_ = make_settings(tmp_path, store_url)
    with open_runtime(settings_) as rt:
        rt.store.save_page("cal", [meeting, mail(1, "org@x.com")], None)
        rt.project(T0 + timedelta(days=10))  # projected before the meeting
    c = views(settings_)
    before = {
        p.key: p
        for p in queries.people(
            c, now=int((T0 + timedelta(days=10)).timestamp()), default_cadence=180
        )
    }
    assert before["org@x.com"].last_meeting is None
    assert "guest@x.com" not in before
    later = int((meeting_at + timedelta(hours=1)).timestamp())
    after = {p.key: p for p in queries.people(c, now=later, default_cadence=180)}
    assert after["guest@x.com"].last_meeting == meeting_at.isoformat()
    assert after["org@x.com"].interactions == 2
    assert "nope@x.com" not in after
    as_json = {a.key: a for a in queries.answers(c, now=later, default_cadence=180)}
    assert set(as_json) == set(after)
    c.close()
    with open_runtime(settings_) as rt:
        rt.project(meeting_at + timedelta(hours=1))  # the projector folds it in for good
    c = views(settings_)
    settled = {p.key: p for p in queries.people(c, now=later, default_cadence=180)}
    assert settled == after
    c.close()


def test_a_nul_character_in_a_subject_or_a_name_is_projected(
    tmp_path: Path, store_url: str
) -> None:
    """SQLite keeps it; PostgreSQL's text cannot hold it, and gets U+FFFD in its place."""
    odd = Observation(
        Kind.EMAIL, "k-nul", T0, Party("a@x.com", "A\x00B"), (Party(ME),), "hi\x00there"
    )
    settings_ = make_settings(tmp_path, store_url)
    with open_runtime(settings_) as rt:
        rt.store.save_page("src", [odd, mail(1, "a@x.com")], "c1")
        rt.project(T0 + timedelta(days=10))
    kept = "\x00" if not store_url else "\ufffd"
    c = views(settings_)
    try:
        found = c.execute("SELECT subject FROM interactions WHERE subject LIKE 'hi%'").fetchall()
        assert [tuple(r) for r in found] == [(f"hi{kept}there",)]
        people = {
            p.key: p
            for p in queries.people(c, now=int(T0.timestamp()) + 86400 * 10, default_cadence=180)
        }
    finally:
        c.close()
    assert people["a@x.com"].interactions == 2
    assert people["a@x.com"].name == f"A{kept}B"


def test_a_server_that_orders_text_otherwise_gives_the_same_answers(tmp_path: Path) -> None:
    """Text in PostgreSQL's views is compared by code point, as SQLite compares it, not
    by the server's collation (here ICU's English, which puts "bob" before "Bob"): the
    name kept for someone seen as both is the same on both back ends, both when it is
    counted page by page and when a rebuild counts it."""
    from tests.pg import pg_database

    seen = [
        Observation(Kind.EMAIL, f"n{i}", T0 + timedelta(days=i), Party(address, name),
                    (Party(ME),), "hi")
        for i, (address, name) in enumerate(
            [("b@x.com", "bob"), ("b@x.com", "Bob"), ("a@x.com", "alice"), ("a@x.com", "Alice")]
        )
    ]  # fmt: skip
    seen += [
        Observation(Kind.EMAIL, f"c{i}", T0, Party(a, a.split("@")[0]), (Party(ME),), "hi")
        for i, a in enumerate(["zed@x.com", "Zed@x.com", "ada@x.com", "Ada@x.com", "_u@x.com"])
    ]
    now = T0 + timedelta(days=10)
    answers = {}
    icu = "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
    with pg_database(icu) as url:
        for back_end, store_url in (("sqlite", ""), ("postgresql", url)):
            settings_ = make_settings(tmp_path / back_end, store_url)
            with open_runtime(settings_) as rt:
                rt.store.save_page("src", seen, "c1")
                for way in ("page by page", "rebuilt"):
                    if way == "rebuilt":
                        rt.projector.bulk_from = 0
                        rt.projector.rebuild(settings_.policy(), int(now.timestamp()))
                    else:
                        rt.project(now)
                    c = views(settings_)
                    try:
                        found = queries.answers(c, now=int(now.timestamp()), default_cadence=180)
                        answers[back_end, way] = sorted((a.key, a.name) for a in found)
                    finally:
                        c.close()
    assert {("b@x.com", "Bob"), ("a@x.com", "Alice")} <= set(answers["sqlite", "page by page"])
    assert len(set(map(tuple, answers.values()))) == 1, answers
