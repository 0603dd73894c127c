"""The one seam every source goes through: pages of observations, each with a cursor."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kithkeep.domain.card import Card
from kithkeep.domain.interaction import Observation

PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a source could not read: counted and reported, never fatal."""

    reason: str
    where: str


@dataclass(frozen=True, slots=True)
class Page:
    observations: Sequence[Observation]
    #: Opaque to everyone but its connector. Saved with the page, in one transaction.
    cursor: str | None
    problems: Sequence[Problem] = ()
    #: How many observations took their date from a fallback (Received:, file time), by kind.
    fallbacks: dict[str, int] = field(default_factory=dict)
    #: Items read and deliberately left out (spam, trash, duplicates within the source).
    skipped: int = 0
    #: Work units done so far and in all, for a progress bar (0 when unknown).
    done: int = 0
    total: int = 0
    #: Copies of interactions this source already gave in this run (left out).
    duplicates: int = 0
    #: What was left out or set aside, by reason, for the import report ('junk',
    #: 'trash', 'time-zone copy', 'address left out: <why>').
    notes: dict[str, int] = field(default_factory=dict)
    #: Natural keys of interactions the source no longer has (deleted, expunged, moved
    #: to Trash or Junk): withdrawn in the page's transaction.
    withdrawn: Sequence[str] = ()
    #: The observations may be new versions of stored interactions (a calendar object the
    #: server says was edited): the store compares and records what changed.
    revise: bool = False
    #: The cursor is kept even if the page brings nothing new: it ends a listing, and a
    #: sync resumed before it would list again instead of asking what changed since.
    checkpoint: bool = False
    #: Contact cards (an address book's): identities, never interactions. One seen again
    #: unchanged is a no-op; one that changed is revised.
    cards: Sequence[Card] = ()
    #: Keys of cards the address book no longer has: withdrawn in the page's transaction.
    cards_withdrawn: Sequence[str] = ()


class Source(Protocol):
    """Anything kithkeep can pull interactions from."""

    @property
    def key(self) -> str:
        """A stable name for this source; its cursor is saved under it."""
        ...

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages from where `cursor` left off (None: from the beginning)."""
        ...
