"""Addresses that are no one to keep in touch with, and addresses that cannot be anyone's.

Both are rules that are data, like the introduction cues: `AUTOMATED_RULES` says which
addresses look automated (role accounts, list and bulk domains, marketing), with the
name of the rule that fired; `address_problem` says why an address cannot be a person
at all. Self writing to an address once overrides the automated rules (the projection
asks `automated_reason` only of addresses self never wrote to), a distribution list's
(`all.houston@`, `dl-ga-all_*@`, `*.everyone_*@`) too. Nothing overrides a problem.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


class SenderRule(NamedTuple):
    """One automated-sender rule: where it looks, the words it knows, the reason shown."""

    name: str
    #: 'local' (a token of the local part, split on . _ - + & and digits),
    #: 'local-prefix', 'local-suffix' (of a token), 'local-whole' (regex on the whole
    #: local part), 'domain' (the first label of a domain with a subdomain, its trailing
    #: digits aside: `offers2.`), 'provider' (a bulk-mail service's domain, or one under
    #: it) or 'own-domain' (a token of the local part names the domain).
    where: str
    #: The words (or, for 'local-whole', patterns, each maybe named: `name=pattern`),
    #: separated by white space.
    words: str


#: The rules that say most of what an address is, tried first: a list is everyone on it,
#: no one in particular; a mailing's tracking address is no one's. (Self writing to an
#: address overrides these as every rule: someone self wrote to is a person.)
DISTRIBUTION = "distribution list"
BULK_MAILING = "bulk mailing"
TRIED_FIRST = (DISTRIBUTION, BULK_MAILING)

#: Consumer mail services (and top levels: universities, government) whose `email.` or
#: `mail.` host is people's own mail.
ISP_MAIL = frozenset(("msn.com", "yahoo.com", "aol.com", "swbell.net", "ev1.net",
                      "earthlink.net", "att.net", "comcast.net", "edu", "gov", "mil"))  # fmt: skip

AUTOMATED_RULES: tuple[SenderRule, ...] = (
    # Enron's `all.houston@`, `dl-ga-all_enron_worldwide1@`, `enron.everyone_et&s_houston@`,
    # `omaha.employees@`, `undisclosed-recipients@`; Exchange and Notes name them so.
    SenderRule(
        DISTRIBUTION,
        "local",
        "all everyone employees undisclosed recipients dl distribution worldwide users list",
    ),
    SenderRule(
        "role account",
        "local",
        """news newsletter newsletters info webmaster notification notifications notify
        alert alerts announce announcement announcements hotline mailer bounce bounces
        listserv majordomo digest update updates feedback orders subscriptions subscribe
        unsubscribe customerservice customercare helpdesk reservations registration
        billing postmaster noreply donotreply enews enewsletter eserver communications
        mailbot robot autoreply automailer newsroom bulletin broadcast support survey
        surveys quality delivers membership register service services payroll
        office center desk team group operations management committee administration
        releases report resources maintenance""",
    ),
    SenderRule("role account", "local-prefix", "announce newsletter bounce- owner-"),
    SenderRule(
        "role account",
        "local-suffix",
        """alert alerts news newsletter update updates digest support center daily weekly
        releases register services""",
    ),
    SenderRule("role account", "local-whole", r"no\.?address do[-_.]?not[-_.]?reply sales"),
    # A mailing's tracking number (`travelsmith.240255380@`) or a VERP bounce address
    # (`r-8-724539-3371579-2-1232-us2-79556634@`): one per recipient, no one's.
    SenderRule(
        BULK_MAILING,
        "local-whole",
        r"tracking-number=.*[._-][0-9]{6,}.* verp=[a-z0-9]+(?:-[a-z0-9]+){4,}",
    ),
    # A shop's counter (`body.shop@`), not `born2shop113@` (a screen name).
    SenderRule(
        "role account", "local-whole", r"shop=[a-z]+[._](?:shop|store)|(?:shop|store)[._][a-z]+"
    ),
    # A web site writing as itself (`buy.com@enews.buy.com`, `thestreet.com46@`).
    SenderRule("web site", "local", "com"),
    SenderRule(
        "marketing",
        "local",
        "deals offers offer promo promos promotions marketing specials rewards",
    ),
    SenderRule("marketing", "local-suffix", "deals offers specials"),
    # An organisation writing as itself (`chairman.enron@enron.com`, `enron.1@enron.com`,
    # `travelsmith_outfitters@travelsmith.m0.net`): a token of the local part is a name
    # of the domain's (neither its top level nor a sending label such as `mail`), in a
    # local part of one or two words.
    SenderRule("organisation account", "own-domain", ""),
    SenderRule(
        "list or bulk domain",
        "domain",
        """listserv lists list lyris mailman enews e em email mail mailer mailings news
        newsletter newsletters bounce bounces mkt marketing promo offers deals reply info""",
    ),
    # Services that send others' mailings: the sender is a campaign, not a person.
    SenderRule(
        "bulk mail provider",
        "provider",
        """m0.net clickaction.net bfi0.com sendgrid.net mcsv.net mcdlv.net rsgsv.net
        list-manage.com createsend.com exacttarget.com amazonses.com mailgun.org
        sparkpostmail.com ccsend.com constantcontact.com hubspotemail.net mktomail.com""",
    ),
)


def _shown(pattern: str) -> str:
    """A local-whole pattern as a reason shows it (`no\\.?address` as `no.address`)."""
    return pattern.replace("\\", "").replace("?", "").replace("[-_.]", "")


_TOKENS = re.compile(r"[._+\-&0-9]+")


class _Compiled(NamedTuple):
    tokens: dict[str, str]
    prefixes: list[tuple[str, str]]
    suffixes: list[tuple[str, str]]
    wholes: list[tuple[re.Pattern[str], str]]
    domains: dict[str, str]
    providers: list[tuple[str, str]]
    own_domain: str


def _compiled() -> _Compiled:
    rules = _Compiled({}, [], [], [], {}, [], "")
    for rule in AUTOMATED_RULES:
        for w in rule.words.split():
            reason = f"{rule.name}: {w}"
            if rule.where == "local":
                rules.tokens.setdefault(w, reason)
            elif rule.where == "local-prefix":
                rules.prefixes.append((w, reason))
            elif rule.where == "local-suffix":
                rules.suffixes.append((w, reason))
            elif rule.where == "local-whole":
                shown, _, pattern = w.rpartition("=") if "=" in w else (_shown(w), "", w)
                rules.wholes.append((re.compile(f"^(?:{pattern})$"), f"{rule.name}: {shown}"))
            elif rule.where == "domain":
                rules.domains.setdefault(w, f"{rule.name}: {w}.")
            else:
                rules.providers.append((w, f"{rule.name}: {w}"))
        if rule.where == "own-domain":
            rules = rules._replace(own_domain=rule.name)
    return rules


_RULES = _compiled()


@lru_cache(maxsize=1 << 16)
def automated_reason(address: str) -> str:
    """The automated-sender rule this address fires ('' if none), as 'rule: word'.

    Only for addresses self never wrote to: writing once overrides every rule here.
    """
    local, _, domain = address.rpartition("@")
    if not local:
        return ""
    if local.endswith("-request"):
        return "role account: -request"
    tokens = [t for t in _TOKENS.split(local) if t]
    # A list's reason first: it says most of what the address is.
    for token in tokens:
        reason = _RULES.tokens.get(token, "")
        if reason.startswith(TRIED_FIRST):
            return reason
    for pattern, reason in _RULES.wholes:
        if pattern.match(local):
            return reason
    for prefix, reason in _RULES.prefixes:
        if local.startswith(prefix):
            return reason
    for token in tokens:
        if token in _RULES.tokens:
            return _RULES.tokens[token]
        for suffix, reason in _RULES.suffixes:
            if token.endswith(suffix) and token != suffix:
                return reason
    labels = domain.split(".")
    own = set(labels[:-1]) - set(_RULES.domains)
    for token in tokens if len(tokens) <= 2 else ():  # not `jennifer-nyc_williams@nyc.`
        if _RULES.own_domain and len(token) >= 3 and token in own:
            return f"{_RULES.own_domain}: {token}"
    return _domain_reason(labels, _PERSON_SHAPED.match(local) is not None)


#: `kim.mayers`, `alexandra_wrage`: a person's shape at a host named `mail.` or `email.`.
_PERSON_SHAPED = re.compile(r"^[a-z]+(?:[._][a-z]+)*[._][a-z][a-z-]+$")


def _domain_reason(labels: list[str], person_shaped: bool) -> str:
    domain = ".".join(labels)
    for provider, reason in _RULES.providers:
        if domain == provider or domain.endswith("." + provider):
            return reason
    if len(labels) < 3:
        return ""
    first = labels[0].rstrip("0123456789")  # `offers2.mail-thestreet.com`
    # A sending subdomain (`enews.example.com`, `mail.example.com`): only directly above
    # a registered name, so that `mail.law.utexas.edu` (a university's people) is not one.
    # Nor a person's address at a company's or an ISP's mail host (`kim.mayers@mail.
    # sprint.com`, `m.lehman@mail.utexas.edu`; `email.msn.com` was MSN's own mail).
    if first in _RULES.domains:
        generic = first in ("mail", "email", "info", "reply")
        host = ".".join(labels[1:])
        if generic and (len(labels) != 3 or person_shaped or {host, labels[-1]} & ISP_MAIL):
            return ""
        return _RULES.domains[first]
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
    if '"' in local:
        return "a quote inside an address"  # `joe".'"brenner@`: a display name torn apart
    if local.startswith(("/o=", "imcea")) or "/o=" in address or "/ou=" in address:
        return "Exchange X.500 address"
    if domain.endswith(CALENDAR_DOMAINS):
        return "calendar group or resource"
    return ""
