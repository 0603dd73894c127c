"""The writer's own words: the new text of a reply or forward, above what it quotes.

Mailers mark the quoted or forwarded original in a handful of ways: `>` quoting and
"On … wrote:" (most clients), "-----Original Message-----" and a `From:`/`Sent:` block
(Outlook), "---------------------- Forwarded by … on …" and a "Name on 02/21/2000
10:53 AM" or a name over a date line (Lotus Notes), "Begin forwarded message:" (Apple),
an underscore rule (Outlook on the web). Everything from the first of these on is
someone else's text. `email-reply-parser` knows only the `>`/"wrote:" kind, which is
not what corporate archives hold, so the markers are data here, tested with hypothesis.
"""

from __future__ import annotations

import re

#: How much new text is read for cues.
NEW_TEXT_CHARS = 4096

_MARKERS = re.compile(
    r"""^[ \t]*(?:
        -{2,}\s*(?:original\ message|message\ d'origine|ursprüngliche\ nachricht)\s*-{2,}
      | -{3,}\s*forwarded\ by\b
      | -{2,}\s*forwarded\ message\s*-{2,}
      | begin\ forwarded\ message\s*:
      | _{10,}\s*$
      | >
      | on\ .{0,200}\bwrote:\s*$
      | .{1,120}\ wrote:\s*$
      | from:\s.{0,200}\bon\ \d{1,2}/\d{1,2}/\d{2,4}
      | from:\s.{0,200}\s\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}
      | (?:from|sent|date):\s.{0,200}$(?=\s*^[ \t]*(?:sent|to|date|subject|cc):)
      | [^\n]{1,120}\bon\ \d{1,2}/\d{1,2}/\d{2,4}\ \d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\s*$
      | \d{1,2}/\d{1,2}/\d{2,4}\ \d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)\s*$
      | [^\n]{0,120}\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)\s+to:
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
#: A signature's conventional separator ("-- " alone on a line): what follows is not news.
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)


def new_text(body: str, limit: int = NEW_TEXT_CHARS) -> str:
    """The writer's own text: everything above the first quote or forward marker.

    At most `limit` characters. A body that opens with a marker (a bare forward) has no
    new text at all.
    """
    head = body[: limit * 3]
    cut = len(head)
    m = _MARKERS.search(head)
    if m is not None:
        cut = m.start()
        # A Notes header often puts the sender's name on the line above the date line.
        if head[m.start() : m.end()].strip()[:1].isdigit():
            above = head.rfind("\n", 0, max(cut - 1, 0))
            line = head[above + 1 : cut].strip()
            if line and len(line) <= 60 and not line.endswith((".", "!", "?", ",")):
                cut = above + 1 if above >= 0 else 0
    s = _SIGNATURE.search(head, 0, cut)
    if s is not None:
        cut = s.start()
    return head[:cut][:limit]
