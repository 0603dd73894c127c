"""A first Gmail sync against the fake enforcing Gmail's per-user quota: how close to it?

The fake enforces 250 units a second (Gmail's 15,000 a minute) with a token bucket and
answers 429 + Retry-After beyond it. kithkeep runs with its default pacing (the
published quota less its headroom). Printed: the units per second achieved over the
sync as a share of the quota (target >= 0.9) and the 429s received (target 0), beside
the baseline of the same run: the same sync against the same fake with no quota, which
shows what the machine could do if Gmail did not limit it.

    python benchmarks/gmail_sync_bench.py                 # 10,000 messages (~4 minutes)
    python benchmarks/gmail_sync_bench.py --messages 2000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.google import FakeGoogle  # noqa: E402
from tests.integration.google_kit import ME, configure, mailbox  # noqa: E402

QUOTA_PER_SECOND = 250.0


def sync(fake: FakeGoogle, home: Path, quota_per_minute: int | None) -> tuple[float, int]:
    """Seconds between the first and last charged request of one `kithkeep sync`; 429s."""
    configure(home, fake, calendar=None, quota_per_minute=quota_per_minute)
    fake.units, fake.throttled, fake.first_charge, fake.last_charge = 0, 0, 0.0, 0.0
    fake.quota.reset()
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "kithkeep", "sync"], env=env, check=True)
    wall = time.monotonic() - started
    span = fake.last_charge - fake.first_charge
    print(f"    sync took {wall:.1f}s wall, {span:.1f}s from first to last charged request")
    return span, fake.throttled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())

    with FakeGoogle(ME) as fake, tempfile.TemporaryDirectory() as tmp:
        for mail in mailbox(args.messages, seed=1):
            fake.add_message(mail.raw, mail.labels)
        print(f"Gmail first sync of {args.messages:,} messages against the fake")

        print("  baseline: no quota, no pacing")
        span, _ = sync(fake, Path(tmp) / "unpaced", 100_000_000)
        free_units = fake.units
        print(f"    {free_units:,} units, {free_units / span:,.0f} units/s")

        fake.quota.per_second = QUOTA_PER_SECOND
        fake.quota.burst_seconds = 2.0
        print(f"  kithkeep's default pacing, the fake enforcing {QUOTA_PER_SECOND:.0f} units/s")
        span, throttled = sync(fake, Path(tmp) / "paced", None)
        rate = fake.units / span
        share = rate / QUOTA_PER_SECOND
        print(f"    {fake.units:,} units, {rate:,.1f} units/s")
        print(f"  achieved / quota: {share:.3f}   (target >= 0.9)")
        print(f"  429s received:    {throttled}   (target 0)")
        if share < 0.9 or throttled:
            sys.exit(1)


if __name__ == "__main__":
    main()
