"""Which daemon serves a home: its pid file, readable without importing the daemon."""

from __future__ import annotations

import os
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
