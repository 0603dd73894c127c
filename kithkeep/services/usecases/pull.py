"""The one page-and-cursor loop: every source's pages go through here into the store.

Parsing runs in a child process while this one stores (a file import uses both
cores); the queue between them is bounded, so memory stays flat on any mailbox.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import queue
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kithkeep.connectors.base import Page, Problem, Source
from kithkeep.domain.errors import ConnectorError, KithkeepError, StoppedError
from kithkeep.domain.interaction import Observation
from kithkeep.services.store.events import Store, Written
from kithkeep.services.store.orphans import die_with_parent

Progress = Callable[[int, int], None]
_DONE = "done"
_FAILED = "failed"


@dataclass
class Report:
    """What one import or sync did, for a summary line per reason."""

    source: str
    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    fallbacks: Counter[str] = field(default_factory=Counter)
    noise: int = 0
    withdrawn: int = 0
    #: Of `duplicates`, the copies of something this same run read already (the same
    #: message in two folders, an archive's copies); the rest were stored before it.
    copies: int = 0
    #: Interactions this run read, as 64-bit prints (8 bytes each, not whole ids).
    _seen: set[int] = field(default_factory=set, repr=False)
    #: Contact cards read, new or changed, and withdrawn.
    cards_read: int = 0
    cards: int = 0
    cards_withdrawn: int = 0
    #: What sources left out or set aside, by reason (`Page.notes`).
    notes: Counter[str] = field(default_factory=Counter)

    @property
    def read(self) -> int:
        return self.added + self.duplicates + self.cards_read

    @property
    def already_known(self) -> int:
        return self.duplicates - self.copies

    def take(self, page: Page, added: int, duplicates: int) -> None:
        self.added += added
        self.duplicates += duplicates + page.duplicates
        prints = [o.interaction_id.int >> 64 for o in page.observations]
        unique = set(prints)
        self.copies += page.duplicates + len(prints) - len(unique) + len(unique & self._seen)
        self._seen |= unique
        self.skipped += page.skipped
        self.fallbacks.update(page.fallbacks)
        self.notes.update(page.notes)
        for p in page.problems:
            self._problem(p)

    def _problem(self, p: Problem) -> None:
        self.problems[p.reason] += 1
        self.examples.setdefault(p.reason, p.where)


def run(
    source: Source,
    store: Store,
    *,
    progress: Progress | None = None,
    parallel: bool = True,
    on_saved: Callable[[Written], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    is_noise: Callable[[Observation], bool] | None = None,
    full: bool = False,
) -> Report:
    """Pull every page after the saved cursor (`full`: from the start); save each with its cursor.

    A source read from no cursor lists everything it has, so it can also tell what is
    gone since (and withdraw it); nothing stored twice either way.
    """
    report = Report(source.key)
    cursor = None if full else store.cursor(source.key)
    pages = _in_child(source, cursor) if parallel else source.pages(cursor)
    try:
        for page in pages:
            saved = store.save_page(
                source.key,
                page.observations,
                page.cursor,
                page.withdrawn,
                revise=page.revise,
                keep_cursor=page.checkpoint,
                cards=page.cards,
                cards_withdrawn=page.cards_withdrawn,
            )
            report.take(page, saved.added, saved.duplicates)
            report.withdrawn += saved.withdrawn
            report.cards_read += len(page.cards)
            report.cards += saved.cards
            report.cards_withdrawn += saved.cards_withdrawn
            if is_noise is not None:
                report.noise += sum(1 for o in page.observations if is_noise(o))
            if on_saved is not None:
                on_saved(saved.written)
            if progress is not None:
                progress(page.done, page.total)
            if should_stop is not None and should_stop():
                break  # between pages: what was saved is whole, the cursor says where to resume
    except KeyboardInterrupt:
        raise StoppedError(report.read + report.skipped) from None
    finally:
        # A source lets go of its connections when its pages end, also when they end early.
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    return report


def _produce(source: Source, cursor: str | None, q: Any, parent: int) -> None:
    """Child process: read pages and hand them over; give up if the parent is gone."""
    die_with_parent(parent)
    # What the parent made before the fork lives as long as this process: the collector
    # need not go through it again and again (nor touch, and so copy, its pages).
    gc.freeze()
    try:
        for page in source.pages(cursor):
            while True:
                if os.getppid() != parent:
                    return
                try:
                    q.put(page, timeout=1)
                    break
                except queue.Full:
                    continue
        q.put((_DONE, None))
    except KithkeepError as e:
        q.put((_FAILED, e))
    except Exception as e:  # reported by the parent, which owns the user's terminal
        q.put((_FAILED, ConnectorError(f"{type(e).__name__}: {e}")))


def _in_child(source: Source, cursor: str | None) -> Iterator[Page]:
    # fork: the child needs nothing but the source, and starts at once (no re-import).
    method = "fork" if sys.platform == "linux" else "spawn"
    ctx: Any = mp.get_context(method)
    q: Any = ctx.Queue(maxsize=4)
    child = ctx.Process(target=_produce, args=(source, cursor, q, os.getpid()), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = q.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise ConnectorError("the reader process died unexpectedly") from None
                continue
            if isinstance(item, Page):
                yield item
                continue
            tag, error = item
            if tag == _FAILED:
                raise error
            return
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        q.close()
