"""Referrals as people make them, end to end: the labelled corpus through `import` and
`referrals --json`, and the same messages read from a Maildir, an mbox and a Takeout zip.

The corpus (tests/data/referrals) was written for this: one-sided referrals self made
(a contact passed on to one or a few people, in replies under Outlook, Notes and `>`
quoting, cues deep in the text), referrals self received (someone passes a contact on,
or writes because someone sent them), and negatives (signatures, logistics, newsletters,
self-introductions, cues in quoted text self did not write, phone messages). Each
message is labelled with what a person would call it and whom it names.
"""

from __future__ import annotations

import json
import mailbox
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[1] / "data" / "referrals"
ME = "sam@harbor.example"
KINDS = ("made-one-sided", "received")
THRESHOLD = 0.9


def labels() -> dict[str, dict[str, str]]:
    doc = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    assert doc["self"] == ME
    messages: dict[str, dict[str, str]] = doc["messages"]
    return messages


def message_id(name: str) -> str:
    return f"ref-{int(name[:3]):03d}@corpus.example"


def detect(home: Path, source: Path) -> list[dict[str, Any]]:
    run_cli(home, "init", "--me", ME)
    run_cli(home, "import", str(source))
    rows = run_cli(home, "referrals", "--json").json()
    assert isinstance(rows, list)
    return rows


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return detect(tmp_path_factory.mktemp("referrals") / "home", CORPUS)


def test_the_corpus_is_as_large_as_promised() -> None:
    counts = dict.fromkeys((*KINDS, "none"), 0)
    for v in labels().values():
        counts[v["label"]] += 1
    assert counts["made-one-sided"] >= 40
    assert counts["received"] >= 20
    assert counts["none"] >= 60


def test_precision_and_recall_on_the_corpus(detected: list[dict[str, Any]]) -> None:
    by_name = {message_id(name): name for name in labels()}
    found = {(by_name.get(r["message_id"], r["message_id"]), r["kind"]) for r in detected}
    truth = {(n, v["label"]) for n, v in labels().items() if v["label"] in KINDS}
    found = {f for f in found if f[1] in (*KINDS, "made")}
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth)
    report = (
        f"precision {precision:.2f}, recall {recall:.2f}\n"
        f"false alarms: {sorted(found - truth)}\nmissed: {sorted(truth - found)}"
    )
    assert precision >= THRESHOLD, report
    assert recall >= THRESHOLD, report


def test_each_referral_names_the_person_passed_on(detected: list[dict[str, Any]]) -> None:
    """The referred person (or the referrer) is kept by address or name, nothing more."""
    wanted = labels()
    named = 0
    for r in detected:
        name = {message_id(n): n for n in wanted}.get(r["message_id"])
        if name is None or wanted[name]["label"] not in KINDS:
            continue
        people = [*r["parties"], r["referrer"]]
        seen = {x for p in people for x in (p["address"], p["name"]) if x}
        named += wanted[name]["person"] in seen
        for p in r["parties"]:
            assert set(p) == {"address", "name"}
            assert p["address"] is None or "@" in p["address"]
            assert p["name"] is None or len(p["name"].split()) <= 4  # a name, never text
    assert named >= 0.9 * sum(v["label"] in KINDS for v in wanted.values())


def _as_mbox(target: Path) -> None:
    box = mailbox.mbox(str(target))
    for path in sorted(CORPUS.glob("*.eml")):
        box.add(mailbox.mboxMessage(path.read_bytes()))
    box.flush()
    box.close()


def test_mbox_and_takeout_give_what_the_maildir_gives(
    tmp_path: Path, detected: list[dict[str, Any]]
) -> None:
    maildir = mailbox.Maildir(str(tmp_path / "maildir"))
    for path in sorted(CORPUS.glob("*.eml")):
        maildir.add(mailbox.MaildirMessage(path.read_bytes()))
    mbox = tmp_path / "all.mbox"
    _as_mbox(mbox)
    takeout = tmp_path / "takeout.zip"
    with zipfile.ZipFile(takeout, "w") as z:
        z.write(mbox, "Takeout/Mail/All mail Including Spam and Trash.mbox")

    def key(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
        return sorted(
            (
                r["message_id"],
                r["kind"],
                r["status"],
                json.dumps(r["parties"], sort_keys=True),
                json.dumps(r["referrer"], sort_keys=True),
                ",".join(r["cues"]),
            )
            for r in rows
        )

    from_maildir = key(detect(tmp_path / "h1", tmp_path / "maildir"))
    assert from_maildir == key(detected)
    assert key(detect(tmp_path / "h2", mbox)) == from_maildir
    assert key(detect(tmp_path / "h3", takeout)) == from_maildir
