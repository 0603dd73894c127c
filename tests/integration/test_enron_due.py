"""`due` on the seven real Enron mailboxes: never a one-way address, at any date."""

from __future__ import annotations

from collections import Counter
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

import pytest

from kithkeep.projections import queries
from tests.conftest import run_cli, shared_data

pytestmark = pytest.mark.slow
MAILBOXES = ("brawner-s", "carson-m", "cuilla-m", "derrick-j", "donoho-l", "fossum-d", "giron-d")
DAY = 86400


def owner(mailbox: Path) -> list[str]:
    """The senders of its Sent folders (each at least 5% of them)."""
    parser = BytesHeaderParser(policy=policy.compat32)
    senders: Counter[str] = Counter()
    for folder in mailbox.iterdir():
        if "sent" in folder.name:
            for path in folder.rglob("*"):
                if path.is_file():
                    with path.open("rb") as f:
                        h = parser.parse(f)
                    for _, a in getaddresses([str(h["From"] or "")]):
                        senders[a.lower()] += 1
    total = sum(senders.values())
    return sorted(a for a, n in senders.items() if "@" in a and n >= 0.05 * total)


@pytest.mark.parametrize("name", MAILBOXES)
def test_no_one_way_address_is_ever_due(tmp_path: Path, name: str) -> None:
    mailbox = shared_data("enron", "maildir", name)
    me = owner(mailbox)
    assert me, f"{name}: no owner found in its Sent folders"
    home = tmp_path / "home"
    run_cli(home, "init", *(arg for a in me for arg in ("--me", a)))
    run_cli(home, "import", str(mailbox))
    run_cli(home, "status")  # the views caught up
    c = queries.connect(home / "views.sqlite")
    try:
        first, last = c.execute(
            "SELECT min(at), max(at) FROM interactions WHERE direction = 'outbound' "
            "AND at > 631152000 AND at < 1262304000"
        ).fetchone()
        seen_due = 0
        for at in range(first + 60 * DAY, last + 60 * DAY, 30 * DAY):
            due = queries.answers(c, now=at, default_cadence=180, as_of=at, only_due=True)
            people = {p.key: p for p in queries.people(c, now=at, default_cadence=180, as_of=at)}
            for row in due:
                p = people[row.key]
                assert p.tier != "one-way" and p.state == "due", (name, at, p)
                # Read from the rows themselves: self wrote to them, and they wrote to
                # self (or self answered them), or they met, before that date.
                marks = ",".join("?" * len(p.addresses))
                wrote, answered, met = c.execute(
                    "SELECT max(p.how = 'out'), "
                    "max(p.how = 'in' OR (p.how = 'out' AND i.replied = p.address)), "
                    "max(p.how = 'meet') "
                    "FROM participants p JOIN interactions i ON i.iid = p.iid "
                    f"WHERE p.contact = 1 AND p.at <= ? AND p.address IN ({marks})",
                    [at, *p.addresses],
                ).fetchone()
                assert (wrote and answered) or met, (name, at, p.key)
            seen_due += len(due)
        assert seen_due > 0, f"{name}: no one was ever due"
    finally:
        c.close()
