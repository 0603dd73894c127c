"""People: who is behind which addresses, and what the user said about them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import sha1


@dataclass
class Directory:
    """Links, cadences and the ignore list, as plain values with the questions they answer."""

    links: list[tuple[str, str]] = field(default_factory=list)
    cadences: dict[str, int] = field(default_factory=dict)
    ignored: set[str] = field(default_factory=set)

    def groups(self, addresses: Iterable[str]) -> dict[str, str]:
        """Map each address to its person key: the smallest address of its linked group."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a in addresses:
            find(a)
        for a, b in self.links:
            ra, rb = find(a), find(b)
            if ra != rb:
                lo, hi = sorted((ra, rb))
                parent[hi] = lo
        return {a: find(a) for a in list(parent)}

    def is_ignored(self, address: str) -> bool:
        if address in self.ignored:
            return True
        at = address.rfind("@")
        return at >= 0 and "@" + address[at + 1 :] in self.ignored


def best_name(counts: Counter[str]) -> str:
    """The most frequent non-empty display name; ties go to the alphabetically first."""
    best = ""
    best_n = 0
    for name, n in counts.items():
        if name and (n > best_n or (n == best_n and name < best)):
            best, best_n = name, n
    return best


def _later(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


@dataclass
class Totals:
    """Running contact totals for an address or a person (times in epoch seconds).

    `how` is 'out' (outbound mail), 'in' (inbound mail) or 'meet' (a meeting).
    """

    first: int | None = None
    last: int | None = None
    last_out: int | None = None
    last_in: int | None = None
    last_meeting: int | None = None
    n: int = 0
    learned: int | None = None
    #: Weighted contacts (`strength.Weights.contact_weight`): self's mail, theirs, meetings.
    w_out: int = 0
    w_in: int = 0
    w_meet: int = 0
    #: Self's replies to them (`strength.replied_to`).
    replies: int = 0

    def add(self, at: int, how: str, weight: int = 0, reply: bool = False) -> None:
        self.first = _earlier(self.first, at)
        self.last = _later(self.last, at)
        if how == "out":
            self.last_out = _later(self.last_out, at)
            self.w_out += weight
            self.replies += reply
        elif how == "in":
            self.last_in = _later(self.last_in, at)
            self.w_in += weight
        else:
            self.last_meeting = _later(self.last_meeting, at)
            self.w_meet += weight
        self.n += 1

    def weights(self) -> tuple[int, int, int, int]:
        return self.w_out, self.w_in, self.w_meet, self.replies

    def merge(self, o: Totals) -> None:
        self.first = _earlier(self.first, o.first)
        self.last = _later(self.last, o.last)
        self.last_out = _later(self.last_out, o.last_out)
        self.last_in = _later(self.last_in, o.last_in)
        self.last_meeting = _later(self.last_meeting, o.last_meeting)
        self.n += o.n
        self.w_out += o.w_out
        self.w_in += o.w_in
        self.w_meet += o.w_meet
        self.replies += o.replies


_WORD = re.compile(r"[a-z]+")


def name_tokens(text: str) -> tuple[str, ...]:
    """The words of a name or an address's local part, lower case (`c..giron` → c, giron)."""
    return tuple(_WORD.findall(text.lower()))


def spells(local: str, name: tuple[str, ...]) -> bool:
    """Whether an address's local part spells this name: first.last, first_last, f..last,
    firstlast or flast (the surname last, each other word the name's or its initial)."""
    words = name_tokens(local)
    if len(name) < 2 or not words:
        return False
    first, surname = name[0], name[-1]
    if len(words) == 1:
        return words[0] in (first[0] + surname, first + surname)
    if words[-1] != surname:
        return False
    return all(w in name or (len(w) == 1 and any(n[0] == w for n in name)) for w in words[:-1])


def same_name_forms(a: str, b: str) -> str:
    """Why two addresses at one domain look like one person's ('' if they do not):
    `first.last` and `first_last`, or `flast` beside either."""
    la, _, da = a.partition("@")
    lb, _, db = b.partition("@")
    if da != db or la == lb:
        return ""
    ta, tb = name_tokens(la), name_tokens(lb)
    if len(ta) >= 2 and ta == tb:
        return f"{la} and {lb} at {da}"
    for full, short in ((ta, tb), (tb, ta)):
        if len(full) == 2 and len(short) == 1 and short[0] == full[0][0] + full[1]:
            return f"{la} and {lb} at {da}"
    return ""


def merge_id(a: str, b: str) -> str:
    """A short, stable id for a pair of addresses (either order)."""
    lo, hi = sorted((a, b))
    return sha1(f"{lo}\x1f{hi}".encode()).hexdigest()[:8]
