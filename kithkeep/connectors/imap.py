"""IMAP mail: headers only, folder by folder, with a cursor per folder.

Each folder's state is its UIDVALIDITY, the highest UID read, and what STATUS said
(UIDNEXT, MESSAGES, HIGHESTMODSEQ when CONDSTORE is offered). A folder whose STATUS
has not moved costs that one command; one that has is EXAMINEd, its new UIDs listed,
the expunged ones found (QRESYNC's `VANISHED (EARLIER)` since the last MODSEQ, else
a `UID SEARCH ALL` compared with the UIDs read), the new ones fetched in batches
(`BODY.PEEK` of the wanted header fields plus the first bytes of text for
introduction cues, never stored), and what the expunged UIDs stood for is withdrawn
only when no other folder still holds the same message (`RemoteIndex`). Withdrawals
run after every folder was read, so a message moved from INBOX to Archive is found in
Archive first and never withdrawn.
A new UIDVALIDITY reads the folder again (the store drops what it already has).

Every header goes through `mail.parse_message`, so a message's natural key and every
rule are the same as importing the same file from a Maildir.

The folder states live in a small JSON file next to the account's `RemoteIndex`,
written after each page was saved (the same crash-safe order as the index); the
store's cursor mirrors them, and a cursor of None (`sync --full`) reads every folder
again and sweeps away what is gone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kithkeep.connectors.base import Page, Problem
from kithkeep.connectors.folders import folder_kind
from kithkeep.connectors.imap_client import ImapConfig, close, connect, in_spans, reason, vanished
from kithkeep.connectors.imap_folders import (
    FolderState,
    choose_folders,
    decode_states,
    encode_states,
    folder_scope,
)
from kithkeep.connectors.mail import parse_message
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.domain.errors import ConnectorError
from kithkeep.domain.interaction import Observation
from kithkeep.domain.introductions import BODY_CUE_CHARS

#: The services build an IMAP source from here, its connection's names included.
__all__ = [
    "BATCH",
    "GMAIL_SCOPE",
    "HEADER_FIELDS",
    "TEXT_BYTES",
    "ImapConfig",
    "ImapSource",
    "close",
    "connect",
]

log = logging.getLogger(__name__)

#: The header fields `mail.parse_message` reads.
HEADER_FIELDS = (
    "FROM TO CC BCC DATE SUBJECT MESSAGE-ID LIST-ID LIST-UNSUBSCRIBE PRECEDENCE "
    "AUTO-SUBMITTED RECEIVED IN-REPLY-TO REFERENCES X-GMAIL-LABELS X-MOZILLA-DRAFT-INFO "
    "X-AUTOREPLY X-AUTORESPOND CONTENT-TYPE CONTENT-TRANSFER-ENCODING X-FROM X-TO X-CC"
)
#: Bytes of text fetched for introduction cues (CRLF and leading blank lines included).
TEXT_BYTES = BODY_CUE_CHARS * 8 + 256
BATCH = 200
GMAIL_SCOPE = "x-gm-msgid"


@dataclass
class ImapSource:
    config: ImapConfig
    index: RemoteIndex
    state_file: Path
    now: datetime
    #: Builds the logged-in client (tests may wrap it).
    connector: Callable[[ImapConfig], Any] = connect
    batch: int = BATCH
    #: Use QRESYNC's VANISHED where offered (else a `UID SEARCH ALL` diff).
    qresync: bool = True
    _qresync: bool = field(default=False, init=False)
    _enabled: bool = field(default=False, init=False)
    _gmail: bool = field(default=False, init=False)
    _gm: RemoteIndex | None = field(default=None, init=False)
    _gm_pending: list[tuple[str, str]] = field(default_factory=list, init=False)

    @property
    def key(self) -> str:
        c = self.config
        return f"imap:{c.user}@{c.host}:{c.port}"

    # -- state ------------------------------------------------------------------------

    def _load(self, cursor: str | None) -> dict[str, FolderState]:
        """The state file, moved on by the store's cursor where that is further: the
        last page before a stop was saved with its cursor, but the file was not."""
        states = decode_states(self._read())
        for folder, saved in decode_states(cursor).items():
            mine = states.get(folder)
            if mine is None or (
                mine.uidvalidity == saved.uidvalidity and saved.last_uid > mine.last_uid
            ):
                states[folder] = saved
        return states

    def _read(self) -> str | None:
        try:
            return self.state_file.read_text(encoding="utf-8")
        except OSError:
            return None

    def _save(self, states: dict[str, FolderState]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(self.state_file.name + ".new")
        tmp.write_text(encode_states(states), encoding="utf-8")
        os.replace(tmp, self.state_file)

    # -- the sync ---------------------------------------------------------------------

    def pages(self, cursor: str | None) -> Iterator[Page]:
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        full = cursor is None
        states = self._load(cursor)
        client = self.connector(self.config)
        try:
            yield from self._sync(client, states, full)
        except (IMAPClientAbortError, OSError) as e:
            raise ConnectorError(
                f"IMAP {self.config.host}: connection lost ({reason(e)})"
            ) from None
        except IMAPClientError as e:
            raise ConnectorError(f"IMAP {self.config.host}: {reason(e)}") from None
        finally:
            close(client)
            self.index.close()
            if self._gm is not None:
                self._gm.close()
                self._gm = None

    def _sync(self, client: Any, states: dict[str, FolderState], full: bool) -> Iterator[Page]:
        listing = client.list_folders()
        folders = choose_folders(listing, self.config.folders)
        names = {name for _, _, name in listing}
        missing = [f for f in self.config.folders if f not in names and f.upper() != "INBOX"]
        if missing:
            yield Page(
                [],
                encode_states(states),
                [Problem("no such IMAP folder", f) for f in missing],
            )
        condstore = client.has_capability("CONDSTORE")
        self._qresync = self.qresync and client.has_capability("QRESYNC")
        self._enabled = False
        self._gmail = client.has_capability("X-GM-EXT-1")
        pending: list[tuple[str, str, list[str], FolderState]] = []
        progress = [0, 0]
        for folder in folders:
            yield from self._folder(client, folder, states, full, condstore, pending, progress)
        # Withdrawals last: a message moved between synced folders is found first.
        for folder, scope, gone, final in pending:
            orphans = self.index.orphaned_by(scope, gone)
            states[folder] = final
            yield Page(
                [], encode_states(states), withdrawn=orphans, done=progress[0], total=progress[1]
            )
            self.index.forget(scope, gone)
            self._save(states)

    def _status(self, client: Any, folder: str, condstore: bool) -> FolderState:
        what = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"]
        if condstore:
            what.append(b"HIGHESTMODSEQ")
        s = client.folder_status(folder, what)
        return FolderState(
            uidvalidity=int(s[b"UIDVALIDITY"]),
            uidnext=int(s.get(b"UIDNEXT", 0)),
            messages=int(s.get(b"MESSAGES", -1)),
            modseq=int(s.get(b"HIGHESTMODSEQ", 0)),
        )

    def _folder(
        self,
        client: Any,
        folder: str,
        states: dict[str, FolderState],
        full: bool,
        condstore: bool,
        pending: list[tuple[str, str, list[str], FolderState]],
        progress: list[int],
    ) -> Iterator[Page]:
        status = self._status(client, folder, condstore)
        known = states.get(folder)
        if known is not None and not full and known.unchanged(status):
            return  # one STATUS, nothing else
        scope = folder_scope(folder, status.uidvalidity)
        # A recreated folder keeps its old state until the old UIDs are withdrawn, so a
        # crash before that reads it again rather than forgetting the old ones.
        hold = known is not None and known.uidvalidity != status.uidvalidity
        old = folder_scope(folder, known.uidvalidity) if known is not None and hold else ""
        if hold:
            known = None
        quick = self._qresync and known is not None and not full and known.modseq > 0
        if quick and not self._enabled:
            client.enable("QRESYNC")  # before the first EXAMINE of the session
            self._enabled = True
        client.select_folder(folder, readonly=True)
        last = 0 if known is None or full else known.last_uid
        if quick and known is not None:
            # QRESYNC: only what is new, and the UIDs expunged since our MODSEQ.
            new = [int(u) for u in client.search(["UID", f"{last + 1}:*"]) if int(u) > last]
            spans = vanished(client, last, known.modseq) if last else []
            gone = [r for r in self._ids(scope) if in_spans(int(r), spans)]
            present = new
        else:
            present = sorted(int(u) for u in client.search("ALL"))
            if known is None or full:
                since = (self.now - timedelta(days=self.config.since_days)).date()
                wanted = {int(u) for u in client.search(["SINCE", since])}
                new = [u for u in present if u in wanted]
            else:
                new = [u for u in present if u > last]
            have = set(present)
            gone = [r for r in self._ids(scope) if int(r) not in have]
        final = replace(status, last_uid=max([last, *present]))
        if old:
            # Its old UIDs mean nothing now: what they stood for goes, after this
            # reading, unless the new listing has it too.
            pending.append((folder, old, self._ids(old), final))
        waits = bool(gone) or hold
        if self._gmail and new:
            new = self._known_elsewhere(client, scope, new)
        progress[1] += len(new)
        for start in range(0, len(new), self.batch):
            chunk = new[start : start + self.batch]
            observations, problems, skipped, fallbacks, remembered = self._fetch(
                client, folder, chunk
            )
            self.index.remember(scope, remembered)
            if not hold:
                last_chunk = start + self.batch >= len(new)
                states[folder] = (
                    final
                    if last_chunk and not waits
                    # part-read: the next sync looks again (STATUS will not match)
                    else FolderState(status.uidvalidity, last_uid=chunk[-1])
                )
            progress[0] += len(chunk)
            yield Page(
                observations,
                encode_states(states),
                problems,
                fallbacks,
                skipped,
                progress[0],
                progress[1],
            )
            self._save(states)
            if self._gm_pending:
                self._gmail_index().remember(GMAIL_SCOPE, self._gm_pending)
        if gone:
            pending.append((folder, scope, gone, final))
        elif not new and not waits:
            states[folder] = final
            self._save(states)

    def _gmail_index(self) -> RemoteIndex:
        """Gmail's X-GM-MSGID -> natural key, apart from the index that decides
        withdrawals (an id seen once must not keep a message alive)."""
        if self._gm is None:
            self._gm = RemoteIndex(self.state_file.with_suffix(".gmail.sqlite"))
        return self._gm

    def _known_elsewhere(self, client: Any, scope: str, uids: list[int]) -> list[int]:
        """Gmail: one message is one X-GM-MSGID under every label. Those whose headers
        were read under another label are only remembered here, not fetched again."""
        data = client.fetch(uids, [b"X-GM-MSGID"])
        msgids = {u: str(data[u][b"X-GM-MSGID"]) for u in uids if b"X-GM-MSGID" in data.get(u, {})}
        known = self._gmail_index().keys(GMAIL_SCOPE, sorted(set(msgids.values())))
        self.index.remember(scope, [(str(u), known[m]) for u, m in msgids.items() if m in known])
        return [u for u in uids if msgids.get(u) not in known]

    def _ids(self, scope: str) -> list[str]:
        return self.index.remote_ids(scope)

    def _fetch(
        self, client: Any, folder: str, uids: list[int]
    ) -> tuple[list[Observation], list[Problem], int, dict[str, int], list[tuple[str, str]]]:
        header = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]".encode()
        text = f"BODY.PEEK[TEXT]<0.{TEXT_BYTES}>".encode()
        items = [b"FLAGS", b"INTERNALDATE", header, text]
        if self._gmail:
            items.append(b"X-GM-MSGID")
        data = client.fetch(uids, items)
        gmail: list[tuple[str, str]] = []
        observations: list[Observation] = []
        problems: list[Problem] = []
        fallbacks: dict[str, int] = {}
        skipped = 0
        remembered: list[tuple[str, str]] = []
        for uid in uids:
            item = data.get(uid)
            if item is None:
                continue  # expunged between SEARCH and FETCH
            flags = {f.lower() for f in item.get(b"FLAGS", ())}
            if b"\\deleted" in flags:
                skipped += 1  # on its way out, as a Maildir's trashed (T) file
                continue
            head = b""
            body = b""
            for k, v in item.items():
                if k.startswith(b"BODY[HEADER"):
                    head = v or b""
                elif k.startswith(b"BODY[TEXT"):
                    body = v or b""
            raw = (head.rstrip(b"\r\n") + b"\r\n\r\n" + body).replace(b"\r\n", b"\n")
            when = item.get(b"INTERNALDATE")
            file_time = (
                when.astimezone(UTC)
                if isinstance(when, datetime) and when.tzinfo is not None
                else self.now
            )
            got = parse_message(
                raw,
                origin=f"imap:{folder}/{uid}",
                file_time=file_time,
                now=self.now,
                signals=(("draft",) if b"\\draft" in flags else ())
                + (("sent-folder",) if folder_kind(folder.rsplit("/", 1)[-1]) == "sent" else ()),
            )
            if isinstance(got, Observation):
                observations.append(got)
                remembered.append((str(uid), got.natural_key))
                if b"X-GM-MSGID" in item:
                    gmail.append((str(item[b"X-GM-MSGID"]), got.natural_key))
                if got.date_source != "header":
                    fallbacks[got.date_source] = fallbacks.get(got.date_source, 0) + 1
            elif isinstance(got, Problem):
                problems.append(got)
            else:
                skipped += 1
        self._gm_pending = gmail  # remembered once the page is saved
        return observations, problems, skipped, fallbacks, remembered
