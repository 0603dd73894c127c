"""The hostile suite's tools: kithkeep run in a subprocess whose peak memory (its
children included) and time are measured, and inputs generated lazily in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Per input, as the issue bounds them.
MAX_RSS_MB = 300
MAX_SECONDS = 60

# Runs kithkeep, waits for it, and reports the largest resident set of it and its
# (waited-for) children: what RUSAGE_CHILDREN holds once they are gone.
_WRAPPER = """
import json, resource, subprocess, sys, time
start = time.monotonic()
code = subprocess.call([sys.executable, "-m", "kithkeep", *sys.argv[2:]])
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "rss_mb": rss_kb / 1024, "seconds": time.monotonic() - start}, f)
"""


@dataclass
class Measured:
    code: int
    out: str
    err: str
    rss_mb: float
    seconds: float

    def within_bounds(self) -> None:
        print(f"figures: peak {self.rss_mb:.0f} MB, {self.seconds:.1f} s")  # -s shows them
        assert self.rss_mb < MAX_RSS_MB, f"peak memory {self.rss_mb:.0f} MB"
        assert self.seconds < MAX_SECONDS, f"took {self.seconds:.1f} s"

    def one_line_error(self) -> str:
        """The one line on stderr a refusal or a failure must be; no traceback."""
        assert "Traceback" not in self.err + self.out, self.err
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, self.err
        return lines[0]


def measure(
    home: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> Measured:
    fd, name = tempfile.mkstemp(prefix="kithkeep-measure-")  # not in the home: it may be full
    os.close(fd)
    report = Path(name)
    full_env = {**os.environ, "KITHKEEP_HOME": str(home), **(env or {})}
    full_env.pop("KITHKEEP_ME", None)
    p = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(report), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=MAX_SECONDS * 2,
        input=stdin,
        check=False,
    )
    figures = json.loads(report.read_text())
    report.unlink()
    return Measured(figures["code"], p.stdout, p.stderr, figures["rss_mb"], figures["seconds"])


GOOD = (
    b"From: Ann Good <ann@example.org>\nTo: me@example.com\nSubject: hello\n"
    b"Message-ID: <good-1@example.org>\nDate: Tue, 1 May 2001 10:00:00 -0500\n\nbody\n"
)


def message(n: int, sender: str = "ann@example.org", subject: str = "hi") -> bytes:
    return (
        f"From: {sender}\nTo: me@example.com\nSubject: {subject} {n}\n"
        f"Message-ID: <m{n}@example.org>\nDate: Tue, 1 May 2001 10:{n % 60:02d}:00 -0500\n\nbody\n"
    ).encode()
