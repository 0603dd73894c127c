"""The shared connector helpers: retries that honour Retry-After, pacing, the remote index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.connectors.retry import Pacer, Transient, retry_after_seconds, retrying
from kithkeep.domain.errors import ConnectorError


def test_retry_after_takes_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, now=now.timestamp()) == pytest.approx(30)


def test_retrying_waits_at_least_what_the_server_asked_then_succeeds() -> None:
    waits: list[float] = []
    calls = iter([Transient("429", retry_after=3.0), Transient("503"), "ok"])

    def call() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert retrying(call, sleep=waits.append, initial=0.5) == "ok"
    assert waits[0] >= 3.0
    assert 0 < waits[1] <= 60


def test_retrying_gives_up_with_the_last_error_and_passes_others_through() -> None:
    waits: list[float] = []

    def always() -> None:
        raise Transient("still throttled", retry_after=1)

    with pytest.raises(Transient, match="still throttled"):
        retrying(always, attempts=3, sleep=waits.append)
    assert len(waits) == 2

    def broken() -> None:
        raise ConnectorError("bad credentials")

    with pytest.raises(ConnectorError, match="bad credentials"):
        retrying(broken, sleep=waits.append)
    assert len(waits) == 2  # not retried


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=200))
def test_the_pacer_never_lets_more_than_rate_plus_burst_through(units: list[int]) -> None:
    clock = _Clock()
    pacer = Pacer(rate=50, burst=20, clock=clock, sleep=clock.sleep)
    for u in units:
        pacer.take(u)
    # Over the time elapsed, at most what the bucket refills plus its starting fill.
    assert sum(min(u, 20) for u in units) <= 50 * clock.t + 20 + 1e-6


def test_a_pause_holds_every_caller() -> None:
    clock = _Clock()
    pacer = Pacer(rate=100, clock=clock, sleep=clock.sleep)
    pacer.pause(5)
    pacer.take(1)
    assert clock.t >= 5


def test_an_interaction_is_orphaned_only_when_its_last_remote_item_goes(tmp_path: Path) -> None:
    index = RemoteIndex(tmp_path / "idx.sqlite")
    index.remember("INBOX", [("1", "mail:a"), ("2", "mail:b")])
    index.remember("Archive", [("9", "mail:a")])
    assert index.orphaned_by("INBOX", ["1", "2"]) == ["mail:b"]
    index.forget("INBOX", ["1", "2"])
    assert index.orphaned_by("Archive", ["9"]) == ["mail:a"]
    assert index.keys("Archive", ["9", "nope"]) == {"9": "mail:a"}


def test_a_sweep_finds_what_a_full_listing_did_not_see(tmp_path: Path) -> None:
    index = RemoteIndex(tmp_path / "idx.sqlite")
    index.remember("cal", [("x", "ical:x"), ("y", "ical:y"), ("z", "ical:z")])
    sweep = index.next_sweep("cal")
    index.remember("cal", [("x", "ical:x"), ("z", "ical:z")], sweep=sweep)
    assert index.not_swept("cal", sweep) == ["y"]
    index.close()
    assert RemoteIndex(tmp_path / "idx.sqlite").count("cal") == 3


def test_a_later_listing_is_never_taken_for_gone_and_remote_ids_lists_all(
    tmp_path: Path,
) -> None:
    index = RemoteIndex(tmp_path / "idx.sqlite")
    index.remember("f", [("1", "k1"), ("2", "k2")])
    first = index.next_sweep("f")
    later = first + 1
    index.remember("f", [("2", "k2")], sweep=later)  # a later listing saw 2
    assert index.not_swept("f", first) == ["1"]
    assert index.remote_ids("f") == ["1", "2"]
