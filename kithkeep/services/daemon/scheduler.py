"""The background daemon: every account synced on its schedule, views kept live, a daily digest.

APScheduler runs one job per account (never two at once for one account) and a digest
check; all jobs run on one worker thread, so the event store and the views have a single
writer and the CLI reads alongside. A failing account backs off, doubling up to a cap,
while the others go on. One daemon per home: a lock file holds the pid.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kithkeep.domain.errors import ConfigError, KithkeepError, StoreError
from kithkeep.services.config.daemon_files import (
    AccountState,
    DaemonState,
    lock_path,
    read_state,
    running_pid,
    state_path,
)
from kithkeep.services.config.encryption import encrypted
from kithkeep.services.config.settings import Account, Paths, Settings, load
from kithkeep.services.runtime import Runtime, open_runtime
from kithkeep.services.store.events import AccountBusyError
from kithkeep.services.usecases.digest import build, mail
from kithkeep.services.usecases.ingest import sync_one
from kithkeep.services.usecases.views import read_views

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

Clock = Callable[[], datetime]
log = logging.getLogger("kithkeep.daemon")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DaemonRunningError(KithkeepError):
    """Another daemon already serves this home."""


def only_accounts(settings: Settings, names: list[str]) -> Settings:
    """The settings with just these accounts: one daemon of several on a shared store."""
    wanted = {n.strip() for n in names if n.strip()}
    unknown = wanted - {a.name for a in settings.accounts}
    if unknown:
        raise ConfigError(f"no account named {', '.join(sorted(unknown))} in the config")
    return replace(settings, accounts=tuple(a for a in settings.accounts if a.name in wanted))


# -- the lock ---------------------------------------------------------------------------


@contextmanager
def home_lock(paths: Paths) -> Iterator[None]:
    """Hold the home's lock; a stale one (its process gone) is taken over."""
    paths.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(paths), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = running_pid(paths)
        raise DaemonRunningError(
            f"a kithkeep daemon is already running for {paths.home} (pid {pid})"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock


# -- the daemon ---------------------------------------------------------------------------


class Daemon:
    """Schedules the accounts' syncs and the digest; `run` blocks until stopped."""

    def __init__(self, settings: Settings, *, clock: Clock = _utc_now) -> None:
        self.settings = settings
        self.paths = settings.paths
        self.clock = clock
        self.stopping = threading.Event()
        self.state = DaemonState(os.getpid(), clock().isoformat())
        # What earlier runs added stays counted: "added" is the account's, not this run's.
        before = read_state(settings.paths)
        for a in settings.accounts:
            if a.enabled:
                st = self.state.accounts[a.name] = AccountState(a.name, a.type, a.interval_seconds)
                if before is not None and (old := before.accounts.get(a.name)) is not None:
                    st.added_total, st.last_success = old.added_total, old.last_success
        self._rt: Runtime | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._state_lock = threading.Lock()
        # Held while a job runs: stopping waits on it, never on the scheduler's own locks.
        self._busy = threading.Lock()

    # The jobs ---------------------------------------------------------------------------

    def sync_account(self, account: Account) -> None:
        """One sync of one account; failures are recorded and backed off, never raised."""
        if self.stopping.is_set():
            return
        with self._busy:
            self._sync_account(account)

    def _sync_account(self, account: Account) -> None:
        st = self.state.accounts[account.name]
        started = time.monotonic()
        now = self.clock()
        # A shared store: `kithkeep project` keeps the views; another daemon may own this
        # account right now (its advisory lock), and then this run is skipped.
        rt = self._rt
        assert rt is not None, "run() opens the runtime first"
        shared = rt.store.shared
        try:
            if account.type == "folder" and not account.path.exists():
                raise StoreError(f"{account.path}: no such folder")
            report = sync_one(
                rt,
                account,
                now,
                parallel=False,  # the daemon's one worker thread; no child process
                should_stop=self.stopping.is_set,
            )
            if not shared:
                rt.project(now)
        except AccountBusyError as e:
            log.info("sync account=%s skipped: %s", account.name, e)
            return
        except Exception as e:  # an account's trouble must not stop the others
            st.failures += 1
            st.last_error = str(e) if isinstance(e, KithkeepError) else type(e).__name__
            st.last_error_at = self.clock().isoformat()
            delay = min(account.interval_seconds * 2**st.failures, self._backoff_cap())
            log.warning(
                "sync account=%s failed=%s failures=%d retry_in=%.0fs",
                account.name,
                st.last_error,
                st.failures,
                delay,
            )
            self._reschedule(account, delay)
        else:
            if st.failures:
                self._reschedule(account, account.interval_seconds)
            st.failures = 0
            st.last_success = self.clock().isoformat()
            st.last_added = report.added
            st.added_total += report.added
            log.info(
                "sync account=%s added=%d withdrawn=%d noise=%d duplicates=%d skipped=%d "
                "errors=%d duration=%.2fs",
                account.name,
                report.added,
                report.withdrawn,
                report.noise,
                report.duplicates,
                report.skipped,
                sum(report.problems.values()),
                time.monotonic() - started,
            )
        finally:
            st.runs += 1
            self._save_state()

    def _backoff_cap(self) -> float:
        return self.settings.daemon.backoff_cap_seconds

    def _reschedule(self, account: Account, delay: float) -> None:
        if self._scheduler is None or self.stopping.is_set():
            return
        when = datetime.now(UTC) + timedelta(seconds=delay)
        try:
            self._scheduler.modify_job(f"account:{account.name}", next_run_time=when)
        except Exception:  # the job is gone when shutting down
            return

    def maybe_digest(self) -> Path | None:
        """Write today's digest once the local clock has passed the digest time."""
        if self.stopping.is_set():
            return None
        with self._busy:
            return self._maybe_digest()

    def _maybe_digest(self) -> Path | None:
        local = self.clock().astimezone(self._rt.local_tz() if self._rt else UTC)
        hour, minute = map(int, self.settings.daemon.digest_time.split(":"))
        if (local.hour, local.minute) < (hour, minute):
            return None
        path = self.paths.home / "digest" / f"{local:%Y-%m-%d}.md"
        if path.exists() or (not self.settings.store_url and not self.paths.views.exists()):
            return None
        conn = read_views(self.settings)
        try:
            text = build(conn, self.settings.policy(), int(local.timestamp()), None).text(10)
        finally:
            conn.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.state.last_digest = local.isoformat()
        if encrypted(self.paths):
            # Names in a file in clear would undo the encryption: only that it was made.
            path.write_text("The home is encrypted: `kithkeep digest` shows today's digest.\n")
        else:
            path.write_text(text)
            log.info("digest written path=%s", path)
            for line in text.splitlines():
                log.info("digest %s", line)
        if self.settings.digest.smtp_host:
            try:
                mail(text, f"{local:%Y-%m-%d}", self.settings)
                self.state.digest_error = None
                log.info("digest mailed to=%s", self.settings.digest.smtp_to or "self")
            except KithkeepError as e:
                self.state.digest_error = str(e)
                log.warning("%s", e)
        if self.settings.daemon.notify and shutil.which("notify-send"):
            with suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["notify-send", "kithkeep digest", text[:500]], timeout=5, check=False
                )
        self._save_state()
        return path

    def _save_state(self, *, next_runs: bool = False) -> None:
        with self._state_lock:
            self._write_state(next_runs)

    def _write_state(self, next_runs: bool) -> None:
        # Only the main thread asks the scheduler (jobs must not take its locks).
        if next_runs and self._scheduler is not None and not self.stopping.is_set():
            for job in self._scheduler.get_jobs():
                name = job.id.removeprefix("account:")
                if name in self.state.accounts and job.next_run_time is not None:
                    self.state.accounts[name].next_run = job.next_run_time.isoformat()
        try:
            self.state.write(state_path(self.paths))
        except OSError as e:  # a full disk is reported in the log; the daemon goes on
            log.error("cannot write daemon state: %s", e)

    # Running ----------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        """Sync every account (once, or on schedule until SIGTERM/SIGINT)."""
        with home_lock(self.paths), open_runtime(self.settings) as rt:
            self._rt = rt
            log.info("daemon started pid=%d accounts=%d", os.getpid(), len(self.state.accounts))
            try:
                if once:
                    self._run_once()
                else:
                    self._run_scheduled()
            finally:
                self._save_state()
                log.info("daemon stopped pid=%d", os.getpid())

    def _config_mtime(self) -> float:
        try:
            return self.paths.config.stat().st_mtime
        except OSError:
            return 0.0

    def _check_config(self) -> None:
        """A config edited under a running daemon: report it if broken; the daemon goes on."""
        try:
            load(self.paths.home)
        except KithkeepError as e:
            self.state.config_error = str(e)
            log.error("config unusable, still running with the one read at start: %s", e)
        else:
            self.state.config_error = None
            log.info("config changed: restart the daemon to apply it")

    def _accounts(self) -> list[Account]:
        return [a for a in self.settings.accounts if a.enabled]

    def _run_once(self) -> None:
        for account in self._accounts():
            if self.stopping.is_set():
                break
            self.sync_account(account)
        self.maybe_digest()

    def _run_scheduled(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        # One worker: the store and the views have a single writer.
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._scheduler = scheduler
        first = datetime.now(UTC)
        for account in self._accounts():
            scheduler.add_job(
                self.sync_account,
                "interval",
                args=[account],
                id=f"account:{account.name}",
                seconds=account.interval_seconds,
                jitter=min(self.settings.daemon.jitter_seconds, account.interval_seconds / 2),
                next_run_time=first,
            )
        scheduler.add_job(
            self.maybe_digest, "interval", id="digest", seconds=30, next_run_time=first
        )
        previous = {
            sig: signal.signal(sig, lambda *_: self.stopping.set())
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        scheduler.start()
        seen = self._config_mtime()
        try:
            while not self.stopping.wait(1.0):
                if (mtime := self._config_mtime()) != seen:
                    seen = mtime
                    self._check_config()
                self._save_state(next_runs=True)
        finally:
            scheduler.shutdown(wait=False)
            with self._busy:  # the running sync stops after the page it is saving
                pass
            for sig, handler in previous.items():
                signal.signal(sig, handler)
