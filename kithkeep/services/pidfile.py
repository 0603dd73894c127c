"""Which daemon serves a home: its pid file, readable without importing the daemon."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kithkeep.services.settings import Paths


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


@contextmanager
def account_lock(paths: Paths, name: str) -> Iterator[None]:
    """Held while one process syncs one account: a second sync of it is refused.

    An OS lock (flock) on a file of the account's: it goes with the process, so a
    killed sync never leaves it held.
    """
    import fcntl

    from kithkeep.domain.errors import ConnectorError

    folder = paths.home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConnectorError(
                f"account {name} is being synced by another process (the daemon?)"
            ) from None
        yield
    finally:
        os.close(fd)
