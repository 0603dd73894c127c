"""The words the referral cues need: data, kept apart from the patterns that use them.

`STOPWORDS` look like names at the start of a sentence; `ORG_WORDS` make a name a
firm's, a place's or a title; `TRIGGERS` say where each cue can match at all, so that
its pattern is tried only around them (`referral_cues`).
"""

from __future__ import annotations

# Words that look like a name at the start of a sentence but are not one.
STOPWORDS = frozenset(
    """
    I I'm I'd I'll I've He She They We You It This That These Those There Here The A An
    Please Thanks Thank Hi Hello Dear Hey Go Also And But So If When Let Give Call Feel
    Just Your My His Her Our Their Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday Per Via January February March April May June July August September
    October November December Enron Best Regards Cheers Sorry Yes No Ok Okay As At In On
    For To Ask Try Talk Call Contact Tell Drop Reach Get Ping Email Write Send Following
    Glad Hope Congrats Congratulations Short Longer Big Welcome Before After Very Great
    Good Sure Happy Quick One Two First Second Forgot Sounds Looks Nice Love Ciao Dial
    Code Fax Phone Tel Cell Mobile Direct Main Toll Free Help Desk Room Suite
    Dad Mom Mum Mother Father Grandma Grandpa Granny Uncle Aunt Honey Babe Sweetie
    """.split()  # noqa: SIM905 (a list of words reads best as words)
)

#: Words that make a name a firm's, a place's or a title, not a person's.
ORG_WORDS = frozenset(
    """
    Company Corp Corporation Inc LLC LLP Group Center Centre Office Desk Department
    Power Energy Services Bank Partners Associates Sanders University Council Committee
    Team Board Street Avenue Commission Affairs Chief Accountant Officer President
    Manager Director Counsel General Vice Partner Texas Houston Dallas Omaha Austin
    Washington London Chicago New York Hotel Hotels Inn Plaza Club Restaurant Grill Cafe
    Airport Airlines Store Shop World Audio Music Sound Mall Hospital Clinic School Church
    Systems Software Technologies Solutions Solution Support Properties Capital Securities
    Hotline Security Thanksgiving Christmas Easter Holiday Report Meeting Conference
    Training Program Project Pipeline Markets Management Springs Trader Rate Class Works
    Update Find Reservations Integrated Active Kitchen Bakery Bar
    """.split()  # noqa: SIM905 (a list of words reads best as words)
)

#: Where each cue can match: words it needs (lower-case; "#phone" for a phone number),
#: and how far before and after one the pattern is tried. Only those windows are read.
TRIGGERS: dict[str, tuple[tuple[str, ...], int, int]] = {
    "phone-next-to-name": (("#phone",), 70, 40),
    "pronoun-number": (("#phone", "@"), 80, 60),
    "can-be-reached": (("be reached", "be contacted", "he's at", "he’s at", "he is at",
                        "he's on", "he is on", "can reach", "can call", "can contact",
                        "may reach", "could reach", "can get hold"), 60, 80),
    "call-them": (("a call", "a ring", "a shout", "a buzz", "call him", "call her",
                   "call them", "contact him", "contact her", "contact them", "a line",
                   "a note", " to him", " to her", " to them", " with him", " with her",
                   " with them"), 80, 40),
    "reach-out-to": ((" reach out", " in touch", " in contact", " talk to", " speak to",
                      " speak with", " chat with", " chat to", " feel free", " touch base",
                      " call ", " contact ", " try ", " ping ", " mail ", " email ",
                      " ring ", " give ", " drop ", " ask for", " check with",
                      " recommend ", " suggest "), 80, 80),
    "please-call": ((" please ",), 10, 60),
    "gave-your-name": (("your name", "your number", "your email", "your e-mail",
                        "your address", "your contact", "your card", "your details",
                        "your info", "your resume", "your request", "your question",
                        "referred", "pointed", "directed", "your way",
                        "over to you", "your direction"), 80, 80),
    "sent-you": (("sent you", "put you up", "referred you", "suggested it", "recommended",
                  "my name"), 80, 20),
    "expecting-you": (("expecting", "waiting for", "keen to hear", "may call", "told him",
                       "told her", "told them", "warned", "let him", "let her", "let them",
                       "heads"), 60, 60),
    "hook-up": (("hook you up", "connect you", "introduce you", "in touch with",
                 "in contact with"), 60, 80),
    "need-to-talk-to": (("you need to talk", "you need to speak", "you should talk",
                         "you should speak", "you ought to talk", "you want to talk",
                         "you need talk", "you ought talk"), 40, 40),
    "right-person": (("resource", "contact", "the one", "person to", "guy to", "woman to",
                      "man to", "one to", "the person", "the guy", "the woman", "the man",
                      "the people", "mentor", " fit"), 120, 80),
    "suggested-i-contact": (("suggested", "recommended", "advised", "told me", "referred me",
                             "sent me", "pointed me", "gave me your", "passed on your",
                             "passed along your", "said you", "mentioned", "thought you"),
                            130, 100),
    "referred-by": (("to you by",), 60, 60),
    "at-their-suggestion": (("suggestion", "recommendation", "advice"), 60, 100),
    "introduce-you-to": (("introduce you", "introducing you", "introduce to you",
                          "you to meet", "should meet", "ought to meet", "must meet"), 20, 80),
    "will-call-you": (("call you", "contact you", "e-mail you", "email you", "with you",
                       "to you", "give you a", "calling you", "contacting you"), 150, 20),
    "can-help": (("help you", "knows", "happy to", "glad to", "pleased to", "delighted to"),
                 80, 40),
    "got-your-name": (("got your", "have your", "received your", "obtained your"), 10, 80),
    "thanks-referral": (("thanks for", "thank you for", "thanks again for",
                         "thanks so much for", "thank you so much for",
                         "thank you again for"), 10, 80),
    "we-spoke": (("spoke", "talked", " met ", "connected", "caught up", " and i "), 60, 80),
}  # fmt: skip
