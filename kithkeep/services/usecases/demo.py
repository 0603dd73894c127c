"""`kithkeep demo`: a sample network written as files and imported the ordinary way."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kithkeep.projections.queries import connect
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.usecases.demo_network import write_sample_network
from kithkeep.services.usecases.ingest import import_path
from kithkeep.services.usecases.pull import Progress
from kithkeep.services.usecases.referrals import Verdict, mark_all


@dataclass(frozen=True, slots=True)
class Demo:
    """The sample home: where it is, what is in it, one person worth a look."""

    home: Path
    people: int
    messages: int
    meetings: int
    example: str


def demo(home: Path | None, progress: Progress | None = None) -> Demo:
    """A sample network in a fresh home, imported through the ordinary import path."""
    target = home or Path(tempfile.mkdtemp(prefix="kithkeep-demo-"))
    paths = Paths(target)
    now = datetime.now(UTC)
    sample = write_sample_network(target / "sample", today=now)
    write_config(paths, [sample.me], force=True)
    settings = load(target)
    import_path(settings, sample.mbox, progress)
    import_path(settings, sample.ics)
    conn = connect(paths.views)
    (example,) = conn.execute(
        "SELECT address FROM stats WHERE n > 0 ORDER BY n DESC, address LIMIT 1"
    ).fetchone()
    # Two sample introductions are there to show a dismissed and a closed one.
    marks: list[tuple[str, Verdict]] = []
    for intro in sample.introductions:
        row = conn.execute(
            "SELECT id FROM intros WHERE message_id = ?", (intro.message_id,)
        ).fetchone()
        if row and intro.mark in ("dismiss", "close"):
            marks.append((str(row[0]), "dismiss" if intro.mark == "dismiss" else "close"))
    conn.close()
    if marks:
        mark_all(settings, marks)
    return Demo(target, sample.people, sample.messages, sample.meetings, example)
