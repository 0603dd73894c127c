"""The introduction cues, pure: on the labelled corpus's own words and on hand-written lines.

Every message a person would call an introduction (made or received) must carry at least
one introduction cue, and every opt-in ask an opt-in cue: the history check can only
remove false alarms, never find what the cues missed. Known gaps are strict xfails, so a
fix shows up as a failure to remove them.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.introductions import (
    BODY_CUES,
    OPT_IN_CUES,
    SUBJECT_CUES,
    has_introduction_cue,
    has_opt_in_cue,
    introduction_cues,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "introductions"
POSITIVE = ("made", "received")

#: Positives the cues do not find today, and why. Strict xfails: remove once fixed.
#: Corpus files whose cues the rules are known to miss (strict: a fix must remove them).
KNOWN_GAPS: dict[str, str] = {}


@cache
def labels() -> dict[str, dict[str, str]]:
    doc = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    return dict(doc["messages"])


def subject_and_body(name: str) -> tuple[str, str]:
    """The decoded subject and the plain-text body, as an importer would read them."""
    msg = message_from_bytes((CORPUS / name).read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(preferencelist=("plain",))
    body = part.get_content() if isinstance(part, EmailMessage) else ""
    return str(msg["subject"] or ""), body


def files_labelled(*wanted: str) -> list[str]:
    return sorted(name for name, v in labels().items() if v["label"] in wanted)


def with_gaps(names: list[str]) -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_GAPS[n], strict=True))
        if n in KNOWN_GAPS
        else n
        for n in names
    ]


def test_every_corpus_file_is_labelled_and_the_corpus_is_big_enough() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.eml")}
    assert on_disk == set(labels())
    counts = {k: len(files_labelled(k)) for k in ("made", "received", "opt_in", "none")}
    assert sum(counts.values()) >= 70, counts
    assert counts["made"] + counts["received"] >= 20, counts
    assert counts["none"] >= 30, counts
    assert all(v["why"].strip() for v in labels().values())


@pytest.mark.parametrize("name", with_gaps(files_labelled(*POSITIVE)))
def test_every_introduction_in_the_corpus_carries_an_introduction_cue(name: str) -> None:
    cues = introduction_cues(*subject_and_body(name))
    assert has_introduction_cue(cues), f"{name}: no introduction cue ({labels()[name]['why']})"


@pytest.mark.parametrize("name", files_labelled("opt_in"))
def test_every_opt_in_in_the_corpus_carries_an_opt_in_cue(name: str) -> None:
    cues = introduction_cues(*subject_and_body(name))
    assert has_opt_in_cue(cues), f"{name}: no opt-in cue"


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Intro: Ada <> Bo", "", {"subject-intro", "subject-pair"}),
        ("Ada / Bo", "Ada runs ops; Bo is hiring.", {"subject-pair"}),
        ("Ada, meet Bo", "", {"subject-meet"}),
        ("Connecting you two", "", {"subject-connecting"}),
        ("hello", "Hi both,\n\nI'd like to introduce you to Bo Chen.", {"body-introduce"}),
        ("hello", "Ada — putting you two in touch, as promised.", {"body-connecting"}),
        ("hello", "Meet Leo Park, who rebuilds bike-share dispatch.", {"body-meet"}),
        ("hello", "I wanted you two to meet before the kickoff.", {"body-meet"}),
        ("Fwd: Intro: Ada <> Bo", "", {"subject-intro", "subject-pair"}),
        ("Intro call: Ada <> Bo", "", {"subject-pair"}),
        ("Zoë", "Can I introduce you to Felix?", {"body-introduce", "optin-mind-if"}),
        ("quick q", "Would you be open to an intro to Bo?", {"optin-would-you"}),
    ],
)
def test_hand_written_introductions_fire_their_cues(
    subject: str, body: str, expected: set[str]
) -> None:
    assert expected <= set(introduction_cues(subject, body))


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Meeting notes", "See you all at the meeting tomorrow."),
        ("lunch", "let's meet at noon by the fountain"),
        ("Q3 numbers", "Attached. Connectivity was down, sorry for the delay."),
        ("Intro call next week?", "Could we do a 30-minute call to walk through pricing?"),
        ("Intro deck for v2 — comments by Friday?", "Draft is in the shared folder."),
        ("Notes", "Thanks!\n\nOn Mon, 4 Mar 2024, Ada wrote:\n> I'd like to introduce you to Bo"),
        ("Notes", "Thanks!\n\n> I'd like to introduce you to Bo\n> from the Harbor team"),
        ("", ""),
    ],
)
def test_ordinary_mail_and_quoted_text_fire_no_introduction_cue(subject: str, body: str) -> None:
    assert not has_introduction_cue(introduction_cues(subject, body))


NAMES = {c.name for c in (*SUBJECT_CUES, *BODY_CUES, *OPT_IN_CUES)}


@given(st.text(), st.text())
def test_introduction_cues_never_raises_and_names_only_known_cues(subject: str, body: str) -> None:
    cues = introduction_cues(subject, body)
    assert isinstance(cues, tuple)
    assert set(cues) <= NAMES
    assert len(set(cues)) == len(cues)
