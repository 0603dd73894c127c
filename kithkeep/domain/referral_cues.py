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
from collections.abc import Iterator
from typing import Any, NamedTuple

import ahocorasick  # type: ignore[import-not-found,unused-ignore]

from kithkeep.domain.referral_words import ORG_WORDS, STOPWORDS, TRIGGERS

PASS = "pass"
BY = "by"
INTRO = "intro"
THANKS = "thanks"

# A person's name: one to three capitalised words, an initial allowed ("Robert D.
# Eickenroht", "Les LoBaugh", "Mary-Jo O'Neil").
_W = r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:['’-][A-Z]?[a-z]+)?)"
NAME = rf"{_W}(?:\s(?:[A-Z]\.\s)?{_W}){{0,2}}"
_PHONE = (
    r"\(?\b\d{3}\)?[ .\-/]{0,2}\d{3}[ .\-]\d{4}\b|\+\d[\d .()\-]{7,18}\d"
    r"|\b\d{3}[.\-]\d{4}\b|\b\d-\d{4}\b|\bx\s?\d{4,5}\b|\bext(?:ension|\.)?\s?\d{3,5}\b"
)
_DIGITS = str.maketrans("0123456789", "##########")


def _phone_spots(text: str) -> list[int]:
    """Where a phone number may be (three digits in a row), found without a regex."""
    marked = text.translate(_DIGITS)
    spots: list[int] = []
    i = marked.find("###")
    while i != -1:
        spots.append(i)
        i = marked.find("###", i + 16)  # one spot per number is enough for its window
    return spots


_ADDRESS = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_PRONOUN = r"(?:him|her|them)"


# Sentence-openers that look like names: a name pattern must not start on one.
_NOT_STOP = "(?!(?:" + "|".join(sorted(STOPWORDS, key=len, reverse=True)) + r")\b)"
_I_WRITE = r"(?i:\bi(?:\sam|'m|’m)?\s(?:contact|writ|call|reach|e-?mail|get\sin))"


class Cue(NamedTuple):
    name: str
    kind: str
    pattern: str


#: `(?P<who>…)` names the person where the cue says it; else the nearest name before.
CUES: tuple[Cue, ...] = (
    # -- passing a third person on --
    Cue("phone-next-to-name", PASS,
        # "Paul's number is 713-…", "Steve is at 713-…", "Richard Tomaski (312-…)".
        rf"(?P<who>{NAME})(?:'s|’s)?\s?(?:(?:\s(?:can|may)\sbe\sreached|\sis)?\s(?:at|on)"
        rf"|\s?\(|,|\s(?:(?:new|cell|direct|office|work|home|phone|telephone|mobile)\s?)*"
        rf"(?:number|no\.|\#|line|dial|extension|ext\.|cell|mobile|phone|pager)(?:\sat\swork)?\s"
        rf"(?:is\s)?)\s?(?:{_PHONE})"),
    Cue("pronoun-number", PASS,
        rf"(?i:\b(?:his|her)\s(?:(?:new|cell|direct|office|work|home|phone|telephone|mobile)\s?)*"
        rf"(?:number|no\.|#|line|extension|ext\.|cell|mobile|e-?mail|address|handle)"
        rf"(?:\sat\swork)?\s(?:is\s|:\s?)?)(?:{_PHONE}|{_ADDRESS})"),
    Cue("can-be-reached", PASS,
        rf"(?:(?P<who>{NAME})|\b(?:[Hh]e|[Ss]he|[Tt]hey))\s(?:can|may|could)\sbe\s(?:reached|contacted)"
        rf"\s(?:at|on|by|via)\b"
        rf"|\b(?:[Hh]e|[Ss]he)(?:'s|’s|\sis)\s(?:at|on)\s(?:{_PHONE}|{_ADDRESS})"
        rf"|(?i:\byou\s(?:can|may|could)\s(?:reach|call|contact|get\shold\sof)\s(?:him|her|them)"
        rf"\s(?:at|on|by|via)\b)"),
    Cue("call-them", PASS,
        r"(?i:(?:^|[.!?;:,]\s+|--\s|\bplease\s|\byou\s(?:should|could|can|might|may|need\sto"
        r"|want\sto|ought\sto|will\swant\sto|might\swant\sto|may\swant\sto)\s|\bgo\sahead\sand\s"
        r"|\bfeel\sfree\sto\s|\bjust\s|\bdo\s)(?:give\s(?P<pron>him|her|them)\sa\s(?:call|ring|shout"
        r"|buzz)|call\s(?P<pron2>him|her|them)\b(?!\sback)|contact\s(?P<pron3>him|her|them)\b"
        r"|drop\s(?P<pron4>him|her|them)\sa\s(?:line|note)"
        r"|(?:want\sto\s)?(?:talk|speak|chat)\s(?:to|with)\s(?P<pron5>him|her|them)\b"
        r"|reach\sout\sto\s(?P<pron6>him|her|them)\b"
        r"|get\sin\s(?:touch|contact)\swith\s(?P<pron7>him|her|them)\b))"),
    Cue("reach-out-to", PASS,
        rf"(?i:(?:\b(?:reach\sout\sto|get\sin\s(?:touch|contact)\swith|you\s(?:should|could|might"
        rf"|may\swant\sto|need\sto|ought\sto|will\swant\sto|might\swant\sto)\s(?:really\s)?"
        rf"(?:talk|speak|chat)\s(?:to|with)|feel\sfree\sto\s(?:contact|call)|touch\sbase\swith"
        rf"|ask\sfor)"
        rf"|(?:^|[.!?:;,]\s+|--\s|\bthen\s)(?:call|contact|try|ping|e-?mail|ring|talk\sto"
        rf"|speak\s(?:to|with))|(?:\byou\s(?:(?:may|might|will|would)\s)?(?:also\s)?want\sto"
        rf"|\byou\s(?:should|could|might|may)(?:\salso)?|\bi(?:'d|\swould)?\s(?:suggest|recommend)"
        rf"(?:\sthat)?\syou)\s(?:call|contact|try|ping|e-?mail|ring|talk\sto|speak\s(?:to|with)"
        rf"|check\swith)|\b(?:suggest|recommend)\s(?:calling|contacting|talking\sto|speaking\s(?:to"
        rf"|with)|getting\sin\stouch\swith))\s)(?P<who>{NAME})"
        rf"|(?i:\b(?:give|drop))\s(?P<who2>{NAME})\s(?i:a\s(?:call|ring|shout|line"
        rf"|note|buzz))"),
    Cue("please-call", PASS,
        rf"(?i:\bplease\s(?:contact|call|ring|e-?mail|get\sin\stouch\swith)\s)(?P<who>{NAME})"),
    Cue("gave-your-name", PASS,
        rf"(?i:\bgave\s)(?:(?P<pron>him|her|them)|(?P<who>{NAME}))(?i:\syour\s(?:name"
        rf"|number|e-?mail|address|contact|card|details|info))"
        rf"|(?i:\b(?:passed|forwarded|sent)\s(?:on\s|along\s)?your\s(?:name|number|details|contact\w*"
        rf"|info\w*|resume|request|questions?)\s(?:along\s|on\s)?to\s(?:(?:mr|mrs|ms|dr)\.?\s)?)"
        rf"(?:(?P<pron2>him|her|them)|(?P<who2>{NAME}))"
        rf"|(?i:\bgave\syour\s(?:name|number|e-?mail|contact\s\w+)(?:\sand\s\w+)?\sto\s)"
        rf"(?:(?P<pron3>him|her|them)\b|(?P<who3>{NAME}))"
        rf"|(?i:\b(?:referred|pointed|directed|sent)\s)(?:(?P<pron4>him|her|them)|(?P<who4>{NAME}))"
        rf"(?i:\s(?:to\syou\b|your\sway|over\sto\syou|in\syour\sdirection))"),
    Cue("sent-you", PASS,
        r"(?i:\b(?:let|tell)\s(?P<pron>him|her|them)\s(?:know\s)?(?:that\s)?(?:i|we|[a-z]+"
        r"(?:\s[a-z]+){0,3})\s(?:sent\syou|put\syou\sup\sto\sit|referred\syou|suggested\sit"
        r"|recommended\s(?:you|him|her))|\bmention\smy\sname\b|\buse\smy\sname\b"
        r"|\bsay\s(?:that\s)?(?:i|sam)\s(?:sent|referred)\syou)"),
    Cue("expecting-you", PASS,
        r"(?i:\b(?:he|she|they)(?:'s|’s|\sis|'re|\sare|'ll\sbe|\swill\sbe|\sknows)\s"
        r"(?:expecting|waiting\sfor|keen\sto\shear\sfrom|you\smay\scall)\s?(?:you|your|to\shear)?"
        r"|\bi(?:'ve|\shave)?\s(?:already\s)?(?:told|warned|let)\s(?P<pron>him|her|them)\s"
        r"(?:know\s)?(?:about\syou|you(?:'d|'re|\swould|\swill|'ll|\sare|\smay|\smight)|to\sexpect)"
        r"|\bi(?:'ll|\swill)\s(?:give|send)\s(?P<pron2>him|her|them)\sa\sheads[\s-]up"
        r"|\bi\sgave\s(?P<pron3>him|her|them)\sa\sheads[\s-]up)"),
    Cue("hook-up", PASS,
        rf"(?i:\bhook\syou\sup\swith|\blet\sme\s(?:connect|introduce)\syou\s(?:with|to)"
        rf"|\blet\sme\sput\syou\sin\s(?:touch|contact)\swith|\b(?:i'?ll|i\swill|i\scan|i\scould"
        rf"|i'd\slike\sto|i\swould\slike\sto)\s(?:put\syou\sin\s(?:touch|contact)|connect\syou"
        rf"|hook\syou\sup)\swith)"
        rf"\s(?:(?P<pron>him|her|them)\b|(?P<who>{NAME})|(?i:our|my|a|one|some|the))"),
    Cue("need-to-talk-to", PASS,
        r"(?i:\b(?:guys?|people|folks|persons?|someone|person)\syou\s(?:need|ought|should|want)"
        r"(?:\sto)?\s(?:talk|speak)\s(?:to|with)\b)"),
    Cue("right-person", PASS,
        rf"(?:(?P<who>{NAME})|\b(?P<pron>[Hh]e|[Ss]he))(?:'d|’d|'s|’s)?"
        rf"(?:\s(?:is|would|might|could|will|'d))?(?:\s(?:be|really|also|definitely))*\s"
        rf"(?i:(?:the|a|an)\s(?:very\s|really\s|great\s|good\s|valuable\s|useful\s|helpful\s"
        rf"|natural\s|best\s|right\s|ideal\s|perfect\s)*(?:resource|contact|fit|mentor|one\b"
        rf"|(?:person|guy|woman|man|one)\sto\s(?:talk|speak|ask|call|see)))"
        rf"|(?i:\bthe\s(?:person|guy|woman|man|one|people)\s(?:i\smentioned|i\stold\syou\sabout"
        rf"|you\swant|to\s(?:talk|speak)\s(?:to|with)|to\s(?:call|ask))\s(?:is|was)\s)"
        rf"(?P<who2>{NAME})"),
    Cue("will-call-you", PASS,
        # "I've asked Tim Beldon to call you", "I'll have Lindy contact you", "I just spoke
        # with Toni. She should call you soon" (not "call you back": a phone message).
        rf"(?i:\bi(?:'ve|\shave|'ll|\swill)?\s(?:also\s)?(?:asked|told|have|had)\s)(?P<who>{NAME})"
        rf"\s(?i:(?:to\s)?(?:(?:call|contact|e-?mail|get\sin\s(?:touch|contact)\swith|reach\sout\sto"
        rf"|be\sin\stouch\swith)\syou\b|give\syou\sa\s(?:call|ring)))(?!\sback)"
        rf"|(?i:\b(?:spoke|talked)\s(?:with|to)\s)(?P<who2>{NAME})(?:[.,;]\s|\sand\s)"
        rf"(?i:(?:he|she)\s(?:should|will|'ll|is\sgoing\sto)\s(?:be\s)?(?:call|contact|e-?mail"
        rf"|get\sin\stouch\swith|calling|contacting|in\stouch\swith)\syou\b)(?!\sback)"),
    Cue("can-help", PASS,
        # "Ada might be able to help you", "he knows a lot about it", "Ada would be happy to
        # talk with you": a third person offered as help.
        rf"(?:(?P<who>{NAME})|\b(?P<pron>[Hh]e|[Ss]he))(?:\s(?:also|really|probably|certainly))?"
        rf"\s(?i:(?:might|may|could|would|should|can|will)\s(?:also\s)?(?:be\sable\sto\s)?help\syou"
        rf"|knows\s(?:a\slot|a\sgreat\sdeal|quite\sa\sbit|a\ston|everything|all\sabout|more)\sabout"
        rf"|(?:would|will|'d|'ll)\sbe\s(?:happy|glad|pleased|delighted)\sto\s(?:talk|speak|chat|meet"
        rf"|help)(?:\s(?:to|with))?\syou)"),
    # -- sent by someone --
    Cue("suggested-i-contact", BY,
        rf"(?:(?P<who>{NAME})(?:,[^,.;]{{0,60}},)?|(?i:\b(?:mutual|several|some|a)\s"
        rf"(?:\w+\s){{0,4}}))\s"
        rf"(?i:(?:has\s|have\s|had\s)?(?:suggested|recommended|advised|told\sme)\s(?:that\s)?"
        rf"(?:i\s)?(?:to\s)?(?:should\s)?(?:contact|call|write(?:\sto)?|e-?mail|reach\sout"
        rf"|get\sin\s(?:touch|contact)|speak|talk|touch\sbase|give\syou\sa\s(?:call|ring)|ask\syou"
        rf"|check\swith\syou|(?:send|forward|direct|run)\s(?:\w+\s){{0,3}}(?:to|by)\syou)"
        rf"|(?:told\sme|said|mentioned|thought)\s(?:that\s)?you\s(?:(?:were|are|would\sbe|might\sbe"
        rf"|may\sbe)\s(?:the|a)\s(?:right\s|best\s|good\s)?(?:person|one|guy|woman|man|contact)\b"
        rf"|(?:might|may|could|would|can)\s(?:be\sable\sto\s)?help\s(?:me|us))"
        rf"|(?:referred|sent|pointed)\sme\s(?:to\syou|your\sway|in\syour\sdirection)"
        rf"|gave\sme\syour\s(?:name|number|e-?mail|address|contact)"
        rf"|passed\s(?:on|along)\syour\s(?:name|number|details|contact))"),
    Cue("referred-by", BY,
        rf"(?i:\b(?:i\swas|i've\sbeen|i\shave\sbeen)\s(?:referred|directed|pointed|sent)\sto\syou"
        rf"\sby)\s(?P<who>{NAME})"),
    Cue("got-your-name", BY,
        rf"(?i:\b(?:got|have|received|obtained)\syour\s(?:name|number|e-?mail|contact\s\w+)"
        rf"(?:\sand\s\w+)?(?:\saddress)?\sfrom)\s(?P<who>{NAME})"),
    Cue("at-their-suggestion", BY,
        rf"(?i:\b(?:at|per|on)\sthe\s(?:suggestion|recommendation|advice)\sof)\s(?P<who>{NAME})"
        rf"(?=[^.!?]{{0,60}}{_I_WRITE})"
        rf"|(?i:\b(?:at|per|on)\s)(?P<who2>{NAME})(?:'s|’s)\s(?i:suggestion|recommendation|advice)"
        rf",?\s{_I_WRITE}"),
    # -- offering to introduce the reader to someone --
    Cue("introduce-you-to", INTRO,
        rf"(?i:\b(?:introduce|introducing)\syou\sto|\bintroduce\sto\syou|\b(?:like|want|love)\syou"
        rf"\sto\smeet|\byou\s(?:should|ought\sto|must|really\sshould)\smeet)\s"
        rf"(?:(?P<pron>him|her|them)\b|(?P<who>{NAME})|(?i:my|our|a|some))"),
    # -- the referral worked --
    Cue("thanks-referral", THANKS,
        r"(?i:\bthank(?:s|\syou)\s(?:so\smuch\s|again\s)?for\s(?:the|your)\s(?:referral|intro"
        r"|introduction|recommendation|connection|contact)"
        r"|\bthank(?:s|\syou)\s(?:so\smuch\s|again\s)?for\s(?:putting\sme\sin\s(?:touch|contact)"
        r"|connecting\sme|referring\sme|sending\s\w+\smy\sway|pointing\sme\sto|setting\sthat\sup))"),
    Cue("we-spoke", THANKS,
        rf"(?i:\b(?:i|we)\s(?:finally\s|just\s)?(?:spoke|talked|met|connected|caught\sup)"
        rf"\s(?:with\s|to\s)?)(?P<who>{NAME})\s(?i:(?:yesterday|today|this|last|on|and"
        rf"|about))"
        rf"|(?P<who2>{NAME})\s(?i:and\si\s(?:met|spoke|talked|connected))"),
)  # fmt: skip


#: Cues that refer to someone by a pronoun ("give him a call"): the antecedent is found.
_ANTECEDENT = frozenset(
    {"pronoun-number", "can-be-reached", "call-them", "sent-you", "expecting-you", "can-help"}
)
#: Cues that give the contact itself: an address right after them is the person's.
_CONTACT_CUES = frozenset({"can-be-reached", "pronoun-number", "phone-next-to-name"})
#: Cues strong enough to count when the text names no one ("hook you up with our team").
_UNNAMED_OK = frozenset({"hook-up", "need-to-talk-to", "gave-your-name"})
_COMPILED = tuple((c, re.compile(c.pattern, re.MULTILINE)) for c in CUES)


def _automaton() -> Any:
    """Every cue's trigger words in one Aho-Corasick automaton: one pass finds them all."""
    cues_of: dict[str, list[int]] = {}
    for index, cue in enumerate(CUES):
        for trigger in TRIGGERS[cue.name][0]:
            if trigger != "#phone":
                cues_of.setdefault(trigger, []).append(index)
    automaton = ahocorasick.Automaton()
    for trigger, indices in cues_of.items():
        automaton.add_word(trigger, (len(trigger), tuple(indices)))
    automaton.make_automaton()
    return automaton


_AUTOMATON = _automaton()
#: Cues whose trigger is followed by the person's name.
_NAME_FOLLOWS = frozenset({"reach-out-to", "please-call"})
_CAPITAL = re.compile(r"[A-Z]")
_PHONE_CUES = tuple(i for i, c in enumerate(CUES) if "#phone" in TRIGGERS[c.name][0])
_NAME_RE = re.compile(NAME)
_ADDRESS_RE = re.compile(_ADDRESS)
#: Cues that never fire on the writer's own contact or on logistics.
_MINE = re.compile(r"(?i:\b(?:me|my)\s*$)")
_TAKING_WORDS = (
    "call", "came by", "stopped by", "left", "need", "want", "request", "rsvp", "regist",
    "confirm", "asked", "asks", "return",
)  # fmt: skip
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
    "give", "sent you", "try ", "ask for", "expect", "heads", "drop", "the one", "tell",
    "help you", "knows a", "knows quite", "knows every", "knows more", "knows all",
    "check with", "directed", "pointed", "your way", "over to you", "your direction",
    "you to meet", "should meet", "must meet", "ought to meet", "meet you", "chat with you",
    "chat to you", "got your", "forwarded your", "passed your",
)  # fmt: skip
_BYTE_STEMS = tuple(s.encode() for s in STEMS)


_BYTE_PHONE = re.compile(rb"\d\d[ .\-/)]{1,2}\d\d\d|@")


def may_refer(lowered: bytes) -> bool:
    """Whether lower-cased raw text could hold a referral cue (a cheap gate)."""
    return any(s in lowered for s in _BYTE_STEMS) or _BYTE_PHONE.search(lowered) is not None


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


def _clean(name: str) -> str:
    words = [w.removesuffix("'s").removesuffix("’s") for w in name.split()]
    while words and words[0].rstrip(".").split("-")[0] in STOPWORDS:
        words = words[1:]
    while words and words[-1].rstrip(".").split("-")[0] in STOPWORDS:
        words = words[:-1]
    return " ".join(words)


def _is_person(name: str, greeting: str) -> bool:
    words = name.split()
    return (
        bool(words)
        and name != greeting
        and len(name) > 2
        and not any(w in ORG_WORDS or (len(w) > 2 and w.isupper()) for w in words)
    )


_PLACE_BEFORE = re.compile(r"(?:\b(?:at|from|in|of|for|into|near|on|by|the)\s|&\s)$")


def _nearest_name(text: str, end: int, greeting: str, hint: str) -> str:
    """A pronoun's antecedent: the nearest person-like name before `end` in the same
    paragraph (not after "at", "in", "from": a place or a firm; not an address line),
    else the name the subject gives."""
    start = max(0, end - 300)
    para = text.rfind("\n\n", start, end)
    lo = para + 2 if para >= 0 else start
    window = text[lo:end]
    people: list[str] = []
    for m in reversed(list(_NAME_RE.finditer(window))):
        name = _clean(m.group(0))
        if not _is_person(name, greeting) or name.split()[0] in STOPWORDS:
            continue
        if _PLACE_BEFORE.search(window, max(0, m.start() - 6), m.start()):
            continue
        if re.match(r"\s*,?\s*\d{5}\b", window[m.end() : m.end() + 9]):
            continue  # "Dallas Texas 75201": an address line
        people.append(name)
    if people:
        # The nearest, unless it is one word and a full name came shortly before it
        # ("Benoit Lefevre translated it into French and Arabic; he'd be the guy").
        nearest = _full(people[0], text)
        full = next((p for p in people[1:3] if " " in p), "")
        return full if " " not in nearest and full else nearest
    if hint and any(w in text[:end] for w in hint.split()):
        return hint
    return ""


def _full(name: str, text: str) -> str:
    """A first name stretched to the full name the same text gives ("Steve" → "Steve Harris")."""
    if " " in name:
        return name
    m = re.search(rf"\b{re.escape(name)}\s[A-Z][a-z]+(?:[A-Z][a-z]+)?\b", text)
    if m is None:  # a surname alone: "a guy named Tim Beldon … if Beldon could help"
        m = re.search(rf"\b[A-Z][a-z]+\s{re.escape(name)}\b", text)
        if m is not None and m.group(0).split()[0] in STOPWORDS:
            m = None
    return _clean(m.group(0)) if m else name


_SPACES = re.compile(r"[ \t]*\n[ \t]*(?!\n)|[ \t]{2,}")
_PARAGRAPHS = re.compile(r"\n\s*\n")


def subject_name(subject: str) -> str:
    """A person's name that a subject consists of ("Paul B", "Re: David Hill"), if any."""
    topic = re.sub(r"^(?:\s*(?:re|fw|fwd)\s*:\s*)+", "", subject, flags=re.IGNORECASE).strip()
    m = _NAME_RE.fullmatch(topic)
    name = _clean(m.group(0)) if m else ""
    return name if " " in name and _is_person(name, "") else ""


def _address_of(name: str, text: str) -> str:
    """An address in the text that carries the person's name ("hannah.cole@…")."""
    words = [w.lower() for w in name.split() if len(w) > 2]
    for m in _ADDRESS_RE.finditer(text):
        address = m.group(0).lower().rstrip(".")
        if any(w in address for w in words):
            return address
    return ""


_GREETING = re.compile(r"(?:^|\n\n)\s*(?:(?:hi|hello|dear|hey)\s+)?([A-Z][a-z]+)\s*(?:[,:]|--|\n)")


def _greeting(text: str) -> str:
    """The name a text opens on ("Hi Ada,"), if any: a name not to take for the referred."""
    m = _GREETING.search(text)
    return m.group(1) if m else ""


def referral_cues(new: str, subject: str = "", forwarded: str = "") -> tuple[Referred, ...]:
    """The referral cues in a writer's new text, each with the person it names.

    `forwarded` is the sender of a forwarded original, if any: who "him" is when the
    text above a forward names no one.
    """
    # Mail wraps lines anywhere: one line per paragraph, single spaces.
    text = "\n\n".join(" ".join(p.split()) for p in _PARAGRAPHS.split(new))
    # Lower-cased, after one space: triggers that start with a space match at the start.
    lowered = " " + text.lower()
    if len(lowered) != len(text) + 1:  # a few characters change length when lower-cased
        lowered = " " + text
    found: dict[tuple[str, str], Referred] = {}
    inferred: set[tuple[str, str]] = set()  # named by a pronoun's antecedent only
    spots_by_cue: dict[int, list[int]] = {}
    for end, (length, indices) in _AUTOMATON.iter(lowered):
        for index in indices:
            spots_by_cue.setdefault(index, []).append(end - length)  # (the space added)
    phones = _phone_spots(text)
    if phones:
        for index in _PHONE_CUES:
            spots_by_cue.setdefault(index, []).extend(phones)
    if not spots_by_cue:
        return ()  # no cue's trigger word, no phone number: nothing can match
    # The subject's name and the greeting, read once a pattern matches (most text has none).
    context: tuple[str, str] | None = None
    for index, (cue, pattern) in enumerate(_COMPILED):
        spots = spots_by_cue.get(index)
        if spots and cue.name in _NAME_FOLLOWS:
            # "call Ada", "reach out to Ada": a capital must follow within a few words.
            spots = [i for i in spots if _CAPITAL.search(text, i + 3, i + 24)]
        if not spots:
            continue
        _, back, fwd = TRIGGERS[cue.name]
        for m in _matches(pattern, text, spots, back, fwd):
            if context is None:
                context = (subject_name(subject), _greeting(text))
            hint, greeting = context
            if cue.kind == PASS and _not_passing_on(text, m.start(), m.end()):
                continue
            groups = m.groupdict()
            raw = next((v for k, v in sorted(groups.items()) if k[:3] == "who" and v), "")
            if cue.name in _NAME_FOLLOWS and raw.endswith(("'s", "’s")):
                continue  # "please call Beal's": a shop, not a person
            if raw and cue.name == "phone-next-to-name":
                at = m.start("who") if groups.get("who") else m.start("who2")
                if _PLACE_BEFORE.search(text, max(0, at - 6), at):
                    continue  # "at Ink & Iron (303-…)": a firm's name
            who = _clean(raw)
            pronoun = any(v for k, v in groups.items() if k.startswith("pron"))
            guessed = not raw and (pronoun or cue.name in _ANTECEDENT)
            if guessed:
                who = _nearest_name(text, m.start(), greeting, hint) or forwarded
            if who and "@" not in who and not _is_person(who, greeting):
                who = ""
            if cue.kind == PASS and not who and cue.name not in _UNNAMED_OK:
                continue
            who = _full(who, text) if who else who
            if who and " " not in who and hint and hint.split()[0][:3] == who[:3]:
                who = hint
            address = ""
            if cue.kind in (PASS, INTRO) and who:
                address = _address_of(who, text)
                if not address and cue.name in _CONTACT_CUES:
                    near = _ADDRESS_RE.search(text, m.start(), min(len(text), m.end() + 60))
                    address = near.group(0).lower().rstrip(".") if near else ""
            key = (cue.kind, address or who)
            if key not in found:
                found[key] = Referred(cue.kind, cue.name, address or who)
                if guessed:
                    inferred.add(key)
    # A pronoun's guessed antecedent gives way to a person the text names outright.
    if any(k[0] == PASS and k[1] and k not in inferred for k in found):
        found = {k: v for k, v in found.items() if k not in inferred or k[0] != PASS}
    return tuple(found.values())


def _matches(
    pattern: re.Pattern[str], text: str, spots: list[int], back: int, fwd: int
) -> Iterator[re.Match[str]]:
    """The pattern's matches in the windows around `spots` (merged), each once."""
    if not spots:
        return
    spots.sort()
    lo, hi = max(0, spots[0] - back), spots[0] + fwd
    windows: list[tuple[int, int]] = []
    for spot in spots[1:]:
        if spot - back <= hi:
            hi = spot + fwd
        else:
            windows.append((lo, hi))
            lo, hi = max(0, spot - back), spot + fwd
    windows.append((lo, hi))
    for lo, hi in windows:
        yield from pattern.finditer(text, lo, min(len(text), hi))


def _not_passing_on(text: str, start: int, end: int) -> bool:
    """The writer's own contact ("reach me at"), or a phone message ("he called")."""
    before = text[max(0, start - 40) : start]
    if _MINE.search(before):
        return True
    lo, hi = max(0, start - 200), end + 120
    around = text[lo:hi].lower()
    return any(w in around for w in _TAKING_WORDS) and bool(_MESSAGE_TAKING.search(text, lo, hi))
