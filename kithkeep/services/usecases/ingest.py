"""Bringing interactions in: importing a file or folder, syncing accounts.

Each saved page goes into the views at once (unless the store is shared: there
`kithkeep project` keeps them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kithkeep.connectors.files import FileSource
from kithkeep.domain.errors import ConfigError, InputError, KithkeepError, StoppedError
from kithkeep.domain.rules import judge
from kithkeep.services.accounts import SyncContext, build_source, provider_for
from kithkeep.services.config.settings import Account, Settings
from kithkeep.services.runtime import Runtime, open_runtime
from kithkeep.services.store.writer import OnWait, writing
from kithkeep.services.usecases import pull
from kithkeep.services.usecases.pull import Progress, Report
from kithkeep.services.usecases.status import note_source


def _require_me(settings: Settings) -> None:
    if not settings.me and not settings.team:
        raise ConfigError(
            f"no addresses of yours are configured in {settings.paths.config}: "
            "run `kithkeep init --me YOU@EXAMPLE.COM` first"
        )


def import_path(
    settings: Settings,
    path: Path,
    progress: Progress | None = None,
    include_folders: frozenset[str] = frozenset(),
    *,
    follow_links: bool = False,
    on_wait: OnWait | None = None,
) -> Report:
    """Import a file or folder, then bring the views up to date (junk and trash folders
    left out unless named in `include_folders`; `follow_links`: also what symbolic links
    out of the folder lead to)."""
    _require_me(settings)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    now = datetime.now(UTC)
    policy = settings.policy()
    with writing(settings, "import", on_wait), open_runtime(settings) as rt:
        source = FileSource(
            path,
            now=now,
            local_tz=rt.local_tz(),
            include_folders=include_folders,
            limits=settings.limits,
            follow_links=follow_links,
        )
        try:
            report = pull.run(
                source,
                rt.store,
                progress=progress,
                on_saved=rt.projecting(now),
                is_noise=lambda o: bool(judge(o, policy).noise),
            )
        except KithkeepError as e:
            note_source(settings.paths, source.key, error=str(e))
            raise
        rt.project(now)
    reason = report.problems.most_common(1)[0][0] if report.problems else ""
    example = f"{reason}, e.g. {report.examples[reason]}" if reason else ""
    note_source(settings.paths, source.key, problems=sum(report.problems.values()), example=example)
    return report


@dataclass
class Synced:
    """One account's sync: its report, or the one line saying why it failed."""

    account: Account
    report: Report | None = None
    error: str = ""


def sync_one(
    rt: Runtime,
    account: Account,
    now: datetime,
    *,
    parallel: bool,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    full: bool = False,
) -> Report:
    """One sync of one account under its lock: the CLI's and the daemon's alike.

    Each saved page goes into the views at once, unless the store is shared (there
    `kithkeep project` keeps them).
    """
    policy = rt.settings.policy()
    with rt.store.account_lock(account.name):
        source = build_source(account, SyncContext(rt.settings, now, rt.local_tz()))
        return pull.run(
            source,
            rt.store,
            progress=progress,
            parallel=parallel,
            on_saved=None if rt.store.shared else rt.projecting(now),
            should_stop=should_stop,
            is_noise=lambda o: bool(judge(o, policy).noise),
            full=full,
        )


def sync_accounts(
    settings: Settings,
    names: list[str],
    *,
    full: bool = False,
    progress: Callable[[str], Progress | None] | None = None,
    debug: bool = False,
    on_wait: OnWait | None = None,
) -> list[Synced]:
    """Sync the named accounts (all enabled ones if none named), each on its own.

    One account's failure (an expired sign-in, a server down) is its own line; the
    others go on. An account synced by another process right now is left to it.
    """
    _require_me(settings)
    accounts = (
        [settings.account(n) for n in names]
        if names
        else [a for a in settings.accounts if a.enabled]
    )
    if not accounts:
        raise ConfigError(
            f"no accounts in {settings.paths.config}: add one with `kithkeep account add`"
        )
    out: list[Synced] = []
    now = datetime.now(UTC)
    with writing(settings, "sync", on_wait), open_runtime(settings) as rt:
        for account in accounts:
            try:
                report = sync_one(
                    rt,
                    account,
                    now,
                    parallel=provider_for(account.type).parallel,
                    progress=progress(account.name) if progress else None,
                    full=full,
                )
                out.append(Synced(account, report))
            except StoppedError:
                raise  # Ctrl-C stops every account, not just this one
            except KithkeepError as e:
                out.append(Synced(account, error=str(e)))
            except Exception as e:
                if debug:
                    raise
                out.append(Synced(account, error=f"unexpected {type(e).__name__} (see --debug)"))
        if not rt.store.shared:
            rt.project(now)
    return out
