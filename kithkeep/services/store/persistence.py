"""How kithkeep's events are written and read: the event library's own format and tables,
with some of its parts swapped for faster ones through the library's extension points.

- `FastJSONTranscoder` writes and reads the library's JSON format (byte for byte the
  same, see `tests/unit/test_persistence.py`) with orjson, which does in C what the
  standard `json` module does with a Python callback per datetime: a stored event is
  encoded about 3x and decoded about 2x faster.
- `BatchSQLiteRecorder` inserts a page of events with one `executemany` instead of one
  statement per event; the notification ids it returns are the rowids SQLite gave them,
  consecutive because the transaction holds the database's one write lock.
- `KithkeepMapper` writes an `Interaction.Observed` (most of the log) without looking
  its state over first.
- `BatchPostgresRecorder` passes a page to an `INSERT ... SELECT FROM unnest` as four
  arrays in binary instead of one array of a composite type, which psycopg writes out
  in Python field by field; the table lock, NOTIFY and RETURNING stay as the library
  has them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from kithkeep.domain.aggregates import Interaction

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_MARK = b'"_type_"'
#: Digits enough to be an integer beyond 64 bits (or inside a string: then `json` reads
#: it), found as a run of "0" once every digit is mapped to "0" (a regular expression
#: took three times as long as orjson's parse).
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * 19


class FastJSONTranscoder(JSONTranscoder):
    """The library's `JSONTranscoder` format, encoded and decoded by orjson."""

    def encode(self, obj: object) -> bytes:
        if type(obj) is dict and _plain(obj):
            return self.encode_plain(obj)
        # Anything else (a UUID, an enum, a subclass...) orjson might write otherwise.
        return super().encode(obj)

    def encode_plain(self, obj: dict[str, Any]) -> bytes:
        """`encode`, for an object known to hold only what `_plain` allows."""
        try:
            return orjson.dumps(obj, default=self._encode_datetime, option=_OPTIONS)
        except orjson.JSONEncodeError as e:
            # orjson turns whatever its `default` raised into its own error: a Ctrl-C
            # that lands in `_encode_datetime` is a Ctrl-C still, not a reason to retry.
            if e.__cause__ is not None and not isinstance(e.__cause__, Exception):
                raise e.__cause__ from None
            return super().encode(obj)  # e.g. an integer beyond 64 bits: `json` takes it

    def _encode_datetime(self, o: Any) -> dict[str, Any]:
        # A page's events share their timestamp: the last one is kept.
        if o is self._last_datetime:
            return self._last_encoded
        if type(o) is datetime and self._datetime_name:
            # What the library's registered transcoding writes (see `register`).
            encoded = {"_type_": self._datetime_name, "_data_": o.isoformat()}
        else:
            encoded = self._encode_obj(o)
        self._last_datetime, self._last_encoded = o, encoded
        return encoded

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        if isinstance(transcoding, DatetimeAsISO):
            self._datetime_name = transcoding.name

    _datetime_name = ""

    _last_datetime: Any = None
    _last_encoded: dict[str, Any] = {}  # noqa: RUF012 - replaced, never changed

    def decode(self, data: bytes) -> object:
        if _LONG_RUN in data.translate(_DIGITS):
            return super().decode(data)  # orjson would read an integer beyond 64 bits as a float
        return self.decode_numberless(data)

    def decode_numberless(self, data: bytes) -> object:
        """`decode`, for the state of an event whose fields hold no numbers (as
        `Interaction.Observed`'s, declared as strings, lists of them and datetimes):
        orjson reads every string exactly, so there is no long run of digits to look for,
        which took as long as the parse."""
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)  # NaN, a lone surrogate: what only `json` reads
        marks = data.count(_MARK)  # at least one per transcoded object (never fewer)
        if not marks:
            return obj
        if type(obj) is dict:
            top = [k for k, v in obj.items() if type(v) is dict and "_type_" in v]
            if len(top) == marks:
                # The usual event: its datetimes are values of the top object, and there is
                # no other transcoded object anywhere to look for.
                for key in top:
                    obj[key] = self._decode_obj(obj[key])
                return obj
        return self._revive(obj)

    def _revive(self, obj: Any) -> Any:
        """What the library's `object_hook` does, inner objects first."""
        if type(obj) is dict:
            for key, value in obj.items():
                if type(value) is dict or type(value) is list:
                    obj[key] = self._revive(value)
            return self._decode_obj(obj)
        if type(obj) is list:
            for i, value in enumerate(obj):
                if type(value) is dict or type(value) is list:
                    obj[i] = self._revive(value)
        return obj


#: Types both encoders write alike (not floats: orjson writes NaN as null); a datetime goes
#: to the library's transcoding.
_SCALARS = frozenset((str, int, bool, type(None), datetime))


def _plain(obj: dict[Any, Any] | list[Any]) -> bool:
    """Made only of what orjson writes as the standard module does (str keys)."""
    items: Iterable[Any] = obj
    if type(obj) is dict:
        if not all(type(k) is str for k in obj):
            return False
        items = obj.values()
    for v in items:
        t = type(v)
        if t in _SCALARS or isinstance(v, str):  # a StrEnum is written as its value by both
            continue
        if (t is list or t is dict) and _plain(v):
            continue
        return False
    return True


class KithkeepMapper(Mapper[UUID]):
    """The library's mapper, writing the state of an `Interaction.Observed` (most of the
    log, and plain by its declared fields) without looking it over first."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        transcoder = self.transcoder
        if (
            type(domain_event) is not _OBSERVED
            or self.compressor
            or not isinstance(transcoder, FastJSONTranscoder)
        ):
            return super().to_stored_event(domain_event)
        state = dict(domain_event.__dict__)
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        stored = transcoder.encode_plain(state)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(originator_id, version, _OBSERVED_TOPIC, stored)


_OBSERVED = Interaction.Observed
_OBSERVED_TOPIC = get_topic(Interaction.Observed)


class BatchSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, inserting a page in one statement."""

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [
                (
                    s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                    s.originator_version,
                    s.topic,
                    s.state,
                )
                for s in stored_events
            ],
        )
        c.execute("SELECT last_insert_rowid()")
        last = int(c.fetchone()[0])
        return list(range(last - len(stored_events) + 1, last + 1))


class BatchPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder, passing a page as four arrays."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.insert_by_columns = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::integer[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema=Identifier(datastore.schema), table=Identifier(self.events_table_name))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        if self.datastore.originator_id_type != "uuid":
            super()._insert_stored_events(curs, stored_events, **kwargs)
            return
        self._lock_table(curs)
        self._notify_channel(curs)
        # Each column as one array, in binary: the states go as they are (not as hex text
        # for the server to parse back), and the arrays are written in C, where an array
        # of a composite type (the library's way) is written field by field in Python.
        curs.execute(
            self.insert_by_columns,
            (
                [_uuid(s.originator_id) for s in stored_events],
                [s.originator_version for s in stored_events],
                [s.topic for s in stored_events],
                [s.state for s in stored_events],
            ),
        )


def _uuid(originator_id: UUID | str) -> UUID:
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)


def text_array(values: Sequence[str]) -> str:
    """A PostgreSQL array literal of these strings, each quoted: cast to text[], or to
    uuid[] (32 hex digits each) or integer[] (digits)."""
    return "{" + ",".join(['"' + _escaped(v) + '"' for v in values]) + "}"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
