"""Gmail's IMAP: one message under several labels is read once (X-GM-MSGID).

The fake stands for a logged-in `IMAPClient` of a server offering X-GM-EXT-1: folders
with UIDs, and the X-GM-MSGID each message keeps under every label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kithkeep.connectors.imap import ImapConfig, ImapSource
from kithkeep.connectors.remote_index import RemoteIndex

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def message(n: int) -> bytes:
    return (
        f"Message-ID: <m{n}@example.org>\r\nDate: Mon, 03 Mar 2025 09:00:0{n} +0000\r\n"
        f"From: Ada <ada@example.org>\r\nTo: me@example.com\r\nSubject: hello {n}\r\n\r\n"
    ).encode()


@dataclass
class FakeGmail:
    folders: dict[str, dict[int, int]]  # folder -> uid -> X-GM-MSGID
    header_fetches: list[tuple[str, int]] = field(default_factory=list)
    selected: str = ""

    def list_folders(self) -> list[tuple[tuple[bytes, ...], bytes, str]]:
        flags = {"[Gmail]/Sent Mail": (b"\\Sent",), "[Gmail]/Spam": (b"\\Junk",)}
        return [(flags.get(f, ()), b"/", f) for f in self.folders]

    def has_capability(self, name: str) -> bool:
        return name in ("X-GM-EXT-1",)

    def folder_status(self, folder: str, what: Any) -> dict[bytes, int]:
        uids = self.folders[folder]
        return {b"UIDVALIDITY": 7, b"UIDNEXT": max(uids, default=0) + 1, b"MESSAGES": len(uids)}

    def select_folder(self, folder: str, readonly: bool = False) -> None:
        self.selected = folder

    def search(self, criteria: Any = "ALL") -> list[int]:
        return sorted(self.folders[self.selected])

    def fetch(self, uids: list[int], items: list[bytes]) -> dict[int, dict[bytes, Any]]:
        out: dict[int, dict[bytes, Any]] = {}
        for uid in uids:
            msgid = self.folders[self.selected][uid]
            row: dict[bytes, Any] = {b"X-GM-MSGID": msgid}
            if any(i.startswith(b"BODY.PEEK[HEADER") for i in items):
                self.header_fetches.append((self.selected, uid))
                head, _, body = message(msgid).partition(b"\r\n\r\n")
                row |= {
                    b"FLAGS": (b"\\Seen",),
                    b"INTERNALDATE": NOW,
                    b"BODY[HEADER.FIELDS (FROM)]": head + b"\r\n\r\n",
                    b"BODY[TEXT]<0>": body,
                }
            out[uid] = row
        return out

    def logout(self) -> None:
        pass


def run(
    server: FakeGmail, tmp_path: Path, cursor: str | None, folders: tuple[str, ...] = ()
) -> tuple[int, list[str]]:
    source = ImapSource(
        ImapConfig("imap.gmail.example", 993, "me@example.com", "pw", folders=folders),
        RemoteIndex(tmp_path / "index.sqlite"),
        tmp_path / "state.json",
        NOW,
        connector=lambda _config: server,
    )
    observations, gone = 0, []
    for page in source.pages(cursor):
        observations += len(page.observations)
        gone.extend(page.withdrawn)
    return observations, gone


def test_a_message_under_two_labels_is_fetched_once_and_withdrawn_with_its_last_label(
    tmp_path: Path,
) -> None:
    server = FakeGmail(
        {"INBOX": {1: 1, 2: 2}, "[Gmail]/Sent Mail": {5: 2, 6: 3}, "[Gmail]/Spam": {1: 9}}
    )
    observations, gone = run(server, tmp_path, None)
    assert (observations, gone) == (3, [])
    # Message 2 is under INBOX and Sent: its headers were read once; Spam never.
    assert server.header_fetches == [("INBOX", 1), ("INBOX", 2), ("[Gmail]/Sent Mail", 6)]

    del server.folders["INBOX"][2]  # archived out of the inbox, still under Sent
    assert run(server, tmp_path, "since") == (0, [])
    del server.folders["[Gmail]/Sent Mail"][5]  # now gone from every label read
    observations, gone = run(server, tmp_path, "since")
    assert observations == 0 and len(gone) == 1 and gone[0].startswith("mail:")


def test_a_folder_named_but_not_on_the_server_is_reported(tmp_path: Path) -> None:
    server = FakeGmail({"INBOX": {1: 1}})
    source = ImapSource(
        ImapConfig("imap.example", 993, "me", "pw", folders=("INBOX", "Archive")),
        RemoteIndex(tmp_path / "index.sqlite"),
        tmp_path / "state.json",
        NOW,
        connector=lambda _config: server,
    )
    pages = list(source.pages(None))
    assert [(p.reason, p.where) for page in pages for p in page.problems] == [
        ("no such IMAP folder", "Archive")
    ]
    assert sum(len(page.observations) for page in pages) == 1
