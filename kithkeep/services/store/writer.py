"""One writer at a time in a home: an import, a sync or a rebuild waits for the one
running, and says so.

The lock is an OS lock (flock) on `writer.lock` in the home, which holds what the
holder is doing and its pid: it goes with the process, so a killed import never leaves
it held.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from kithkeep.services.config.settings import Settings

#: Told once when the lock is held by another process, before waiting for it.
OnWait = Callable[[str], None]


def writing(settings: Settings, doing: str, on_wait: OnWait | None) -> AbstractContextManager[None]:
    """The home's one writer (a shared PostgreSQL store takes concurrent writers)."""
    if settings.store_url:
        return nullcontext()
    return one_writer(settings.paths.home, doing, on_wait)


@contextmanager
def one_writer(home: Path, doing: str, on_wait: OnWait | None = None) -> Iterator[None]:
    """Hold the home's writer lock while the block runs (waiting for it if need be)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "writer.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"waiting for the {_holder(path)} to finish…")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{doing} {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _holder(path: Path) -> str:
    try:
        doing, _, pid = path.read_text().strip().rpartition(" ")
    except OSError:
        return "kithkeep process"
    return f"{doing} running as pid {pid}" if doing and pid.isdigit() else "kithkeep process"
