"""A synthetic mbox of any size, deterministic, written streaming (for the import benchmark).

Shaped like a long working life: ~20,000 counterparts with a skewed distribution,
mostly 1:1 mail both ways, some Cc, some newsletters, over the ten years before
2026-01-01. Each message has only headers and a one-line body.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ME = "me@example.com"
START = datetime(2016, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3650)
FIRST = ["Ada", "Ben", "Chidi", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
LAST = ["Stone", "Park", "Okafor", "Silva", "Novak", "Haas", "Ito", "Berg", "Moreau", "Quinn"]


def write_mbox(path: Path, n: int, people: int = 20_000, seed: int = 7) -> Path:
    rng = random.Random(seed)
    names = [
        (f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"person{i}@org{i % 500}.example")
        for i in range(people)
    ]
    step = SPAN / max(n, 1)
    with path.open("wb", buffering=1 << 20) as f:
        for i in range(n):
            when = START + step * i
            kind = rng.random()
            # A skewed pick: a few people make up much of anyone's mail.
            name, addr = names[min(int(rng.paretovariate(1.2)) - 1, people - 1) if kind < 0.5
                               else rng.randrange(people)]  # fmt: skip
            cc = ""
            if rng.random() < 0.15:
                cc_name, cc_addr = names[rng.randrange(people)]
                cc = f"Cc: {cc_name} <{cc_addr}>\n"
            if kind < 0.45:
                head = f"From: Me <{ME}>\nTo: {name} <{addr}>\n{cc}"
            elif kind < 0.92:
                head = f"From: {name} <{addr}>\nTo: Me <{ME}>\n{cc}"
            else:
                head = (
                    f"From: News <news@list{i % 40}.example>\nTo: {ME}\n"
                    f"List-Id: <list{i % 40}.example>\nPrecedence: bulk\n"
                )
            stamp = format_datetime(when)
            # The transport headers every real message carries, and kithkeep skips.
            transport = (
                f"Return-Path: <bounce-{i}@mx.example>\n"
                f"Received: from mx{i % 7}.example (mx{i % 7}.example [192.0.2.{i % 250}])\n"
                f"\tby mail.example.com with ESMTPS id {i:x}; {stamp}\n"
                f"Received: from client.example ([198.51.100.{i % 250}])\n"
                f"\tby mx{i % 7}.example with ESMTPSA id {i * 7:x}; {stamp}\n"
            )
            f.write(
                (
                    f"From sender@example.com {when:%a %b %d %H:%M:%S %Y}\n{transport}{head}"
                    f"Subject: note {i}\nDate: {stamp}\nMessage-ID: <m{i}@synthetic.example>\n"
                    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                    f"X-Mailer: Synthetic 1.0\n\nHello {i}.\n\n"
                ).encode()
            )
    return path


if __name__ == "__main__":
    write_mbox(Path(sys.argv[1]), int(sys.argv[2]))
