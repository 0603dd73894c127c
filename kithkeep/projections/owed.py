"""Replies owed: personal mail to self that self has not answered, newest first.

Personal: inbound mail, not noise (nor automated), written to at most
`OWED_MAX_AUDIENCE` people, from someone it counts as contact with. Answered: self
wrote in its thread afterwards (or wrote to its sender under the same subject, where a
mailer kept no thread headers), or met its sender afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kithkeep.domain.rules import DAY, OWED_MAX_AUDIENCE, OWED_WITHIN_DAYS, bare_subject
from kithkeep.projections.reading import ReadConnection


@dataclass(frozen=True, slots=True)
class Owed:
    at: int
    sender: str
    subject: str
    audience: int

    def as_json(self, iso: Any, now: int) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "from": self.sender,
            "subject": self.subject,
            "audience": self.audience,
            "waiting_days": (now - self.at) // DAY,
        }


def owed(c: ReadConnection, *, at: int, after_days: int, member: str | None = None) -> list[Owed]:
    """Replies owed at `at`: mail that came `after_days` to `OWED_WITHIN_DAYS` days before;
    on a team's store (`member`), only mail to that member (never another's subjects)."""
    mine = (
        "AND EXISTS (SELECT 1 FROM team_contacts t WHERE t.iid = i.iid AND t.member = ?) "
        if member is not None
        else ""
    )
    rows = c.execute(
        "SELECT i.at, i.sender, i.subject, i.thread, i.audience FROM interactions i "
        "WHERE i.kind = 'email' AND i.direction = 'inbound' AND i.noise = '' "
        "AND i.audience <= ? AND i.at > ? AND i.at <= ? AND EXISTS (SELECT 1 FROM "
        "participants p WHERE p.iid = i.iid AND p.address = i.sender AND p.contact = 1) "
        f"{mine}ORDER BY i.at DESC",
        (
            OWED_MAX_AUDIENCE,
            at - OWED_WITHIN_DAYS * DAY,
            at - after_days * DAY,
            *([member] if member is not None else []),
        ),
    ).fetchall()
    out: list[Owed] = []
    seen: set[tuple[str, str]] = set()
    for when, sender, subject, thread, audience in rows:
        topic = bare_subject(subject)
        if (sender, topic) in seen:
            continue  # their newest mail on it stands for the rest
        seen.add((sender, topic))
        if not _answered(c, when, at, sender, thread, topic):
            out.append(Owed(when, sender, subject, audience))
    return out


def _answered(c: ReadConnection, when: int, at: int, sender: str, thread: str, topic: str) -> bool:
    if c.execute(
        "SELECT 1 FROM interactions WHERE thread = ? AND at > ? AND at <= ? "
        "AND direction = 'outbound' LIMIT 1",
        (thread, when, at),
    ).fetchone():
        return True
    for how, subject in c.execute(
        "SELECT p.how, i.subject FROM participants p JOIN interactions i ON i.iid = p.iid "
        "WHERE p.address = ? AND p.at > ? AND p.at <= ? AND p.contact = 1 "
        "AND p.how IN ('out', 'meet')",
        (sender, when, at),
    ):
        if how == "meet" or bare_subject(subject) == topic:
            return True
    return False
