"""Which IMAP folders are read, and when a folder needs more than its STATUS."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.connectors.imap_client import uid_spans
from kithkeep.connectors.imap_folders import FolderState, choose_folders

LISTING = [
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "Sent Messages"),
    ((b"\\HasNoChildren", b"\\Drafts"), b"/", "Drafts"),
    ((b"\\HasNoChildren", b"\\Trash"), b"/", "Deleted"),
    ((b"\\HasNoChildren", b"\\Junk"), b"/", "Spam"),
    ((b"\\HasNoChildren",), b"/", "Archive"),
    ((b"\\Noselect",), b"/", "[Gmail]"),
    ((b"\\HasNoChildren",), b"/", "INBOX"),
]


def test_by_default_inbox_and_the_folder_flagged_sent() -> None:
    assert choose_folders(LISTING, []) == ["INBOX", "Sent Messages"]


def test_named_folders_but_never_junk_trash_drafts_or_unselectable() -> None:
    wanted = ["INBOX", "Archive", "Spam", "Deleted", "Drafts", "[Gmail]", "Nope"]
    assert choose_folders(LISTING, wanted) == ["INBOX", "Archive"]


states = st.builds(
    FolderState,
    uidvalidity=st.integers(1, 5),
    last_uid=st.integers(0, 5),
    uidnext=st.integers(0, 5),
    messages=st.integers(-1, 5),
    modseq=st.integers(0, 5),
)


@given(states, states)
def test_a_folder_is_skipped_only_when_its_status_has_not_moved(
    known: FolderState, status: FolderState
) -> None:
    same = (
        known.uidvalidity == status.uidvalidity
        and known.uidnext == status.uidnext
        and known.messages == status.messages
        and known.modseq == status.modseq
    )
    # A part-read folder (uidnext 0) is always looked at again.
    assert known.unchanged(status) == (same and known.uidnext > 0)


def _uid_set(uids: set[int], reverse: bool) -> str:
    """A UID set as a server may write it: runs as a:b (or b:a), singles alone."""
    parts: list[tuple[int, int]] = []
    for u in sorted(uids):
        if parts and parts[-1][1] == u - 1:
            parts[-1] = (parts[-1][0], u)
        else:
            parts.append((u, u))
    out = [str(a) if a == b else (f"{b}:{a}" if reverse else f"{a}:{b}") for a, b in parts]
    return ",".join(out)


@given(st.sets(st.integers(1, 300)), st.booleans(), st.booleans())
def test_a_vanished_uid_set_reads_back_as_the_same_uids(
    uids: set[int], earlier: bool, reverse: bool
) -> None:
    text = ("(EARLIER) " if earlier else "") + _uid_set(uids, reverse)
    spans = uid_spans(text)
    assert {u for u in range(1, 302) if any(a <= u <= b for a, b in spans)} == uids
