"""Google's People API (`people.connections.list`), added to the stateful Google fake.

Contacts change under a sequence number; a sync token names the sequence it was given
at; deleted contacts stay as tombstones (`metadata.deleted`) that a sync token sees and
a listing does not. Tokens expire on demand, answered as Google does: `EXPIRED_SYNC_TOKEN`
(410 here by default; Google's documentation also shows 400 FAILED_PRECONDITION).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from tests.fakes.google import FakeGoogle, _one

REQUIRED_FIELDS = ("names", "emailAddresses")


class FakeGooglePeople(FakeGoogle):
    """The Google fake with the user's contacts too."""

    def __init__(self, address: str = "me@example.com") -> None:
        super().__init__(address)
        self.contacts: dict[str, dict[str, Any]] = {}
        self.contact_seq: dict[str, int] = {}
        self.people_seq = 0
        self.people_expired_below = 0
        self.expired_status = 410

    def put_contact(self, person: dict[str, Any]) -> None:
        with self.lock:
            self.people_seq += 1
            rn = person["resourceName"]
            self.contacts[rn] = {**person, "etag": f"%E{self.people_seq}"}
            self.contact_seq[rn] = self.people_seq

    def delete_contact(self, resource_name: str) -> None:
        with self.lock:
            self.people_seq += 1
            self.contacts[resource_name] = {
                "resourceName": resource_name,
                "metadata": {"deleted": True},
            }
            self.contact_seq[resource_name] = self.people_seq

    def expire_people_tokens(self) -> None:
        with self.lock:
            self.people_expired_below = self.people_seq + 1

    def route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[str, Any]:
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts == ["people", "v1", "people", "me", "connections"] and method == "GET":
            return "people.connections.list", self.list_connections
        return super().route(method, path, query)

    def list_connections(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        fields = _one(q, "personFields", "")
        if not fields:
            return _status(400, "INVALID_ARGUMENT", "personFields mask is required.")
        token = _one(q, "syncToken", "")
        size = max(1, min(int(_one(q, "pageSize", "100")), 1000))
        offset = int(_one(q, "pageToken", "0") or 0)
        since = 0
        if token:
            since = int(token.removeprefix("people-sync-"))
            if since < self.people_expired_below:
                return _status(
                    self.expired_status,
                    "FAILED_PRECONDITION",
                    "Sync token is expired. Clear local cache and retry call without the sync "
                    "token.",
                    reason="EXPIRED_SYNC_TOKEN",
                )
        rows = [
            person
            for rn, person in sorted(self.contacts.items(), key=lambda kv: self.contact_seq[kv[0]])
            if self.contact_seq[rn] > since
            and (token or not person.get("metadata", {}).get("deleted"))
        ]
        wanted = set(fields.split(","))
        chunk = [
            {k: v for k, v in p.items() if k in wanted or k in ("resourceName", "etag", "metadata")}
            for p in rows[offset : offset + size]
        ]
        body: dict[str, Any] = {"connections": chunk, "totalItems": len(rows)}
        if offset + size < len(rows):
            body["nextPageToken"] = str(offset + size)
        elif _one(q, "requestSyncToken", "false") == "true":
            body["nextSyncToken"] = f"people-sync-{self.people_seq}"
        return 200, body


def _status(code: int, status: str, message: str, reason: str = "") -> tuple[int, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "people.googleapis.com",
            }
        ]
    return code, {"error": error}
