"""Introduction detection end to end: the labelled corpus through `import` and `referrals`.

The corpus (tests/data/introductions) is a year of Robin's mail with a label per message:
what a person would call it, not what the rules happen to find. Detected introductions are
mapped back to files by Message-ID and scored; opt-in asks must be linked to the
introduction that followed them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[1] / "data" / "introductions"
KINDS = ("made", "received")
THRESHOLD = 0.9
OPT_IN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Labelled:
    name: str
    label: str
    message_id: str
    at: datetime
    recipients: tuple[str, ...]


def message_id(raw: str) -> str:
    return raw.strip().strip("<>").strip().lower()


def corpus() -> dict[str, Labelled]:
    """The labelled messages, by Message-ID (lower-case, no angle brackets)."""
    doc = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    out: dict[str, Labelled] = {}
    for name, v in doc["messages"].items():
        msg = message_from_bytes((CORPUS / name).read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        to = [str(h) for field in ("to", "cc") for h in msg.get_all(field, [])]
        mid = message_id(str(msg["message-id"]))
        out[mid] = Labelled(
            name,
            v["label"],
            mid,
            msg["date"].datetime,
            tuple(a.lower() for _, a in getaddresses(to)),
        )
    return out


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    home = tmp_path_factory.mktemp("intro") / "home"
    run_cli(home, "init", "--me", "robin@example.com")
    run_cli(home, "import", str(CORPUS))
    rows = run_cli(home, "referrals", "--json").json()
    assert isinstance(rows, list)
    return rows


def score(predicted: set[str], truth: set[str]) -> tuple[float, float]:
    hit = len(predicted & truth)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall


def test_detection_finds_the_introductions_a_person_would_name(
    detected: list[dict[str, Any]],
) -> None:
    labelled = corpus()
    found = {(message_id(r["message_id"] or ""), r["kind"]) for r in detected if r["kind"] in KINDS}
    unknown = sorted(mid for mid, _ in found if mid not in labelled)
    truth = {(m.message_id, m.label) for m in labelled.values() if m.label in KINDS}

    def name(pair: tuple[str, str]) -> str:
        item = labelled.get(pair[0])
        return f"{item.name if item else pair[0]} ({pair[1]})"

    lines = []
    for kind in KINDS:
        p, r = score({f for f in found if f[1] == kind}, {t for t in truth if t[1] == kind})
        lines.append(f"{kind}: precision {p:.2f}, recall {r:.2f}")
    precision, recall = score(found, truth)
    lines.append(f"made+received: precision {precision:.2f}, recall {recall:.2f}")
    lines.append("false alarms: " + ", ".join(sorted(name(f) for f in found - truth)))
    lines.append("missed: " + ", ".join(sorted(name(t) for t in truth - found)))
    report = "\n".join(lines)
    assert not unknown, f"detections with Message-IDs not in the corpus: {unknown}"
    assert precision >= THRESHOLD, report
    assert recall >= THRESHOLD, report


def test_each_opt_in_is_linked_to_the_introduction_that_followed(
    detected: list[dict[str, Any]],
) -> None:
    labelled = corpus()
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in detected:
        by_id.setdefault(message_id(r["message_id"] or ""), []).append(r)
    problems = []
    for ask in sorted((m for m in labelled.values() if m.label == "opt_in"), key=lambda m: m.at):
        (person,) = ask.recipients
        followed = sorted(
            (
                m
                for m in labelled.values()
                if m.label == "made"
                and person in m.recipients
                and ask.at < m.at <= ask.at + OPT_IN_WINDOW
            ),
            key=lambda m: m.at,
        )
        linked_to = [
            r
            for r in detected
            if r["kind"] == "made" and opted_in_with(r) == person and opted_in_at(r) == ask.at
        ]
        if not followed:
            if linked_to:
                problems.append(f"{ask.name}: no introduction followed, but one is linked to it")
            continue
        intro = followed[0]
        rows = by_id.get(intro.message_id, [])
        if not any(opted_in_with(r) == person for r in rows):
            got = [r.get("opt_in") for r in rows] or "not detected"
            problems.append(f"{ask.name}: {intro.name} should carry opt_in with {person}: {got}")
    assert not problems, "\n".join(problems)


def opted_in_with(row: dict[str, Any]) -> str | None:
    opt_in = row.get("opt_in")
    if not opt_in:
        return None
    who = opt_in.get("with")
    if isinstance(who, dict):
        who = who.get("address")
    return str(who).lower() if who else None


def opted_in_at(row: dict[str, Any]) -> datetime | None:
    opt_in = row.get("opt_in")
    return datetime.fromisoformat(opt_in["at"]) if opt_in and opt_in.get("at") else None
