"""The event store: an `eventsourcing` application on SQLite (or PostgreSQL).

`save_page` is the one place a page of observations is written, together with the
cursor that follows it, in one transaction. Re-saving what is stored is a no-op.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
    PersistenceError,
    Transcoder,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from kithkeep.domain.aggregates import (
    DIRECTIVES_ID,
    FORGOTTEN_ID,
    REFERRALS_ID,
    Contact,
    Directives,
    Forgotten,
    Interaction,
    Referrals,
    SyncPosition,
    position_id,
)
from kithkeep.domain.card import Card, card_id
from kithkeep.domain.errors import StoreError
from kithkeep.domain.forgetting import Door
from kithkeep.domain.interaction import Observation, interaction_id
from kithkeep.projections.projector import LogReader
from kithkeep.projections.schema import APPLICATION_NAME
from kithkeep.services.store.health import damage
from kithkeep.services.store.logreader import SQLiteLog
from kithkeep.services.store.persistence import (
    BatchSQLiteRecorder,
    FastJSONTranscoder,
    KithkeepMapper,
)

T = TypeVar("T")


class AccountBusyError(StoreError):
    """Another process is syncing this account right now."""


class StoreUnavailableError(StoreError):
    """The store's database went away (or is not there yet); trying again may work."""


class KithkeepApplication(Application[UUID]):
    name = APPLICATION_NAME
    is_snapshotting_enabled = False

    def construct_transcoder(self) -> Transcoder:
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=KithkeepMapper
        )


#: Events just written, by notification id: a projector can take them without a re-read.
Written = Sequence[tuple[int, object]]


@dataclass(frozen=True, slots=True)
class Saved:
    added: int
    duplicates: int
    #: What was written, by notification id: a projector can take it without a re-read.
    written: Written = ()
    withdrawn: int = 0
    restored: int = 0
    #: Contact cards new or changed, and withdrawn.
    cards: int = 0
    cards_withdrawn: int = 0


class Store:
    """Interactions, positions and directives, in the event store under `path`.

    The SQLite store; `pgstore.PgStore` is the same store on PostgreSQL.
    """

    #: Several processes may write to this store at once (PostgreSQL).
    shared = False
    recorder: ApplicationRecorder

    def __init__(self, path: Path, cipher: Mapping[str, str] | None = None) -> None:
        """`cipher`: the library's CIPHER_TOPIC and CIPHER_KEY, for an encrypted home."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if problem := damage(path):
            raise StoreError(
                f"the event store {path} is {problem}: nothing was written to it; "
                "restore it from a backup (the views can be rebuilt from it, never it from them)"
            )
        self._start(
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": get_topic(BatchSQLiteRecorder),
                **(cipher or {}),
            },
            str(path),
        )
        assert isinstance(self.recorder, SQLiteApplicationRecorder)
        #: Where the events are, for messages: a file, or a URL without its password.
        self.where = str(path)
        self.path = path
        self.log: LogReader = SQLiteLog(path, self.recorder.events_table_name)

    def _start(self, env: Mapping[str, str], where: str) -> None:
        #: Positions as last saved here, by source key.
        self._positions: dict[str, SyncPosition] = {}
        self._door: Door | None = None
        try:
            self.app = KithkeepApplication(env=dict(env))
        except (OperationalError, InterfaceError) as e:
            raise StoreUnavailableError(f"cannot open the event store at {where}: {e}") from None
        except (PersistenceError, OSError, sqlite3.Error) as e:
            # sqlite3.Error: a file that is not a database (the library lets it through).
            raise StoreError(f"cannot open the event store at {where}: {e}") from None
        self.recorder = self.app.recorder

    def close(self) -> None:
        self.log.close()
        self.app.close()

    def account_lock(self, account: str) -> AbstractContextManager[object]:
        """Held while one process syncs one account: a second sync of it is refused.

        On SQLite an OS lock (flock) on a file beside the store: it goes with the
        process, so a killed sync never leaves it held.
        """
        return _file_lock(self.path.parent / "locks" / f"{account}.lock", account)

    # -- writing --------------------------------------------------------------------

    def save_page(
        self,
        source_key: str,
        observations: Sequence[Observation],
        cursor: str | None,
        withdrawn: Sequence[str] = (),
        *,
        revise: bool = False,
        keep_cursor: bool = False,
        cards: Sequence[Card] = (),
        cards_withdrawn: Sequence[str] = (),
    ) -> Saved:
        """Store a page's new observations, its withdrawals and the cursor after it, atomically.

        Observations already stored (or repeated inside the page) are left out first, since one
        duplicate id fails a whole batch; if another writer races us, filter and retry.
        A stored observation seen again after it was withdrawn is restored. With `revise`, a
        stored observation whose fields differ (an edited calendar event) is revised.
        With `keep_cursor`, the cursor is saved even when nothing else is (it ends a listing).
        Contact `cards` are recorded if new or changed, `cards_withdrawn` (keys) withdrawn.
        Forgotten people are taken out of every observation first (`door`).
        """
        door = self.door()
        if door is not None:
            observations = [door.observation(o) for o in observations]
            cards = [c for c in cards if not any(door.gone(a) for a in c.addresses)]
        for _attempt in range(3):
            fresh, known = self._fresh(observations)
            # Seen and gone within one page nets out: gone.
            gone = {interaction_id(k).hex for k in withdrawn}
            if gone:
                fresh = [(i, o) for i, o in fresh if i.hex not in gone]
                known = [h for h in known if h not in gone]
            changed = self._withdraw(gone) + self._restore(known)
            if revise:
                changed += self._revise(observations, known, changed)
            carded = self._cards(cards, cards_withdrawn)
            position = self._position(source_key)
            if (
                not fresh
                and not changed
                and not carded
                and position is not None
                and (position.cursor == cursor or not keep_cursor)
                and (cursor is not None or position.cursor is None)
            ):
                # Nothing new here: moving the cursor alone is not worth an event, unless it
                # ends a listing (`keep_cursor`) or the source (None: the next run starts
                # afresh).
                return Saved(0, len(observations))
            now = datetime.now(UTC)
            events: list[Any] = [Interaction.observed(o, now, i) for i, o in fresh]
            for aggregate in changed:
                events.extend(aggregate.collect_events())
            for card in carded:
                events.extend(card.collect_events())
            if position is None:
                position = SyncPosition(source_key=source_key, cursor=cursor)
            elif position.cursor != cursor:
                position.advance(cursor)
            events.extend(position.collect_events())
            try:
                # The library's mapper and recorder (as its event store's `put`, without a
                # `Recording` and a `Notification` made for each event, and without
                # Application.save's per-object protocol checks): one transaction for the
                # page and its cursor.
                to_stored = self.app.mapper.to_stored_event
                ids = self.recorder.insert_events([to_stored(e) for e in events])
            except IntegrityError:
                self._positions.pop(source_key, None)  # read it again: another writer?
                continue
            except BaseException:
                self._positions.pop(source_key, None)  # advanced here, but not stored
                raise
            self._positions[source_key] = position
            withdrawals = sum(1 for a in changed if a.withdrawn)
            cards_gone = sum(1 for a in carded if a.withdrawn)
            return Saved(
                len(fresh),
                len(observations) - len(fresh),
                list(zip(ids, events, strict=True)) if ids else [],
                withdrawals,
                len(changed) - withdrawals,
                len(carded) - cards_gone,
                cards_gone,
            )
        raise StoreError("the event store kept refusing a page (another writer?)")

    def _cards(self, cards: Sequence[Card], gone: Sequence[str]) -> list[Contact]:
        """Cards new or saying something new, and stored ones withdrawn (gone wins)."""
        latest = {c.key: c for c in cards}  # a card twice in a page: its last word
        for key in gone:
            latest.pop(key, None)
        if not latest and not gone:
            return []
        ids = {card_id(k).hex: k for k in [*latest, *gone]}
        stored = self._stored_ids(sorted(ids))
        out: list[Contact] = []
        for hex_id, key in sorted(ids.items()):
            card = latest.get(key)
            if hex_id not in stored:
                if card is not None:
                    out.append(Contact.seen(card))
                continue
            found: Any = self.app.repository.get(UUID(hex_id))
            if card is None:
                if not found.withdrawn:
                    found.withdraw()
                    out.append(found)
            elif found.take(card):
                out.append(found)
        return out

    def _fresh(
        self, observations: Sequence[Observation]
    ) -> tuple[list[tuple[UUID, Observation]], list[str]]:
        """The observations not stored yet with their ids, and the (hex) ids of those that are."""
        unique: dict[str, tuple[UUID, Observation]] = {}
        for o in observations:
            i = o.interaction_id  # a uuid5: worked out once per observation
            unique.setdefault(i.hex, (i, o))
        if not unique:
            return [], []
        stored = self._stored_ids(list(unique))
        return [v for key, v in unique.items() if key not in stored], list(stored)

    def _withdraw(self, ids: set[str]) -> list[Interaction]:
        out: list[Interaction] = []
        for hex_id in sorted(self._stored_ids(sorted(ids))) if ids else ():
            found: Any = self.app.repository.get(UUID(hex_id))
            if not found.withdrawn:
                found.withdraw("gone from the source")
                out.append(found)
        return out

    def _restore(self, stored: list[str]) -> list[Interaction]:
        """Stored interactions seen again whose last word was `Withdrawn`."""
        rows = self._events_of(
            stored, "originator_id, topic", "originator_version > 1 ORDER BY originator_version"
        )
        last = dict(rows)  # ordered by version: the last topic per interaction wins
        out: list[Interaction] = []
        for hex_id, topic in last.items():
            if topic.endswith("Interaction.Withdrawn"):
                found: Any = self.app.repository.get(UUID(hex_id))
                found.restore()
                out.append(found)
        return out

    def _revise(
        self, observations: Sequence[Observation], known: list[str], loaded: list[Interaction]
    ) -> list[Interaction]:
        """Stored interactions these observations say something new about (not yet loaded ones)."""
        by_id = {a.id.hex: a for a in loaded}
        wanted = set(known)
        out: list[Interaction] = []
        for o in observations:
            hex_id = o.interaction_id.hex
            if hex_id not in wanted:
                continue
            found: Any = by_id.get(hex_id) or self.app.repository.get(UUID(hex_id))
            change = found.revision(o)
            if change is not None:
                found.revise(**change)
                if hex_id not in by_id:
                    by_id[hex_id] = found
                    out.append(found)
        return out

    def _stored_ids(self, hex_ids: list[str]) -> set[str]:
        return {
            row[0] for row in self._events_of(hex_ids, "originator_id", "originator_version = 1")
        }

    def _events_of(self, hex_ids: list[str], columns: str, condition: str) -> list[Any]:
        """Rows of the stored events of these aggregates, asked 500 ids at a time.

        The first column must be `originator_id` (as hex).
        """
        assert isinstance(self.recorder, SQLiteApplicationRecorder)
        rows: list[Any] = []
        with self.recorder.datastore.transaction(commit=False) as c:
            for i in range(0, len(hex_ids), 500):
                chunk = hex_ids[i : i + 500]
                c.execute(
                    f"SELECT {columns} FROM {self.recorder.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) AND {condition}",
                    chunk,
                )
                rows.extend(tuple(row) for row in c.fetchall())
        return rows

    def _position(self, source_key: str) -> SyncPosition | None:
        """The source's position: as this store last saved it, or read from the events.

        A position gains an event per page, so reading it back for every page would
        replay more events each time. A kept one that another writer has moved on makes
        the page's save fail on its version; it is then read again (see `save_page`).
        """
        kept = self._positions.get(source_key)
        if kept is not None:
            return kept
        try:
            p: Any = self.app.repository.get(position_id(source_key))
        except AggregateNotFoundError:
            return None
        assert isinstance(p, SyncPosition)
        self._positions[source_key] = p
        return p

    def cursor(self, source_key: str) -> str | None:
        """Where the source's next run starts, as stored (another process may have moved it)."""
        self._positions.pop(source_key, None)
        p = self._position(source_key)
        return p.cursor if p else None

    @contextmanager
    def _singleton(self, aggregate_id: UUID, make: Callable[[], T]) -> Iterator[T]:
        """The one aggregate under this id (made if new), saved if the block succeeds."""
        try:
            found: Any = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            found = make()
        yield found
        self.app.save(found)

    def directives(self) -> AbstractContextManager[Directives]:
        """The user's directives about people."""
        return self._singleton(DIRECTIVES_ID, Directives)

    def referral_ledger(self) -> AbstractContextManager[Referrals]:
        """The user's word on referrals: logged, dismissed, closed, reopened."""
        return self._singleton(REFERRALS_ID, Referrals)

    def forgotten(self) -> AbstractContextManager[Forgotten]:
        """The people forgotten (salted hashes only), saved if the block succeeds."""
        from secrets import token_hex

        self._door = None
        return self._singleton(FORGOTTEN_ID, lambda: Forgotten(salt=token_hex(16)))

    def door(self) -> Door | None:
        """Who is forgotten (read once per store), or None when no one is."""
        if self._door is None:
            try:
                found: Any = self.app.repository.get(FORGOTTEN_ID)
            except AggregateNotFoundError:
                self._door = Door("", frozenset(), frozenset())
            else:
                self._door = found.door()
        return self._door or None

    # -- reading --------------------------------------------------------------------

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0


@contextmanager
def _file_lock(path: Path, account: str) -> Iterator[None]:
    import fcntl
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AccountBusyError(
                f"account {account} is being synced by another process (the daemon?)"
            ) from None
        yield
    finally:
        os.close(fd)
