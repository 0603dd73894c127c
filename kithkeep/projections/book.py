"""The address book as the read side sees it: every contact card in the views.

A card's addresses are one person (as if linked) unless the user unlinked two of them;
its name wins over the names seen in headers; a card with one of self's addresses is
self's own (its other addresses are self's too, suggested, never a person). Kept apart
from the write side (`cards`) so that a quick query imports no event library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kithkeep.domain.card import Card
from kithkeep.projections.reading import ReadConnection

#: The fields of a card one person's several cards are merged by (the first card's word).
_MERGED = ("name", "organization", "title", "birthday", "anniversary", "source")
#: A person's card in --json (after their other fields).
CARD_FIELDS = ("organization", "title", "birthday", "anniversary", "card_source")


def card_json(card: Card | None) -> dict[str, str | None]:
    """The card's fields as --json gives them: null where unknown or without a card."""
    if card is None:
        return dict.fromkeys(CARD_FIELDS)
    values = (card.organization, card.title, card.birthday, card.anniversary, card.source)
    return {k: v or None for k, v in zip(CARD_FIELDS, values, strict=True)}


@dataclass
class AddressBook:
    """Every card, as the read side wants them."""

    #: By (hex) id; their addresses are in `addresses`.
    cards: dict[str, Card] = field(default_factory=dict)
    #: Each address's cards (ids), and each card's addresses in their order.
    by_address: dict[str, list[str]] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)
    #: Pairs of addresses one card holds (as if linked), less those the user unlinked.
    links: list[tuple[str, str]] = field(default_factory=list)
    #: The addresses of self's own cards that are not self's already: suggested as self.
    own: set[str] = field(default_factory=set)

    def info(self, members: Iterable[str]) -> Card | None:
        """The card of a person with these addresses (several cards: field by field, the
        first card's word; its key is the first card's id)."""
        ids = sorted({i for a in members for i in self.by_address.get(a, ())})
        if not ids:
            return None
        found = [self.cards[i] for i in ids]
        merged = {n: next((v for v in (getattr(f, n) for f in found) if v), "") for n in _MERGED}
        addresses = tuple(dict.fromkeys(a for i in ids for a in self.addresses.get(i, ())))
        return Card(ids[0], addresses=addresses, **merged)

    def widened(self, members: Iterable[str]) -> set[str]:
        """These addresses and every other address on their cards."""
        out = set(members)
        for a in list(out):
            for hex_id in self.by_address.get(a, ()):
                out.update(self.addresses.get(hex_id, ()))
        return out

    def organizations(self, target: str) -> list[str]:
        """What cards say an address (or every address at `@domain`) works for."""
        if target.startswith("@"):
            domain = target[1:]
            addresses = [
                a
                for a in self.by_address
                if a.rpartition("@")[2] == domain or a.rpartition("@")[2].endswith("." + domain)
            ]
        else:
            addresses = [target]
        found = {
            self.cards[i].organization
            for a in addresses
            for i in self.by_address.get(a, ())
            if self.cards[i].organization
        }
        return sorted(found, key=str.casefold)


def address_book(c: ReadConnection) -> AddressBook:
    """Every card in the views, with the links its addresses make."""
    book = AddressBook()
    own: set[str] = set()
    for hex_id, name, org, title, birthday, anniversary, source, mine in c.execute(
        "SELECT id, name, organization, title, birthday, anniversary, source, mine FROM cards"
    ):
        book.cards[hex_id] = Card(hex_id, name, (), org, title, birthday, anniversary, source)
        if mine:
            own.add(hex_id)
    if not book.cards:
        return book
    for address, hex_id in c.execute(
        "SELECT address, card FROM card_addresses ORDER BY card, position"
    ):
        book.by_address.setdefault(address, []).append(hex_id)
        book.addresses.setdefault(hex_id, []).append(address)
    unlinked = {(a, b) for a, b in c.execute("SELECT a, b FROM directives WHERE kind = 'unlink'")}
    for hex_id, members in book.addresses.items():
        if hex_id in own:
            book.own.update(members)
            continue
        head = members[0]
        for other in members[1:]:
            if tuple(sorted((head, other))) not in unlinked:
                book.links.append((head, other))
    return book


def carded(c: ReadConnection) -> bool:
    """True if the views hold any card."""
    return c.execute("SELECT 1 FROM cards LIMIT 1").fetchone() is not None


def own_suggestions(book: AddressBook, me: Sequence[str]) -> list[tuple[str, str]]:
    """Addresses on self's own card that are not configured as self, with the evidence."""
    mine = set(me)
    return [(a, "on your own contact card") for a in sorted(book.own - mine)]
