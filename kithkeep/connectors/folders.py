"""One rule for every source: junk, spam and trash are not read.

Gmail leaves out the SPAM and TRASH labels, Graph reads `inbox` and `sentitems` (never
`junkemail` or `deleteditems` unless named), IMAP never reads a `\\Junk` or `\\Trash`
folder unless named; files do the same by the folder's name, in any common spelling
(`Junk`, `Junk E-mail`, `junk_file`, `Spam`, `[Gmail]/Spam`, Maildir++ `.Junk`, `Trash`,
`Deleted Items`, `deleted_items`), and an mbox file by its own name (`Spam.mbox`).
A folder named with `--include-folder` is read all the same. What is left out is
counted in the import report, by kind.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Folder names (lower case, without spaces, dashes, underscores and dots) by kind.
KINDS = {
    "junk": frozenset({"junk", "junkemail", "junkmail", "junkfile", "junkfolder", "spam",
                       "spamfolder", "bulk", "bulkmail"}),
    "trash": frozenset({"trash", "deleted", "deleteditems", "deletedmessages", "deletedmail",
                        "wastebasket"}),
    "drafts": frozenset({"drafts", "draft"}),
    "sent": frozenset({"sent", "sentitems", "sentmail", "sentmessages"}),
}  # fmt: skip
_NOISE = re.compile(r"[\s_\-.]+")
_BY_NAME = {name: kind for kind, names in KINDS.items() for name in names}


def folder_key(name: str) -> str:
    """A folder's name as the rule compares it (`Junk E-mail` and `junk_email` alike)."""
    name = name.strip().lower()
    if name.endswith(".mbox"):
        name = name[:-5]
    return _NOISE.sub("", name.rpartition("]")[2] if name.startswith("[") else name)


@lru_cache(maxsize=4096)
def folder_kind(name: str) -> str:
    """'junk', 'trash', 'drafts', 'sent' or '' for one folder name (a Maildir++ `.INBOX.Junk`
    is its last part)."""
    if name.startswith(".") and "." in name[1:]:
        name = name.rsplit(".", 1)[1]
    return _BY_NAME.get(folder_key(name), "")


def left_out(
    rel: str,
    include: frozenset[str] = frozenset(),
    *,
    whole: bool = False,
    kind: str = "",
) -> str:
    """'junk' or 'trash' if the file at `rel` ('/'-separated) is in a folder left out
    (`whole`: or is itself an mbox so named); '' if it is read. With `kind`, that kind of
    folder is looked for instead (`kind="sent"`: an mbox of sent mail)."""
    parts = rel.split("/")
    folders = parts if whole or parts[-1].lower().endswith(".mbox") else parts[:-1]
    wanted = {folder_key(i) for i in include} if include else set()
    for folder in folders:
        found = folder_kind(folder)
        if kind:
            if found == kind:
                return kind
        elif found in ("junk", "trash") and folder_key(folder) not in wanted:
            return found
    return ""
