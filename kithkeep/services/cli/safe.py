"""Strangers' text made safe for a terminal: never markup, never a control code.

Names, subjects, notes and addresses come from mail anyone can send. Before Rich
sees them, control characters (C0 and C1, DEL) and the Unicode marks that reorder or
hide text (bidi overrides and isolates, zero-width joiners) are dropped, and Rich's
markup is escaped. JSON output never comes through here: it is data already.
"""

from __future__ import annotations

import re

# C0 (tab and newline included: a table cell is one line), DEL, C1; the bidi embeddings,
# overrides and isolates; zero-width and invisible formatting marks.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)


def safe(text: str | None, *, markup: bool = True) -> str:
    """`text` as plain words on one line: controls dropped, and escaped for Rich
    (`markup=False`: for plain `echo`, where brackets are only brackets)."""
    if not text:
        return ""
    clean = _UNSAFE.sub("", text)
    if not markup:
        return clean
    from rich.markup import escape  # here: `due --json` must start without Rich

    return escape(clean)
