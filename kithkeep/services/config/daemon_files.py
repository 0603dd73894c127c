"""The daemon's files in the home: its pid (lock) file and its state file.

Readable without importing the daemon (`status` and the query commands only look),
written by the daemon alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from kithkeep.services.config.settings import Paths


def lock_path(paths: Paths) -> Path:
    return paths.home / "daemon.pid"


def running_pid(paths: Paths) -> int | None:
    """The pid of the daemon serving this home, if one is alive."""
    try:
        pid = int(lock_path(paths).read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


# -- state shown by `kithkeep status` -----------------------------------------------------


@dataclass
class AccountState:
    name: str
    type: str
    interval_seconds: float
    last_success: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    failures: int = 0
    next_run: str | None = None
    last_added: int = 0
    added_total: int = 0
    runs: int = 0

    @property
    def healthy(self) -> bool:
        return self.failures == 0

    def as_json(self) -> dict[str, object]:
        """As the state file and `status --json` have it: its fields, and if healthy."""
        return {**asdict(self), "healthy": self.healthy}


@dataclass
class DaemonState:
    pid: int
    started_at: str
    accounts: dict[str, AccountState] = field(default_factory=dict)
    last_digest: str | None = None
    digest_error: str | None = None
    config_error: str | None = None

    def write(self, path: Path) -> None:
        data = asdict(self)
        data["accounts"] = {name: a.as_json() for name, a in self.accounts.items()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)


def state_path(paths: Paths) -> Path:
    return paths.home / "daemon.json"


def read_state(paths: Paths) -> DaemonState | None:
    """The daemon's last written state; None if there is none (or it cannot be read)."""
    try:
        data = json.loads(state_path(paths).read_text())
        accounts = {
            name: AccountState(**{k: v for k, v in raw.items() if k in _ACCOUNT_FIELDS})
            for name, raw in data.get("accounts", {}).items()
        }
        known = {k: v for k, v in data.items() if k in _STATE_FIELDS and k != "accounts"}
        return DaemonState(**known, accounts=accounts)
    except (OSError, ValueError, TypeError, AttributeError):
        return None


_ACCOUNT_FIELDS = frozenset(f.name for f in fields(AccountState))
_STATE_FIELDS = frozenset(f.name for f in fields(DaemonState))
