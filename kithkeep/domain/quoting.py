"""The writer's own words: the new text of a reply or forward, above what it quotes.

Mailers mark the quoted or forwarded original in a handful of ways: `>` quoting and
"On … wrote:" (most clients), "-----Original Message-----" and a `From:`/`Sent:` block
(Outlook), "---------------------- Forwarded by … on …" and a "Name on 02/21/2000
10:53 AM" or a name over a date line (Lotus Notes), "Begin forwarded message:" (Apple),
an underscore rule (Outlook on the web). Everything from the first of these on is
someone else's text. `email-reply-parser` knows only the `>`/"wrote:" kind, which is
not what corporate archives hold, so the markers are data here, tested with hypothesis.
Lines are looked at one by one, a cheap look first: this runs on every message.
"""

from __future__ import annotations

import re

#: How much new text is read for cues.
NEW_TEXT_CHARS = 4096

#: A line (stripped) that opens the quoted or forwarded original.
_MARKER = re.compile(
    r"""(?:
        -{2,}\s*(?:original\ message|message\ d'origine|ursprüngliche\ nachricht)\s*-{2,}
      | -{3,}\s*forwarded\ by\b
      | -{2,}\s*forwarded\ message\s*-{2,}
      | begin\ forwarded\ message\s*:
      | _{10,}$
      | >
      | on\ .{0,200}\bwrote:$
      | .{1,120}\ wrote:$
      | from:\s.{0,200}\bon\ \d{1,2}/\d{1,2}/\d{2,4}
      | from:\s.{0,200}\s\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}
      | .{1,120}\bon\ \d{1,2}/\d{1,2}/\d{2,4}\ \d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?$
      | .{0,120}\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)(?:$|\s+to:)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
#: An Outlook header block: "From:" (or "Sent:", "Date:") over "Sent:", "To:", "Subject:".
_BLOCK_HEAD = ("from:", "sent:", "date:")
_BLOCK_NEXT = ("sent:", "to:", "date:", "subject:", "cc:")
_DATE_LINE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}")


def _may_mark(line: str) -> bool:
    """A cheap look: could this line open a quote? (Most lines fail at once.)"""
    return (
        line[0] in ">-_"
        or line.endswith(":")
        or line[:5].lower() in ("from:", "begin")
        or ("/" in line and ":" in line)
    )


def new_text(body: str, limit: int = NEW_TEXT_CHARS) -> str:
    """The writer's own text: everything above the first quote or forward marker.

    At most `limit` characters. A body that opens with a marker (a bare forward) has no
    new text at all; a signature's "-- " line ends the new text too.
    """
    head = body[: limit + 400]  # past the limit only to see a marker's next line
    pos = 0
    previous = (0, "")  # the last non-empty line: (offset, text)
    for line in head.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            if stripped == "--" and line.rstrip("\r\n") == "-- ":
                return head[:pos][:limit]
            if _may_mark(stripped) and _opens_quote(stripped, stripped.lower(), head, pos, line):
                cut = pos
                # Notes puts the sender's name on the line above its date line.
                if stripped[0].isdigit() and _DATE_LINE.match(stripped):
                    above_at, above = previous
                    adjacent = head.count("\n", above_at, pos) <= 1
                    short = len(above) <= 60 and not above.endswith((".", "!", "?", ","))
                    if above and adjacent and short:
                        cut = above_at
                return head[:cut][:limit]
            previous = (pos + len(line) - len(line.lstrip()), stripped)
        pos += len(line)
    return head[:limit]


def _opens_quote(stripped: str, lowered: str, head: str, pos: int, line: str) -> bool:
    if _MARKER.match(stripped):
        return True
    if lowered.startswith(_BLOCK_HEAD):
        after = head[pos + len(line) : pos + len(line) + 200].lstrip().lower()
        return after.startswith(_BLOCK_NEXT)
    return False
