"""Referral detection on the labelled corpora, beside today's detector, in one run.

Measured: `kithkeep import` of a corpus into a fresh home, then `kithkeep referrals --json`;
detections are mapped back to files by Message-ID. Baseline, in the same run: the same
commands run by the detector as it was before one-sided and received referrals were read
(`--baseline-ref`, default the commit this work started from), extracted with `git
archive` into a temporary folder. A referral self made counts as found when it is
reported as `made` or `made-one-sided`; a received one as `received`.

    python benchmarks/intro_detection.py [--baseline-ref REF]

Corpora: tests/data/referrals (one-sided referrals made, received referrals, negatives;
written for this) and tests/data/introductions (introductions to both people at once).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPORA = (REPO / "tests" / "data" / "referrals", REPO / "tests" / "data" / "introductions")
BASELINE_REF = "b9bb04f"
GROUP = {"made": "made", "made-one-sided": "made", "received": "received"}

Found = set[tuple[str, str]]  # (message id, made | received)


def message_id(raw: str) -> str:
    return raw.strip().strip("<>").strip().lower()


def load(corpus: Path) -> tuple[str, Found, dict[str, str]]:
    doc = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    truth: Found = set()
    names: dict[str, str] = {}
    for name, v in doc["messages"].items():
        msg = message_from_bytes((corpus / name).read_bytes(), policy=policy.default)
        mid = message_id(str(msg["message-id"] or ""))
        names[mid] = name
        if v["label"] in GROUP:
            truth.add((mid, GROUP[v["label"]]))
    return str(doc["self"]).lower(), truth, names


def detector(pythonpath: Path) -> Callable[[str, Path], Found]:
    def detect(me: str, corpus: Path) -> Found:
        with tempfile.TemporaryDirectory(prefix="kk-intro-bench-") as tmp:
            env = {**os.environ, "KITHKEEP_HOME": str(Path(tmp) / "home")}
            env["PYTHONPATH"] = str(pythonpath)
            env.pop("KITHKEEP_ME", None)

            def run(*args: str) -> str:
                p = subprocess.run(
                    [sys.executable, "-m", "kithkeep", *args],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=tmp,
                    check=False,
                )
                if p.returncode != 0:
                    sys.exit(f"kithkeep {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
                return p.stdout

            run("init", "--me", me)
            run("import", str(corpus))
            rows = json.loads(run("referrals", "--json"))
        return {
            (message_id(r.get("message_id") or ""), GROUP[r["kind"]])
            for r in rows
            if r["kind"] in GROUP
        }

    return detect


def figures(found: Found, truth: Found) -> tuple[str, str]:
    """Precision and recall as text; precision is "—" when nothing was found."""
    hit = len(found & truth)
    precision = f"{hit / len(found):.2f}" if found else "—   "
    return precision, f"{hit / len(truth):.2f}" if truth else "—   "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-ref", default=BASELINE_REF)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kk-baseline-") as old:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.baseline_ref, "kithkeep"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        today, ours = detector(Path(old)), detector(REPO)
        for corpus in CORPORA:
            me, truth, names = load(corpus)
            measured, baseline = ours(me, corpus), today(me, corpus)
            print(f"{corpus.relative_to(REPO)}: {len(names)} messages, {len(truth)} referrals")
            for kind in ("made", "received", "all"):
                t = {x for x in truth if kind in ("all", x[1])}
                a = figures({x for x in measured if kind in ("all", x[1])}, t)
                b = figures({x for x in baseline if kind in ("all", x[1])}, t)
                print(
                    f"  {kind:<9} precision {a[0]} recall {a[1]}"
                    f"   today's detector ({args.baseline_ref}) precision {b[0]} recall {b[1]}"
                )
            for title, pairs in (("missed", truth - measured), ("false alarms", measured - truth)):
                listed = ", ".join(sorted(f"{names.get(m, m)} ({k})" for m, k in pairs))
                print(f"  kithkeep {title}: {listed or 'none'}")


if __name__ == "__main__":
    main()
