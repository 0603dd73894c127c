"""Contact cards into the views: what each `Contact` event writes (`book` reads them)."""

from __future__ import annotations

from typing import Any

from kithkeep.domain.aggregates import Contact
from kithkeep.domain.rules import Policy
from kithkeep.projections.directives import Cursor

#: What one card event writes: its (hex) id, then its fields (None: it is withdrawn).
CardRow = tuple[str, "tuple[str, str, str, str, str, str, int, tuple[str, ...]] | None"]


def card_row(event: Contact.Event, policy: Policy) -> CardRow | None:
    """The row a card event writes, worked out without the database."""
    e: Any = event
    hex_id = e.originator_id.hex
    if isinstance(e, Contact.Withdrawn):
        return hex_id, None
    if not isinstance(e, Contact.Seen | Contact.Revised):
        return None
    card = e.card
    addresses = tuple(card["addresses"])
    mine = int(any(policy.is_self(a) for a in addresses))
    name, org, title, birthday, anniversary, source = (
        str(card[f]) for f in ("name", "organization", "title", "birthday", "anniversary", "source")
    )
    return hex_id, (name, org, title, birthday, anniversary, source, mine, addresses)


def apply_card(c: Cursor, row: CardRow) -> None:
    """One card's row into the views, in `c`'s transaction (replacing what it said)."""
    hex_id, fields = row
    c.execute("DELETE FROM cards WHERE id = ?", (hex_id,))
    c.execute("DELETE FROM card_addresses WHERE card = ?", (hex_id,))
    if fields is None:
        return
    *values, addresses = fields
    c.execute("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (hex_id, *values))
    for position, address in enumerate(addresses):
        c.execute(
            "INSERT INTO card_addresses (address, card, position) VALUES (?, ?, ?)",
            (address, hex_id, position),
        )
