"""What the bulk pages written into an empty people view add up to, counted as written.

`settle` takes every address's totals, names and learned cadence from a `Tally` while
the view holds exactly the pages it counted, instead of counting them from the tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kithkeep.domain.rules import LEARN_MIN_CONTACTS, learned_by_address
from kithkeep.domain.strength import WEIGHTS
from kithkeep.projections.rows import PageRows, Plan

#: A tally holding more contacts than this is dropped (`settle` counts from the tables).
TALLY_MAX = 4_000_000

#: A row of `stats` as `settle` writes it into the emptied table: address, first, last,
#: last_out, last_in, last_meeting, n, w_out, w_in, w_meet, replies, learned, name.
StatsRow = tuple[
    str, int, int, int | None, int | None, int | None, int, int, int, int, int, int | None, str
]


@dataclass
class Tally:
    """What the bulk pages one projector wrote into an empty view add up to, counted as
    they are written: at `settle`, while the view holds exactly those pages, every
    address's totals, names and learned cadence come from here instead of being counted
    again from the tables (a group-by of every row, then a sort of every contact).

    Only the rows the SQL would count are counted, in the same way: a participant's
    name wherever it is given; a contact's time if it is not after `now`.
    """

    application_name: str
    now: int
    #: The view's position after the last page counted.
    upto: int = 0
    #: Contact times by how ('out', 'in', 'meet'), then by address.
    times: dict[str, defaultdict[str, list[int]]] = field(
        default_factory=lambda: {how: defaultdict(list) for how in ("out", "in", "meet")}
    )
    #: Weighted contacts (`strength.Weights.contact_weight`) by how, then by address.
    weights: dict[str, Counter[str]] = field(
        default_factory=lambda: {how: Counter() for how in ("out", "in", "meet")}
    )
    #: Self's replies (`strength.replied_to`), by address.
    replies: Counter[str] = field(default_factory=Counter)
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    contacts: int = 0

    def add(self, rows: PageRows) -> None:
        now, times, weights = self.now, self.times, self.weights
        participants = rows.participants
        self.names.update((row[0], row[5]) for row in participants if row[5])
        mail = {row[0]: (row[8], row[10]) for row in rows.interactions}
        weigh = WEIGHTS.contact_weight
        for address, at, iid, how, contact, _name in participants:
            if contact and at <= now:
                times[how][address].append(at)
                audience, replied = mail[iid]
                weights[how][address] += weigh(audience, how == "meet")
                if how == "out" and replied == address:
                    self.replies[address] += 1
        self.contacts += len(participants)

    def stats(self) -> list[StatsRow]:
        """Rows of `stats` (with `learned` and `name`), as `settle` would count them."""
        top: dict[str, tuple[int, str]] = {}
        for (address, name), n in self.names.items():
            best = top.get(address)
            # The most frequent name; of those as frequent, the first in order.
            if best is None or n > best[0] or (n == best[0] and name < best[1]):
                top[address] = (n, name)
        out, in_, meet = self.times["out"], self.times["in"], self.times["meet"]
        everyone = sorted(out.keys() | in_.keys() | meet.keys())
        seen = {a: sorted(out.get(a, []) + in_.get(a, []) + meet.get(a, [])) for a in everyone}
        learned = dict(
            learned_by_address(
                (address, at)
                for address in everyone
                if len(seen[address]) >= LEARN_MIN_CONTACTS
                for at in seen[address]
            )
        )
        return [
            (
                address,
                seen[address][0],
                seen[address][-1],
                max(out[address]) if address in out else None,
                max(in_[address]) if address in in_ else None,
                max(meet[address]) if address in meet else None,
                len(seen[address]),
                self.weights["out"][address],
                self.weights["in"][address],
                self.weights["meet"][address],
                self.replies[address],
                learned.get(address),
                top[address][1] if address in top else "",
            )
            for address in everyone
        ]


def tallied(
    tally: Tally | None, plan: Plan, position: int | None, application_name: str, now: int
) -> Tally | None:
    """The tally with a bulk page added, if it still adds up to the whole view after it:
    started on an empty view, every page since counted, none withdrawing anything."""
    if position is None or any(isinstance(step, str) for step in plan):
        return None
    if tally is None and position == 0:
        tally = Tally(application_name, now)
    elif tally is None or (tally.upto, tally.application_name, tally.now) != (
        position,
        application_name,
        now,
    ):
        return None
    for step in plan:
        assert isinstance(step, PageRows)
        tally.add(step)
    return tally if tally.contacts <= TALLY_MAX else None
