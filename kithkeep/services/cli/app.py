"""The command line: parse options, call one service function, render the answer.

Query commands import only what they use (sqlite3, the read side, rich for tables):
they start fast. Known problems are one line on stderr and exit 1; --debug shows
the traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer

from kithkeep.domain.errors import ConfigError, InputError, KithkeepError

app = typer.Typer(
    name="kithkeep",
    help="Keeps your professional network warm: who you last were in touch with, who is due.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state: dict[str, Any] = {"home": None, "debug": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (ISO-8601 dates).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Answer as it stood on this date (YYYY-MM-DD, end of day UTC)."),
]


@app.callback()
def _options(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Config and data folder (default: $KITHKEEP_HOME or the user data dir)."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _state["home"] = home
    _state["debug"] = debug


def _err(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def _paths() -> Any:
    from kithkeep.services.config.settings import Paths, home_dir

    return Paths(home_dir(_state["home"]))


def _settings() -> Any:
    from kithkeep.services.config.settings import load

    return load(_paths().home)


def _as_of(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return int((datetime.combine(day.date(), time.max, UTC)).timestamp())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r}: expected YYYY-MM-DD") from None
    if moment.tzinfo is None:
        raise ConfigError(f"--as-of {value!r}: a time needs an offset (e.g. +00:00)")
    return int(moment.timestamp())


# -- setting up -----------------------------------------------------------------------


@app.command()
def init(
    me: Annotated[
        list[str], typer.Option("--me", help="One of your own addresses; repeat for more.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing config.")] = False,
) -> None:
    """Write a config file naming your own addresses."""
    from kithkeep.services.config.settings import load, write_config

    paths = _paths()
    path = write_config(paths, me, force=force)
    load(paths.home)  # the addresses given must be valid
    typer.echo(f"Wrote {path}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="Maildir, mbox, .eml folder, .ics or Takeout .zip")],
) -> None:
    """Import a mailbox or calendar export (auto-detected); safe to run again."""
    from kithkeep.services.usecases import ingest as operations

    settings = _settings()
    report = operations.import_path(settings, path, progress=_progress_bar())
    _render_report(report, path)
    if report.read == 0 and report.skipped == 0:
        _err(f"nothing could be read from {path}")
        raise typer.Exit(1)


def _progress_bar(description: str = "importing") -> Any:
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


def _render_report(report: Any, path: Path) -> None:
    typer.echo(
        f"Imported {report.added} new interactions from {path} "
        f"({report.duplicates} already known, {report.skipped} skipped as spam/trash)."
    )
    for source, n in sorted(report.fallbacks.items()):
        label = {"received": "its Received: header", "file": "the file's own time"}.get(
            source, source
        )
        typer.echo(f"  {n} with a missing or implausible Date took it from {label}")
    for reason, n in report.problems.most_common():
        typer.echo(f"  {n} unreadable: {reason} (e.g. {report.examples[reason]})")


# -- queries ----------------------------------------------------------------------------


def _query_conn() -> tuple[Any, Any]:
    """A read connection to up-to-date views, and the default cadence."""
    from kithkeep.services.usecases import ingest as operations

    return operations.open_views(_paths(), heavy=_settings)


def _print_json(rows: list[dict[str, Any]] | dict[str, Any]) -> None:
    # No indent: the C encoder is ten times faster, and a pipe into jq reads either.
    sys.stdout.write(json.dumps(rows) + "\n")


@app.command()
def people(
    sort: Annotated[str, typer.Option("--sort", help="last | name | overdue")] = "last",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Everyone you have been in touch with: last contact, cadence, when due."""
    from kithkeep.projections import queries

    if sort not in ("last", "name", "overdue"):
        raise ConfigError(f"--sort {sort!r}: expected last, name or overdue")
    moment = _as_of(as_of)
    conn, policy = _query_conn()
    cadence_days = policy.default_cadence_days
    now = int(datetime.now(UTC).timestamp())
    if json_:
        found = queries.answers(conn, now=now, default_cadence=cadence_days, as_of=moment)
        rows = queries.sort_people(found, sort)[:limit]
        ledger = _ledgers(conn, policy, moment or now)
        _print_answers([_with_ledger(a, ledger) for a in rows])
        return
    found_people = queries.people(conn, now=now, default_cadence=cadence_days, as_of=moment)
    _render_people(queries.sort_people(found_people, sort)[:limit], title="People")


@app.command()
def due(as_of: AsOfOpt = None, json_: JsonOpt = False) -> None:
    """Who to get in touch with now, most overdue first."""
    from kithkeep.projections import queries

    moment = _as_of(as_of)
    conn, policy = _query_conn()
    cadence_days = policy.default_cadence_days
    now = int(datetime.now(UTC).timestamp())
    if json_:
        fast = None if moment else queries.due_json(conn, now=now, default_cadence=cadence_days)
        if fast is not None:
            sys.stdout.write("[" + ",".join(fast) + "]\n")
            return
        found = queries.answers(
            conn, now=now, default_cadence=cadence_days, as_of=moment, only_due=True
        )
        _print_answers(queries.due(found))
        return
    people_due = queries.people(
        conn, now=now, default_cadence=cadence_days, as_of=moment, only_due=True
    )
    _render_people(queries.due(people_due), title="Due for a word from you")


def _ago(when: str | None, now: int) -> str:
    if when is None:
        return "—"
    t = datetime.fromisoformat(when)
    days = (now - int(t.timestamp())) // 86400
    return f"{t:%Y-%m-%d} ({days}d ago)"


def _ledgers(conn: Any, policy: Any, at: int) -> Any:
    from kithkeep.projections import referrals as ledger

    return ledger.ledgers(conn, ledger.referrals_for(conn, policy, at), at)


def _with_ledger(answer: Any, ledgers: Any) -> Any:
    """The person's JSON object with the introductions ledger's three fields added."""
    from kithkeep.projections.referrals import merged

    extra = json.dumps(merged(ledgers, answer.addresses).as_json(), separators=(",", ":"))
    return answer._replace(json=answer.json[:-1] + "," + extra[1:])


def _print_answers(rows: list[Any]) -> None:
    sys.stdout.write("[" + ",".join(a.json for a in rows) + "]\n")


def _render_people(rows: list[Any], title: str) -> None:
    if not rows:
        typer.echo("No one.")
        return
    from rich.console import Console
    from rich.table import Table

    now = int(datetime.now(UTC).timestamp())
    table = Table(title=title)
    for col in ("name", "address", "last contact", "cadence", "overdue"):
        table.add_column(col)
    for p in rows:
        overdue = "" if p.overdue_days is None or p.overdue_days < 0 else f"{p.overdue_days}d"
        table.add_row(
            p.name or "",
            ", ".join(p.addresses),
            _ago(p.last_contact, now),
            f"{p.cadence_days}d ({p.cadence_source})",
            overdue,
        )
    Console().print(table)


@app.command()
def person(
    who: Annotated[str, typer.Argument(help="An address or (part of) a name.")],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Timeline entries.")] = 30,
) -> None:
    """One relationship: its numbers, a sparkline of two years, the timeline."""
    from kithkeep.projections import queries

    moment = _as_of(as_of)
    conn, policy = _query_conn()
    cadence_days = policy.default_cadence_days
    now = int(datetime.now(UTC).timestamp())
    at = moment or now
    found = queries.people(conn, now=now, default_cadence=cadence_days, as_of=moment)
    matches = queries.find_person(found, who)
    if not matches:
        raise KithkeepError(f"no one matches {who!r} (try an address, or `kithkeep people`)")
    if len(matches) > 1:
        some = ", ".join(f"{m.name} <{m.key}>" for m in matches[:5])
        raise KithkeepError(f"{len(matches)} people match {who!r}: {some}; give an address")
    p = matches[0]
    entries = queries.timeline(conn, p.addresses, at, limit, policy.viewer)
    months = queries.monthly_contacts(conn, p.addresses, at)
    from kithkeep.projections.referrals import merged

    ledger = merged(_ledgers(conn, policy, at), p.addresses)
    if json_:
        data = p.as_json()
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
                "contact": e.counts,
                "noise": e.noise.split(",") if e.noise else [],
            }
            for e in entries
        ]
        _print_json(data)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{p.name or p.key}[/]  {', '.join(p.addresses)}")
    console.print(
        f"last contact {_ago(p.last_contact, at)} · {p.interactions} contacts · "
        f"cadence {p.cadence_days}d ({p.cadence_source}) · due {p.due_at}"
    )
    console.print(f"24 months: {queries.sparkline(months)}")
    ratio = ledger.initiative_ratio
    console.print(
        f"introductions: you made {ledger.given} for them (last {_day(ledger.last_given) or '—'})"
        f", they made {ledger.received} for you (last {_day(ledger.last_received) or '—'})"
        + ("" if ratio is None else f" · they start {ratio:.0%} of your threads (last year)")
    )
    table = Table()
    for col in ("when", "", "subject", "note"):
        table.add_column(col)
    for e in entries:
        arrow = {"outbound": "→", "inbound": "←"}.get(e.direction, "")
        kind = "meeting" if e.kind == "meeting" else arrow
        note = e.noise if e.noise else ("" if e.counts else "not a contact")
        table.add_row(f"{datetime.fromtimestamp(e.at, UTC):%Y-%m-%d}", kind, e.subject, note)
    console.print(table)


@app.command()
def status(json_: JsonOpt = False) -> None:
    """Where the data lives, what is stored, how far the views have got."""
    from kithkeep.services.usecases import ingest as operations

    info = operations.status(_paths())
    if json_:
        _print_json(info)
        return
    d = info.pop("daemon")
    typer.echo(f"daemon: {'running, pid ' + str(d['pid']) if d['running'] else 'not running'}")
    for a in d["accounts"]:
        health = "ok" if a["healthy"] else f"failing ({a['failures']}×): {a['last_error']}"
        typer.echo(
            f"  {a['name']} ({a['type']}): {health}; last success {a['last_success'] or '—'}; "
            f"next run {a['next_run'] or '—'}; added {a['added_total']}"
        )
    for key, value in info.items():
        if isinstance(value, list):
            typer.echo(f"{key}:")
            for item in value:
                typer.echo(f"  {item}")
        else:
            typer.echo(f"{key}: {value}")


@app.command()
def daemon(
    once: Annotated[
        bool, typer.Option("--once", help="Sync every account once, then exit.")
    ] = False,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Log to stderr instead of logs/kithkeep.log.")
    ] = False,
    accounts: Annotated[
        str | None,
        typer.Option("--accounts", help="Only these accounts (comma-separated names)."),
    ] = None,
) -> None:
    """Keep syncing every account on its schedule; write a digest once a day."""
    from kithkeep.services.daemon.scheduler import Daemon, configure_logging, only_accounts

    settings = _settings()
    if accounts is not None:
        settings = only_accounts(settings, accounts.split(","))
    if not settings.accounts:
        raise ConfigError(
            f"no [[accounts]] in {settings.paths.config}: add one "
            '(e.g. name = "inbox", type = "folder", path = "~/Mail/drop")'
        )
    configure_logging(settings.paths, foreground or once)
    Daemon(settings).run(once=once)


@app.command("smtp-password")
def smtp_password(
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read it from standard input instead of a prompt.")
    ] = False,
) -> None:
    """Keep the password the daemon uses to mail the digest ([digest] smtp_user)."""
    from kithkeep.services.usecases.digest import SMTP_SECRET
    from kithkeep.services.config.secrets import set_secret

    settings = _settings()
    secret = (
        sys.stdin.readline().rstrip("\n")
        if stdin
        else typer.prompt("SMTP password", hide_input=True)
    )
    if not secret:
        raise ConfigError("an empty password was not kept")
    where = set_secret(settings.paths, SMTP_SECRET, secret)
    typer.echo(f"Kept the SMTP password in {where}.")


@app.command()
def rebuild() -> None:
    """Replay every event into fresh views."""
    from kithkeep.services.usecases import ingest as operations

    caught = operations.rebuild(_settings())
    typer.echo(f"Rebuilt the views from {caught.events} events.")


# -- directives -------------------------------------------------------------------------


def _parse_days(value: str) -> int | None:
    v = value.strip().lower()
    if v in ("auto", "learn", "default", "none"):
        return None
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    n, unit = (v[:-1], v[-1]) if v[-1:] in units else (v, "d")
    try:
        days = int(n) * units[unit]
    except ValueError:
        raise ConfigError(f"cadence {value!r}: expected e.g. 90d, 6w, 3m, 1y or auto") from None
    if not 1 <= days <= 3650:
        raise ConfigError(f"cadence {value!r}: between 1 day and 10 years")
    return days


@app.command()
def cadence(
    who: Annotated[str, typer.Argument(help="An address.")],
    every: Annotated[str, typer.Argument(help="e.g. 90d, 6w, 3m, 1y; 'auto' to learn it again.")],
) -> None:
    """How often you want to be in touch with someone."""
    from kithkeep.services.usecases import ingest as operations

    days = _parse_days(every)
    address = operations.set_cadence(_settings(), who, days)
    typer.echo(f"{address}: " + (f"every {days} days" if days else "cadence learned again"))


@app.command()
def ignore(
    pattern: Annotated[str, typer.Argument(help="ADDRESS or @DOMAIN")],
    undo: Annotated[bool, typer.Option("--undo", help="Count this sender again.")] = False,
) -> None:
    """Never count this sender (an address, or a whole @domain)."""
    from kithkeep.services.usecases import ingest as operations

    p = operations.ignore(_settings(), pattern, undo=undo)
    typer.echo(f"{'No longer ignoring' if undo else 'Ignoring'} {p}")


@app.command()
def link(a: str, b: str) -> None:
    """Two addresses are the same person."""
    from kithkeep.services.usecases import ingest as operations

    x, y = operations.link(_settings(), a, b, undo=False)
    typer.echo(f"Linked {x} and {y}")


@app.command()
def unlink(a: str, b: str) -> None:
    """Undo a link."""
    from kithkeep.services.usecases import ingest as operations

    x, y = operations.link(_settings(), a, b, undo=True)
    typer.echo(f"Unlinked {x} and {y}")


@app.command()
def demo() -> None:
    """Build a sample network (no account needed) and show who is due."""
    from kithkeep.services.usecases import ingest as operations

    home = _state["home"]
    result = operations.demo(home, progress=_progress_bar())
    _state["home"] = result.home
    typer.echo(
        f"Sample network: {result.people} people, {result.messages} messages, "
        f"{result.meetings} meetings, imported into {result.home}"
    )
    due(as_of=None, json_=False)
    typer.echo(
        "\nTry next:\n"
        f"  export KITHKEEP_HOME={result.home}\n"
        "  kithkeep people --sort overdue\n"
        f"  kithkeep person {result.example}\n"
        "  kithkeep due --json\n"
    )


# -- accounts and sync ------------------------------------------------------------------

account_app = typer.Typer(help="Connected accounts: add, list, remove.", no_args_is_help=True)
app.add_typer(account_app, name="account")
account_add_app = typer.Typer(help="Connect an account.", no_args_is_help=True)
account_app.add_typer(account_add_app, name="add")

NameOpt = Annotated[
    str | None, typer.Option("--name", help="What to call it (default: from its address).")
]


@account_add_app.command("folder")
def account_add_folder(
    path: Annotated[Path, typer.Argument(help="A folder (or file) to import again and again.")],
    name: NameOpt = None,
    interval: Annotated[float, typer.Option(help="Minutes between daemon syncs.")] = 15,
) -> None:
    """A local folder: Maildir, mbox, .eml or .ics files dropped in are picked up."""
    from kithkeep.services.accounts.base import add_account

    path = path.expanduser().resolve()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    account = add_account(
        _paths(),
        {
            "name": name or path.name,
            "type": "folder",
            "path": path,
            "interval_minutes": interval,
        },
    )
    typer.echo(f"Added {account.name} ({account.type}); `kithkeep sync {account.name}` pulls it.")


SecretsOpt = Annotated[
    Path,
    typer.Option(
        "--client-secrets", help="The OAuth client JSON of your Google Cloud project (Desktop app)."
    ),
]
NoBrowserOpt = Annotated[
    bool,
    typer.Option(
        "--no-browser", help="Print the sign-in address; paste back where the browser ended."
    ),
]


@account_add_app.command("gmail")
def account_add_gmail(
    client_secrets: SecretsOpt,
    name: NameOpt = None,
    with_calendar: Annotated[
        bool, typer.Option("--with-calendar", help="Add the Google Calendar too (one consent).")
    ] = False,
    no_browser: NoBrowserOpt = False,
    body_cues: Annotated[
        bool,
        typer.Option("--body-cues", help="Read snippets for introduction cues (gmail.readonly)."),
    ] = False,
    since_days: Annotated[int, typer.Option(help="A first sync reaches this far back.")] = 1095,
    interval: Annotated[float, typer.Option(help="Minutes between daemon syncs.")] = 15,
) -> None:
    """A Gmail mailbox: headers only (gmail.metadata), kept current by Gmail's history."""
    from kithkeep.services.accounts.google import add_google

    for account in add_google(
        _paths(),
        "gmail",
        client_secrets,
        name=name,
        with_calendar=with_calendar,
        no_browser=no_browser,
        body_cues=body_cues,
        since_days=since_days,
        interval_minutes=interval,
        say=typer.echo,
    ):
        typer.echo(f"Added {account.name} ({account.type}, {account.address}).")


@account_add_app.command("google-calendar")
def account_add_google_calendar(
    client_secrets: SecretsOpt,
    name: NameOpt = None,
    no_browser: NoBrowserOpt = False,
    since_days: Annotated[int, typer.Option(help="A first sync reaches this far back.")] = 1095,
    ahead_days: Annotated[int, typer.Option(help="And this far ahead.")] = 365,
    interval: Annotated[float, typer.Option(help="Minutes between daemon syncs.")] = 15,
) -> None:
    """A Google Calendar (the primary one), read-only."""
    from kithkeep.services.accounts.google import add_google

    for account in add_google(
        _paths(),
        "google-calendar",
        client_secrets,
        name=name,
        no_browser=no_browser,
        since_days=since_days,
        ahead_days=ahead_days,
        interval_minutes=interval,
        say=typer.echo,
    ):
        typer.echo(f"Added {account.name} ({account.type}, {account.address}).")


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
]
AddressOpt = Annotated[
    str | None, typer.Option("--address", help="Your address here (default: the user).")
]


@account_add_app.command("imap")
def account_add_imap(
    host: Annotated[str, typer.Option(help="The IMAP server, e.g. imap.fastmail.com.")],
    user: Annotated[str, typer.Option(help="The login, usually your address.")],
    port: Annotated[int | None, typer.Option(help="Default: 993 (tls), 143.")] = None,
    folders: Annotated[
        str | None, typer.Option(help="Comma-separated (default: INBOX and the Sent folder).")
    ] = None,
    security: Annotated[
        str, typer.Option(help="tls | starttls | plain (plain: loopback tests only).")
    ] = "tls",
    since_days: Annotated[int | None, typer.Option(help="First sync: days back.")] = None,
    name: NameOpt = None,
    address: AddressOpt = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Mail over IMAP (Fastmail, iCloud, Proton Bridge, Dovecot...): headers only."""
    from kithkeep.services.accounts import imap

    added = imap.add_imap(
        _paths(),
        host=host,
        user=user,
        password=imap.read_password(from_stdin=password_stdin, prompt=f"Password for {user}"),
        port=port,
        security=security,
        folders=[f.strip() for f in folders.split(",") if f.strip()] if folders else None,
        name=name,
        address=address,
        since_days=since_days,
    )
    typer.echo(f"Added {added.account.name} (imap); password kept in {added.where}.")


@account_add_app.command("caldav")
def account_add_caldav(
    url: Annotated[str, typer.Option(help="The CalDAV server's URL.")],
    user: Annotated[str, typer.Option(help="The login.")],
    name: NameOpt = None,
    address: AddressOpt = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Calendars over CalDAV (iCloud, Fastmail, Nextcloud, Radicale...)."""
    from kithkeep.services.accounts import imap

    added = imap.add_caldav(
        _paths(),
        url=url,
        user=user,
        password=imap.read_password(from_stdin=password_stdin, prompt=f"Password for {user}"),
        name=name,
        address=address,
    )
    typer.echo(f"Added {added.account.name} (caldav); password kept in {added.where}.")


@account_add_app.command("outlook")
def account_add_outlook(
    client_id: Annotated[
        str, typer.Option(help="Your Entra ID app registration (else [outlook] client_id).")
    ] = "",
    tenant: Annotated[
        str, typer.Option(help="common | organizations | consumers | a tenant id or domain.")
    ] = "common",
    name: NameOpt = None,
    interval: Annotated[float, typer.Option(help="Minutes between daemon syncs.")] = 15,
) -> None:
    """Outlook / Microsoft 365 mail and calendar: device-code sign-in through msal."""
    from kithkeep.services.accounts.outlook import sign_in

    account = sign_in(
        _settings(),
        name=name,
        client_id=client_id,
        tenant=tenant,
        interval=interval,
        echo=lambda text: typer.echo(text, err=True),
    )
    typer.echo(f"Added {account.name} ({account.type}); `kithkeep sync {account.name}` pulls it.")


@account_app.command("list")
def account_list(json_: JsonOpt = False) -> None:
    """Every account, with where its position stands."""
    settings = _settings()
    rows = [
        {
            "name": a.name,
            "type": a.type,
            "address": a.address or a.user or (str(a.path) if a.type == "folder" else a.url),
            "enabled": a.enabled,
            "interval_minutes": a.interval_seconds / 60,
        }
        for a in settings.accounts
    ]
    if json_:
        _print_json(rows)
        return
    if not rows:
        typer.echo("No accounts yet: `kithkeep account add --help` lists the kinds.")
        return
    for r in rows:
        off = "" if r["enabled"] else " (disabled)"
        typer.echo(f"{r['name']}  {r['type']}  {r['address']}{off}")


@account_app.command("remove")
def account_remove(name: str) -> None:
    """Forget an account and its sign-in; what it brought in stays."""
    from kithkeep.services.accounts.base import SECRET_KINDS, remove_account, secret_name
    from kithkeep.services.config.secrets import delete_secret

    paths = _paths()
    remove_account(paths, name)
    for kind in SECRET_KINDS:
        delete_secret(paths, secret_name(name, kind))
    typer.echo(f"Removed {name}; its sign-in is forgotten, its interactions stay.")


@app.command()
def sync(
    accounts: Annotated[
        list[str] | None, typer.Argument(help="Accounts to sync (default: every enabled one).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read everything again (finds what was deleted).")
    ] = False,
) -> None:
    """Pull what is new from each account; one summary line per account."""
    from kithkeep.services.usecases import ingest as operations

    results = operations.sync_accounts(
        _settings(),
        accounts or [],
        full=full,
        progress=lambda name: _progress_bar(f"syncing {name}"),
        debug=_state["debug"],
    )
    failed = 0
    for r in results:
        if r.error:
            failed += 1
            _err(f"{r.account.name}: {r.error}")
            continue
        rep = r.report
        problems = sum(rep.problems.values())
        typer.echo(
            f"{r.account.name}: {rep.added} new, {rep.withdrawn} withdrawn, "
            f"{rep.duplicates} already known, {rep.skipped} skipped"
            + (f", {problems} unreadable" if problems else "")
        )
    if failed:
        raise typer.Exit(1)


# -- introductions --------------------------------------------------------------------

referrals_app = typer.Typer(
    help="Introductions you made and received, and their follow-up state.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(referrals_app, name="referrals")

STATUS_HELP = (
    "follow_up_due | awaiting | acknowledged | followed_up | connected | closed | dismissed"
)


def _referrals(moment: int | None) -> tuple[Any, list[Any], dict[str, str], int]:
    from kithkeep.projections import referrals as ledger

    conn, policy = _query_conn()
    at = moment or int(datetime.now(UTC).timestamp())
    found = ledger.referrals_for(conn, policy, at)
    names = ledger.names_for(conn, [p for r in found for p in (*r.parties, r.introducer)])
    return conn, found, names, at


@referrals_app.callback()
def referrals(
    ctx: typer.Context,
    status_: Annotated[str | None, typer.Option("--status", help=STATUS_HELP)] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    explain: Annotated[bool, typer.Option("--explain", help="Why each was detected.")] = False,
) -> None:
    """Introductions and their follow-up state, most urgent first."""
    if ctx.invoked_subcommand is not None:
        return
    from kithkeep.domain.introductions import STATES

    if status_ is not None and status_ not in STATES:
        raise ConfigError(f"--status {status_!r}: expected one of {STATUS_HELP}")
    moment = _as_of(as_of)
    _, found, names, _ = _referrals(moment)
    from kithkeep.services.usecases.digest import by_urgency

    rows = by_urgency([r for r in found if status_ is None or r.status == status_])
    if json_:
        _print_json([r.as_json(names, explain) for r in rows])
        return
    if not rows:
        typer.echo("No introductions" + (f" with status {status_}." if status_ else "."))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Introductions (mail between the two that you are not on is not seen)")
    for col in ("id", "made", "who", "status", "next follow-up", "evidence"):
        table.add_column(col)
    for r in rows:
        who = " ↔ ".join(names.get(p) or p for p in r.parties)
        if r.kind == "received":
            who = f"{names.get(r.introducer) or r.introducer} introduced you to " + ", ".join(
                names.get(p) or p for p in r.parties[1:]
            )
        evidence = "" if r.evidence is None else f"{_day(r.evidence.at)} {r.evidence.subject}"
        table.add_row(r.id, _day(r.made_at), who, r.status, _day(r.next_follow_up_at), evidence)
    console = Console()
    console.print(table)
    if explain:
        for r in rows:
            console.print(f"[bold]{r.id}[/] {r.subject or r.note}: " + "; ".join(r.reasons))


def _day(t: int | None) -> str:
    return "" if t is None else f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d}"


def _verdict(prefix: str, verdict: str, done: str) -> None:
    from kithkeep.services.usecases import ingest as operations

    rid = operations.mark_referral(_settings(), prefix, verdict)
    typer.echo(f"{done} {rid}")


@referrals_app.command("dismiss")
def referrals_dismiss(
    prefix: Annotated[str, typer.Argument(help="The id (or its start).")],
) -> None:
    """Mark a detected introduction as not one (a false positive)."""
    _verdict(prefix, "dismiss", "Dismissed")


@referrals_app.command("close")
def referrals_close(prefix: Annotated[str, typer.Argument(help="The id (or its start).")]) -> None:
    """End an introduction by hand: nothing more to follow up."""
    _verdict(prefix, "close", "Closed")


@referrals_app.command("reopen")
def referrals_reopen(prefix: Annotated[str, typer.Argument(help="The id (or its start).")]) -> None:
    """Undo a dismiss or close."""
    _verdict(prefix, "reopen", "Reopened")


@app.command()
def refer(
    a: Annotated[str, typer.Argument(help="One person's address.")],
    b: Annotated[str, typer.Argument(help="The other's address.")],
    note: Annotated[str, typer.Option("--note", help="What it was about.")] = "",
    at: Annotated[str | None, typer.Option("--at", help="When (YYYY-MM-DD); default now.")] = None,
) -> None:
    """Log an introduction you made outside mail (phone, in person)."""
    from kithkeep.services.usecases import ingest as operations

    moment = _as_of(at)
    when = datetime.fromtimestamp(moment, UTC) if moment else datetime.now(UTC)
    rid = operations.refer(_settings(), a, b, when, note)
    typer.echo(f"Logged introduction {rid}")


@app.command()
def digest(
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="People due shown.")] = 10,
) -> None:
    """Today's short list: introductions to follow up, and people due."""
    from kithkeep.services.usecases.digest import build

    moment = _as_of(as_of)
    conn, policy = _query_conn()
    at = moment or int(datetime.now(UTC).timestamp())
    today = build(conn, policy, at, moment)
    if json_:
        _print_json(today.as_json(limit))
        return
    typer.echo(today.text(limit), nl=False)


def _add_store_commands() -> None:
    from kithkeep.services.cli.store import add_commands

    add_commands(app, _settings)


_add_store_commands()


def main() -> None:
    try:
        # Without standalone mode click hands back typer.Exit's code instead of exiting.
        code = app(standalone_mode=False)
    except KithkeepError as e:
        if _state["debug"]:
            raise
        _err(str(e))
        sys.exit(1)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        _err("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _err("interrupted; what was saved stays saved")
        sys.exit(130)
    except Exception as e:
        # Usage errors (unknown command, bad option) are click's, vendored by typer.
        show = getattr(e, "show", None)
        if callable(show) and isinstance(getattr(e, "exit_code", None), int):
            show()
            sys.exit(e.exit_code)  # type: ignore[attr-defined]
        raise
    sys.exit(code if isinstance(code, int) else 0)
