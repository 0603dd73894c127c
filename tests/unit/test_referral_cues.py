"""The quote splitter and the referral cues: pure functions, checked on their own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.domain.quoting import NEW_TEXT_CHARS, new_text
from kithkeep.domain.referral_cues import (
    BY,
    CUES,
    INTRO,
    PASS,
    THANKS,
    Referred,
    from_signal,
    may_refer,
    referral_cues,
    subject_name,
)

NEW = "Frank, Paul's number is 617-555-0142. Give him a call."
ORIGINALS = {
    "outlook": "-----Original Message-----\nFrom: Nora Quint\nSent: Tuesday\n\nQuoted.",
    "outlook-block": "From: Nora Quint [mailto:nq@x.example]\nSent: Tuesday, March 5\nTo: Sam",
    "notes-forward": "---------------------- Forwarded by Drew Fossum/ET&S/Enron on 12/05/2000 "
    "05:02 PM ---------------------------\nOriginal text",
    "notes-name-on-date": '"George Briden" <gb@x.example> on 02/21/2000 10:53:06 AM\nTo: Drew',
    "notes-name-over-date": "Kevin Hyatt\n11/28/2000 09:44 AM\nTo: Drew Fossum/ET&S/Enron@ENRON",
    "notes-one-line": "\t   James Derrick/ENRON@enronXgate 05/30/01     05:38 PM \t    To: Marc",
    "gmail": "On Mon, Apr 8, 2024 at 4:40 PM Ines Marr <im@x.example> wrote:\n> quoted",
    "angle": "> Who does your books?\n> Thanks",
    "apple": "Begin forwarded message:\n\nFrom: A",
    "owa": "________________________________\nFrom: Dora Vance",
    "gmail-forward": "---------- Forwarded message ---------\nFrom: Tunde",
}


def test_each_quoting_style_is_cut_off() -> None:
    for style, original in ORIGINALS.items():
        got = new_text(f"{NEW}\n\n{original}")
        assert got.strip() == NEW, style


def test_a_bare_forward_has_no_new_text() -> None:
    assert new_text(ORIGINALS["outlook"]).strip() == ""


@given(st.text(max_size=3000), st.sampled_from(sorted(ORIGINALS.values())))
def test_new_text_is_a_bounded_prefix_that_never_holds_the_original(
    body: str, original: str
) -> None:
    got = new_text(body)
    assert body.startswith(got)
    assert len(got) <= NEW_TEXT_CHARS
    quoted = new_text(body + "\n" + original + "\nGive him a call at 617-555-0142")
    assert "617-555-0142" not in quoted[len(body) :]


@given(st.text(max_size=2000), st.text(max_size=100))
def test_referral_cues_never_raise_and_keep_a_name_or_an_address(text: str, subject: str) -> None:
    names = {c.name for c in CUES}
    for r in referral_cues(text, subject):
        assert r.kind in (PASS, BY, INTRO, THANKS)
        assert r.cue in names
        assert len(r.who) <= 200 and "\n" not in r.who
        assert from_signal(r.signal()) == r


def cues(text: str, subject: str = "") -> set[tuple[str, str]]:
    return {(r.kind, r.who) for r in referral_cues(new_text(text), subject)}


def test_a_contact_passed_on_names_the_person() -> None:
    assert (PASS, "Paul Bieniawski") in cues(
        "Paul Bieniawski's phone number is 713-345-8641.  Go ahead and give him a call\n"
        "just as a courtesy and let him know I put you up to it."
    )
    assert (PASS, "Richard Tomaski") in cues(
        "Richard Tomaski (312-541-1231) is the lead trader in the Chicago office. Will you\n"
        "please call him at your convenience."
    )
    assert (PASS, "Eric Johnson") in cues(
        "Marc, I met this morning with an acquaintance, Eric Johnson. I gave him your name\n"
        "and number.",
        "Eric Johnson",
    )
    assert (PASS, "hannah.cole@b.example") in cues(
        "You should talk to Hannah Cole. Her address is hannah.cole@b.example."
    )


def test_someone_sent_by_another_names_the_referrer() -> None:
    assert (BY, "Les LoBaugh") in cues("Les LoBaugh suggested that I contact you about a role.")
    assert (BY, "Priya Raman") in cues("I was referred to you by Priya Raman, who thought so.")
    assert (INTRO, "Kevin") in cues(
        "These are the people at Hughes Hubbard. Kevin will be in Houston while he's at\n"
        "American General. I'd be pleased to introduce you to him."
    )
    assert (THANKS, "") in cues("Jim:  thanks for the referral.  I'll look forward to it.")


def test_own_contact_logistics_and_phone_messages_are_not_referrals() -> None:
    for text in (
        "My cell changed: it's 617-555-0100. Call me any time.",
        "I told Tino I'd give him a call next week to let him know.",
        "Meet me in the lobby at noon. If I'm late, my cell is 617-555-0100.",
        "Ken Ito called. He wants you to call him back at 646-555-0134.",
        "Whalley just came by and said he needs to talk to you ASAP.  His no. is 713-853-5220.",
        "Please call Beal's and tell them I will be at Inwood Manor around 1:15.",
        "Thanks Ines.\n\nOn Mon, Apr 8 Ines wrote:\n"
        "> You should talk to Pieter Smit, 312-555-0144.",
    ):
        assert not {c for c in cues(text) if c[0] == PASS}, text


def test_the_subject_names_the_person_when_the_text_says_him() -> None:
    assert subject_name("Re: David Hill") == "David Hill"
    assert subject_name("Re: Q3 plan") == ""
    assert from_signal("cue:subject-intro") is None
    assert Referred(PASS, "x", "a@b.example").signal() == "ref:pass:x:a@b.example"


def test_the_gate_lets_through_what_a_cue_needs() -> None:
    assert may_refer(b"call him at 617-555-0100")
    assert may_refer(b"write to ada@example.org")
    assert not may_refer(b"the quarterly numbrs were fine")


# Habits seen in real corporate mail, paraphrased: who is passed on, by which cue.
HABITS = {
    "Dana's cell is 713-555-0100 if you need her.": ("phone-next-to-name", "Dana"),
    "Tomas suggested I send the request to you.": ("suggested-i-contact", "Tomas"),
    "Ines Marr told me you were the right person to ask.": ("suggested-i-contact", "Ines Marr"),
    "I got your name from Ines Marr at the conference.": ("got-your-name", "Ines Marr"),
    "You may want to call Ruth Okafor before Friday.": ("reach-out-to", "Ruth Okafor"),
    "I'd suggest you check with Ruth Okafor on that.": ("reach-out-to", "Ruth Okafor"),
    "I would recommend talking to Ruth Okafor first.": ("reach-out-to", "Ruth Okafor"),
    "I gave your name and number to Omar Haddad.": ("gave-your-name", "Omar Haddad"),
    "I referred Omar Haddad to you last week.": ("gave-your-name", "Omar Haddad"),
    "I have forwarded your resume to Ms. Ada Bell in our retail group.": (
        "gave-your-name",
        "Ada Bell",
    ),
    "I just spoke with Lena. She should call you soon.": ("will-call-you", "Lena"),
    "I've asked Lena Park to get in touch with you.": ("will-call-you", "Lena Park"),
    "Lena Park might be able to help you with the tariff.": ("can-help", "Lena Park"),
    "Lena Park is in planning; she knows a lot about storage.": ("can-help", "Lena Park"),
    "I'd like you to meet Lena Park when you are here.": ("introduce-you-to", "Lena Park"),
    "A guy named Tim Beldon runs the book. If Beldon can help, please give him a call.": (
        "call-them",
        "Tim Beldon",
    ),
}
NOT_HABITS = (
    "Check with Sharon and see whether the copies are ready.",
    "You can contact Irena for scheduling.",
    "I asked Sharon to call the bank.",
    "Lena called and will call you back this afternoon.",
    "Bill strongly suggested that I go to DC.",
    "Nancy asked me to email these letters to you.",
    "I sent them to you yesterday.",
    "I have forwarded her resume to Settlements and Volume Management.",
    "I forwarded your e-mail to Sharon.",
    "I'll give you a call tomorrow.",
)


def test_real_mail_habits_name_the_person() -> None:
    for text, (cue, who) in HABITS.items():
        found = {(r.cue, r.who) for r in referral_cues(text)}
        assert (cue, who) in found, (text, found)


def test_look_alikes_are_no_referral() -> None:
    for text in NOT_HABITS:
        assert not [r for r in referral_cues(text) if r.kind != THANKS], text
