"""The Enron `derrick-j` mailbox, imported for real and checked against an independent reading.

The reading below uses only the standard library and the rules as the spec words
them; it shares no code with kithkeep.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_binary_file, policy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pytest

from tests.conftest import Run, shared_data

ME = "james.derrick@enron.com"
AUTOMATED = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?|notify|alerts?|"
    r"mailer[-_.]?daemon|postmaster|bounces?)([-+_.].*)?$"
)

pytestmark = pytest.mark.slow


def _addrs(msg: object, name: str) -> list[str]:
    values = msg.get_all(name) or []  # type: ignore[attr-defined]
    found = []
    for _, raw in getaddresses([str(v) for v in values]):
        a = raw.strip().lower()
        # No one's: a local part beginning or ending with . or ', or a quote inside it.
        if "@" in a and " " not in a and not re.search(r"^[.']|[.']@|\"[^@]*@", a):
            found.append(a)
    return found


def _read(root: Path) -> list[Path]:
    """The files an import reads: junk and trash folders are left out."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not {"deleted_items", "junk_file"} & set(p.relative_to(root).parts)
    )


def distinct_messages(root: Path) -> int:
    """Copies of one mail share Date, From, To/Cc and Subject, whatever their Message-ID."""
    seen = set()
    for path in _read(root):
        with path.open("rb") as f:
            msg = message_from_binary_file(f, policy=policy.compat32)
        when = parsedate_to_datetime(msg["Date"]).timestamp()
        rcpt = tuple(sorted(set(_addrs(msg, "To") + _addrs(msg, "Cc"))))
        subject = " ".join(str(msg["Subject"] or "").split()).casefold()
        seen.add((when, tuple(_addrs(msg, "From")), rcpt, subject))
    # ... or a Date an export shifted by whole hours (1-14), with mostly the same To/Cc.
    kept: dict[tuple[object, str], list[tuple[float, set[str]]]] = {}
    copies = 0
    for when, sender, rcpt, subject in sorted(seen):
        earlier = kept.setdefault((sender, subject), [])
        people = set(rcpt)
        if any(
            0 < abs(when - t) <= 14 * 3600
            and abs(when - t) % 3600 == 0
            and (people == r or 2 * len(people & r) > min(len(people), len(r)))
            for t, r in earlier
        ):
            copies += 1
        earlier.append((when, people))
    return len(seen) - copies


def independent_last_contact(root: Path, now: datetime) -> dict[str, datetime]:
    """Counterpart address -> last contact, read straight from the files."""
    last: dict[str, datetime] = {}
    for path in _read(root):
        with path.open("rb") as f:
            msg = message_from_binary_file(f, policy=policy.compat32)
        senders = _addrs(msg, "From")
        sender = senders[0] if senders else ""
        to = _addrs(msg, "To") + _addrs(msg, "Cc") + _addrs(msg, "Bcc")
        try:
            when = parsedate_to_datetime(msg["Date"])
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
        except (TypeError, ValueError):
            when = None
        if when is None or not (datetime(1990, 1, 1, tzinfo=UTC) <= when <= now + timedelta(1)):
            when = datetime.fromtimestamp(path.stat().st_mtime, UTC)  # no Received: in Enron
        noisy = (
            msg["List-Id"] is not None
            or msg["List-Unsubscribe"] is not None
            or str(msg["Precedence"] or "").strip().lower() in ("bulk", "list", "junk")
            or str(msg["Auto-Submitted"] or "no").strip().lower() != "no"
            or (sender != ME and bool(AUTOMATED.match(sender.split("@")[0])))
            or len({a for a in [sender, *to] if a and a != ME}) > 15
        )
        if noisy or (sender != ME and ME not in _addrs(msg, "To") + _addrs(msg, "Cc")):
            continue  # noise, or mail that named self in neither To nor Cc
        counted = [a for a in to if a != ME] if sender == ME else [sender] if sender else []
        for a in counted:
            if a not in last or when > last[a]:
                last[a] = when
    return last


def test_derrick_imports_once_and_agrees_with_an_independent_reading(cli: Run) -> None:
    mailbox = shared_data("enron", "maildir", "derrick-j")
    cli("init", "--me", ME)
    first = cli("import", str(mailbox))
    assert "new interactions" in first.out
    status = cli("status", "--json").json()
    events = status["events"]
    assert status["interactions"] == distinct_messages(mailbox) < 1766

    second = cli("import", str(mailbox))
    assert "Imported 0 new interactions" in second.out
    assert cli("status", "--json").json()["events"] == events

    people = cli("people", "--all", "--json").json()
    ours = {}
    for p in people:
        assert len(p["addresses"]) == 1  # nothing was linked
        ours[p["addresses"][0]] = datetime.fromisoformat(p["last_contact"])
    theirs = independent_last_contact(mailbox, datetime.now(UTC))
    assert set(ours) == set(theirs)
    disagreements = {a: (ours[a], theirs[a]) for a in theirs if ours[a] != theirs[a]}
    assert disagreements == {}
    assert ME not in ours


def test_person_timeline_and_due_on_real_mail(cli: Run) -> None:
    mailbox = shared_data("enron", "maildir", "derrick-j")
    cli("init", "--me", ME)
    cli("import", str(mailbox))
    people = cli("people", "--json", "--sort", "last").json()
    top = max(people, key=lambda p: p["interactions"])
    detail = cli("person", top["addresses"][0], "--json").json()
    assert detail["last_contact"] == top["last_contact"]
    assert detail["timeline"], "a person with contacts has a timeline"
    times = [e["at"] for e in detail["timeline"]]
    assert times == sorted(times, reverse=True)
    # Today everyone last heard from in 2001 is long dormant (or was never a two-way
    # relationship): no one is due; the dormant ones that mattered are offered to reconnect.
    assert cli("due", "--json").json() == []
    assert {p["state"] for p in people} == {"dormant", "one-way"}
    dormant = cli("reconnect", "--json", "--limit", "500").json()
    assert {p["addresses"][0] for p in dormant} == {
        p["addresses"][0] for p in people if p["state"] == "dormant"
    }
    # As it stood in mid-2001: relationships past their cadence, what is at stake first.
    due = cli("due", "--json", "--as-of", "2001-06-30").json()
    assert due and all(p["state"] == "due" and p["tier"] != "one-way" for p in due)
    stakes = [p["at_stake"] for p in due]
    assert stakes == sorted(stakes, reverse=True)
    text = cli("person", top["addresses"][0]).out
    assert top["addresses"][0] in text
