"""Introductions: the cues that mark one, and how its follow-up state is worked out.

The cues are data: each is a name and a pattern, matched against the subject or the
first lines of a message's body when it is imported. Only the names of the cues that
matched are kept (as `cue:<name>` signals); the body itself is never stored.
The follow-up state is a pure function of what happened after the introduction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from kithkeep.domain.interaction import Kind, Observation, Role
from kithkeep.domain.referral_cues import BY, INTRO, PASS, THANKS, from_signal
from kithkeep.domain.rules import Policy

OPT_IN_WINDOW_DAYS = 30
#: How much of a body is read for cues: the first lines are where introductions say so.
BODY_CUE_CHARS = 1500
BODY_CUE_LINES = 12


class Cue(NamedTuple):
    name: str
    pattern: str


# A person's name: one or two capitalised words ("Ada", "Bo Li"; not "FERC", "PowerTrading").
_WORD = r"[A-Z][a-zà-ÿ]+(?:['’-][A-Za-z][a-zà-ÿ]+)?"
_NAME = rf"\b{_WORD}(?: {_WORD})?\b"

#: Cues in a subject line that an introduction is being made.
SUBJECT_CUES: tuple[Cue, ...] = (
    Cue(
        "subject-intro",
        # Not "intro call" / "intro deck": a first sales call or a primer, nobody connected.
        r"\b(?:intro|introduction|introducing|introductions)\b"
        r"(?!\s+(?:call|calls|meeting|chat|deck|session|course|class)\b)",
    ),
    Cue(
        "subject-meet",
        # "Meet Ada", "Intro: meet Ada", and the address-first "Ada, meet Bo".
        r"(?:^|[:\-–,]\s*)(?:please\s+)?meet\b|\byou should meet\b|\bmeet each other\b",
    ),
    Cue("subject-connecting", r"\bconnect(?:ing|ion)\b"),
    # "Ada <> Bo", "Ada ↔ Bo"; "/", "x" and "+" only with spaces ("Legal/Tax" is no pair).
    Cue(
        "subject-pair",
        # "Ada <> Bo" anywhere; "Ada / Bo", "Ada x Bo", "Ada + Bo" only as the whole subject
        # (after "Intro:"): "East Power / Scheduling" names two desks, not two people.
        rf"{_NAME}\s*(?:<>|<->|↔)\s*{_NAME}"
        rf"|^\s*(?:(?i:intro(?:duction)?)\s*:\s*)?{_NAME} (?:/|x|\+) {_NAME}\s*$",
    ),
)

#: Cues in the first lines of a body.
BODY_CUES: tuple[Cue, ...] = (
    Cue(
        "body-introduce",
        r"\b(?:like|love|want|wanted|let me|allow me|happy|pleased|delighted|glad)"
        r"\s+(?:to\s+)?introduce\b|\bintroduce you\b",
    ),
    Cue(
        "body-introducing",
        r"\b(?:introducing|introduction to|this is an intro|quick intro|intro(?:ducing)? you"
        r"(?: two| both)?)\b",
    ),
    Cue(
        "body-meet",
        # Matched case-sensitively (the name after "meet" needs its capital), so the
        # phrases are case-insensitive groups: they often open a sentence.
        r"(?i:\b(?:want|wanted|like|love) (?:you two|you both|the two of you) to (?:meet|connect)\b"
        r"|\byou (?:two|both|three) (?:should|need to|ought to|must|have to)"
        r" (?:really |definitely |absolutely |totally )?"
        r"(?:meet|talk|connect|chat|know each other|compare notes"
        r"|grab (?:a )?(?:coffee|drink|lunch)|get (?:a )?coffee)\b"
        r"|\bplease meet\b)"
        # "meet Ada", but not "meet Mr. Derrick in the lobby": a title is an appointment.
        r"|\b(?i:meet) (?!(?:Mr|Mrs|Ms|Dr|Prof)\b)[A-Z][a-zà-ÿ]+\b",
    ),
    Cue(
        "body-connecting",
        r"\b(?:connecting you|connect you (?:two|both|with)|putting you (?:two )?in touch"
        r"|put you in touch)\b",
    ),
    Cue("body-bcc", r"\bmov(?:e|ing) (?:you|me|myself) to bcc\b"),
)

#: Cues that self is asking one person first whether they want an introduction.
OPT_IN_CUES: tuple[Cue, ...] = (
    Cue("optin-intro-to", r"\b(?:intro|introduction) to\b"),
    Cue(
        "optin-would-you",
        r"\bwould you (?:like|be (?:open|up|interested)) (?:to meet|to an intro"
        r"|to be introduced|to connect|in an intro)",
    ),
    Cue(
        "optin-mind-if",
        r"\b(?:mind if|ok if|okay if) i (?:introduce|intro|connect|put you in touch)\b"
        r"|\b(?:can|could|may|shall) i (?:introduce|intro|connect) you\b"
        r"|\b(?:can|could|may|shall) i put you in touch\b",
    ),
    Cue("optin-open-to", r"\b(?:open|up) (?:to|for) an? (?:intro|introduction)\b"),
)

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def _compiled(cues: Sequence[Cue], flags: int) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((c.name, re.compile(c.pattern, flags)) for c in cues)


# Case-insensitive cues are matched against lower-cased text (much faster than the
# IGNORECASE flag); the two that need a capital (a name) are matched as written.
_CASED = frozenset({"subject-pair", "body-meet"})
_SUBJECT = _compiled(SUBJECT_CUES, 0)
_BODY = _compiled(BODY_CUES, 0)
_OPT_IN = _compiled(OPT_IN_CUES, 0)


_FORWARD = re.compile(r"^\s*(?:re\s*:\s*)*(?:fw|fwd)\s*:", re.IGNORECASE)


def is_forward(subject: str) -> bool:
    """A forward passes something on; it does not introduce the people it goes to."""
    return bool(_FORWARD.match(subject))


def body_head(text: str) -> str:
    """The first lines of a body, without quoted text: where a writer says what this is."""
    lines: list[str] = []
    for line in text[: BODY_CUE_CHARS * 2].splitlines():
        stripped = line.strip()
        lowered = stripped.lower()
        quoted = stripped.startswith(">") or (
            lowered.startswith("on ") and lowered.endswith("wrote:")
        )
        if quoted or lowered.startswith(("-----original", "from:")):
            if lines:
                break
            continue
        if stripped:
            lines.append(stripped)
        if len(lines) >= BODY_CUE_LINES:
            break
    return " ".join(lines)[:BODY_CUE_CHARS]


#: Every cue needs one of these words: most mail has none, and skips the patterns.
_STEMS = ("intro", "connect", "touch", "bcc", "you two", "you both", "you three")
_MEET = re.compile(r"meet\b")  # "meet", not "meeting": a cheap gate on lower-cased text
_PAIR_STEMS = ("<>", "<->", "↔", " / ", " x ", " + ")


_BYTE_STEMS = tuple(s.encode() for s in _STEMS)
_BYTE_MEET = re.compile(rb"meet\b")


def may_have_cues(raw: bytes) -> bool:
    """Whether undecoded plain text could hold a body cue: most mail is skipped here."""
    lowered = raw[: BODY_CUE_CHARS * 2].lower()
    return any(stem in lowered for stem in _BYTE_STEMS) or (
        b"meet" in lowered and _BYTE_MEET.search(lowered) is not None
    )


def _may_cue(text: str) -> bool:
    lowered = text.lower()
    return any(stem in lowered for stem in _STEMS) or (
        "meet" in lowered and _MEET.search(lowered) is not None
    )


def introduction_cues(subject: str, body: str) -> tuple[str, ...]:
    """Names of the cues that fire: introduction cues, and opt-in cues (`optin-*`)."""
    fired: list[str] = []
    topic = _REPLY_PREFIX.sub("", subject)
    topic_l = topic.lower()
    topic_words = _may_cue(topic)
    if topic_words or any(stem in topic for stem in _PAIR_STEMS):
        for name, pattern in _SUBJECT:
            if pattern.search(topic if name in _CASED else topic_l):
                fired.append(name)
    head_words = _may_cue(body[: BODY_CUE_CHARS * 2])
    head = body_head(body) if head_words else ""
    head_l = head.lower()
    if head_words:
        for name, pattern in _BODY:
            if pattern.search(head if name in _CASED else head_l):
                fired.append(name)
    if topic_words or head_words:
        for name, pattern in _OPT_IN:
            if pattern.search(topic_l) or pattern.search(head_l):
                fired.append(name)
    return tuple(fired)


def has_introduction_cue(cues: Sequence[str]) -> bool:
    return any(not c.startswith("optin-") for c in cues)


def has_opt_in_cue(cues: Sequence[str]) -> bool:
    return any(c.startswith("optin-") for c in cues)


# -- candidates --------------------------------------------------------------------------

MADE = "made"
MADE_ONE_SIDED = "made-one-sided"
RECEIVED = "received"
LOGGED = "logged"
OPT_IN = "optin"
THANKED = "thanks"
#: A party known by name only (no address in the text or the mail) is kept as this.
NAME_PREFIX = "name:"
#: More people than this on a mail and a passed-on contact is an announcement.
REFERRAL_AUDIENCE = 4
#: A bulletin's "Ada can be reached at …" passes no one on to anyone in particular.
_ROLE_ACCOUNT = re.compile(
    r"^(?:news|newsletters?|info|events?|marketing|hello|team|jobs|careers|updates?|announce"
    r"\w*|communications|press|office|all|staff|hotline|payroll|no\.?address|no-?reply"
    r"|center|chairman|legal|security|support|\w*admin|help\w*|\d+\w*|webmaster|greetings"
    r"|games\w*|offers?|\w*\d\w*@)[@.+_-]?"
)
_OFFERS = frozenset({"introduce-you-to", "hook-up"})
#: Cues that count in self's own mail only: to self, "please call Ken Lay - 713-…" is a
#: phone message.
_SELF_ONLY_CUES = frozenset({"please-call"})
_OUT_OF_OFFICE = re.compile(r"\b(?:out of (?:the )?office|autoreply|auto-reply|vacation)\b", re.I)


class Candidate(NamedTuple):
    """A message that may be an introduction; history decides (see `referrals` queries).

    `parties` are the people besides self and the introducer: for one self made, everyone
    it went to or copied; for one self received, the people self was introduced to.
    """

    kind: str
    introducer: str
    parties: tuple[str, ...]
    cues: tuple[str, ...]
    #: People named in the text (an address, or `name:` and a name): the referred ones.
    referred: tuple[str, ...] = ()


def candidate(o: Observation, policy: Policy, noise: Sequence[str]) -> Candidate | None:
    if o.kind is not Kind.EMAIL or noise:
        return None
    found = _introduction(o, policy)
    if (found is None or found.kind == OPT_IN) and any(s.startswith("ref:") for s in o.signals):
        referral = one_sided(o, policy)
        if found is not None and referral is not None and set(referral.cues) <= _OFFERS:
            return found  # "can I introduce you to Felix?" asks first: an opt-in
        return referral or found
    return found


def _alias_of_self(address: str, policy: Policy) -> bool:
    """An address of self's seen in an archive (`jderric@`, `james_derrick@`): same domain,
    and the local part shares a word of five letters or more with one of self's."""
    local, _, domain = address.partition("@")
    for mine in policy.me:
        my_local, _, my_domain = mine.partition("@")
        if my_domain == domain and any(
            w[:5] in local for w in re.split(r"[._\-+]", my_local) if len(w) >= 5
        ):
            return True
    return False


def _on_mail(who: str, o: Observation, visible: Sequence[str]) -> bool:
    """Whether a referred person is someone already on the message (by address or name)."""
    if not who:
        return False
    sender = o.sender.address if o.sender else ""
    if "@" in who:
        mine = {w for w in re.split(r"[._\-+]", sender.partition("@")[0]) if len(w) > 3}
        theirs = {w for w in re.split(r"[._\-+]", who.partition("@")[0]) if len(w) > 3}
        return who in visible or who == sender or bool(mine & theirs)
    words = {w.lower() for w in who.split() if len(w) > 2}
    for p in (o.sender, *o.parties):
        if p is None:
            continue
        local = p.address.partition("@")[0].lower()
        known = {w for w in re.split(r"[._\-+]", local) if len(w) > 2}
        known.update(w for w in p.name.lower().replace(",", " ").split() if len(w) > 2)
        if words & known:
            return True
        # "styler@" is Sally Tyler: a first initial and the surname, the writer's own.
        if p is o.sender and any(len(w) > 3 and local.endswith(w) for w in words):
            return True
    return False


def encode_parties(parties: Sequence[str], referred: Sequence[str]) -> str:
    """The views' text for a candidate's people: `a,b`, then `|` and the referred ones."""
    text = ",".join(parties)
    return f"{text}|{','.join(referred)}" if referred else text


def decode_parties(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    on_mail, _, referred = text.partition("|")
    return (
        tuple(p for p in on_mail.split(",") if p),
        tuple(p for p in referred.split(",") if p),
    )


def _party(who: str) -> str:
    return who if "@" in who else NAME_PREFIX + who


def one_sided(o: Observation, policy: Policy) -> Candidate | None:
    """A referral in one message: a contact passed on, or someone sent to self by another."""
    if _OUT_OF_OFFICE.search(o.subject):
        return None
    sender = o.sender.address if o.sender else ""
    visible = [p.address for p in o.parties if p.role != Role.BCC]
    others = tuple(dict.fromkeys(a for a in visible if not policy.is_self(a) and a != sender))
    refs = [r for s in o.signals if (r := from_signal(s)) is not None]
    passed = [r for r in refs if r.kind in (PASS, INTRO)]
    # Someone already on the mail is not being passed on (a greeting, a signature) ...
    third = [r for r in passed if not _on_mail(r.who, o, visible)]
    if not policy.is_self(sender):
        # To self, only a contact passed on in so many words counts: a name with a
        # number somewhere in a clause is a bulletin's or a signature's.
        third = [r for r in third if r.cue not in _SELF_ONLY_CUES]
    if policy.is_self(sender) and len(others) >= 2 and len(third) < len(passed):
        # ... unless self copied them: then this introduces the people it went to.
        cues = tuple(dict.fromkeys(r.cue for r in passed))
        return Candidate(MADE, sender, others, cues)
    by = [r for r in refs if r.kind == BY]
    cues = tuple(dict.fromkeys(r.cue for r in (*third, *by)))
    if policy.is_self(sender):
        if third and 1 <= len(others) <= REFERRAL_AUDIENCE and not is_forward(o.subject):
            named = tuple(dict.fromkeys(_party(r.who) for r in third if r.who))
            return Candidate(MADE_ONE_SIDED, sender, others, cues, named)
        named_by = [r for r in by if r.cue == "suggested-i-contact" and r.who]
        if named_by and len(others) == 1:
            return Candidate(RECEIVED, _party(named_by[0].who), (), cues, others)
        return None
    if not sender or _ROLE_ACCOUNT.match(sender):
        return None
    to_self = any(policy.is_self(a) or _alias_of_self(a, policy) for a in visible)
    # Mail with no visible recipient in self's own mailbox (an archive's quirk) is self's.
    if by and len(others) <= REFERRAL_AUDIENCE and (to_self or not visible):
        who = next((r.who for r in by if r.who), "")
        return Candidate(RECEIVED, _party(who) if who else "", (), cues, (sender,))
    named = tuple(dict.fromkeys(_party(r.who) for r in third if r.who))
    intro = any(r.kind == INTRO for r in third)
    if named and len(others) <= REFERRAL_AUDIENCE and (to_self or (intro and not visible)):
        return Candidate(RECEIVED, sender, (), cues, named)
    thanks = [r for r in refs if r.kind == THANKS]
    if thanks:
        named = tuple(_party(r.who) for r in thanks if r.who)
        return Candidate(THANKED, sender, (), tuple(r.cue for r in thanks), named)
    return None


def _introduction(o: Observation, policy: Policy) -> Candidate | None:
    cues = tuple(s[4:] for s in o.signals if s.startswith("cue:"))
    if not cues:
        return None
    sender = o.sender.address if o.sender else ""
    if policy.is_self(sender) and is_forward(o.subject):
        return None
    if _REPLY_PREFIX.match(o.subject) and all(c.startswith("subject-") for c in cues):
        return None  # "Re: Introduction": the cue is the original writer's, not this reply's
    visible = [p.address for p in o.parties if p.role != Role.BCC]
    others = tuple(dict.fromkeys(a for a in visible if not policy.is_self(a)))
    if policy.is_self(sender):
        if len(others) >= 2 and has_introduction_cue(cues):
            return Candidate(MADE, sender, others, cues)
        if len(others) == 1 and has_opt_in_cue(cues):
            return Candidate(OPT_IN, sender, others, cues)
        return None
    if any(policy.is_self(a) for a in visible) and has_introduction_cue(cues):
        new = tuple(a for a in others if a != sender)
        if new:
            return Candidate(RECEIVED, sender, new, cues)
    return None


# -- follow-up state -------------------------------------------------------------------

CONNECTED = "connected"
ACKNOWLEDGED = "acknowledged"
AWAITING = "awaiting"
FOLLOW_UP_DUE = "follow_up_due"
FOLLOWED_UP = "followed_up"
DISMISSED = "dismissed"
CLOSED = "closed"
STATES = (FOLLOW_UP_DUE, AWAITING, ACKNOWLEDGED, FOLLOWED_UP, CONNECTED, CLOSED, DISMISSED)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What is known of an introduction at a moment, and what it means."""

    state: str
    next_follow_up_at: int | None  # epoch seconds; None once nothing more is due


def follow_up_state(
    *,
    made_at: int,
    at: int,
    follow_up_after: int,
    connected_at: int | None,
    acknowledged_at: int | None,
    self_wrote_at: Sequence[int],
    dismissed_at: int | None = None,
    closed_at: int | None = None,
) -> FollowUp:
    """The state at `at` (epoch seconds), from the times things happened.

    `self_wrote_at` are the times self wrote to either party after the introduction.
    A follow-up counts once the introduction was due; it restarts the timer.
    """
    if dismissed_at is not None and dismissed_at <= at:
        return FollowUp(DISMISSED, None)
    if closed_at is not None and closed_at <= at:
        return FollowUp(CLOSED, None)
    if connected_at is not None and connected_at <= at:
        return FollowUp(CONNECTED, None)
    due = made_at + follow_up_after
    followed = False
    for t in sorted(self_wrote_at):
        if t > at:
            break
        if t >= due:
            followed = True
            due = t + follow_up_after
    if acknowledged_at is not None and acknowledged_at <= at:
        return FollowUp(ACKNOWLEDGED, due)
    if at >= due:
        return FollowUp(FOLLOW_UP_DUE, due)
    return FollowUp(FOLLOWED_UP if followed else AWAITING, due)
