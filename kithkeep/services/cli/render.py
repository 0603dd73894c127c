"""How answers look on a terminal: tables, progress bars, import reports, JSON rows."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kithkeep.services.cli.safe import safe

if TYPE_CHECKING:
    from kithkeep.domain.rules import Policy
    from kithkeep.projections.queries import Answer, Person
    from kithkeep.projections.reading import ReadConnection
    from kithkeep.projections.referrals import Ledger
    from kithkeep.projections.suggestions import Suggestion
    from kithkeep.services.cli.output import Format
    from kithkeep.services.usecases.pull import Report

#: Told how far an import or sync has got: work done, work in all (0: unknown).
Progress = Callable[[int, int], None]


def progress_bar(description: str = "importing") -> Progress | None:
    """A transient bar on a terminal's stderr; None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(description, total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total or None)
        if total and done >= total:
            bar.stop()

    return update


#: A timeline entry's role, as the table shows it.
ROLES = {
    "to": "→ to",
    "to-cc": "→ cc",
    "to-bcc": "→ bcc",
    "from": "← from",
    "cc": "← cc'd",
    "meeting": "meeting",
}
#: Why an interaction is not a contact (`rules.noise_reasons`), in words.
NOTES = {
    "list-id": "bulk (mailing list)",
    "list-unsubscribe": "bulk (unsubscribe link)",
    "auto-submitted": "automated (Auto-Submitted)",
    "automated-sender": "automated sender",
    "date-unknown": "date unknown",
    "audience": "too many recipients",
    "draft": "draft",
    "auto-reply": "auto-reply",
}

#: Why an entry with no noise is not a contact, by its role.
UNCOUNTED = {
    "meeting": "not a contact (declined, cancelled, or not yet)",
    "cc": "you were only cc'd on mail between others",
    "from": "not to you: you were in neither To nor Cc (Bcc'd, or a list)",
    "to": "not a contact",
}

_NOTES = {
    "junk": "skipped: {n} in junk folders",
    "trash": "skipped: {n} in trash folders",
    "spam": "skipped: {n} labelled spam",
    "draft": "skipped: {n} drafts",
    "time-zone copy": "{n} copies whose Date an export shifted by whole hours, merged",
}


def render_report(report: Report, path: Path) -> None:
    typer.echo(
        f"Imported {report.added} new interactions from {path}: "
        f"{report.copies} copies within this import, {report.already_known} already known, "
        f"{report.noise} noise (kept, never counted), {report.skipped} skipped, "
        f"{sum(report.problems.values())} problems."
    )
    if report.cards_read:
        typer.echo(
            f"  {report.cards_read} contact cards read: {report.cards} new or changed"
            + (f", {report.cards_withdrawn} withdrawn" if report.cards_withdrawn else "")
        )
    for reason, n in sorted(report.notes.items()):
        line = _NOTES[reason].format(n=n) if reason in _NOTES else f"{n} × {reason}"
        typer.echo(f"  {line}")
    for source, n in sorted(report.fallbacks.items()):
        label = {
            "received": "its Received: header",
            "file": "the file's own time (date unknown: kept, never counted as contact)",
        }.get(source, source)
        typer.echo(f"  {n} with a missing or implausible Date took it from {label}")
    for reason, n in report.problems.most_common():
        example = safe(report.examples[reason], markup=False)
        typer.echo(f"  {n} unreadable: {reason} (e.g. {example})")


def ago(when: str | None, now: int) -> str:
    from kithkeep.services.cli.output import human_date

    return human_date(when, now)


def ledgers_at(conn: ReadConnection, policy: Policy, at: int) -> dict[str, Ledger]:
    """Each address's introductions ledger as it stood at `at`."""
    from kithkeep.projections import referrals as ledger

    return ledger.ledgers(conn, ledger.referrals_for(conn, policy, at), at)


def with_ledger(answer: Answer, ledgers: dict[str, Ledger]) -> Answer:
    """The person's JSON object with the introductions ledger's three fields added."""
    from kithkeep.projections.referrals import merged

    extra = json.dumps(merged(ledgers, answer.addresses).as_json(), separators=(",", ":"))
    return answer._replace(json=answer.json[:-1] + "," + extra[1:])


def print_answers(rows: list[Answer]) -> None:
    sys.stdout.write("[" + ",".join(a.json for a in rows) + "]\n")


def render_people(
    rows: list[Person], title: str, fmt: Format = "table", at: int | None = None
) -> None:
    """People as a table (human dates, counted at `at`: an --as-of moment, else now) or as
    TSV lines with full values (ISO dates)."""
    from kithkeep.services.cli.output import Listing, emit, every, human_date

    now = at if at is not None else int(datetime.now(UTC).timestamp())
    if fmt == "tsv":
        listing = Listing(("name", "addresses", "last_contact", "cadence_days", "due_at",
                           "overdue_days", "strength", "tier", "state"))  # fmt: skip
        for p in rows:
            listing.add(
                p.name or "",
                ",".join(p.addresses),
                p.last_contact or "",
                str(p.cadence_days),
                p.due_at or "",
                "" if p.overdue_days is None else str(p.overdue_days),
                str(p.strength),
                p.tier,
                p.state,
            )
        emit(listing, fmt)
        return
    listing = Listing(
        ("name", "address", "last contact", "cadence", "due", "strength"), title=title
    )
    for p in rows:
        listing.add(
            p.name or "",
            ", ".join(p.addresses),
            human_date(p.last_contact, now),
            f"{every(p.cadence_days)} ({p.cadence_source})",
            human_date(p.due_at, now) if p.due_at else "",
            f"{p.strength} {p.tier}" + (" (fading)" if p.fading else ""),
        )
    emit(listing, fmt)


def print_suggestions(found: list[Suggestion], json_: bool, hint: str, *, ids: bool) -> None:
    """Suggestions (`me suggest`, `merges`): each with its evidence, then what to do."""
    if json_:
        sys.stdout.write(json.dumps([s.as_json() for s in found]) + "\n")
        return
    if not found:
        typer.echo("No suggestions.")
        return
    for s in found:
        head = f"{s.id}  " if ids else ""
        typer.echo(f"{head}{' + '.join(s.addresses)}: {'; '.join(s.evidence)}")
    typer.echo(hint)
