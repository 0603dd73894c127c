"""Introduction detection on the labelled corpus, beside a cue-words-only baseline.

Measured: `kithkeep import` of tests/data/introductions into a fresh home, then
`kithkeep referrals --json`; detections are mapped back to files by Message-ID.
Baseline, in the same run: a message is an introduction when `introduction_cues` fires
and it has two or more recipients besides its sender (no history, noise or reply check);
it counts as "made" when Robin sent it, else "received".

    python benchmarks/intro_detection.py [--corpus PATH]

Prints one line per figure: precision, recall and F1 for made, received and both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kithkeep.domain.introductions import has_introduction_cue, introduction_cues  # noqa: E402

CORPUS = REPO / "tests" / "data" / "introductions"
KINDS = ("made", "received")

Found = set[tuple[str, str]]  # (message id, kind)


@dataclass(frozen=True)
class Message:
    name: str
    label: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


def message_id(raw: str) -> str:
    return raw.strip().strip("<>").strip().lower()


def load(corpus: Path) -> tuple[str, list[Message]]:
    doc = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    out = []
    for name, v in sorted(doc["messages"].items()):
        msg = message_from_bytes((corpus / name).read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content() if isinstance(part, EmailMessage) else ""
        to = [str(h) for field in ("to", "cc") for h in msg.get_all(field, [])]
        sender = parseaddr(str(msg["from"] or ""))[1].lower()
        out.append(
            Message(
                name,
                v["label"],
                message_id(str(msg["message-id"] or "")),
                sender,
                tuple(dict.fromkeys(a.lower() for _, a in getaddresses(to) if a)),
                str(msg["subject"] or ""),
                body,
            )
        )
    return str(doc["self"]).lower(), out


def baseline(me: str, messages: list[Message]) -> Found:
    """Cue words only: a cue and two or more recipients besides the sender."""
    found: Found = set()
    for m in messages:
        others = [a for a in m.recipients if a != m.sender]
        if len(others) >= 2 and has_introduction_cue(introduction_cues(m.subject, m.body)):
            found.add((m.message_id, "made" if m.sender == me else "received"))
    return found


def kithkeep(me: str, corpus: Path) -> Found:
    with tempfile.TemporaryDirectory(prefix="kk-intro-bench-") as tmp:
        env = {**os.environ, "KITHKEEP_HOME": str(Path(tmp) / "home")}
        env.pop("KITHKEEP_ME", None)

        def run(*args: str) -> str:
            p = subprocess.run(
                [sys.executable, "-m", "kithkeep", *args],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if p.returncode != 0:
                sys.exit(f"kithkeep {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
            return p.stdout

        run("init", "--me", me)
        run("import", str(corpus))
        rows = json.loads(run("referrals", "--json"))
    return {(message_id(r.get("message_id") or ""), r["kind"]) for r in rows if r["kind"] in KINDS}


def figures(found: Found, truth: Found) -> tuple[float, float, float]:
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    me, messages = load(args.corpus)
    truth = {(m.message_id, m.label) for m in messages if m.label in KINDS}
    measured = kithkeep(me, args.corpus)
    base = baseline(me, messages)
    names = {m.message_id: m.name for m in messages}

    counts = {
        k: sum(m.label == k for m in messages) for k in ("made", "received", "opt_in", "none")
    }
    print(f"corpus: {len(messages)} messages, " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    for kind in (*KINDS, "made+received"):
        wanted = KINDS if kind == "made+received" else (kind,)
        t = {x for x in truth if x[1] in wanted}
        ours = figures({x for x in measured if x[1] in wanted}, t)
        theirs = figures({x for x in base if x[1] in wanted}, t)
        for label, a, b in zip(("precision", "recall", "F1"), ours, theirs, strict=True):
            print(f"{kind:<14} {label:<9} kithkeep {a:.2f}   baseline (cue words only) {b:.2f}")
    for title, pairs in (("missed", truth - measured), ("false alarms", measured - truth)):
        listed = ", ".join(sorted(f"{names.get(mid, mid)} ({k})" for mid, k in pairs))
        print(f"kithkeep {title}: {listed or 'none'}")


if __name__ == "__main__":
    main()
