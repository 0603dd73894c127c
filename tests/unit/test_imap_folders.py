"""Which IMAP folders are read, and when a folder needs more than its STATUS."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.connectors.imap import FolderState, choose_folders

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
