"""Questions: `people`, `due`, `person`, `digest`, `status`, `upcoming`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from kithkeep.domain.errors import ConfigError, KithkeepError
from kithkeep.projections import queries, standing, timeline
from kithkeep.services.cli.common import (
    AsOfOpt,
    JsonOpt,
    LimitOpt,
    app,
    current_paths,
    day,
    moment_of,
    print_json,
    query_conn,
)
from kithkeep.services.cli.output import FormatOpt, human_date, output_format
from kithkeep.services.cli.render import (
    NOTES,
    ROLES,
    UNCOUNTED,
    ago,
    ledgers_at,
    print_answers,
    render_people,
    with_ledger,
)
from kithkeep.services.cli.safe import safe


@app.command()
def people(
    sort: Annotated[
        str, typer.Option("--sort", help="last | name | overdue | strength, e.g. --sort overdue.")
    ] = "last",
    limit: LimitOpt = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    format_: FormatOpt = None,
    company: Annotated[
        str | None,
        typer.Option(
            "--company", help="Only people at this organization (or domain), e.g. --company acme."
        ),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Automated senders too, each with its reason.")
    ] = False,
) -> None:
    """Everyone you have been in touch with: last contact, cadence, when due, strength."""
    if sort not in ("last", "name", "overdue", "strength"):
        raise ConfigError(f"--sort {sort!r}: expected last, name, overdue or strength")
    fmt = output_format(format_, json_)
    moment = moment_of(as_of)
    conn, policy = query_conn()
    cadence_days = policy.default_cadence_days
    now = int(datetime.now(UTC).timestamp())
    if company is not None:
        from kithkeep.projections.book import address_book
        from kithkeep.projections.companies import at_company, only

        everyone = queries.people(conn, now=now, default_cadence=cadence_days, as_of=moment)
        chosen = at_company(everyone, company, address_book(conn))
        if fmt != "json":
            render_people(queries.sort_people(chosen, sort)[:limit], title=f"At {company}", fmt=fmt)
            return
    if fmt == "json":
        found = queries.answers(
            conn, now=now, default_cadence=cadence_days, as_of=moment, include_automated=all_
        )
        if company is not None:
            found = only(found, chosen)
        rows = queries.sort_people(found, sort)[:limit]
        ledger = ledgers_at(conn, policy, moment or now)
        print_answers([with_ledger(a, ledger) for a in rows])
        return
    found_people = queries.people(
        conn, now=now, default_cadence=cadence_days, as_of=moment, include_automated=all_
    )
    render_people(
        queries.sort_people(found_people, sort)[:limit], title="People", fmt=fmt, at=moment
    )


@app.command()
def due(
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    limit: LimitOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Who to get in touch with now: relationships past their rhythm, what is at stake
    (strength x lateness) first, each with why."""
    fmt = output_format(format_, json_)
    moment = moment_of(as_of)
    conn, policy = query_conn()
    cadence_days = policy.default_cadence_days
    now = int(datetime.now(UTC).timestamp())
    if fmt == "json":
        fast = None if moment else queries.due_json(conn, now=now, default_cadence=cadence_days)
        if fast is not None:
            sys.stdout.write("[" + ",".join(fast[:limit]) + "]\n")
            return
        found = queries.answers(
            conn, now=now, default_cadence=cadence_days, as_of=moment, only_due=True
        )
        print_answers(queries.due(found)[:limit])
        return
    people_due = queries.people(
        conn, now=now, default_cadence=cadence_days, as_of=moment, only_due=True
    )
    render_people(
        queries.due(people_due)[:limit], title="Due for a word from you", fmt=fmt, at=moment
    )


@app.command()
def person(
    who: Annotated[
        str, typer.Argument(help="An address or (part of) a name, e.g. ada@example.com.")
    ],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Timeline entries, e.g. 100.")] = 30,
) -> None:
    """One relationship: its numbers, a sparkline of two years, the timeline."""
    moment = moment_of(as_of)
    conn, policy = query_conn()
    cadence_days = policy.default_cadence_days
    now = int(datetime.now(UTC).timestamp())
    at = moment or now
    from kithkeep.projections import lookup

    found = queries.people(
        conn, now=now, default_cadence=cadence_days, as_of=moment, include_automated=True
    )
    matches = lookup.find_person(found, who)
    if not matches:
        n, reasons = lookup.not_counted(conn, who.strip().lower(), at)
        if n:
            from kithkeep.domain.senders import automated_reason

            rule = automated_reason(who.strip().lower())
            words = [NOTES.get(r, r) for r in reasons]
            if rule:
                words.insert(0, f"automated sender ({rule})")
            why = ", ".join(words) or "none was mail to you, or from you"
            raise KithkeepError(f"{who} does not count: {n} interactions, none a contact ({why})")
        raise KithkeepError(f"no one matches {who!r} (try an address, or `kithkeep people`)")
    if len(matches) > 1:
        some = ", ".join(f"{m.name} <{m.key}>" for m in matches[:10])
        raise KithkeepError(f"{len(matches)} people match {who!r}: {some}; give an address")
    p = matches[0]
    entries = timeline.timeline(conn, p.addresses, at, limit, policy.viewer)
    months = timeline.monthly_contacts(conn, p.addresses, at)
    from kithkeep.projections.referrals import merged

    ledger = merged(ledgers_at(conn, policy, at), p.addresses)
    facts = [] if p.bond is None else standing.facts(conn, p.addresses, at, p.bond)
    if json_:
        data = p.as_json()
        data["facts"] = facts
        data.update(ledger.as_json())
        data["last_referral_given"] = queries.iso(ledger.last_given)
        data["last_referral_received"] = queries.iso(ledger.last_received)
        data["contacts_per_month"] = months
        data["timeline"] = [
            {
                "at": queries.iso(e.at),
                "kind": e.kind,
                "direction": e.direction,
                "subject": e.subject,
                "role": e.role,
                "contact": e.counts,
                "noise": e.noise.split(",") if e.noise else [],
            }
            for e in entries
        ]
        print_json(data)
        return
    from rich.table import Table
    from rich.text import Text

    from kithkeep.services.cli.output import every, screen

    console = screen()
    name = safe(p.name, markup=False)
    addresses = Text(safe(", ".join(p.addresses), markup=False))
    console.print(Text(name, style="bold") + "  " if name else Text(), addresses)
    if p.card is not None:
        facts = [
            ", ".join(x for x in (p.card.title, p.card.organization) if x),
            f"birthday {p.card.birthday}" if p.card.birthday else "",
            f"card from {p.card.source}" if p.card.source else "",
        ]
        line = safe(" · ".join(f for f in facts if f), markup=False)
        console.print(line, markup=False, highlight=False)
    console.print(
        f"last contact {ago(p.last_contact, at)} · {p.interactions} contacts · "
        f"{every(p.cadence_days)} ({p.cadence_source}) · due {human_date(p.due_at, at)}"
    )
    fading = " · fading" if p.fading else ""
    console.print(f"strength {p.strength} · {p.tier} · {p.state}{fading}: " + "; ".join(facts))
    if p.automated_reason:
        console.print(f"does not count: automated sender ({p.automated_reason})")
    console.print(f"24 months: {timeline.sparkline(months)}")
    ratio = ledger.initiative_ratio
    console.print(
        f"introductions: you made {ledger.given} for them (last {day(ledger.last_given) or '—'})"
        f", they made {ledger.received} for you (last {day(ledger.last_received) or '—'})"
        + ("" if ratio is None else f" · they start {ratio:.0%} of your threads (last year)")
    )
    table = Table()
    for col in ("when", "", "subject", "note"):
        table.add_column(col, overflow="fold")  # wrapped, never cut
    for e in entries:
        kind = ROLES.get(e.role, e.role)
        note = ", ".join(NOTES.get(r, r) for r in e.noise.split(",")) if e.noise else ""
        if not note and not e.counts:
            note = UNCOUNTED.get(e.role, "not a contact")
        when = f"{datetime.fromtimestamp(e.at, UTC):%Y-%m-%d}"
        table.add_row(when, kind, *(Text(safe(v, markup=False)) for v in (e.subject, note)))
    console.print(table)


@app.command()
def digest(
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="People due shown, e.g. 5.")] = 10,
) -> None:
    """Today's short list: introductions to follow up, and people due."""
    from kithkeep.services.usecases.digest import build

    moment = moment_of(as_of)
    conn, policy = query_conn()
    at = moment or int(datetime.now(UTC).timestamp())
    today = build(conn, policy, at, moment)
    if json_:
        print_json(today.as_json(limit))
        return
    text = today.text(limit)
    typer.echo("".join(safe(line, markup=False) + "\n" for line in text.splitlines()), nl=False)


@app.command()
def status(json_: JsonOpt = False) -> None:
    """Where the data lives, what is stored, how far the views have got."""
    from kithkeep.services.usecases.status import status as read_status

    info = read_status(current_paths())
    if json_:
        print_json(info)
        return
    d = info.pop("daemon")
    typer.echo(f"daemon: {'running, pid ' + str(d['pid']) if d['running'] else 'stopped'}")
    for a in d["accounts"]:
        health = "ok" if a["healthy"] else f"failing ({a['failures']}×): {a['last_error']}"
        upcoming = f"next run {_moment(a['next_run'])}" if d["running"] else "not scheduled"
        typer.echo(
            f"  {a['name']} ({a['type']}): {health}; last success {_moment(a['last_success'])}; "
            f"{upcoming}; added {a['added_total']}"
        )
    for key, value in info.items():
        if isinstance(value, list):
            typer.echo(f"{key}:")
            for item in value:
                typer.echo(f"  {item}")
        else:
            shown = NOT_YET.get(key, "—") if value is None else value
            typer.echo(f"{key}: {shown}")


#: What `status` says of what a new home does not have yet.
NOT_YET = {"config": "none yet (`kithkeep init --me YOU@EXAMPLE.COM`)", "event_store": "none yet"}


def _moment(when: object) -> str:
    """A stored ISO time, to the minute and in UTC, as a person reads it."""
    if not isinstance(when, str):
        return "—"
    return f"{datetime.fromisoformat(when).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@app.command()
def upcoming(
    days: Annotated[int, typer.Option("--days", min=0, max=366, help="How far ahead.")] = 14,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Birthdays and anniversaries from your contact cards, soonest first."""
    from kithkeep.projections.occasions import day_of, sentence
    from kithkeep.services.usecases.digest import upcoming as find

    moment = moment_of(as_of)
    conn, policy = query_conn()
    at = moment or int(datetime.now(UTC).timestamp())
    found = find(conn, policy, at, moment, days)
    if json_:
        print_json([o.as_json() for o in found])
        return
    if not found:
        typer.echo(f"No birthdays or anniversaries in the next {days} days.")
        return
    today = day_of(at)
    for o in found:
        typer.echo(safe(f"{o.on:%a %Y-%m-%d}  {sentence(o, today)}", markup=False))


@app.command()
def company(
    name: Annotated[str, typer.Argument(help="An organization (or part of it), or a domain.")],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """The people at one company, together: by their card's organization or their domain."""
    from kithkeep.projections.book import address_book
    from kithkeep.projections.companies import at_company, only

    moment = moment_of(as_of)
    conn, policy = query_conn()
    now = int(datetime.now(UTC).timestamp())
    cadence_days = policy.default_cadence_days
    found = at_company(
        queries.people(conn, now=now, default_cadence=cadence_days, as_of=moment),
        name,
        address_book(conn),
    )
    chosen = queries.sort_people(found, "name")
    if json_:
        answers = queries.answers(conn, now=now, default_cadence=cadence_days, as_of=moment)
        print_answers(queries.sort_people(only(answers, chosen), "name"))
        return
    if not chosen:
        typer.echo(f"No one at {name}.")
        return
    for p in chosen:
        role = ", ".join(x for x in (p.card.title, p.card.organization) if x) if p.card else ""
        typer.echo(
            f"{p.name or p.key}  <{', '.join(p.addresses)}>"
            + (f"  {role}" if role else "")
            + f"  last contact {ago(p.last_contact, moment or now)}"
        )
