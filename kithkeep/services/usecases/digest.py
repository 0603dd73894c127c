"""Today's short list: introductions to follow up, people due (what is at stake first),
replies owed, relationships fading. For the CLI and the daemon."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kithkeep.domain.errors import ConnectorError
from kithkeep.domain.introductions import CONNECTED, MADE_ONE_SIDED, RECEIVED
from kithkeep.domain.rules import DAY, Policy
from kithkeep.projections import occasions, queries
from kithkeep.projections import referrals as ledger
from kithkeep.projections.owed import Owed
from kithkeep.projections.reading import ReadConnection
from kithkeep.services.config.settings import Settings
from kithkeep.services.usecases.relationships import replies_owed

#: The digest looks this many days ahead for birthdays and anniversaries (a week).
WEEK_AHEAD = 6

_URGENCY = {"follow_up_due": 0, "awaiting": 1, "acknowledged": 2, "followed_up": 3}


def by_urgency(found: list[ledger.Referral]) -> list[ledger.Referral]:
    return sorted(
        found, key=lambda r: (_URGENCY.get(r.status, 9), r.next_follow_up_at or 0, -r.made_at)
    )


def first_name(label: str) -> str:
    """What to call someone: the first word of a name, or of an address like first.last@."""
    if "@" in label:
        local = label.partition("@")[0]
        return local.split(".")[0].capitalize() if "." in local else label
    return label.rsplit(", ", maxsplit=1)[-1].split(maxsplit=1)[0] if label.strip() else label


def reminder(r: ledger.Referral, names: dict[str, str]) -> str:
    """What to do about a referral due for follow-up, in words."""
    if r.kind == MADE_ONE_SIDED:
        told = [p for p in r.parties if p not in {n.token for n in r.named}]
        referred = [r.label(n.token, names) for n in r.named] or ["the person you named"]
        asked = " and ".join(first_name(r.label(p, names)) for p in told)
        return f"ask {asked} whether they reached {' and '.join(referred)}"
    who = " and ".join(r.label(p, names) for p in r.parties)
    return f"{who}: introduced {_day(r.made_at)}, check in"


@dataclass(frozen=True)
class Digest:
    at: int
    follow_ups: list[ledger.Referral]
    people_due: list[queries.Person]
    names: dict[str, str]
    occasions: list[occasions.Occasion] = field(default_factory=list)
    #: Received referrals that led to two-way contact since the last digest: say thanks.
    thanks: list[ledger.Referral] = field(default_factory=list)
    owed: list[Owed] = field(default_factory=list)
    fading: list[queries.Person] = field(default_factory=list)

    def as_json(self, limit: int) -> dict[str, Any]:
        return {
            "at": queries.iso(self.at),
            "thank": [
                {"referrer": r.party(r.introducer, self.names), "referral": r.as_json(self.names)}
                for r in self.thanks
            ],
            "follow_ups_due": [r.as_json(self.names) for r in self.follow_ups],
            "people_due": [p.as_json() for p in self.people_due[:limit]],
            "people_due_total": len(self.people_due),
            "occasions": [o.as_json() for o in self.occasions],
            "replies_owed": [o.as_json(queries.iso, self.at) for o in self.owed[:limit]],
            "fading": [p.as_json() for p in self.fading[:limit]],
        }

    def text(self, limit: int) -> str:
        """Plain lines (also valid Markdown): what the daemon writes to digest/DATE.md."""
        lines = [f"# Digest for {_day(self.at)}", ""]
        if self.thanks:
            lines.append(f"## Referrals that led somewhere ({len(self.thanks)})")
            for r in self.thanks:
                people = ", ".join(r.label(p, self.names) for p in r.parties[1:])
                lines.append(f"- thank {r.label(r.introducer, self.names)} (for {people})")
            lines.append("")
        lines.append(f"## Introductions to follow up ({len(self.follow_ups)})")
        for r in self.follow_ups[:limit]:
            lines.append(f"- {r.id}  {reminder(r, self.names)} (due {_day(r.next_follow_up_at)})")
        lines += ["", f"## People due for a word from you ({len(self.people_due)})"]
        for p in self.people_due[:limit]:
            last = (p.last_contact or "")[:10]
            who = f"{p.name} <{p.key}>" if p.name else p.key
            lines.append(f"- {who}: last contact {last}, {p.overdue_days} d overdue ({p.why})")
        if len(self.people_due) > limit:
            lines.append(f"- … and {len(self.people_due) - limit} more (kithkeep due)")
        if self.occasions:
            today = occasions.day_of(self.at)
            lines += ["", f"## Birthdays and anniversaries this week ({len(self.occasions)})"]
            lines += [f"- {occasions.sentence(o, today)}" for o in self.occasions]
        lines += ["", f"## Replies owed ({len(self.owed)})"]
        for o in self.owed[:limit]:
            lines.append(f"- {_day(o.at)} {o.sender}: {o.subject or '(no subject)'}")
        lines += ["", f"## Fading ({len(self.fading)})"]
        for p in self.fading[:limit]:
            who = f"{p.name} <{p.key}>" if p.name else p.key
            lines.append(f"- {who}: {p.tier}, strength {p.strength} now")
        return "\n".join(lines) + "\n"


def build(conn: ReadConnection, policy: Policy, at: int, as_of: int | None) -> Digest:
    found = ledger.referrals_for(conn, policy, at)
    follow = by_urgency([r for r in found if r.status == "follow_up_due"])
    thanks = [
        r
        for r in found
        if r.kind == RECEIVED
        and r.introducer
        and r.status == CONNECTED
        and r.evidence is not None
        and at - DAY < r.evidence.at <= at  # the day's digest says it once
    ]
    shown = [*follow, *thanks]
    names = ledger.names_for(conn, [p for r in shown for p in (*r.parties, r.introducer)])
    days = policy.default_cadence_days
    people = queries.people(conn, now=at, default_cadence=days, as_of=as_of, only_due=True)
    everyone = queries.people(conn, now=at, default_cadence=days, as_of=as_of)
    fading = sorted((p for p in everyone if p.fading), key=lambda p: (-p.strength, p.key))
    owed = replies_owed(conn, policy, at)
    week = occasions.upcoming(conn, at=at, days=WEEK_AHEAD, default_cadence=days, as_of=as_of)
    return Digest(at, follow, queries.due(people), names, week, thanks, owed, fading)


def upcoming(
    conn: ReadConnection, policy: Policy, at: int, as_of: int | None, days: int
) -> list[occasions.Occasion]:
    """Birthdays and anniversaries from the day of `at` to `days` days ahead."""
    return occasions.upcoming(
        conn, at=at, days=days, default_cadence=policy.default_cadence_days, as_of=as_of
    )


def _day(t: int | None) -> str:
    return "" if t is None else f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d}"


SMTP_SECRET = "smtp"


def mail(text: str, day: str, settings: Settings) -> None:
    """Send the digest to self over SMTP; raises ConnectorError with a one-line reason."""
    import smtplib
    import ssl
    from email.message import EmailMessage

    from kithkeep.services.config.secrets import get_secret

    cfg = settings.digest
    sender = cfg.smtp_from or (settings.me[0] if settings.me else "")
    to = cfg.smtp_to or sender
    if not to:
        raise ConnectorError("digest mail: no address to send it to (set [digest] smtp_to)")
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = f"kithkeep digest {day}"
    message["Auto-Submitted"] = "auto-generated"  # kithkeep itself counts it as noise
    message.set_content(text)
    context = ssl.create_default_context()
    try:
        if cfg.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.smtp_host, cfg.smtp_port, timeout=30, context=context
            )
        else:
            client = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=30)
        with client:
            if cfg.smtp_security == "starttls":
                client.starttls(context=context)
            if cfg.smtp_user:
                password = get_secret(settings.paths, SMTP_SECRET)
                if password is None:
                    raise ConnectorError(
                        "digest mail: no SMTP password kept (run `kithkeep smtp-password`)"
                    )
                client.login(cfg.smtp_user, password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise ConnectorError(
            f"digest mail: {cfg.smtp_host} refused the login of {cfg.smtp_user}"
        ) from None
    except (smtplib.SMTPException, OSError) as e:
        # The reason only: never the message, the password or the conversation.
        raise ConnectorError(
            f"digest mail: {cfg.smtp_host}:{cfg.smtp_port}: {type(e).__name__}"
        ) from None
