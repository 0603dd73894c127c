"""Outlook under a hostile Graph: expired delta links, throttling, revoked tokens, cut
connections, a sync killed mid-way; an idle sync's cost; no secret anywhere it should not be."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import count_events, run_cli
from tests.fakes.graph import FakeMicrosoft
from tests.integration.outlook_data import build, change
from tests.integration.test_outlook import fake, from_files, people, signed_in

pytestmark = pytest.mark.slow
__all__ = ["fake"]  # the fixture, shared with test_outlook

SMALL = 600


def _new(out: str) -> int:
    m = re.search(r"work: (\d+) new", out)
    assert m, out
    return int(m.group(1))


def test_expired_delta_resyncs_each_folder_without_doubling(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC), SMALL)
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    run_cli(home, "sync", "work")
    events = count_events(home)
    change(corpus, fake)
    fake.expire_deltas()
    mark = len(fake.requests)
    second = run_cli(home, "sync", "work")
    # Every folder and the calendar were listed again from the start after their 410.
    listed = [p for _m, p, q in fake.graph_requests(mark) if not q.get("$deltatoken")]
    assert sum(p.endswith("/messages/delta") for p in listed) >= 2
    assert any(p.endswith("/calendarView/delta") for p in listed)
    assert _new(second.out) == 41  # 40 messages and one meeting, nothing twice
    assert people(home) == from_files(tmp_path, corpus, "files")
    assert count_events(home) > events
    again = run_cli(home, "sync", "work")
    assert _new(again.out) == 0 and ", 0 withdrawn" in again.out


def test_throttled_cut_and_refused_it_completes_within_every_retry_after(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC), SMALL)
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    fake.throttle_every = 4
    fake.disconnect = 2
    fake.revoke_access_tokens()  # the cached access token is refused: refresh and go on
    first = run_cli(home, "sync", "work")
    assert "error" not in first.err
    change(corpus, fake)
    fake.throttle_status = 503
    fake.revoke_access_tokens()
    run_cli(home, "sync", "work")
    assert fake.throttled >= 3 and fake.disconnect == 0
    assert fake.violations == 0
    assert fake.max_in_flight <= 4
    assert people(home) == from_files(tmp_path, corpus, "files")


def test_an_idle_incremental_sync_is_one_request_per_folder_and_one_for_the_calendar(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC), SMALL)
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    run_cli(home, "sync", "work")
    for _ in range(2):
        mark = len(fake.requests)
        idle = run_cli(home, "sync", "work")
        assert _new(idle.out) == 0
        graph = fake.graph_requests(mark)
        assert sorted(p for _m, p, _q in graph) == [
            "/v1.0/me/calendarView/delta",
            "/v1.0/me/mailFolders/inbox/messages/delta",
            "/v1.0/me/mailFolders/sentitems/messages/delta",
        ]
        assert all("$deltatoken" in q for _m, _p, q in graph)


def _sync_killed_after(home: Path, fake: FakeMicrosoft, requests: int) -> None:
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    start = fake.graph_count
    p = subprocess.Popen(
        [sys.executable, "-m", "kithkeep", "sync", "work"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while fake.graph_count < start + requests and p.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait()


def test_sigkill_mid_sync_then_rerun_loses_and_doubles_nothing(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC), 1200)
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    fake.delay = 0.05
    stored = []
    for at in (3, 4, 3):  # in the inbox, in the sent items, then further on
        _sync_killed_after(home, fake, at)
        stored.append(count_events(home))
    fake.delay = 0
    run_cli(home, "sync", "work")
    assert 0 < stored[0] < stored[1] < count_events(home)  # each kill came mid-sync
    assert people(home) == from_files(tmp_path, corpus, "files-1")
    change(corpus, fake)
    fake.delay = 0.05
    _sync_killed_after(home, fake, 2)
    fake.delay = 0
    run_cli(home, "sync", "work")
    assert people(home) == from_files(tmp_path, corpus, "files-2")


def _everything_written(home: Path) -> list[tuple[str, bytes]]:
    out = []
    for path in sorted(home.rglob("*")):
        if path.is_file() and path.name != "secrets.json":
            out.append((str(path.relative_to(home)), path.read_bytes()))
    return out


def test_no_token_or_cache_content_in_logs_events_or_error_text_and_no_body(
    tmp_path: Path, fake: FakeMicrosoft
) -> None:
    corpus = build(datetime.now(UTC), 300)
    corpus.load(fake)
    home = signed_in(tmp_path, fake)
    said: list[str] = []
    fake.revoke_access_tokens()  # a refresh: new tokens are issued and cached
    r = run_cli(home, "sync", "work")
    said += [r.out, r.err]
    change(corpus, fake)
    r = run_cli(home, "sync", "work")
    said += [r.out, r.err]
    fake.revoke_access_tokens()
    fake.valid_refresh.clear()  # the sign-in itself is gone now
    for args in (("sync", "work"), ("--debug", "sync", "work")):
        failed = run_cli(home, *args, check=False)
        said += [failed.out, failed.err]
        assert failed.code == 1 and "sign-in has expired (invalid_grant)" in failed.err
    cache = (home / "secrets.json").read_text()
    secrets = [t for t in fake.issued if t in cache or t.startswith(("at-", "rt-", "dc-"))]
    assert len(secrets) >= 6 and any(s in cache for s in secrets)  # the grep has teeth
    files = _everything_written(home)
    assert any(name == "events.sqlite" for name, _ in files)
    for secret in secrets:
        for part in (secret, secret.split(".")[1] if "." in secret else secret):
            assert all(part not in text for text in said)
            for name, data in files:
                assert part.encode() not in data, name
    assert "RefreshToken" not in "".join(said)
    # Metadata only: neither a meeting's description nor a message's text is kept.
    assert any(e.get("body", {}).get("content") for e in fake.box.calendar.items.values())
    for name, data in files:
        assert b"Private agenda" not in data and b"Here is the update" not in data, name
