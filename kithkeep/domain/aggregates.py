"""The aggregates: what the event store keeps. Events are past-tense classes nested in them.

`Interaction` is one email or meeting, recorded once under an id derived from its
natural key; `Contact` is one address-book card (an identity, never an interaction);
`SyncPosition` is a source's cursor; `Directives` holds the user's
directives (link, unlink, cadence, ignore); `Referrals` the user's word on referrals;
`Forgotten` the people forgotten, as salted hashes only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from kithkeep.domain.card import Card, card_id
from kithkeep.domain.forgetting import Door
from kithkeep.domain.interaction import (
    NAMESPACE,
    Kind,
    Observation,
    Party,
    interaction_id,
)

#: The directives' one aggregate (its id keeps the name it was first stored under).
DIRECTIVES_ID = uuid5(NAMESPACE, "address-book")


def position_id(source_key: str) -> UUID:
    return uuid5(NAMESPACE, "position:" + source_key)


def _parties_to_state(parties: tuple[Party, ...]) -> list[list[str]]:
    return [list(p) for p in parties]


def _parties_from_state(state: list[list[str]]) -> tuple[Party, ...]:
    make = tuple.__new__
    # Stored parties have every field; older ones may lack the last (made with defaults).
    return tuple(make(Party, p) if len(p) == 4 else Party(*p) for p in state)


class Interaction(Aggregate):
    """One email or meeting, identified by its natural key; recorded once."""

    class Observed(Aggregate.Created):
        natural_key: str
        kind: str
        occurred_at: datetime
        sender: list[str] | None
        parties: list[list[str]]
        subject: str
        thread_key: str
        message_id: str
        signals: list[str]

    @event(Observed)
    def __init__(
        self,
        natural_key: str,
        kind: str,
        occurred_at: datetime,
        sender: list[str] | None,
        parties: list[list[str]],
        subject: str,
        thread_key: str,
        message_id: str,
        signals: list[str],
    ) -> None:
        self.natural_key = natural_key
        self.kind = kind
        self.occurred_at = occurred_at
        self.sender = sender
        self.parties = parties
        self.subject = subject
        self.thread_key = thread_key
        self.message_id = message_id
        self.signals = signals
        self.withdrawn = False

    class Withdrawn(Aggregate.Event):
        reason: str

    class Restored(Aggregate.Event):
        pass

    @event(Withdrawn)
    def withdraw(self, reason: str) -> None:
        """The source no longer has it (deleted, expunged, moved to Trash or Junk)."""
        self.withdrawn = True

    @event(Restored)
    def restore(self) -> None:
        """Seen again after it was withdrawn."""
        self.withdrawn = False

    class Revised(Aggregate.Event):
        occurred_at: datetime
        sender: list[str] | None
        parties: list[list[str]]
        subject: str
        thread_key: str
        message_id: str
        signals: list[str]

    @event(Revised)
    def revise(
        self,
        occurred_at: datetime,
        sender: list[str] | None,
        parties: list[list[str]],
        subject: str,
        thread_key: str,
        message_id: str,
        signals: list[str],
    ) -> None:
        """The source changed it (a meeting moved, an attendee's answer changed)."""
        self.occurred_at = occurred_at
        self.sender = sender
        self.parties = parties
        self.subject = subject
        self.thread_key = thread_key
        self.message_id = message_id
        self.signals = signals

    def revision(self, o: Observation) -> dict[str, Any] | None:
        """The fields `o` changes, all of them, or None when it says what is known."""
        new: dict[str, Any] = {
            "occurred_at": o.occurred_at,
            "sender": [o.sender.address, o.sender.name] if o.sender else None,
            "parties": _parties_to_state(o.parties),
            "subject": o.subject,
            "thread_key": o.thread_key,
            "message_id": o.message_id,
            "signals": list(o.signals),
        }
        old = {k: getattr(self, k) for k in new}
        old["parties"] = [list(p) for p in old["parties"]]
        old["sender"] = list(old["sender"]) if old["sender"] else None
        return None if old == new else new

    @classmethod
    def create_id(cls, natural_key: str, **_: Any) -> UUID:
        return interaction_id(natural_key)

    @classmethod
    def observed(
        cls, o: Observation, timestamp: datetime, uid: UUID | None = None
    ) -> Interaction.Observed:
        """The event that creates this aggregate, made directly: a page holds hundreds."""
        # Made as the library's mapper makes a stored event (a frozen dataclass sets its
        # fields one `object.__setattr__` at a time, which costs as much as writing it).
        event: Interaction.Observed = object.__new__(cls.Observed)
        event.__dict__.update(
            originator_id=uid or interaction_id(o.natural_key),
            originator_version=1,
            timestamp=timestamp,
            originator_topic=_INTERACTION_TOPIC,
            natural_key=o.natural_key,
            kind=o.kind.value,
            occurred_at=o.occurred_at,
            sender=[o.sender.address, o.sender.name] if o.sender else None,
            parties=_parties_to_state(o.parties),
            subject=o.subject,
            thread_key=o.thread_key,
            message_id=o.message_id,
            signals=list(o.signals),
        )
        return event


_INTERACTION_TOPIC = f"{Interaction.__module__}:{Interaction.__qualname__}"


_KINDS = {k.value: k for k in Kind}


def observation_from_state(state: dict[str, Any]) -> Observation:
    """Rebuild the value a projection reasons about from an `Observed` event's state."""
    sender = state["sender"]
    occurred_at = state["occurred_at"]
    if occurred_at.tzinfo is None:
        msg = "occurred_at must be timezone-aware"
        raise ValueError(msg)
    # Made as the plain tuple it is (positional, in `Observation`'s field order): this
    # runs once per stored event whenever the views are built.
    fields = (
        _KINDS[state["kind"]],
        state["natural_key"],
        occurred_at,
        Party(sender[0], sender[1]) if sender else None,
        _parties_from_state(state["parties"]),
        state["subject"],
        state["thread_key"],
        state["message_id"],
        tuple(state["signals"]),
        "header",
        "",
    )
    return tuple.__new__(Observation, fields)


def _card_fields(card: Card) -> dict[str, Any]:
    """What a card says, as its events keep it (everything but its key)."""
    return {
        "name": card.name,
        "addresses": list(card.addresses),
        "organization": card.organization,
        "title": card.title,
        "birthday": card.birthday,
        "anniversary": card.anniversary,
        "source": card.source,
    }


class Contact(Aggregate):
    """One address-book card, identified by its key in its address book.

    An identity (a name, addresses, an organization, a birthday), never an interaction:
    nothing here counts as being in touch. `card` holds the fields of `domain.card.Card`
    but its key.
    """

    class Seen(Aggregate.Created):
        key: str
        card: dict[str, Any]

    @event(Seen)
    def __init__(self, key: str, card: dict[str, Any]) -> None:
        self.key = key
        self.card = card
        self.withdrawn = False

    @classmethod
    def create_id(cls, key: str, **_: Any) -> UUID:
        return card_id(key)

    @classmethod
    def seen(cls, card: Card) -> Contact:
        return cls(key=card.key, card=_card_fields(card))

    class Revised(Aggregate.Event):
        card: dict[str, Any]

    @event(Revised)
    def revise(self, card: dict[str, Any]) -> None:
        """The card changed, or was seen again after it was withdrawn."""
        self.card = card
        self.withdrawn = False

    class Withdrawn(Aggregate.Event):
        pass

    @event(Withdrawn)
    def withdraw(self) -> None:
        """Its address book no longer has it."""
        self.withdrawn = True

    def take(self, card: Card) -> bool:
        """Record what `card` says if it says something new; True if it did."""
        new = _card_fields(card)
        if not self.withdrawn and self.card == new:
            return False
        self.revise(new)
        return True


class SyncPosition(Aggregate):
    """The opaque cursor of one source, advanced once per saved page."""

    class Started(Aggregate.Created):
        source_key: str
        cursor: str | None

    @event(Started)
    def __init__(self, source_key: str, cursor: str | None) -> None:
        self.source_key = source_key
        self.cursor = cursor

    @classmethod
    def create_id(cls, source_key: str, **_: Any) -> UUID:
        return position_id(source_key)

    @event("Advanced")
    def advance(self, cursor: str | None) -> None:
        self.cursor = cursor


class Directives(Aggregate):
    """The user's directives about people. Each change is an event; views fold them.

    Stored as `AddressBook` until it was renamed (an address book is a contact card's):
    its old topics still resolve here.
    """

    @event("Opened")
    def __init__(self) -> None:
        self.links: list[list[str]] = []
        self.cadences: dict[str, int] = {}
        self.ignored: list[str] = []

    @classmethod
    def create_id(cls, *_: Any, **__: Any) -> UUID:
        return DIRECTIVES_ID

    @event("Linked")
    def link(self, a: str, b: str) -> None:
        self.links.append([a, b])

    @event("Unlinked")
    def unlink(self, a: str, b: str) -> None:
        self.links = [p for p in self.links if {p[0], p[1]} != {a, b}]

    @event("CadenceSet")
    def set_cadence(self, address: str, days: int | None) -> None:
        if days is None:
            self.cadences.pop(address, None)
        else:
            self.cadences[address] = days

    @event("Ignored")
    def ignore(self, pattern: str) -> None:
        if pattern not in self.ignored:
            self.ignored.append(pattern)

    @event("Unignored")
    def unignore(self, pattern: str) -> None:
        self.ignored = [p for p in self.ignored if p != pattern]

    @event("MergeAccepted")
    def accept_merge(self, a: str, b: str) -> None:
        """A suggested merge taken: the two addresses are one person (a link)."""
        self.links.append([a, b])

    @event("MergeRejected")
    def reject_merge(self, a: str, b: str) -> None:
        """A suggested merge refused: never proposed again."""
        # Older histories were opened before this list existed.
        self.rejected = [*getattr(self, "rejected", []), [a, b]]


register_topic(f"{__name__}:AddressBook", Directives)

REFERRALS_ID = uuid5(NAMESPACE, "referrals")


def referral_id(source: str) -> str:
    """A short, stable id for an introduction: from its message, or from what was logged."""
    return uuid5(NAMESPACE, "referral:" + source).hex[:10]


class Referrals(Aggregate):
    """The user's own word on introductions: made outside mail, dismissed, or closed."""

    @event("Opened")
    def __init__(self) -> None:
        self.logged: list[str] = []
        self.marks: dict[str, str] = {}

    @classmethod
    def create_id(cls, *_: Any, **__: Any) -> UUID:
        return REFERRALS_ID

    @event("Logged")
    def log(self, referral_id: str, a: str, b: str, made_at: datetime, note: str) -> None:
        self.logged.append(referral_id)

    @event("Dismissed")
    def dismiss(self, referral_id: str) -> None:
        self.marks[referral_id] = "dismissed"

    @event("Closed")
    def close(self, referral_id: str) -> None:
        self.marks[referral_id] = "closed"

    @event("Reopened")
    def reopen(self, referral_id: str) -> None:
        self.marks.pop(referral_id, None)


FORGOTTEN_ID = uuid5(NAMESPACE, "forgotten")


class Forgotten(Aggregate):
    """The people forgotten, as salted hashes of their addresses and names (`Door`)."""

    @event("Started")
    def __init__(self, salt: str) -> None:
        self.salt = salt
        self.addresses: list[str] = []
        self.names: list[str] = []

    @classmethod
    def create_id(cls, *_: Any, **__: Any) -> UUID:
        return FORGOTTEN_ID

    @event("Recorded")
    def record(self, addresses: list[str], names: list[str]) -> None:
        """More hashes (salted with `salt`): of addresses, and of names as word sequences."""
        self.addresses += [a for a in addresses if a not in self.addresses]
        self.names += [n for n in names if n not in self.names]

    def door(self) -> Door:
        return Door(self.salt, frozenset(self.addresses), frozenset(self.names))
