"""People: who is behind which addresses, and what the user said about them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


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
