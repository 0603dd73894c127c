"""One example per command, shown at the end of its `--help` (kept beside each other
here so that a new command's example is one line, and a test finds any missing)."""

from __future__ import annotations

import typer

EXAMPLES: dict[str, str] = {
    "init": "kithkeep init --me you@example.com --me you@work.example",
    "import": "kithkeep import ~/Mail/archive",
    "people": "kithkeep people --sort overdue --limit 20",
    "due": "kithkeep due --limit 10",
    "owed": "kithkeep owed --as-of 2026-06-30",
    "reconnect": "kithkeep reconnect --limit 10 --json",
    "person": "kithkeep person ada@example.com",
    "status": "kithkeep status --json",
    "daemon": "kithkeep daemon --once",
    "smtp-password": "kithkeep smtp-password --password-stdin < pw.txt",
    "rebuild": "kithkeep rebuild",
    "cadence": "kithkeep cadence ada@example.com 90d",
    "ignore": "kithkeep ignore @newsletters.example",
    "link": "kithkeep link ada@example.com ada@home.example",
    "unlink": "kithkeep unlink ada@example.com ada@home.example",
    "demo": "kithkeep demo --home ~/kithkeep-demo",
    "sync": "kithkeep sync work --full",
    "refer": 'kithkeep refer ada@example.com bob@example.com --note "pricing advice"',
    "digest": "kithkeep digest --limit 5",
    "project": "kithkeep project --log-file",
    "who-knows": "kithkeep who-knows @client.example",
    "upcoming": "kithkeep upcoming --days 30",
    "company": "kithkeep company acme.example",
    "me": "kithkeep me --json",
    "me add": "kithkeep me add you@home.example",
    "me remove": "kithkeep me remove old@example.com",
    "me suggest": "kithkeep me suggest --json",
    "merges": "kithkeep merges --json",
    "merges accept": "kithkeep merges accept 3f2a9c1d",
    "merges reject": "kithkeep merges reject 3f2a9c1d",
    "forget": "kithkeep forget ada@example.com --yes",
    "export": "kithkeep export --format vcf --out people.vcf",
    "backup": "kithkeep backup ~/backups/kithkeep-2026-12-07",
    "encrypt": "KITHKEEP_PASSPHRASE_FILE=~/.kithkeep-passphrase kithkeep encrypt",
    "config show": "kithkeep config show --json",
    "directives": "kithkeep directives --json",
    "account": "kithkeep account list",
    "account add": "kithkeep account add imap --host imap.fastmail.com --user me@example.com",
    "config": "kithkeep config show",
    "store": "kithkeep store copy --from ~/kithkeep --to postgresql://me@db/kithkeep",
    "account add folder": "kithkeep account add folder ~/Mail/drop --name drop",
    "account add gmail": "kithkeep account add gmail --client-secrets ~/Downloads/client.json",
    "account add google-calendar": (
        "kithkeep account add google-calendar --client-secrets ~/Downloads/client.json"
    ),
    "account add imap": "kithkeep account add imap --host imap.fastmail.com --user me@example.com",
    "account add caldav": (
        "kithkeep account add caldav --url https://caldav.example.com/ --user me@example.com"
    ),
    "account add carddav": (
        "kithkeep account add carddav --url https://dav.example.com/ --user me@example.com"
    ),
    "account add google-contacts": (
        "kithkeep account add google-contacts --client-secrets ~/Downloads/client.json"
    ),
    "account add outlook": "kithkeep account add outlook --client-id 00000000-... --since-days 365",
    "account list": "kithkeep account list --json",
    "account remove": "kithkeep account remove work",
    "referrals": "kithkeep referrals --status follow_up_due",
    "referrals dismiss": "kithkeep referrals dismiss 3f2a",
    "referrals close": "kithkeep referrals close 3f2a",
    "referrals reopen": "kithkeep referrals reopen 3f2a",
    "store migrate": "kithkeep store migrate",
    "store copy": "kithkeep store copy --from ~/kithkeep --to postgresql://me@db/kithkeep",
    "store password": "kithkeep store password --password-stdin < pw.txt",
}


def add_examples(app: typer.Typer, prefix: str = "") -> None:
    """Give every command (and group with a callback) its example as the help's epilog."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        if example := EXAMPLES.get(prefix + name):
            info.epilog = f"Example: {example}"
    for group in app.registered_groups:
        path = prefix + (group.name or "")
        sub = group.typer_instance
        if sub is None:
            continue
        if example := EXAMPLES.get(path):
            group.epilog = f"Example: {example}"
            if sub.registered_callback is not None:
                sub.registered_callback.epilog = group.epilog
        add_examples(sub, path + " ")
