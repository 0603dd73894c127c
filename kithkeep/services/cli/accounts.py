"""Connected accounts: `account add|list|remove`, and `sync`.

Each `account add` subcommand builds its provider's request and hands it to the
`accounts` use case; the provider (and its client library) is imported only then.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from kithkeep.domain.errors import InputError
from kithkeep.services.cli.common import (
    JsonOpt,
    StdinOpt,
    app,
    current_paths,
    current_settings,
    err,
    note,
    print_json,
    read_secret,
    state,
)
from kithkeep.services.cli.render import progress_bar

if TYPE_CHECKING:
    from kithkeep.services.accounts.base import Provider
    from kithkeep.services.accounts.caldav import CaldavRequest
    from kithkeep.services.accounts.passwords import PasswordRequest

account_app = typer.Typer(help="Connected accounts: add, list, remove.", no_args_is_help=True)
app.add_typer(account_app, name="account")
account_add_app = typer.Typer(help="Connect an account.", no_args_is_help=True)
account_app.add_typer(account_add_app, name="add")


NameOpt = Annotated[
    str | None,
    typer.Option("--name", help="What to call it, e.g. work (default: from its address)."),
]
IntervalOpt = Annotated[
    float,
    typer.Option("--interval", min=0.1, max=24 * 60, help="Minutes between daemon syncs, e.g. 30."),
]
SinceDaysOpt = Annotated[
    int, typer.Option("--since-days", min=1, help="A first sync reaches this many days back.")
]
WindowOpt = Annotated[
    int | None,
    typer.Option(
        "--since-days", min=1, help="Only what is this many days old or newer (default: all)."
    ),
]


@account_add_app.command("folder")
def account_add_folder(
    path: Annotated[
        Path, typer.Argument(help="A folder (or file) to import again and again, e.g. ~/Mail/drop.")
    ],
    name: NameOpt = None,
    interval: IntervalOpt = 15,
    since_days: WindowOpt = None,
) -> None:
    """A local folder: Maildir, mbox, .eml or .ics files dropped in are picked up."""
    from kithkeep.services.accounts.folder import FolderProvider, FolderRequest

    request = FolderRequest(path, name=name, interval_minutes=interval, since_days=since_days)
    (added,) = FolderProvider().add(current_paths(), request)
    account = added.account
    typer.echo(f"Added {account.name} ({account.type}); `kithkeep sync {account.name}` pulls it.")


SecretsOpt = Annotated[
    Path,
    typer.Option(
        "--client-secrets", help="The OAuth client JSON of your Google Cloud project (Desktop app)."
    ),
]


WithContactsOpt = Annotated[
    bool,
    typer.Option(
        "--with-contacts", help="Add Google Contacts too (contacts.readonly, one consent)."
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
    with_contacts: WithContactsOpt = False,
    no_browser: NoBrowserOpt = False,
    body_cues: Annotated[
        bool,
        typer.Option("--body-cues", help="Read snippets for introduction cues (gmail.readonly)."),
    ] = False,
    since_days: SinceDaysOpt = 1095,
    interval: IntervalOpt = 15,
) -> None:
    """A Gmail mailbox: headers only (gmail.metadata), kept current by Gmail's history."""
    _add_google(
        "gmail",
        client_secrets,
        name,
        no_browser,
        since_days,
        interval,
        with_calendar=with_calendar,
        with_contacts=with_contacts,
        body_cues=body_cues,
    )


@account_add_app.command("google-contacts")
def account_add_google_contacts(
    client_secrets: SecretsOpt,
    name: NameOpt = None,
    no_browser: NoBrowserOpt = False,
    interval: IntervalOpt = 60,
) -> None:
    """Google Contacts (the People API), read-only: names, addresses, companies, birthdays."""
    _add_google("google-contacts", client_secrets, name, no_browser, 1095, interval)


@account_add_app.command("google-calendar")
def account_add_google_calendar(
    client_secrets: SecretsOpt,
    name: NameOpt = None,
    no_browser: NoBrowserOpt = False,
    since_days: SinceDaysOpt = 1095,
    ahead_days: Annotated[
        int, typer.Option("--ahead-days", min=0, help="And this many days ahead, e.g. 365.")
    ] = 365,
    interval: IntervalOpt = 15,
) -> None:
    """A Google Calendar (the primary one), read-only."""
    _add_google(
        "google-calendar",
        client_secrets,
        name,
        no_browser,
        since_days,
        interval,
        ahead_days=ahead_days,
    )


def _add_google(
    kind: str,
    client_secrets: Path,
    name: str | None,
    no_browser: bool,
    since_days: int,
    interval: float,
    *,
    with_calendar: bool = False,
    with_contacts: bool = False,
    body_cues: bool = False,
    ahead_days: int | None = None,
) -> None:
    """Sign in once (the browser, or a pasted address) and add what the consent covers."""
    from kithkeep.services.accounts.google import GoogleProvider, GoogleRequest

    request = GoogleRequest(
        kind,
        client_secrets,
        name=name,
        with_calendar=with_calendar,
        with_contacts=with_contacts,
        no_browser=no_browser,
        body_cues=body_cues,
        since_days=since_days,
        ahead_days=ahead_days,
        interval_minutes=interval,
        say=typer.echo,
    )
    for a in GoogleProvider().add(current_paths(), request):
        typer.echo(f"Added {a.account.name} ({a.account.type}, {a.account.address}).")


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
    since_days: Annotated[
        int | None,
        typer.Option("--since-days", min=1, help="A first sync reaches this many days back."),
    ] = None,
    name: NameOpt = None,
    address: AddressOpt = None,
    password_stdin: StdinOpt = False,
    interval: IntervalOpt = 15,
) -> None:
    """Mail over IMAP (Fastmail, iCloud, Proton Bridge, Dovecot...): headers only."""
    from kithkeep.services.accounts.imap import ImapProvider, ImapRequest

    request = ImapRequest(
        host=host,
        user=user,
        password=_read_password(from_stdin=password_stdin, prompt=f"Password for {user}"),
        port=port,
        security=security,
        folders=tuple(f.strip() for f in folders.split(",") if f.strip()) if folders else (),
        name=name,
        address=address,
        since_days=since_days,
        interval_minutes=interval,
    )
    _added_with_password(ImapProvider(), request)


@account_add_app.command("caldav")
def account_add_caldav(
    url: Annotated[
        str, typer.Option(help="The CalDAV server's URL, e.g. https://caldav.fastmail.com/.")
    ],
    user: Annotated[str, typer.Option(help="The login, e.g. me@example.com.")],
    name: NameOpt = None,
    address: AddressOpt = None,
    password_stdin: StdinOpt = False,
    interval: IntervalOpt = 15,
    since_days: WindowOpt = None,
) -> None:
    """Calendars over CalDAV (iCloud, Fastmail, Nextcloud, Radicale...)."""
    from kithkeep.services.accounts.caldav import CaldavProvider

    _added_with_password(
        CaldavProvider(),
        _dav_request(url, user, name, address, password_stdin, interval, since_days),
    )


def _dav_request(
    url: str,
    user: str,
    name: str | None,
    address: str | None,
    password_stdin: bool,
    interval: float = 15,
    since_days: int | None = None,
) -> CaldavRequest:
    from kithkeep.services.accounts.caldav import CaldavRequest

    return CaldavRequest(
        url=url,
        user=user,
        password=_read_password(from_stdin=password_stdin, prompt=f"Password for {user}"),
        name=name,
        address=address,
        interval_minutes=interval,
        since_days=since_days,
    )


@account_add_app.command("carddav")
def account_add_carddav(
    url: Annotated[str, typer.Option(help="The CardDAV server's URL.")],
    user: Annotated[str, typer.Option(help="The login.")],
    name: NameOpt = None,
    address: AddressOpt = None,
    password_stdin: StdinOpt = False,
    interval: IntervalOpt = 15,
) -> None:
    """Address books over CardDAV (iCloud, Fastmail, Nextcloud, Radicale...)."""
    from kithkeep.services.accounts.carddav import CarddavProvider

    _added_with_password(
        CarddavProvider(), _dav_request(url, user, name, address, password_stdin, interval)
    )


@account_add_app.command("outlook")
def account_add_outlook(
    client_id: Annotated[
        str, typer.Option(help="Your Entra ID app registration (else [outlook] client_id).")
    ] = "",
    tenant: Annotated[
        str, typer.Option(help="common | organizations | consumers | a tenant id or domain.")
    ] = "common",
    name: NameOpt = None,
    interval: IntervalOpt = 15,
    since_days: SinceDaysOpt = 1095,
    with_contacts: Annotated[
        bool, typer.Option("--with-contacts", help="Its contacts too (asks for Contacts.Read).")
    ] = False,
) -> None:
    """Outlook / Microsoft 365 mail and calendar: device-code sign-in through msal."""
    from kithkeep.services.accounts.outlook import OutlookProvider, OutlookRequest

    request = OutlookRequest(
        name=name,
        client_id=client_id,
        tenant=tenant,
        interval_minutes=interval,
        echo=lambda text: typer.echo(text, err=True),
        since_days=since_days,
        contacts=with_contacts,
    )
    (added,) = OutlookProvider().add(current_paths(), request)
    account = added.account
    typer.echo(f"Added {account.name} ({account.type}); `kithkeep sync {account.name}` pulls it.")


@account_app.command("list")
def account_list(json_: JsonOpt = False) -> None:
    """Every account, with where its position stands."""
    from kithkeep.services.usecases import accounts

    rows = accounts.listed(current_settings())
    if json_:
        print_json([r.as_json() for r in rows])
        return
    if not rows:
        typer.echo("No accounts yet: `kithkeep account add --help` lists the kinds.")
        return
    for r in rows:
        off = "" if r.enabled else " (disabled)"
        typer.echo(f"{r.name}  {r.type}  {r.address}{off}")


@account_app.command("remove")
def account_remove(
    name: Annotated[str, typer.Argument(help="The account's name, e.g. work.")],
) -> None:
    """Forget an account and its sign-in; what it brought in stays."""
    from kithkeep.services.usecases import accounts

    accounts.remove(current_paths(), name)
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
    from kithkeep.services.usecases.ingest import sync_accounts

    results = sync_accounts(
        current_settings(),
        accounts or [],
        full=full,
        progress=lambda name: progress_bar(f"syncing {name}"),
        debug=state.debug,
        on_wait=note,
    )
    failed = 0
    for r in results:
        if r.error:
            failed += 1
            err(f"{r.account.name}: {r.error}")
            continue
        rep = r.report
        assert rep is not None  # a sync without an error has its report
        problems = sum(rep.problems.values())
        typer.echo(
            f"{r.account.name}: {rep.added} new, {rep.withdrawn} withdrawn, "
            f"{rep.duplicates} already known, {rep.skipped} skipped"
            + (f", {problems} unreadable" if problems else "")
            + (
                f"; contact cards: {rep.cards} new or changed, {rep.cards_withdrawn} withdrawn"
                if rep.cards_read or rep.cards_withdrawn
                else ""
            )
        )
    if failed:
        raise typer.Exit(1)


R = TypeVar("R", bound="PasswordRequest")


def _added_with_password(provider: Provider[R], request: R) -> None:

    (added,) = provider.add(current_paths(), request)
    account = added.account
    typer.echo(f"Added {account.name} ({account.type}); password kept in {added.where}.")


def _read_password(*, from_stdin: bool, prompt: str) -> str:
    password = read_secret(from_stdin=from_stdin, prompt=prompt)
    if not password:
        raise InputError("no password given")
    return password
