"""Folder accounts: a local folder (or file) whose mail and calendars are imported on sync."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import InputError
from kithkeep.services.accounts.base import Added, Provider, SyncContext, windowed
from kithkeep.services.config.editing import TomlValue, add_account
from kithkeep.services.config.settings import Account, Paths


@dataclass(frozen=True, slots=True)
class FolderRequest:
    """`account add folder PATH`: what to watch and how often."""

    path: Path
    name: str | None = None
    interval_minutes: float = 15
    #: Only what is this recent (None: everything in the folder).
    since_days: int | None = None


class FolderProvider(Provider[FolderRequest]):
    kinds = ("folder",)
    parallel = True

    def add(self, paths: Paths, request: FolderRequest) -> list[Added]:
        path = request.path.expanduser().resolve()
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        table: dict[str, TomlValue] = {
            "name": request.name or path.name,
            "type": "folder",
            "path": path,
            "interval_minutes": request.interval_minutes,
        }
        if request.since_days is not None:
            table["since_days"] = request.since_days
        return [Added(add_account(paths, table))]

    def source(self, account: Account, context: SyncContext) -> Source:
        from kithkeep.connectors.files import FileSource

        if not account.path.exists():
            raise InputError(f"{account.path}: no such file or folder")
        source = FileSource(
            account.path,
            now=context.now,
            local_tz=context.local_tz,
            limits=context.settings.limits,
        )
        return windowed(source, account, context)
