"""The sample network behind `kithkeep demo`, written as the files a user would import.

`write_sample_network` turns the fictional roster in `kithkeep/data/demo_network.json`
into three years of mail (an mbox) and meetings (an .ics) ending just before `today`,
so the demo goes through the real import path rather than a shortcut into the store.
It holds introductions in every follow-up state `kithkeep referrals` detects, whatever
the day (listed in `SampleNetwork.introductions`).
The output depends on `today` alone: the same day gives byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from kithkeep.services.usecases.demo_files import calendar, mbox_entry
from kithkeep.services.usecases.demo_sample import Sample, SampleIntroduction

__all__ = ["SampleIntroduction", "SampleNetwork", "write_sample_network"]


@dataclass(frozen=True, slots=True)
class SampleNetwork:
    """Where the sample was written and what it holds.

    `meetings` counts occurrences: every instance of the weekly 1:1 but its EXDATE,
    the cancelled meeting and the one upcoming meeting included.
    """

    me: str
    mbox: Path
    ics: Path
    people: int
    messages: int
    meetings: int
    introductions: tuple[SampleIntroduction, ...] = ()


def write_sample_network(target_dir: Path, *, today: datetime) -> SampleNetwork:
    """Write `sample.mbox` and `sample.ics` into `target_dir` for the day `today`."""
    if today.tzinfo is None or today.utcoffset() is None:
        msg = "today must be timezone-aware"
        raise ValueError(msg)
    roster = files("kithkeep.data").joinpath("demo_network.json").read_text(encoding="utf-8")
    sample = Sample(json.loads(roster), today.astimezone(UTC))
    target_dir.mkdir(parents=True, exist_ok=True)
    mbox, ics = target_dir / "sample.mbox", target_dir / "sample.ics"
    messages = sorted(sample.messages, key=lambda m: (m.when, m.message_id))
    mbox.write_bytes("".join(mbox_entry(m) for m in messages).encode("utf-8"))
    ics.write_bytes(calendar(sample.meetings, sample.anchor))
    meetings = sum(m.weekly - (m.skip_week is not None) if m.weekly else 1 for m in sample.meetings)
    return SampleNetwork(
        sample.me.address,
        mbox,
        ics,
        len(sample.people),
        len(messages),
        meetings,
        tuple(sample.introductions),
    )
