"""The projector: reads the notification log in pages and feeds a view.

The library's per-event runner commits once per event and cannot follow a SQLite
application; reading the log a page at a time and committing each page with its
tracking position is both fast and crash-safe.

Most of the log is `Interaction.Observed`, and the view needs only its state: those
rows are decoded straight to their state (with the mapper's own transcoder), without
building a notification and an event object for each. Every other event goes through
the library's mapper.

A long backlog (a rebuild, a first import, `store copy`) is taken in bulk: totals are
counted once at the end instead of page by page, and forked helper processes (or a
thread, where forking is not safe) read, decode and plan the pages while this one
writes them, each with its tracking position in one transaction as always. Helpers
only ever read; if one dies, or another projector gets ahead, this process goes on alone
from the view's position.
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Mapper,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import get_topic

from kithkeep.domain.aggregates import Interaction
from kithkeep.domain.rules import Policy
from kithkeep.projections.people import PeopleProjection, ViewMovedError
from kithkeep.projections.rows import Plan

log = logging.getLogger(__name__)

PAGE = 1000
#: A backlog this long (and a quarter of what is projected already) is taken in bulk.
BULK = 5 * PAGE
#: A bulk backlog this long is worth a helper process.
PARALLEL = 20 * PAGE

#: A row of the notification log: id, originator id (hex), version, topic, state.
RawEvent = tuple[int, str, int, str, bytes]


class LogReader(Protocol):
    """Reads up to `limit` rows of the log after `start` (up to `stop`, if given), on a
    connection of the process that calls it (so a forked helper may read too)."""

    def __call__(self, start: int, limit: int, stop: int | None = None) -> Sequence[RawEvent]: ...

    def close(self) -> None: ...


_OBSERVED = get_topic(Interaction.Observed)


@dataclass(frozen=True, slots=True)
class Caught:
    events: int
    rebuilt: bool


class Projector:
    def __init__(
        self,
        application_name: str,
        recorder: ApplicationRecorder,
        mapper: Mapper[UUID],
        view: PeopleProjection,
        read: LogReader,
        page: int = PAGE,
    ) -> None:
        self.application_name = application_name
        self.recorder = recorder
        self.mapper = mapper
        self.view = view
        self.read = read
        self.page = page
        #: A bulk page: bigger, since its totals wait for the end (fewer commits).
        self.bulk_page = 4 * page
        #: The backlog from which pages are taken in bulk, and planned by a helper.
        self.bulk_from = BULK
        self.parallel_from = PARALLEL
        #: The helper: "process" if safe (no other thread), else "thread"; or either.
        self.helper: Literal["auto", "process", "thread"] = "auto"
        #: How many helper processes plan pages (one thread, if a thread).
        self.helpers = min(4, _cpus())
        #: Other threads known to hold nothing a forked helper needs (a connection pool's
        #: idle workers): with only those running, forking is still safe.
        self.quiet_thread: Callable[[threading.Thread], bool] = lambda _: False
        #: Reads the state of an `Interaction.Observed` (a transcoder may know a faster
        #: way for one whose fields are only strings and datetimes).
        self.decode_observed: Callable[[bytes], Any] = mapper.transcoder.decode
        #: Called first in a forked helper with its parent's pid (to die with it).
        self.in_helper: Callable[[int], None] = lambda _: None

    def position(self) -> int:
        found: int | None = self.view.max_tracking_id(self.application_name)  # type: ignore[attr-defined]
        return found or 0

    def catch_up(
        self, policy: Policy, now: int, progress: Callable[[int, int], None] | None = None
    ) -> Caught:
        """Project every event not yet in the view, then settle time-dependent rows."""
        rebuilt = self.view.ensure_built_for(policy, self.application_name)
        start = self.position()
        end = self.recorder.max_notification_id() or 0
        bulk = end - start >= max(self.bulk_from, start // 4)
        done = 0
        if bulk and end - start >= self.parallel_from:
            done = self._with_helper(start, end, policy, now, progress)
            start = self.position()
        while True:
            rows = self.read(start, self.bulk_page if bulk else self.page)
            if not rows:
                break
            try:
                with _gc_paused():  # a page's objects are acyclic and freed with it
                    plan = self._plan(rows, policy, now, bulk=bulk)
                    self.view.write_page(
                        plan, rows[0][0], Tracking(self.application_name, rows[-1][0]), now
                    )
            except ViewMovedError:
                # Another projector (a shared store) took these first: go on from there.
                start = self.position()
                continue
            start = rows[-1][0]
            done += len(rows)
            if progress is not None:
                progress(start, end)
        self.view.settle(now)
        return Caught(done, rebuilt)

    def take(self, written: Sequence[tuple[int, Any]], policy: Policy, now: int) -> bool:
        """Project a page just saved, from memory, if it directly follows the view's position.

        The events are the ones the store just wrote, with their notification ids; the
        tracking position keeps this exactly-once. Anything out of step is left to
        `catch_up`, which reads the log. True if the page was taken.
        """
        if not written:
            return True
        ids = [i for i, _ in written]
        if ids[-1] - ids[0] != len(ids) - 1 or self.position() != ids[0] - 1:
            return False
        events = self._resolved(list(written))
        try:
            self.view.apply_page(events, Tracking(self.application_name, ids[-1]), policy, now)
        except ViewMovedError:
            return False
        return True

    def _plan(self, rows: Sequence[RawEvent], policy: Policy, now: int, *, bulk: bool) -> Plan:
        events = self._decoded(rows)
        assert events is not None
        return self.view.plan_page(events, policy, now, bulk=bulk)

    def _decoded(
        self, rows: Sequence[RawEvent], *, resolve: bool = True
    ) -> list[tuple[int, Any]] | None:
        """Log rows as the view takes them: an observation as (hex id, state).

        Without `resolve` (no access to the store), None if an event needs it.
        """
        decode = self.decode_observed
        out: list[tuple[int, Any]] = []
        for notification_id, hex_id, version, topic, state in rows:
            if topic == _OBSERVED:
                out.append((notification_id, (hex_id, decode(state))))
                continue
            e = self.mapper.to_domain_event(StoredEvent(UUID(hex_id), version, topic, state))
            if not resolve and isinstance(e, Interaction.Restored | Interaction.Revised):
                return None
            out.extend(self._resolved([(notification_id, e)]))
        return out

    # -- a helper process for long backlogs ---------------------------------------------

    def _with_helper(
        self,
        start: int,
        end: int,
        policy: Policy,
        now: int,
        progress: Callable[[int, int], None] | None,
    ) -> int:
        """Write the pages a helper plans, in order, up to `end`; the count written.

        The helpers are forked processes where that is safe (no other thread but quiet
        ones), else a thread, which still plans while this one waits on the database.
        Stops early (the caller goes on alone) if a helper ends or the view moves.
        """
        done = 0
        with _helper(self, start, end, policy, now) as planned:
            for low, high, first, last, count, planned_plan in planned:
                if not count:
                    continue  # no events in that stretch of ids
                # None: it needed the store, so it is planned here.
                plan = planned_plan or self._plan(
                    self.read(low, high - low, high), policy, now, bulk=True
                )
                try:
                    with _gc_paused():
                        self.view.write_page(
                            plan, first, Tracking(self.application_name, last), now
                        )
                except ViewMovedError:
                    break
                start = last
                done += count
                if progress is not None:
                    progress(start, end)
        return done

    def planned_pages(
        self, start: int, end: int, policy: Policy, now: int, share: tuple[int, int] = (0, 1)
    ) -> Iterator[Planned]:
        """Read and plan the stretches of ids after `start` up to `end` (in a helper);
        with `share` (i, n), every n-th one from the i-th."""
        i, n = share
        for low, high in self.stretches(start, end, n)[i::n]:
            rows = self.read(low, high - low, high)
            if not rows:
                yield low, high, 0, 0, 0, []
                continue
            events = self._decoded(rows, resolve=False)
            plan = None if events is None else self.view.plan_page(events, policy, now, bulk=True)
            yield low, high, rows[0][0], rows[-1][0], len(rows), plan

    def stretches(self, start: int, end: int, helpers: int) -> list[tuple[int, int]]:
        """The stretches of ids after `start` up to `end` that helpers plan: `bulk_page`
        ids each, but the first few shorter, doubling up to it, so that the first page
        is soon ready to be written while the helpers go on with the next ones."""
        out: list[tuple[int, int]] = []
        low, k = start, 0
        while low < end:
            size = max(1, self.page // 4, self.bulk_page >> max(0, helpers - k))
            out.append((low, min(low + size, end)))
            low, k = low + size, k + 1
        return out

    def _resolved(self, events: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
        """Events as the view takes them: an observation as (hex id, state). A restored
        interaction is projected again as it stood then; a revised one is taken out and
        projected again with its new fields."""
        out: list[tuple[int, Any]] = []
        for notification_id, e in events:
            if isinstance(e, Interaction.Observed):
                out.append((notification_id, _observed(e)))
            elif isinstance(e, Interaction.Restored):
                then = self._as_of(e.originator_id, e.originator_version)
                out.append((notification_id, _observed(then)))
            elif isinstance(e, Interaction.Revised):
                out.append((notification_id, e))  # withdraws the rows as they were
                then = self._as_of(e.originator_id, e.originator_version)
                out.append((notification_id, _observed(then)))
            else:
                out.append((notification_id, e))
        return out

    def _as_of(self, originator_id: UUID, version: int) -> Any:
        """The `Observed` event, with every revision up to `version` folded in."""
        stored = self.recorder.select_events(originator_id, lte=version)
        first: Any = self.mapper.to_domain_event(stored[0])
        fields: dict[str, Any] = {}
        for item in stored[1:]:
            later = self.mapper.to_domain_event(item)
            if isinstance(later, Interaction.Revised):
                fields.update(
                    {k: v for k, v in later.__dict__.items() if k in first.__dict__}
                    | {"originator_version": 1, "timestamp": first.timestamp}
                )
        if not fields:
            return first
        state = {**first.__dict__, **fields}
        return type(first)(**state)

    def rebuild(self, policy: Policy, now: int) -> Caught:
        self.view.reset(self.application_name, "")
        return self.catch_up(policy, now)


def _observed(e: Any) -> tuple[str, dict[str, Any]]:
    return e.originator_id.hex, e.__dict__


#: A planned stretch of the log: the ids it spans (after the first, up to the second), the
#: first and last notification ids in it, how many events, and the plan (None: the
#: writer plans it, since it needs the store).
Planned = tuple[int, int, int, int, int, "Plan | None"]


@contextmanager
def _helper(
    projector: Projector, start: int, end: int, policy: Policy, now: int
) -> Iterator[Iterator[Planned]]:
    kind = projector.helper
    if kind == "process" or (kind == "auto" and _may_fork(projector.quiet_thread)):
        with _process_helper(projector, start, end, policy, now) as planned:
            yield planned
    else:
        with _thread_helper(projector, start, end, policy, now) as planned:
            yield planned


@contextmanager
def _process_helper(
    projector: Projector, start: int, end: int, policy: Policy, now: int
) -> Iterator[Iterator[Planned]]:
    """Forked helpers, each planning every n-th stretch; taken back in order."""
    context = multiprocessing.get_context("fork")
    n = max(1, projector.helpers)
    receivers: list[Connection] = []
    helpers = []
    for i in range(n):
        receive, send = context.Pipe(duplex=False)
        helper = context.Process(
            target=_plan_in_process,
            args=(projector, start, end, policy, now, (i, n), send, os.getpid()),
            name="kithkeep-projector",
            daemon=True,
        )
        helper.start()
        send.close()
        receivers.append(receive)
        helpers.append(helper)
    stretches = len(projector.stretches(start, end, n))

    def planned() -> Iterator[Planned]:
        for k in range(stretches):
            try:
                blob = receivers[k % n].recv_bytes()
                with _gc_paused():
                    item: Planned = pickle.loads(blob)
            except EOFError:
                return  # a helper died: the caller goes on from the view
            yield item

    try:
        yield planned()
    finally:
        for receive in receivers:
            receive.close()
        for helper in helpers:
            if helper.is_alive():
                helper.terminate()
            helper.join()


def _plan_in_process(
    projector: Projector,
    start: int,
    end: int,
    policy: Policy,
    now: int,
    share: tuple[int, int],
    send: Connection,
    parent: int,
) -> None:
    projector.in_helper(parent)
    gc.disable()  # a short life of acyclic pages
    try:
        for item in projector.planned_pages(start, end, policy, now, share):
            try:
                blob = _pickled(item)
            except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
                blob = _pickled((*item[:5], None))
            send.send_bytes(blob)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the writer stopped
    except Exception:
        log.debug("the projection's helper process stopped", exc_info=True)
    finally:
        send.close()
        projector.read.close()


def _pickled(item: Planned) -> bytes:
    """A planned page, pickled without a memo: it holds no object twice that must stay
    one, nor any cycle, and remembering each of its many small objects took longer than
    writing them out (pickling took half as long without)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True  # no memo (kept by the standard library, though documented as old)
    pickler.dump(item)
    return out.getvalue()


@contextmanager
def _thread_helper(
    projector: Projector, start: int, end: int, policy: Policy, now: int
) -> Iterator[Iterator[Planned]]:
    pages: queue.Queue[Planned | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item: Planned | None) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def plan() -> None:
        try:
            for item in projector.planned_pages(start, end, policy, now):
                if not put(item):
                    return
        except Exception:
            log.debug("the projection's helper thread stopped", exc_info=True)
        put(None)

    def planned() -> Iterator[Planned]:
        while (item := pages.get()) is not None:
            yield item

    helper = threading.Thread(target=plan, name="kithkeep-projector", daemon=True)
    helper.start()
    try:
        yield planned()
    finally:
        stop.set()
        helper.join()


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _may_fork(quiet: Callable[[threading.Thread], bool]) -> bool:
    """Forking is safe only with no other thread that might hold a lock the child needs."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    me = threading.current_thread()
    return all(t is me or quiet(t) for t in threading.enumerate())


@contextmanager
def _gc_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
