"""Is `due` worth acting on? Recall of the owner's reconnections on real mailboxes.

For each Enron mailbox, an independent reading of its messages (the standard library
only, none of kithkeep's code) finds the owner (the senders of its Sent folders) and
every contact between the owner and someone else. At dates every `--step` days it
finds the owner's *reconnections*: people last in touch at least `--gap` days before
the date to whom the owner wrote within the next `--horizon` days. It prints the
share of them in the top `--top` of `kithkeep due --json --as-of DATE` (the mailbox
imported once through the real CLI into a fresh home), beside three rankings of the
same quiet people from the same reading, in the same run: most contacts first, most
recent contact first, and a random pick (its expected recall).

    python benchmarks/due_quality.py [--gap 60] [--horizon 45] [--step 30] [--top 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ENRON = REPO.parent / "shared" / "data" / "enron" / "maildir"
DAY = 86400
#: Mail to more people than this is not "writing to" them (a circular, an announcement).
MAX_AUDIENCE = 15


@dataclass
class Mailbox:
    name: str
    owner: set[str]
    #: (time, address, 'out' | 'in'), each message once.
    contacts: list[tuple[int, str, str]] = field(default_factory=list)


def _address(raw: str) -> str:
    a = raw.strip().strip("<>").lower()
    return a if "@" in a and " " not in a else ""


def read_mailbox(root: Path) -> Mailbox:
    """The owner and every contact, from the headers of every file under `root`."""
    parser = BytesHeaderParser(policy=policy.compat32)
    messages: dict[tuple[str, ...], tuple[int, str, list[str], bool]] = {}
    sent_from: Counter[str] = Counter()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as f:
            h = parser.parse(f)
        try:
            when = parsedate_to_datetime(str(h["Date"]))
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if not datetime(1990, 1, 1, tzinfo=UTC) <= when <= datetime(2010, 1, 1, tzinfo=UTC):
            continue
        sender = next((_address(a) for _, a in getaddresses([str(h["From"] or "")])), "")
        to = [
            a
            for _, raw in getaddresses([str(h[k] or "") for k in ("To", "Cc", "Bcc")])
            if (a := _address(raw))
        ]
        in_sent = any("sent" in part.lower() for part in path.relative_to(root).parts[:-1])
        if in_sent and sender:
            sent_from[sender] += 1
        key = (when.isoformat(), sender, ",".join(sorted(set(to))), str(h["Subject"] or ""))
        messages.setdefault(key, (int(when.timestamp()), sender, sorted(set(to)), in_sent))
    total = sum(sent_from.values())
    owner = {a for a, n in sent_from.items() if n >= 0.05 * total}
    box = Mailbox(root.name, owner)
    for at, sender, to, _ in messages.values():
        others = [a for a in to if a not in owner]
        if len(others) > MAX_AUDIENCE:
            continue
        if sender in owner:
            box.contacts.extend((at, a, "out") for a in others)
        elif sender and any(a in owner for a in to):
            box.contacts.append((at, sender, "in"))
    box.contacts.sort()
    return box


def cut_dates(box: Mailbox, step: int, horizon: int) -> list[int]:
    """End of day, every `step` days, from 90 days after the owner's first mail until
    `horizon` days before their last."""
    out = [at for at, _, how in box.contacts if how == "out"]
    if not out:
        return []
    first = datetime.fromtimestamp(out[0], UTC).date() + timedelta(days=90)
    last = datetime.fromtimestamp(out[-1], UTC).date() - timedelta(days=horizon)
    dates = []
    d = first
    while d <= last:
        dates.append(int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC).timestamp()))
        d += timedelta(days=step)
    return dates


@dataclass
class Cut:
    reconnections: set[str]
    quiet: dict[str, tuple[int, int]]  # address -> (contacts, last contact), before the cut


def cut(box: Mailbox, at: int, gap: int, horizon: int) -> Cut:
    count: Counter[str] = Counter()
    last: dict[str, int] = {}
    wrote: set[str] = set()
    for t, a, how in box.contacts:
        if t <= at:
            count[a] += 1
            last[a] = t
        elif t <= at + horizon * DAY and how == "out":
            wrote.add(a)
    quiet = {a: (count[a], t) for a, t in last.items() if t <= at - gap * DAY}
    return Cut({a for a in wrote if a in quiet}, quiet)


def other_rankings(box: Mailbox, at: int, c: Cut, k: int) -> dict[str, int]:
    """Hits in the top `k` of other rankings of the same quiet people, from the same
    reading (`--others`): is there more in the headers than "most contacts first"?"""
    days: defaultdict[str, set[int]] = defaultdict(set)
    decayed: defaultdict[str, float] = defaultdict(float)
    ways: defaultdict[str, set[str]] = defaultdict(set)
    for t, a, how in box.contacts:
        if t > at:
            break
        days[a].add(t // DAY)
        decayed[a] += 0.5 ** ((at - t) / DAY / 180)
        ways[a].add(how)
    keys = {
        "contact days": lambda a: (len(days[a]), c.quiet[a][1]),
        "decayed 180d": lambda a: (decayed[a], c.quiet[a][1]),
        "two-way first": lambda a: (len(ways[a]), c.quiet[a][0], c.quiet[a][1]),
        "contacts/span": lambda a: (
            c.quiet[a][0] / (1 + (at - min(days[a]) * DAY) / DAY),
            c.quiet[a][1],
        ),
    }
    hits = {}
    for name, key in keys.items():
        top = sorted(c.quiet, key=lambda a: (key(a), a), reverse=True)[:k]
        hits[name] = len(c.reconnections.intersection(top))
    hits["most possible"] = min(k, len(c.reconnections))
    return hits


def kithkeep_home(box: Mailbox, root: Path, tmp: Path) -> Path:
    home = tmp / box.name
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    me = [arg for a in sorted(box.owner) for arg in ("--me", a)]
    kk = [sys.executable, "-m", "kithkeep"]
    subprocess.run([*kk, "init", *me], env=env, check=True, capture_output=True)
    subprocess.run([*kk, "import", str(root)], env=env, check=True, capture_output=True)
    return home


def kithkeep_json(home: Path, command: str, at: int) -> list[dict[str, Any]]:
    env = {**os.environ, "KITHKEEP_HOME": str(home)}
    day = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
    p = subprocess.run(
        [sys.executable, "-m", "kithkeep", command, "--json", "--as-of", day],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rows: list[dict[str, Any]] = json.loads(p.stdout)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enron", type=Path, default=ENRON)
    ap.add_argument("--gap", type=int, default=60, help="days quiet before the date")
    ap.add_argument("--horizon", type=int, default=45, help="days after it the owner writes")
    ap.add_argument("--step", type=int, default=30, help="days between dates")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--mailbox", action="append", help="only these (repeatable)")
    ap.add_argument(
        "--why", action="store_true", help="also say what kithkeep made of those it missed"
    )
    ap.add_argument(
        "--others", action="store_true", help="also rank the quiet people other simple ways"
    )
    args = ap.parse_args()
    if not args.enron.exists():
        print(f"Enron sample not found at {args.enron}; skipped")
        return
    names = args.mailbox or sorted(p.name for p in args.enron.iterdir() if p.is_dir())
    k = args.top
    columns = ("kithkeep", "kithkeep*", "contacts", "recent", "random", "in due")
    print(
        f"recall@{k} of reconnections (quiet >= {args.gap}d, owner writes within "
        f"{args.horizon}d), dates every {args.step}d"
    )
    print(f"{'mailbox':12} {'dates':>5} {'found':>5} " + " ".join(f"{c:>9}" for c in columns))
    totals: dict[str, list[float]] = defaultdict(list)
    missed: dict[str, Counter[str]] = defaultdict(Counter)
    others: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            root = args.enron / name
            box = read_mailbox(root)
            dates = cut_dates(box, args.step, args.horizon)
            cuts = [(at, cut(box, at, args.gap, args.horizon)) for at in dates]
            cuts = [(at, c) for at, c in cuts if c.reconnections]
            if not cuts:
                print(f"{name:12} {len(dates):5} {0:5}  (no reconnections)")
                continue
            home = kithkeep_home(box, root, Path(tmp))
            hits: Counter[str] = Counter()
            other: Counter[str] = Counter()
            found = 0
            for at, c in cuts:
                found += len(c.reconnections)
                if args.others:
                    other.update(other_rankings(box, at, c, k))
                due = [row["addresses"] for row in kithkeep_json(home, "due", at)]
                ours = [a for row in due[:k] for a in row]
                hits["kithkeep"] += len(c.reconnections.intersection(ours))
                # At any rank: the most a top `k` could hold under kithkeep's rules (never
                # one-way, never within its rhythm), had it ranked them first.
                hits["in due"] += len(c.reconnections.intersection(a for r in due for a in r))
                if args.why:
                    state = {
                        a: row["state"]
                        for row in kithkeep_json(home, "people", at)
                        for a in row["addresses"]
                    }
                    for a in c.reconnections.difference(ours):
                        missed[name][state.get(a, "unknown")] += 1
                # The same pool as the baselines: only people quiet for the gap.
                pooled = [row for row in due if any(a in c.quiet for a in row)][:k]
                hits["kithkeep*"] += len(c.reconnections.intersection(a for r in pooled for a in r))
                by_count = sorted(c.quiet, key=lambda a: (-c.quiet[a][0], -c.quiet[a][1], a))
                hits["contacts"] += len(c.reconnections.intersection(by_count[:k]))
                by_recent = sorted(c.quiet, key=lambda a: (-c.quiet[a][1], a))
                hits["recent"] += len(c.reconnections.intersection(by_recent[:k]))
                hits["random"] += len(c.reconnections) * min(1.0, k / len(c.quiet))
            for name_, n in other.items():
                others[name_].append(n / found)
            row = {col: hits[col] / found for col in columns}
            for col in columns:
                totals[col].append(row[col])
            print(
                f"{name:12} {len(cuts):5} {found:5} "
                + " ".join(f"{row[col]:9.3f}" for col in columns)
            )
    if totals["kithkeep"]:
        mean = {col: sum(v) / len(v) for col, v in totals.items()}
        print(f"{'average':12} {'':5} {'':5} " + " ".join(f"{mean[c]:9.3f}" for c in columns))
        best = max(mean["contacts"], mean["recent"], mean["random"])
        print(
            f"the most kithkeep's rules allow (in due) / best baseline: {mean['in due'] / best:.2f}"
        )
        wins = sum(
            1
            for i in range(len(totals["kithkeep"]))
            if totals["kithkeep"][i]
            >= max(totals["contacts"][i], totals["recent"][i], totals["random"][i])
        )
        print(
            f"kithkeep / best baseline: {mean['kithkeep'] / best:.2f} (target >= 1.2); "
            f"at least as good as the best baseline on {wins} of {len(totals['kithkeep'])} "
            "mailboxes (target >= 5)"
        )
        print("kithkeep* is kithkeep's list with only the people the baselines rank (quiet)")
        print(
            "in due: the share anywhere in kithkeep's due list (no rank limit): the most "
            "its top could hold while one-way people and those within their rhythm are not due"
        )
    if others:
        print("other rankings of the quiet people (per mailbox, then the average):")
        for name_, values in others.items():
            each = " ".join(f"{v:.3f}" for v in values)
            print(f"  {name_:14} {each}  average {sum(values) / len(values):.3f}")
    for name, why in missed.items():
        told = ", ".join(f"{n} {state}" for state, n in why.most_common())
        print(f"missed in {name}, by kithkeep's state of them then: {told}")


if __name__ == "__main__":
    main()
