"""Copies of one message whose Date an export misread by whole hours, within one source.

The Enron archive holds a PST and an NSF export of the same mailbox; one of them read
the time zone wrongly, so a copy says 01:36 where the other says 14:36 the day before,
and each has its own Message-ID. Same From, To/Cc set (give or take an address the export
mangled) and Subject, Dates a whole number of hours apart (1-14 h, minutes and seconds
equal): one interaction, the copy read first standing. Two messages with different
Message-IDs whose bodies differ in length by more than rewrapping can explain are never
taken for copies (only the length is kept).
"""

from __future__ import annotations

HOUR = 3600
MAX_SHIFT_HOURS = 14


def rewrapped(a: int, b: int) -> bool:
    """Whether two body lengths differ by no more than rewrapping (line breaks, spaces)."""
    if a < 0 or b < 0:
        return True  # a length not known is no evidence against
    return abs(a - b) <= max(64, max(a, b) // 10)


def _same_people(a: frozenset[str], b: frozenset[str]) -> bool:
    """The same To/Cc set, or most of it: one export may mangle an address or two
    (`moore@enron.com` for `cmoore@akingump.com`), never who the mail was to."""
    if a == b:
        return True
    return len(a & b) * 2 > min(len(a), len(b))


class ShiftedCopies:
    """What one source gave so far, to answer whether a message is such a copy of one."""

    def __init__(self) -> None:
        self._seen: dict[int, list[tuple[int, frozenset[str], str, int]]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def clear(self) -> None:
        self._seen.clear()

    def is_copy(
        self,
        sender_subject: tuple[str, str],
        recipients: frozenset[str],
        at: int,
        message_id: str,
        body_length: int,
    ) -> bool:
        """True if a message of this sender and subject, to the same people, was given at
        a time a whole number of hours away; otherwise it is remembered and False."""
        key = hash(sender_subject)
        entries = self._seen.get(key)
        if entries is not None:
            for t, people, mid, length in entries:
                shift = abs(at - t)
                if not shift or shift % HOUR or shift > MAX_SHIFT_HOURS * HOUR:
                    continue
                if not _same_people(people, recipients):
                    continue
                if mid and message_id and mid != message_id and not rewrapped(length, body_length):
                    continue
                return True
            entries.append((at, recipients, message_id, body_length))
        else:
            self._seen[key] = [(at, recipients, message_id, body_length)]
        return False
