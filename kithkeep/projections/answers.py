"""One person's answer, as the read side gives it: a tuple per person, and the JSON text."""

from __future__ import annotations

from json import dumps
from time import gmtime, strftime
from typing import Any, NamedTuple

from kithkeep.domain.card import Card
from kithkeep.domain.strength import Bond
from kithkeep.projections.book import CARD_FIELDS, card_json

__all__ = ["PERSON_FIELDS", "Answer", "Person", "iso"]

PERSON_FIELDS = (
    "name",
    "addresses",
    "first_contact",
    "last_contact",
    "last_outbound",
    "last_inbound",
    "last_meeting",
    "interactions",
    "cadence_days",
    "cadence_source",
    "due_at",
    "overdue_days",
    *CARD_FIELDS,
    "strength",
    "tier",
    "state",
    "fading",
    "automated_reason",
)


class Person(NamedTuple):
    """One person's answer. A tuple: `due` may build tens of thousands.

    Times are ISO-8601 strings in UTC (they sort as they compare), ready for --json.
    """

    key: str
    name: str
    addresses: tuple[str, ...]
    first_contact: str | None
    last_contact: str | None
    last_outbound: str | None
    last_inbound: str | None
    last_meeting: str | None
    interactions: int
    cadence_days: int
    cadence_source: str
    due_at: str | None
    overdue_days: int | None
    #: What the person's contact card says, if they have one.
    card: Card | None = None
    strength: int = 0
    tier: str = ""
    state: str = ""
    #: None where not asked (`due`'s rows).
    fading: bool | None = None
    #: What is at stake (strength x lateness), and why: `due`'s rows only.
    at_stake: float | None = None
    why: str | None = None
    #: The running figures the standing was worked out from.
    bond: Bond | None = None
    #: The automated-sender rule that fired ('' for a person): never due, listed by --all.
    automated_reason: str = ""

    def answer(self) -> Answer:
        text = dumps(self.as_json(), ensure_ascii=False, separators=(",", ":"))
        return Answer(
            self.key,
            self.name,
            self.last_contact,
            self.overdue_days,
            text,
            self.addresses,
            self.at_stake or 0.0,
            self.strength,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name or None,
            "addresses": list(self.addresses),
            "first_contact": self.first_contact,
            "last_contact": self.last_contact,
            "last_outbound": self.last_outbound,
            "last_inbound": self.last_inbound,
            "last_meeting": self.last_meeting,
            "interactions": self.interactions,
            "cadence_days": self.cadence_days,
            "cadence_source": self.cadence_source,
            "due_at": self.due_at,
            "overdue_days": self.overdue_days,
            **card_json(self.card),
            "strength": self.strength,
            "tier": self.tier,
            "state": self.state,
            **({} if self.fading is None else {"fading": self.fading}),
            **({} if self.at_stake is None else {"at_stake": self.at_stake, "why": self.why}),
            "automated_reason": self.automated_reason or None,
        }


class Answer(NamedTuple):
    """A person as --json shows them: what sorting needs, and the JSON object's text."""

    key: str
    name: str
    last_contact: str | None
    overdue_days: int | None
    json: str
    addresses: tuple[str, ...] = ()
    stake: float = 0.0
    strength: int = 0


def iso(t: int | None) -> str | None:
    """ISO-8601 in UTC with its offset (time.strftime: a third faster than datetime)."""
    return None if t is None else strftime("%Y-%m-%dT%H:%M:%S+00:00", gmtime(t))
