"""Referrals as people write them: passing a third person's contact on, in one message.

Read in the writer's new text only (see `quoting.new_text`). Four kinds of cue, each a
name and a pattern (data, like the introduction cues):

- `pass`: the writer passes on a third person — "Paul's number is 713-…, give him a
  call", "Richard Tomaski (312-…) … will you please call him", "I gave him your name",
  "you should talk to Ada", "Ada can be reached at ada@example.org";
- `by`: the writer was sent by someone — "Les suggested I contact you";
- `intro`: the writer offers to introduce the reader to someone not on the mail;
- `thanks`: the reader of an earlier referral says it worked — "thanks for the referral".

A cue yields the referred person's address or name only (the text around it is never
kept), encoded as the signal `ref:<kind>:<cue>:<who>`; who is sender and who is self
is the candidate's business (`introductions.candidate`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

PASS = "pass"
BY = "by"
INTRO = "intro"
THANKS = "thanks"

# A person's name: one to three capitalised words, an initial allowed ("Robert D.
# Eickenroht", "Les LoBaugh", "Mary-Jo O'Neil").
_W = r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:['’-][A-Z]?[a-z]+)?)"
NAME = rf"{_W}(?:\s(?:[A-Z]\.\s)?{_W}){{0,2}}"
_PHONE = (
    r"\(?\b\d{3}\)?[ .\-/]{0,2}\d{3}[ .\-]\d{4}\b|\bx\s?\d{4,5}\b|\bext(?:ension|\.)?\s?\d{3,5}\b"
)
_ADDRESS = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_PRONOUN = r"(?:him|her|them)"
# Words that look like a name at the start of a sentence but are not one.
STOPWORDS = frozenset(
    """
    I I'm I'd I'll I've He She They We You It This That These Those There Here The A An
    Please Thanks Thank Hi Hello Dear Hey Go Also And But So If When Let Give Call Feel
    Just Your My His Her Our Their Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday Per Via January February March April May June July August September
    October November December Enron Best Regards Cheers Sorry Yes No Ok Okay As At In On
    For To
    """.split()  # noqa: SIM905 (a list of words reads best as words)
)


class Cue(NamedTuple):
    name: str
    kind: str
    pattern: str


#: `(?P<who>…)` names the person where the cue says it; else the nearest name before.
CUES: tuple[Cue, ...] = (
    # -- passing a third person on --
    Cue("phone-next-to-name", PASS,
        rf"(?P<who>{NAME})(?:'s|’s)?\s*(?:\((?:{_PHONE})\)|,\s*(?:{_PHONE}),"
        rf"|(?:\s(?:is|can\ be\ reached|may\ be\ reached))?\s(?:at|on)\s(?:{_PHONE})"
        rf"|\s(?:(?:new|cell|direct|office|work|home|phone|telephone|mobile)\s?)*"
        rf"(?:number|no\.|#|dial(?:\sat\swork)?)\s(?:is\s)?(?:{_PHONE}))"),
    Cue("pronoun-number", PASS,
        rf"(?i:\b(?:his|her)\s(?:(?:cell|direct|office|work|home|phone|telephone|mobile)\s?)*"
        rf"(?:number|no\.|#|line)\s(?:is\s)?)(?:{_PHONE}|{_ADDRESS})"),
    Cue("can-be-reached", PASS,
        rf"(?:(?P<who>{NAME})|\b(?:[Hh]e|[Ss]he))\s(?:can|may|could)\sbe\s(?:reached|contacted)"
        rf"\s(?:at|on|by|via)\b"),
    Cue("call-them", PASS,
        rf"(?i:(?:^|[.!?;:]\s+|\bplease\s|\byou\s(?:should|could|can|might|may|need\sto"
        rf"|want\sto|ought\sto|will\swant\sto)\s|\bgo\sahead\sand\s|\bfeel\sfree\sto\s"
        rf"|\bjust\s|\bdo\s)(?:give\s{_PRONOUN}\sa\s(?:call|ring|shout|buzz)"
        rf"|call\s{_PRONOUN}\b(?!\sback)|contact\s{_PRONOUN}\b|drop\s{_PRONOUN}\sa\s(?:line|note)"
        rf"|reach\sout\sto\s{_PRONOUN}\b|get\sin\s(?:touch|contact)\swith\s{_PRONOUN}\b))"),
    Cue("reach-out-to", PASS,
        rf"(?i:\b(?:reach\sout\sto|get\sin\s(?:touch|contact)\swith|you\s(?:should|could|might"
        rf"|may\swant\sto|need\sto|ought\sto|will\swant\sto)\s(?:talk|speak|chat)\s(?:to|with)"
        rf"|feel\sfree\sto\s(?:contact|call)|touch\sbase\swith|please\s(?:contact|call))\s)"
        rf"(?P<who>{NAME})"
        rf"|(?i:\b(?:give|drop))\s(?P<who2>{NAME})\s(?i:a\s(?:call|ring|shout|line|note|buzz))"),
    Cue("gave-your-name", PASS,
        rf"(?i:\bgave\s{_PRONOUN}\syour\s(?:name|number|e-?mail|address|contact|card|details))"
        rf"|(?i:\bpassed\s(?:on|along)\syour\s(?:name|number|details|contact)\sto\s)(?P<who>{NAME})"),
    Cue("sent-you", PASS,
        rf"(?i:\b(?:let|tell)\s{_PRONOUN}\s(?:know\s)?(?:that\s)?(?:i|we)\s(?:sent\syou|put\syou\sup"
        rf"\sto\sit|referred\syou|suggested\sit)|\bmention\smy\sname\b|\buse\smy\sname\b)"),
    Cue("hook-up", PASS,
        rf"(?i:\bhook\syou\sup\swith|\blet\sme\s(?:connect|introduce)\syou\s(?:with|to)"
        rf"|\blet\sme\sput\syou\sin\s(?:touch|contact)\swith|\b(?:i'?ll|i\swill|i\scan|i\scould)"
        rf"\s(?:put\syou\sin\s(?:touch|contact)|connect\syou|hook\syou\sup)\swith)"
        rf"\s(?:(?P<who>{NAME})|our|my|a|one|some|the)"),
    Cue("need-to-talk-to", PASS,
        r"(?i:\b(?:guys?|people|folks|persons?|someone|person)\syou\s(?:need|ought|should|want)"
        r"(?:\sto)?\s(?:talk|speak)\s(?:to|with)\b)"),
    Cue("good-resource", PASS,
        rf"(?P<who>{NAME})\s(?:(?:is|would\sbe|might\sbe|could\sbe|will\sbe)\s"
        rf"(?:a\s|an\s|the\s)?(?:very\s|really\s|great\s|good\s|valuable\s|useful\s|helpful\s)+"
        rf"(?:resource|contact|person\sto\s(?:talk|speak)\sto)|(?:is|would\sbe)\sthe\s(?:guy|person"
        rf"|one|woman|man)\sto\s(?:talk|speak)\s(?:to|with))"),
    # -- sent by someone --
    Cue("suggested-i-contact", BY,
        rf"(?:(?P<who>{NAME})|(?i:\b(?:mutual|several|some|a)\s(?:\w+\s){{0,4}}))\s"
        rf"(?i:(?:has\s|have\s|had\s)?(?:suggested|recommended|advised|told\sme)\s(?:that\s)?"
        rf"(?:i\s)?(?:to\s)?(?:should\s)?(?:contact|call|write(?:\sto)?|e-?mail|reach\sout"
        rf"|get\sin\s(?:touch|contact)|speak|talk|touch\sbase)"
        rf"|(?:referred|sent|pointed)\sme\s(?:to\syou|your\sway|in\syour\sdirection)"
        rf"|gave\sme\syour\s(?:name|number|e-?mail|address|contact)"
        rf"|passed\s(?:on|along)\syour\s(?:name|number|details|contact))"),
    Cue("referred-by", BY,
        rf"(?i:\b(?:i\swas|i've\sbeen|i\shave\sbeen)\s(?:referred|directed|pointed|sent)\sto\syou\sby"
        rf"|\bat\sthe\ssuggestion\sof|\bon\sthe\srecommendation\sof)\s(?P<who>{NAME})"
        rf"(?=[^.!?]{{0,60}}(?i:\bi\s(?:am\s|'m\s)?(?:contact|writ|call|reach|e-?mail|get\sin)))"
        rf"|(?i:\b(?:at|per|on)\s)(?P<who2>{NAME})(?:'s|’s)\s(?i:suggestion|recommendation),?\s"
        rf"(?i:i\s(?:am\s|'m\s)?(?:contact|writ|call|reach|e-?mail|get\sin))"),
    # -- offering to introduce the reader to someone --
    Cue("introduce-you-to", INTRO,
        rf"(?i:\b(?:introduce|introducing)\syou\sto|\bintroduce\sto\syou)\s"
        rf"(?:(?P<who>{NAME})|{_PRONOUN}|my|our|a|some)"),
    # -- the referral worked --
    Cue("thanks-referral", THANKS,
        r"(?i:\bthank(?:s|\syou)\s(?:so\smuch\s|again\s)?for\s(?:the|your)\s(?:referral|intro"
        r"|introduction|recommendation|connection|contact)"
        r"|\bthank(?:s|\syou)\s(?:so\smuch\s|again\s)?for\s(?:putting\sme\sin\s(?:touch|contact)"
        r"|connecting\sme|referring\sme|sending\s\w+\smy\sway|pointing\sme\sto))"),
    Cue("we-spoke", THANKS,
        rf"(?i:\b(?:i|we)\s(?:finally\s|just\s)?(?:spoke|talked|met|connected|caught\sup)"
        rf"\s(?:with\s|to\s)?)(?P<who>{NAME})\s(?i:(?:yesterday|today|this|last|on|and|about))"),
)  # fmt: skip

#: Cues that refer to someone by a pronoun ("give him a call"): the antecedent is found.
_ANTECEDENT = frozenset(
    {"pronoun-number", "can-be-reached", "call-them", "gave-your-name", "sent-you",
     "introduce-you-to"}
)  # fmt: skip
#: Cues strong enough to count when the text names no one ("hook you up with our team").
_UNNAMED_OK = frozenset({"hook-up", "need-to-talk-to", "gave-your-name", "sent-you"})
_COMPILED = tuple((c, re.compile(c.pattern, re.MULTILINE)) for c in CUES)
_NAME_RE = re.compile(NAME)
_ADDRESS_RE = re.compile(_ADDRESS)
#: Cues that never fire on the writer's own contact or on logistics.
_MINE = re.compile(r"(?i:\b(?:me|my|myself|us|our)\b[^.!?\n]{0,12}$)")
_MESSAGE_TAKING = re.compile(
    r"(?i:\b(?:wants?|wanted|would\slike|asked|asks)\s(?:for\s)?(?:you|that\syou)\s(?:to\s)?"
    r"(?:call|contact|return)|\breturn\s(?:his|her)\scall|\bcall\s(?:him|her)\sback"
    r"|\b(?:just\s)?(?:called|came\sby|stopped\sby)\b|\bleft\s(?:a\s|you\sa\s)?(?:message|voice\s?mail)"
    r"|\b(?:needs?|wants?)\sto\s(?:talk|speak)\s(?:to|with)\syou|\bsecond\srequest"
    r"|\brsvp\b|\bregist(?:er|ration)\b|\bconfirm\syour\sattendance)"
)

#: Lower-cased words one of which every cue needs: most mail has none and is skipped.
STEMS = (
    "call", "reach", "touch", "number", "contact", "suggest", "recommend", "refer",
    "hook", "talk", "speak", "your name", "resource", "introduc", "thank", "ring",
    "line", "ping", " no.", "#", "dial", "spoke", "met ", "connect", "my name",
)  # fmt: skip
_BYTE_STEMS = tuple(s.encode() for s in STEMS)


def may_refer(lowered: bytes) -> bool:
    """Whether lower-cased raw text could hold a referral cue (a cheap gate)."""
    return any(s in lowered for s in _BYTE_STEMS)


class Referred(NamedTuple):
    kind: str  # PASS | BY | INTRO | THANKS
    cue: str
    who: str  # an address, a name, or '' when the text names no one

    def signal(self) -> str:
        return f"ref:{self.kind}:{self.cue}:{self.who}"


def from_signal(signal: str) -> Referred | None:
    if not signal.startswith("ref:"):
        return None
    kind, _, rest = signal[4:].partition(":")
    cue, _, who = rest.partition(":")
    return Referred(kind, cue, who)


_ORG = frozenset(
    """
    Company Corp Corporation Inc LLC LLP Group Center Centre Office Desk Department
    Power Energy Services Bank Partners Associates Sanders University Council Committee
    Team Board Street Avenue Commission Affairs Chief Accountant Officer President
    Manager Director Counsel General Vice Partner Texas Houston Dallas Omaha Austin
    Washington London Chicago New York
    """.split()  # noqa: SIM905 (a list of words reads best as words)
)


def _clean(name: str) -> str:
    words = [w.removesuffix("'s").removesuffix("’s") for w in name.split()]
    while words and words[0].rstrip(".") in STOPWORDS:
        words = words[1:]
    while words and words[-1].rstrip(".") in STOPWORDS:
        words = words[:-1]
    return " ".join(words)


def _is_person(name: str, greeting: str) -> bool:
    words = name.split()
    return bool(words) and name != greeting and not any(w in _ORG for w in words)


_PLACE_BEFORE = re.compile(r"(?:\b(?:at|from|in|of|for|into|near|on|by|the)\s)$")


def _nearest_name(text: str, end: int, greeting: str, hint: str) -> str:
    """A pronoun's antecedent: the nearest person-like name before `end` in the same
    paragraph (not after "at", "in", "from": a place or a firm; not an address line),
    else the name the subject gives."""
    start = max(0, end - 300)
    para = text.rfind("\n\n", start, end)
    lo = para + 2 if para >= 0 else start
    window = text[lo:end]
    for m in reversed(list(_NAME_RE.finditer(window))):
        name = _clean(m.group(0))
        if not _is_person(name, greeting) or name.split()[0] in STOPWORDS:
            continue
        if _PLACE_BEFORE.search(window, max(0, m.start() - 6), m.start()):
            continue
        if re.match(r"\s*,?\s*\d", window[m.end() : m.end() + 4]):
            continue  # "Dallas Texas 75201": an address line
        return name
    if hint and any(w in text[:end] for w in hint.split()):
        return hint
    return ""


def _full(name: str, text: str) -> str:
    """A first name stretched to the full name the same text gives ("Steve" → "Steve Harris")."""
    if " " in name:
        return name
    m = re.search(rf"\b{re.escape(name)}\s[A-Z][a-z]+(?:[A-Z][a-z]+)?\b", text)
    return _clean(m.group(0)) if m else name


_SPACES = re.compile(r"[ \t]*\n[ \t]*(?!\n)|[ \t]{2,}")
_PARAGRAPHS = re.compile(r"\n\s*\n")


def subject_name(subject: str) -> str:
    """A person's name that a subject consists of ("Paul B", "Re: David Hill"), if any."""
    topic = re.sub(r"^(?:\s*(?:re|fw|fwd)\s*:\s*)+", "", subject, flags=re.IGNORECASE).strip()
    m = _NAME_RE.fullmatch(topic)
    name = _clean(m.group(0)) if m else ""
    return name if " " in name and _is_person(name, "") else ""


def _address_near(text: str, start: int, end: int) -> str:
    m = _ADDRESS_RE.search(text, max(0, start), min(len(text), end + 120))
    return m.group(0).lower() if m else ""


def referral_cues(new: str, subject: str = "") -> tuple[Referred, ...]:
    """The referral cues in a writer's new text, each with the person it names."""
    # Mail wraps lines anywhere: one line per paragraph, single spaces.
    text = _SPACES.sub(" ", _PARAGRAPHS.sub("\n\n", new))
    hint = subject_name(subject)
    greeting_m = re.search(
        r"(?:^|\n\n)\s*(?:(?:hi|hello|dear|hey)\s+)?([A-Z][a-z]+)\s*(?:[,:]|--|\n)", text
    )
    greeting = greeting_m.group(1) if greeting_m else ""
    found: dict[tuple[str, str], Referred] = {}
    inferred: set[tuple[str, str]] = set()  # named by a pronoun's antecedent only
    for cue, pattern in _COMPILED:
        for m in pattern.finditer(text):
            if cue.kind == PASS and _not_passing_on(text, m.start(), m.end()):
                continue
            raw = m.groupdict().get("who") or m.groupdict().get("who2") or ""
            if cue.name == "reach-out-to" and raw.endswith(("'s", "’s")):
                continue  # "please call Beal's": a shop, not a person
            who = _clean(raw)
            guessed = not raw and cue.name in _ANTECEDENT
            if guessed:
                who = _nearest_name(text, m.start(), greeting, hint)
            if who and not _is_person(who, greeting):
                who = ""
            if cue.kind == PASS and not who and cue.name not in _UNNAMED_OK:
                continue
            who = _full(who, text) if who else who
            if who and " " not in who and hint and hint.split()[0][:3] == who[:3]:
                who = hint
            address = _address_near(text, m.start(), m.end()) if cue.kind == PASS and who else ""
            key = (cue.kind, address or who)
            if key not in found:
                found[key] = Referred(cue.kind, cue.name, address or who)
                if guessed:
                    inferred.add(key)
    # A pronoun's guessed antecedent gives way to a person the text names outright.
    if any(k[0] == PASS and k[1] and k not in inferred for k in found):
        found = {k: v for k, v in found.items() if k not in inferred or k[0] != PASS}
    return tuple(found.values())


def _not_passing_on(text: str, start: int, end: int) -> bool:
    """The writer's own contact ("reach me at"), or a phone message ("he called")."""
    before = text[max(0, start - 40) : start]
    return bool(
        _MINE.search(before) or _MESSAGE_TAKING.search(text, max(0, start - 200), end + 120)
    )
