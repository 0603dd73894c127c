"""Addresses that are no one to keep in touch with, and addresses that cannot be anyone's.

Both are rules that are data, like the introduction cues: `AUTOMATED_RULES` says which
addresses look automated (role accounts, list and bulk domains, marketing), with the
name of the rule that fired; `address_problem` says why an address cannot be a person
at all. Self writing to an address once overrides the automated rules (the projection
asks `automated_reason` only of addresses self never wrote to); nothing overrides a
problem.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


class SenderRule(NamedTuple):
    """One automated-sender rule: where it looks, the words it knows, the reason shown."""

    name: str
    #: 'local' (a token of the local part, split on . _ - +), 'local-prefix',
    #: 'local-suffix' (of a token), 'local-whole' (regex on the whole local part) or
    #: 'domain' (the first label of a domain with a subdomain).
    where: str
    #: The words (or, for 'local-whole', patterns), separated by white space.
    words: str


AUTOMATED_RULES: tuple[SenderRule, ...] = (
    SenderRule(
        "role account",
        "local",
        """news newsletter newsletters info webmaster notification notifications notify
        alert alerts announce announcement announcements hotline mailer bounce bounces
        listserv majordomo digest update updates feedback orders subscriptions subscribe
        unsubscribe customerservice customercare helpdesk reservations registration
        billing postmaster noreply donotreply enews enewsletter eserver communications
        mailbot robot autoreply automailer newsroom bulletin broadcast support survey
        surveys quality delivers membership""",
    ),
    SenderRule("role account", "local-prefix", "announce newsletter bounce- owner-"),
    SenderRule(
        "role account", "local-suffix", "alert alerts news newsletter update updates digest"
    ),
    SenderRule("role account", "local-whole", r"no\.?address do[-_.]?not[-_.]?reply sales"),
    SenderRule(
        "marketing",
        "local",
        "deals offers offer promo promos promotions marketing specials rewards",
    ),
    SenderRule("marketing", "local-suffix", "deals offers specials"),
    SenderRule(
        "list or bulk domain",
        "domain",
        """listserv lists list lyris mailman enews e em email mail mailer mailings news
        newsletter newsletters bounce bounces mkt marketing promo offers deals reply info""",
    ),
)


def _shown(pattern: str) -> str:
    """A local-whole pattern as a reason shows it (`no\\.?address` as `no.address`)."""
    return pattern.replace("\\", "").replace("?", "").replace("[-_.]", "")


_TOKENS = re.compile(r"[._+\-0-9]+")


def _compiled() -> tuple[dict[str, str], list[tuple[str, str]], list[tuple[str, str]],
                         list[tuple[re.Pattern[str], str]], dict[str, str]]:  # fmt: skip
    tokens: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    suffixes: list[tuple[str, str]] = []
    wholes: list[tuple[re.Pattern[str], str]] = []
    domains: dict[str, str] = {}
    for rule in AUTOMATED_RULES:
        for w in rule.words.split():
            reason = f"{rule.name}: {w}"
            if rule.where == "local":
                tokens.setdefault(w, reason)
            elif rule.where == "local-prefix":
                prefixes.append((w, reason))
            elif rule.where == "local-suffix":
                suffixes.append((w, reason))
            elif rule.where == "local-whole":
                wholes.append((re.compile(f"^(?:{w})$"), f"{rule.name}: {_shown(w)}"))
            else:
                domains.setdefault(w, f"{rule.name}: {w}.")
    return tokens, prefixes, suffixes, wholes, domains


_BY_TOKEN, _PREFIXES, _SUFFIXES, _WHOLES, _DOMAINS = _compiled()


@lru_cache(maxsize=1 << 16)
def automated_reason(address: str) -> str:
    """The automated-sender rule this address fires ('' if none), as 'rule: word'.

    Only for addresses self never wrote to: writing once overrides every rule here.
    """
    local, _, domain = address.rpartition("@")
    if not local:
        return ""
    for pattern, reason in _WHOLES:
        if pattern.match(local):
            return reason
    if local.endswith("-request"):
        return "role account: -request"
    for prefix, reason in _PREFIXES:
        if local.startswith(prefix):
            return reason
    for token in _TOKENS.split(local):
        if not token:
            continue
        if token in _BY_TOKEN:
            return _BY_TOKEN[token]
        for suffix, reason in _SUFFIXES:
            if token.endswith(suffix) and token != suffix:
                return reason
    labels = domain.split(".")
    # A sending subdomain (`enews.example.com`, `mail.example.com`): only directly above
    # a registered name, so that `mail.law.utexas.edu` (a university's people) is not one.
    if len(labels) >= 3 and labels[0] in _DOMAINS:
        if labels[0] in ("mail", "email", "info", "reply") and len(labels) != 3:
            return ""
        return _DOMAINS[labels[0]]
    return ""


def person_automated_reason(addresses: list[str], *, wrote: bool) -> str:
    """A person's automated-sender rule: none once self wrote to them, else the first
    address's if every address of theirs fires one (one real address makes a person)."""
    if wrote:
        return ""
    reasons = [automated_reason(a) for a in addresses]
    return reasons[0] if reasons and all(reasons) else ""


#: Domains of calendar groups and resources: an attendee, never anyone's address.
CALENDAR_DOMAINS = ("group.calendar.google.com", "resource.calendar.google.com",
                    "group.v.calendar.google.com", "import.calendar.google.com")  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lru_cache(maxsize=1 << 16)
def address_problem(address: str) -> str:
    """Why a normalised address cannot be anyone's ('' if it can be)."""
    local, at, domain = address.rpartition("@")
    if _CONTROL.search(address):
        return "control characters in an address"
    if not at or not local:
        return "empty local part"
    if not domain or domain.startswith(".") or domain.endswith("."):
        return "no domain"
    if local[0] in ".'" or local[-1] in ".'":
        return "local part begins or ends with a dot or quote"
    if local.startswith(("/o=", "imceaex-")) or "/o=" in address or "/ou=" in address:
        return "Exchange X.500 address"
    if domain.endswith(CALENDAR_DOMAINS):
        return "calendar group or resource"
    return ""
