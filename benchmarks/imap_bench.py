"""IMAP sync against its baseline, in one run: a real Dovecot on loopback.

Baseline: `kithkeep import` of the same Maildir folders into a fresh home. Measured:
the first `kithkeep sync` of an IMAP account on a Dovecot seeded with those folders
(INBOX and Sent), then an idle sync (nothing new) and the IMAP commands it sent.
Needs Dovecot (`apt-get install dovecot-imapd`) and root, as the tests do.

    python benchmarks/imap_bench.py                          # derrick-j inbox + sent
    python benchmarks/imap_bench.py --user kaminski-v        # a larger mailbox
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ENRON = REPO.parent / "shared" / "data" / "enron" / "maildir"


def cli(home: Path, *args: str, stdin: str | None = None) -> float:
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    env.pop("KITHKEEP_ME", None)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kithkeep", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    from tests.servers import PASSWORD, Dovecot, dovecot_missing, mail_files

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", default="derrick-j", help="an Enron mailbox")
    args = parser.parse_args()
    reason = dovecot_missing()
    if reason:
        sys.exit(reason)
    box = ENRON / args.user
    inbox, sent = box / "inbox", box / "_sent_mail"
    if not sent.exists():
        sent = box / "sent_items"
    me = f"{args.user}@enron.com"
    work = Path(tempfile.mkdtemp(prefix="kithkeep-imap-bench-"))
    work.chmod(0o755)  # Dovecot's unprivileged auth process reads its passwd file in here
    server = Dovecot.start(work / "dovecot", inbox=mail_files(inbox), sent=mail_files(sent))
    try:
        n = len(mail_files(inbox)) + len(mail_files(sent))
        imported, synced = work / "imported", work / "synced"
        for home in (imported, synced):
            cli(home, "init", "--me", me)
        baseline = cli(imported, "import", str(inbox)) + cli(imported, "import", str(sent))
        cli(
            synced,
            *("account", "add", "imap", "--host", "127.0.0.1", "--port", str(server.port)),
            *("--user", server.user, "--security", "plain", "--since-days", "36500"),
            *("--name", "box", "--password-stdin"),
            stdin=PASSWORD + "\n",
        )
        first = cli(synced, "sync")

        # The idle sync in-process, to count what went on the wire.
        from kithkeep.services.config.settings import load
        from kithkeep.services.usecases.ingest import sync_accounts

        commands: Counter[str] = Counter()

        class Count(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                commands[record.getMessage()] += 1

        wire = logging.getLogger("kithkeep.imap.wire")
        wire.addHandler(Count())
        wire.setLevel(logging.DEBUG)
        start = time.perf_counter()
        sync_accounts(load(synced), [])
        idle = time.perf_counter() - start

        print(f"{args.user}: {n} messages (INBOX + Sent), Dovecot on loopback")
        print(f"{'what':<40}{'seconds':>10}{'msg/s':>10}")
        label = "baseline: kithkeep import of the Maildir"
        print(f"{label:<40}{baseline:>10.2f}{n / baseline:>10.0f}")
        print(f"{'kithkeep sync, first (IMAP)':<40}{first:>10.2f}{n / first:>10.0f}")
        print(f"{'ratio sync / import':<40}{first / baseline:>10.2f}")
        print(f"{'idle sync (in-process)':<40}{idle:>10.3f}")
        print("idle sync IMAP commands:", dict(sorted(commands.items())))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
