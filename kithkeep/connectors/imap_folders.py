"""Which IMAP folders are read, and what is kept of each between syncs.

A folder's `FolderState` says whether its STATUS moved since the last sync; the states
of every folder are kept as one JSON text, both in the account's state file and as the
store's cursor. A folder's UIDs are remembered in the `RemoteIndex` under its `folder_scope`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: Never read, whatever the user names (RFC 6154 special-use flags).
NEVER = frozenset({b"\\junk", b"\\trash", b"\\drafts"})


@dataclass(frozen=True, slots=True)
class FolderState:
    """What a folder's last sync read through, and what its STATUS said then."""

    uidvalidity: int
    last_uid: int = 0
    #: STATUS as last read through; 0 while the folder is part-read or withdrawals wait.
    uidnext: int = 0
    messages: int = -1
    modseq: int = 0

    def unchanged(self, status: FolderState) -> bool:
        return (
            self.uidnext > 0
            and self.uidvalidity == status.uidvalidity
            and self.uidnext == status.uidnext
            and self.messages == status.messages
            and self.modseq == status.modseq
        )


def choose_folders(
    listing: Sequence[tuple[Sequence[bytes], Any, str]], wanted: Sequence[str]
) -> list[str]:
    """INBOX and the `\\Sent` folder unless named; never Junk, Trash or Drafts."""
    flags_of = {name: {f.lower() for f in flags} for flags, _, name in listing}
    if wanted:
        chosen = [f for f in wanted if f in flags_of or f.upper() == "INBOX"]
    else:
        chosen = ["INBOX"] + [n for n, flags in flags_of.items() if b"\\sent" in flags]
    out: list[str] = []
    for name in chosen:
        if not (flags_of.get(name, set()) & (NEVER | {b"\\noselect", b"\\nonexistent"})):
            out.append(name)
    return list(dict.fromkeys(out))


def encode_states(states: dict[str, FolderState]) -> str:
    """Every folder's state as the cursor and the state file hold it."""
    return json.dumps(
        {"v": 1, "folders": {k: asdict(v) for k, v in sorted(states.items())}},
        sort_keys=True,
    )


def decode_states(text: str | None) -> dict[str, FolderState]:
    """What `encode_states` wrote; nothing (every folder read again) if it cannot be read."""
    if not text:
        return {}
    try:
        raw = json.loads(text)
        return {str(k): FolderState(**v) for k, v in raw["folders"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def folder_scope(folder: str, uidvalidity: int) -> str:
    """Where a folder's UIDs are remembered: a new UIDVALIDITY is a new scope."""
    return f"imap:{folder}\x1f{uidvalidity}"
