"""Outlook sync against the fake Graph, beside importing the same messages from files.

Baseline: `kithkeep import` of the same messages and calendar written as .eml/.ics files,
into a fresh home, in the same run. Measured: `kithkeep sync` of a fresh Outlook account
(full listing), an idle incremental sync, and a full sync while the fake throttles every
10th request with `Retry-After: 1`. Figures: wall time, Graph requests, the most requests
in flight at once, and Retry-After violations (requests that came before the wait).

    python benchmarks/outlook_sync.py [--messages 3000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import run_cli  # noqa: E402
from tests.fakes.graph import ALIAS, ME, FakeMicrosoft  # noqa: E402
from tests.integration.outlook_data import build  # noqa: E402


def _home(tmp: Path, fake: FakeMicrosoft, name: str) -> Path:
    home = tmp / name
    run_cli(home, "init", "--me", ME)
    config = home / "config.toml"
    config.write_text(
        config.read_text()
        + f'\n[outlook]\nauthority_host = "{fake.authority_host}"\n'
        + f'graph_endpoint = "{fake.graph}"\nclient_id = "test-client"\n'
    )
    run_cli(home, "account", "add", "outlook", "--name", "work")
    return home


def _timed(home: Path, *args: str) -> float:
    t = time.perf_counter()
    run_cli(home, *args)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    n = parser.parse_args().messages
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    with tempfile.TemporaryDirectory() as d, FakeMicrosoft(Path(d)) as fake:
        tmp = Path(d)
        os.environ["REQUESTS_CA_BUNDLE"] = str(fake.ca_path)
        corpus = build(datetime.now(UTC), n)
        corpus.load(fake)
        corpus.write_files(tmp / "files")
        files = tmp / "from-files"
        run_cli(files, "init", "--me", ME, "--me", ALIAS)
        baseline = _timed(files, "import", str(tmp / "files"))

        home = _home(tmp, fake, "outlook")
        mark = len(fake.requests)
        full = _timed(home, "sync", "work")
        full_requests = len(fake.graph_requests(mark))
        mark = len(fake.requests)
        idle = _timed(home, "sync", "work")
        idle_requests = len(fake.graph_requests(mark))

        throttled_home = _home(tmp, fake, "throttled")
        fake.throttle_every, fake.retry_after = 10, 1
        mark = len(fake.requests)
        throttled = _timed(throttled_home, "sync", "work")
        throttled_requests = len(fake.graph_requests(mark))

    print(f"messages: {n} (+ calendar of {len(corpus.ics_events)} events/series)")
    print(f"baseline  import of the same files:        {baseline:6.2f} s")
    print(f"full sync (fresh account):                 {full:6.2f} s  "
          f"{full_requests} Graph requests  ({full / baseline:.2f}x baseline)")  # fmt: skip
    print(f"idle incremental sync:                     {idle:6.2f} s  {idle_requests} requests")
    print(f"full sync, 429 every 10th (Retry-After 1): {throttled:6.2f} s  "
          f"{throttled_requests} requests, {fake.throttled} throttled, "
          f"{fake.violations} Retry-After violations")  # fmt: skip
    print(f"most requests in flight at once: {fake.max_in_flight} (limit 4)")


if __name__ == "__main__":
    main()
