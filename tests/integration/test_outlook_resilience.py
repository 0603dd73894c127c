"""Outlook under a hostile Graph: throttling, revoked tokens, cut connections; an idle
sync's cost; no secret anywhere it should not be. (Expired delta links and a sync killed
mid-way: tests/contract, the same promises for every source.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import run_cli
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
