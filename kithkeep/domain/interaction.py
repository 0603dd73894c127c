"""An interaction: one email or one meeting, reduced to metadata.

`Observation` is what a source saw (a plain value, picklable, never provider JSON);
`Interaction` is the aggregate it becomes in the event store. Bodies are never kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from hashlib import sha1
from typing import Any, NamedTuple
from uuid import UUID, uuid5

#: Namespace of every id kithkeep derives with uuid5.
NAMESPACE = UUID("6f1c0b7e-3d4a-5b8e-9a21-4c7d2e5f8a90")


class Kind(StrEnum):
    EMAIL = "email"
    MEETING = "meeting"


class Role(StrEnum):
    TO = "to"
    CC = "cc"
    BCC = "bcc"
    ATTENDEE = "attendee"


class Response(StrEnum):
    """An attendee's answer (iCalendar PARTSTAT), lower-cased."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    NEEDS_ACTION = "needs-action"
    DELEGATED = "delegated"
    UNKNOWN = ""


class Signal(StrEnum):
    """Raw observations about a message that the noise rules judge (kept, so rules can change)."""

    LIST_ID = "list-id"
    LIST_UNSUBSCRIBE = "list-unsubscribe"
    PRECEDENCE = "precedence"  # value kept in Observation.precedence
    AUTO_SUBMITTED = "auto-submitted"
    DRAFT = "draft"
    CANCELLED = "cancelled"
    AUTO_REPLY = "auto-reply"


#: A display name (or an address book's line) longer than this is cut: a stranger writes
#: it, and a header may hold a quarter of a megabyte of one.
NAME_CHARS = 200


class Party(NamedTuple):
    """Someone on an interaction: a normalised address, the display name seen, a role.

    A tuple, because millions are made and stored: it is its own event state.
    `role` and `response` hold the values of `Role` and `Response` (compare with ==).
    """

    address: str
    name: str = ""
    role: str = Role.TO
    response: str = Response.UNKNOWN


class _ObservationFields(NamedTuple):
    kind: Kind
    natural_key: str
    occurred_at: datetime
    sender: Party | None
    parties: tuple[Party, ...]
    subject: str = ""
    thread_key: str = ""
    message_id: str = ""
    signals: tuple[str, ...] = ()
    date_source: str = "header"
    origin: str = ""


class Observation(_ObservationFields):
    """One interaction as a source saw it, before it is stored.

    A tuple: pages of them cross a process boundary, and tuples pickle fastest.
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Observation:
        self = super().__new__(cls, *args, **kwargs)
        if self.occurred_at.tzinfo is None:
            msg = "occurred_at must be timezone-aware"
            raise ValueError(msg)
        return self

    @property
    def interaction_id(self) -> UUID:
        return interaction_id(self.natural_key)


def interaction_id(natural_key: str) -> UUID:
    return uuid5(NAMESPACE, "interaction:" + natural_key)


def mail_key(
    message_id: str,
    date: datetime | None,
    sender: str,
    recipients: list[str],
    subject: str,
) -> str:
    """The natural identity of a mail message.

    Every copy of one message shares Date, From, To/Cc and Subject, even where an
    archive gave each copy its own Message-ID (the Enron sample does, across `sent`,
    `_sent_mail` and `all_documents`). Bcc is left out: only the sender's copy has it.
    Without a usable Date the Message-ID is the identity.
    """
    if date is not None and sender:
        material = "\x1f".join(
            [
                str(int(date.timestamp())),
                sender,
                ",".join(sorted(set(recipients))),
                " ".join(subject.split()).casefold(),
            ]
        )
        return "mail:" + sha1(material.encode("utf-8", "surrogatepass")).hexdigest()
    if message_id:
        return "msgid:" + message_id
    return ""


def meeting_key(uid: str, recurrence_id: datetime | None) -> str:
    if recurrence_id is None:
        return "ical:" + uid
    return f"ical:{uid}:{int(recurrence_id.timestamp())}"
