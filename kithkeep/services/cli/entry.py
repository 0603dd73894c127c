"""`kithkeep`'s entry point: loads only the command group the command line names, runs
it, and turns known problems into one line on stderr (exit 1; --debug shows the
traceback).

Every command lives in one group module (`HOMES` says which); `kithkeep due --json`
imports `queries` alone, not the accounts, the daemon or the store's tools, and typer
builds the command tree of that group only. Anything else (no command, `--help`, a
name no command has) loads every group (`app`), so the listing and click's "No such
command" are those of the whole command line.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand
from typer.models import CommandInfo

from kithkeep.domain.errors import KithkeepError, StoppedError
from kithkeep.services.cli.common import (
    COMMAND_ORDER,
    app,
    err,
    hoist_global_options,
    split_global_options,
    state,
)
from kithkeep.services.cli.examples import add_examples

if TYPE_CHECKING:
    from typer._click import Context as ClickContext  # Typer's own copy of click

#: The module (under `kithkeep.services.cli`) that registers each command and group;
#: `tests/cli/test_entry.py` holds it to what the whole app registers.
HOMES = {
    "init": "admin", "import": "admin", "daemon": "admin", "smtp-password": "admin",
    "rebuild": "admin", "demo": "admin", "config": "admin",
    "people": "queries", "due": "queries", "person": "queries", "status": "queries",
    "digest": "queries", "upcoming": "queries", "company": "queries",
    "owed": "relationships", "reconnect": "relationships",
    "cadence": "directives", "ignore": "directives", "link": "directives",
    "unlink": "directives", "directives": "directives",
    "sync": "accounts", "account": "accounts",
    "refer": "referrals", "referrals": "referrals",
    "project": "store", "who-knows": "store", "store": "store",
    "forget": "privacy", "export": "privacy", "backup": "privacy", "encrypt": "privacy",
    "me": "me", "merges": "merges",
}  # fmt: skip


def command_named(args: list[str]) -> str | None:
    """The command the arguments name: the first that is not a global option, unless it
    is an option itself (--help, --version, or something click must judge)."""
    _, rest = split_global_options(args)
    return rest[0] if rest and not rest[0].startswith("-") else None


def load(args: list[str]) -> typer.Typer:
    """The app with the group of the command `args` name registered; every group if
    they name none of them."""
    home = HOMES.get(command_named(args) or "")
    if home is None:
        import_module("kithkeep.services.cli.app")  # every group on `app`, finished
    else:
        import_module(f"kithkeep.services.cli.{home}")
        finish(app)
    return app


def finish(group: typer.Typer) -> None:
    """What the registered commands show: `--help`'s order, examples, plain usage."""
    group.registered_commands.sort(key=_in_order)  # as `--help` has always listed them
    add_examples(group)
    _plain_usage(group)


def _in_order(info: CommandInfo) -> int:
    name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
    return COMMAND_ORDER.index(name) if name in COMMAND_ORDER else len(COMMAND_ORDER)


class PlainUsage(TyperCommand):
    """Usage lines as the tools people know write them: `person WHO`, not `{who}`."""

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        return [_plain(p) for p in super().collect_usage_pieces(ctx)]


def _plain(piece: str) -> str:
    if piece.startswith("{") and piece.endswith("}"):
        return piece[1:-1].upper()
    if piece.startswith("[") and piece.rstrip(".").endswith("]"):
        return piece.upper()  # [accounts]... → [ACCOUNTS]...
    return piece


def _plain_usage(group: typer.Typer) -> None:
    for info in group.registered_commands:
        info.cls = PlainUsage
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _plain_usage(sub.typer_instance)


def storage_problem(e: BaseException) -> str:
    """One line for what the disk or a database said (full, read-only, damaged, busy);
    '' for anything else, which is a bug and keeps its traceback."""
    import errno

    if isinstance(e, OSError):
        if e.errno == errno.ENOSPC:
            return f"the disk is full ({e.filename or 'writing'}); nothing half-written is kept"
        if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"cannot write {e.filename or 'the home'}: {e.strerror} (a read-only home?)"
        return f"{e.strerror or type(e).__name__}: {e.filename or ''}".rstrip(": ")
    module = type(e).__module__
    if not module.startswith(("sqlite3", "eventsourcing")):
        return ""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    lowered = text.lower()
    if "full" in lowered:
        return f"the disk is full: {text}; nothing half-written is kept"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the home is read-only: {text}"
    if "locked" in lowered or "busy" in lowered:
        return f"the store is busy ({text}): another kithkeep is writing; try again"
    return f"the store: {text} (`kithkeep status` says more)"


def _restore_terminal() -> None:
    """Show the cursor again (a progress bar hides it) when stopped half-way."""
    if sys.stderr.isatty():
        sys.stderr.write("\x1b[?25h")
        sys.stderr.flush()


def main() -> None:
    from kithkeep.services.config.privacy import make_private

    make_private()  # before anything is written: every file the user's alone
    try:
        args = hoist_global_options(sys.argv[1:])
        # Without standalone mode click hands back typer.Exit's code instead of exiting.
        code = load(args)(args=args, standalone_mode=False)
    except StoppedError as e:
        _restore_terminal()
        err(str(e))
        sys.exit(130)
    except KithkeepError as e:
        if state.debug:
            raise
        err(str(e))
        sys.exit(1)
    except typer.Exit as e:
        if state.notice and e.exit_code == 0:
            sys.stderr.write(state.notice + "\n")
        sys.exit(e.exit_code)
    except typer.Abort:
        err("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _restore_terminal()
        err("interrupted; what was saved stays saved: run the same command again to resume")
        sys.exit(130)
    except Exception as e:
        # Usage errors (unknown command, bad option) are click's, vendored by typer.
        show = getattr(e, "show", None)
        if callable(show) and isinstance(getattr(e, "exit_code", None), int):
            show()
            sys.exit(e.exit_code)  # type: ignore[attr-defined]
        line = storage_problem(e)
        if line and not state.debug:
            _restore_terminal()
            err(line)
            sys.exit(1)
        raise
    code = code if isinstance(code, int) else 0
    if state.notice and code == 0:
        sys.stderr.write(state.notice + "\n")
    sys.exit(code)
