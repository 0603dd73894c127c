"""Import throughput against its baseline, peak memory, and query latency, in one run.

Baseline: the stdlib `BytesHeaderParser(policy=compat32)` reading only the headers of
the same messages (warm page cache). Measured: the whole `kithkeep import` (parse +
store + project) of the same messages into a fresh home, run in a fresh process; and
the same into an encrypted home (events AES-GCM, views SQLCipher), plain and encrypted
taking turns, beside each other (encrypted / plain: target >= 0.7).

    python benchmarks/import_bench.py                    # the Enron sample
    python benchmarks/import_bench.py --synthetic 1000000  # also a 1M-message mbox
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ENRON = REPO.parent / "shared" / "data" / "enron" / "maildir"
ME_ENRON = "james.derrick@enron.com"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def baseline_files(paths: list[Path]) -> float:
    parser = BytesHeaderParser(policy=policy.compat32)
    for p in paths:  # warm the page cache first, as the import will find it
        p.read_bytes()
    start = time.perf_counter()
    for p in paths:
        with p.open("rb") as f:
            parser.parse(f)
    return len(paths) / (time.perf_counter() - start)


def mbox_messages(path: Path) -> Iterator[bytes]:
    chunk: list[bytes] = []
    blank = True
    with path.open("rb") as f:
        for line in f:
            if blank and line.startswith(b"From "):
                if chunk:
                    yield b"".join(chunk)
                chunk = []
            else:
                chunk.append(line)
            blank = line == b"\n"
    if chunk:
        yield b"".join(chunk)


def baseline_mbox(path: Path) -> tuple[float, int]:
    parser = BytesHeaderParser(policy=policy.compat32)
    n = 0
    start = time.perf_counter()
    for raw in mbox_messages(path):
        parser.parsebytes(raw)
        n += 1
    return n / (time.perf_counter() - start), n


def worker(home: Path, source: Path, me: str, mode: str = "plain") -> None:
    """In a fresh process: time one import, report it and the peak memory as JSON."""
    from kithkeep.services.config.settings import Paths, load, write_config
    from kithkeep.services.usecases import ingest

    if mode == "encrypted":  # the key made first (scrypt, once per command: not timed)
        from kithkeep.services.config.encryption import ENCRYPTED, create

        create(Paths(home), state=ENCRYPTED)
    write_config(Paths(home), [me], force=True)
    settings = load(home)
    start = time.perf_counter()
    report = ingest.import_path(settings, source)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "read": report.read,
                # Left out unread (junk and trash folders) or as copies: gone through too.
                "skipped": report.skipped,
                "added": report.added,
                "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_reader_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


def run_import(source: Path, me: str, mode: str = "plain") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        phrase = Path(tmp) / "passphrase"
        phrase.write_text("benchmark passphrase\n")
        phrase.chmod(0o600)
        env = {
            **os.environ,
            "KITHKEEP_PASSPHRASE_FILE": str(phrase),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        out = subprocess.run(
            [sys.executable, __file__, "--worker", str(home), str(source), me, mode],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        if os.environ.get("KEEP_HOME"):
            import shutil

            shutil.copytree(home, os.environ["KEEP_HOME"], dirs_exist_ok=True)
        return result


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def query_latency(home: Path, runs: int) -> tuple[float, float]:
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    # kithkeep byte-compiled, as `pip install` leaves it and typer is (an editable install
    # compiles nothing, and with PYTHONDONTWRITEBYTECODE set nothing is ever written).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "kithkeep")], check=True)
    due = [sys.executable, "-m", "kithkeep", "due", "--json"]
    bare = [sys.executable, "-c", "import typer, sqlite3"]
    timed(due, env)  # the first run may catch the views up; later ones only read
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(timed(due, env))
        theirs.append(timed(bare, env))
    return statistics.median(ours), statistics.median(theirs)


def report(label: str, n: int, base: float, result: dict[str, float]) -> float:
    """Print one import beside its baseline; the ratio."""
    # Every message of the source, read or left out (junk, trash, shifted copies), as the
    # baseline parses every one.
    rate = (result["read"] + result.get("skipped", 0)) / result["seconds"]
    print(f"{label}: {n:,} messages")
    print(f"  baseline  stdlib BytesHeaderParser(compat32), headers only : {base:10,.0f} msg/s")
    print(f"  kithkeep  import (parse + store + project)                 : {rate:10,.0f} msg/s")
    print(f"  ratio {rate / base:.2f} (target >= 0.5); {result['added']:,.0f} interactions stored")
    print(
        f"  peak RSS: importer {result['rss_main_mb']:.0f} MB, "
        f"reader process {result['rss_reader_mb']:.0f} MB"
    )
    return rate / base


def encrypted_beside_plain(source: Path, me: str, turns: int) -> None:
    """Plain and encrypted imports of the same source, taking turns (the machine's load
    falls on both alike); each turn's ratio, and the median's."""
    plain, encrypted = [], []
    print("  encrypted home (events AES-256-GCM, views SQLCipher) beside a plain one:")
    for turn in range(turns):
        p = run_import(source, me)
        e = run_import(source, me, "encrypted")
        plain.append(p["read"] / p["seconds"])
        encrypted.append(e["read"] / e["seconds"])
        print(
            f"    turn {turn + 1}: plain {plain[-1]:8,.0f} msg/s, encrypted "
            f"{encrypted[-1]:8,.0f} msg/s: {encrypted[-1] / plain[-1]:.2f}"
        )
    ratio = statistics.median(encrypted) / statistics.median(plain)
    print(f"  encrypted / plain (medians) {ratio:.2f} (target >= 0.7)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enron", type=Path, default=ENRON)
    ap.add_argument("--synthetic", type=int, default=0, help="also import an mbox of N messages")
    ap.add_argument("--runs", type=int, default=9, help="query timings per command")
    ap.add_argument("--turns", type=int, default=2, help="plain/encrypted imports, in turn")
    ap.add_argument("--rounds", type=int, default=5, help="Enron baseline + import rounds")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]), args.worker[2], args.worker[3])
        return

    if args.enron.exists():
        paths = files_under(args.enron)
        # Rounds of baseline-then-import: the machine's speed drifts between them.
        ratios = []
        for r in range(args.rounds):
            base = baseline_files(paths)
            result = run_import(args.enron, ME_ENRON)
            ratios.append(report(f"Enron sample, round {r + 1}", len(paths), base, result))
        each = ", ".join(f"{x:.2f}" for x in ratios)
        print(
            f"  Enron ratio, {len(ratios)} rounds: {each}; median "
            f"{statistics.median(ratios):.2f} (target >= 0.5)"
        )
        encrypted_beside_plain(args.enron, ME_ENRON, args.turns)
    else:
        print(f"Enron sample not found at {args.enron}; skipped")

    if args.synthetic:
        from benchmarks.synthetic import ME, write_mbox

        with tempfile.TemporaryDirectory() as tmp:
            mbox = write_mbox(Path(tmp) / "synthetic.mbox", args.synthetic)
            base, n = baseline_mbox(mbox)
            keep = Path(tmp) / "home"
            os.environ["KEEP_HOME"] = str(keep)
            result = run_import(mbox, ME)
            del os.environ["KEEP_HOME"]
            report(f"Synthetic mbox ({mbox.stat().st_size / 1e6:,.0f} MB)", n, base, result)
            ours, theirs = query_latency(keep, args.runs)
            print(
                f"  `kithkeep due --json` p50 {ours * 1000:.0f} ms vs "
                f"`python3 -c 'import typer, sqlite3'` p50 {theirs * 1000:.0f} ms: "
                f"{ours / theirs:.1f}x (target <= 4x)"
            )


if __name__ == "__main__":
    main()
