"""Forgetting a person: what is kept of them (salted hashes) and how they are taken out.

A `Door` holds only salted hashes: of each forgotten address, and of each forgotten name
as a sequence of two or three words ("susan scott", "scott susan"). With it, an
observation loses the forgotten parties (sender, recipients, attendees) and the names in
its subject; the same test runs on what is stored, on what arrives later, and on text
files. Nothing in it can be read back as an address or a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from itertools import permutations

from kithkeep.domain.interaction import Observation

#: What stands where a forgotten address or name was.
FORGOTTEN = "(forgotten)"

_WORD = re.compile(r"[^\W\d_]+")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+\w", re.ASCII)


def salted(salt: str, text: str) -> str:
    return sha256(f"{salt}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()[:40]


def name_keys(names: Iterable[str], addresses: Iterable[str] = ()) -> set[str]:
    """The word sequences a person's names are written as, lower case.

    From each display name seen ("Susan Scott", "Scott, Susan M."): any two of its words
    (initials aside) in either order, and three words in any order; and from addresses
    shaped like first.last@ (Enron's, and many a firm's): "susan scott", "scott susan".
    One word alone is too common a thing to scrub from other people's subjects: left.
    """
    keys: set[str] = set()
    for name in names:
        words = [w.casefold() for w in _WORD.findall(name)][:4]
        full = [w for w in words if len(w) >= 2]  # an initial alone pairs with nothing
        keys.update(" ".join(pair) for pair in permutations(full, 2))
        if len(words) == 3:
            keys.update(" ".join(three) for three in permutations(words, 3))
    for address in addresses:
        local = address.split("@", 1)[0]
        parts = [p.casefold() for p in re.split(r"[._-]+", local) if p]
        if 2 <= len(parts) <= 3 and all(len(p) >= 2 and p.isalpha() for p in parts):
            keys.add(f"{parts[0]} {parts[-1]}")
            keys.add(f"{parts[-1]} {parts[0]}")
    return keys


@dataclass(frozen=True, slots=True)
class Door:
    """The forgotten, as salted hashes; what is let in loses them."""

    salt: str
    addresses: frozenset[str]
    names: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.addresses or self.names)

    def gone(self, address: str) -> bool:
        return salted(self.salt, address.casefold()) in self.addresses

    def scrub(self, text: str) -> str:
        """`text` without forgotten addresses or names (each becomes FORGOTTEN)."""
        if not text:
            return text
        if "@" in text and self.addresses:
            text = _ADDRESS.sub(lambda m: FORGOTTEN if self.gone(m.group()) else m.group(), text)
        if not self.names:
            return text
        words = list(_WORD.finditer(text))
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words) - 1:
            n = self._name_at(words, i)
            if n:
                spans.append((words[i].start(), words[i + n - 1].end()))
                i += n
            else:
                i += 1
        for start, end in reversed(spans):
            text = text[:start] + FORGOTTEN + text[end:]
        return text

    def _name_at(self, words: Sequence[re.Match[str]], i: int) -> int:
        for n in (3, 2):
            seq = [w.group().casefold() for w in words[i : i + n]]
            if len(seq) < n:
                continue
            tries = [" ".join(seq)]
            if len(seq[-1]) > 2 and seq[-1].endswith("s"):  # "Susan Scotts Report"
                tries.append(" ".join([*seq[:-1], seq[-1][:-1]]))
            if any(salted(self.salt, t) in self.names for t in tries):
                return n
        return 0

    def observation(self, o: Observation) -> Observation:
        """`o` without the forgotten (itself when nothing of them is in it)."""
        parties = tuple(p for p in o.parties if not self.gone(p.address))
        sender = o.sender if o.sender is None or not self.gone(o.sender.address) else None
        subject = self.scrub(o.subject)
        if parties == o.parties and sender is o.sender and subject == o.subject:
            return o
        return o._replace(parties=parties, sender=sender, subject=subject)
