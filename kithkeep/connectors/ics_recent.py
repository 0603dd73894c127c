"""A calendar file's cost bounded, the most recent meetings kept.

A rule repeating every second since 1990 has a billion occurrences, and the expander
walks a rule from its start on every call: `fast_forward` moves the start of a
sub-daily series (by whole periods, so every occurrence keeps its time) to shortly
before the occurrences that can be kept. `Recent` keeps, across all of a file's
series, only the most recent meetings, in bounded memory.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import Any

from kithkeep.connectors.base import Problem
from kithkeep.domain.interaction import Observation

_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600}


def sub_daily(event: Any) -> int:
    """The seconds in a unit of the event's rule if it repeats more than daily at a time
    with a zone (such a series is placed exactly: no margin around it), else 0."""
    rule = event.get("RRULE")
    if rule is None or isinstance(rule, list):
        return 0
    first = getattr(event.get("DTSTART"), "dt", None)
    if not isinstance(first, datetime) or first.tzinfo is None:
        return 0
    return _SECONDS.get(str((rule.get("FREQ") or [""])[0]).upper(), 0)


def fast_forward(event: Any, now: datetime, keep: int) -> str:
    """Move a sub-daily series' DTSTART (and DTEND) on by whole periods, to about `keep`
    periods before `now`; a COUNT is turned into the UNTIL it means first. "moved",
    "exact" (a sub-daily series left as it was) or "" (not one)."""
    unit = sub_daily(event)
    if not unit:
        return ""
    rule = event["RRULE"]
    first = event["DTSTART"].dt
    period = timedelta(seconds=unit * max(1, int((rule.get("INTERVAL") or [1])[0])))
    if "COUNT" in rule:
        if any(k.startswith("BY") for k in rule):
            return "exact"  # the count of a filtered rule says no end time simply
        rule["UNTIL"] = [first + period * (int(rule["COUNT"][0]) - 1)]
        del rule["COUNT"]
    until = (rule.get("UNTIL") or [None])[0]
    last = min(now, until) if isinstance(until, datetime) and until.tzinfo else now
    skip = (last - first) // period - keep
    if skip <= 0:
        return "exact"
    shift = period * skip
    for name in ("DTSTART", "DTEND"):
        prop = event.get(name)
        if isinstance(getattr(prop, "dt", None), datetime):
            event.pop(name)
            event.add(name, prop.dt + shift)
    return "moved"


class Recent:
    """The `keep` most recent observations given, whatever order they come in."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.left_out = 0
        self._heap: list[tuple[datetime, int, Observation]] = []
        self._n = 0

    def add(self, o: Observation) -> None:
        self._n += 1
        item = (o.occurred_at, self._n, o)
        if len(self._heap) < self.keep:
            heapq.heappush(self._heap, item)
            return
        self.left_out += 1
        if item[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, item)

    def observations(self) -> list[Observation]:
        """The kept ones, in the order they were given."""
        return [o for _, _, o in sorted(self._heap, key=lambda item: item[1])]

    def problems(self, origin: str) -> list[Problem]:
        if not self.left_out:
            return []
        reason = f"over {self.keep} meetings in one calendar: the oldest left out (see [limits])"
        return [Problem(reason, origin)]
