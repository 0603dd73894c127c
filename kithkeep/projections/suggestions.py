"""What kithkeep proposes, never guesses: addresses that are probably self's, and pairs of
addresses that are probably one person. Each comes with its evidence; the user decides
(`me add`, `merges accept`/`reject`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kithkeep.domain.people import merge_id, name_tokens, same_name_forms, spells
from kithkeep.domain.senders import automated_reason
from kithkeep.projections.reading import ReadConnection

#: Messages from an address among self's sent mail that make it probably self's (an
#: archive's Sent folder holds the odd forward from someone else).
SENT_AT_LEAST = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An address (or a pair of them) and why kithkeep thinks so."""

    id: str
    addresses: tuple[str, ...]
    evidence: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "addresses": list(self.addresses), "evidence": list(self.evidence)}


def _known(c: ReadConnection) -> list[str]:
    """Every address the views know someone by (with contacts, or a name seen)."""
    return [a for (a,) in c.execute("SELECT address FROM stats UNION SELECT address FROM names")]


def self_suggestions(c: ReadConnection, me: frozenset[str]) -> list[Suggestion]:
    """Addresses that are probably self's: they sent mail found in a Sent folder (or
    labelled SENT), or they spell one of self's names at one of self's domains."""
    evidence: dict[str, list[str]] = defaultdict(list)
    names: set[tuple[str, ...]] = {name_tokens(a.partition("@")[0]) for a in me}
    for address, kind, n in c.execute("SELECT address, evidence, n FROM self_evidence"):
        if kind == "sent" and address not in me and n >= SENT_AT_LEAST:
            evidence[address].append(f"sent {n} message(s) found among your sent mail")
        elif kind.startswith("name:") and address in me:
            names.add(name_tokens(kind[5:]))
    names = {n for n in names if len(n) >= 2}
    domains = {a.partition("@")[2] for a in me}
    for address in _known(c):
        local, _, domain = address.partition("@")
        if address in me or domain not in domains:
            continue
        for name in sorted(names):
            if spells(local, name):
                evidence[address].append(f"your name ({' '.join(name)}) at {domain}")
                break
    # Elsewhere (a home address self forwards to, or writes from): it spells self's
    # name, and mail names it so (`"Darron Giron" <dgiron1@pdq.net>`).
    ends = {(n[0], n[-1]) for n in names}
    for address, shown in c.execute("SELECT address, name FROM names"):
        local, _, domain = address.partition("@")
        words = name_tokens(shown)
        if (
            address in me
            or domain in domains
            or len(words) < 2
            or (words[0], words[-1]) not in ends
        ):
            continue
        if any(spells(local, n) for n in names) and not automated_reason(address):
            why = f"your name ({shown.strip()}) on mail with it, at {domain}"
            if why not in evidence[address]:
                evidence[address].append(why)
    return [
        Suggestion(merge_id(a, "self"), (a,), tuple(e))
        for a, e in sorted(evidence.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


#: Someone answering, in threads self started with one other person, in their stead.
_REPLIED_FOR = (
    "SELECT p.address, r.sender, count(DISTINCT o.thread) FROM interactions o "
    "JOIN participants p ON p.iid = o.iid "
    "JOIN interactions r ON r.thread = o.thread AND r.at > o.at AND r.direction = 'inbound' "
    "WHERE o.direction = 'outbound' AND o.kind = 'email' AND o.thread != '' "
    "AND o.audience = 1 AND r.audience = 1 AND r.noise = '' AND r.sender != p.address "
    "GROUP BY p.address, r.sender HAVING count(DISTINCT o.thread) >= 2"
)


def merge_suggestions(c: ReadConnection) -> list[Suggestion]:
    """Pairs of addresses that are probably one person, neither linked nor refused yet:
    the same display name, `first.last` / `first_last` / `flast` at one domain, or one
    answering (twice or more, alone) in threads self started with the other."""
    decided = {
        (a, b)
        for a, b in c.execute(
            "SELECT a, b FROM directives WHERE kind IN ('link', 'no-merge') AND b != ''"
        )
    }
    known = [a for a in _known(c) if not automated_reason(a)]
    shown: dict[str, str] = {}
    for address, name, _ in c.execute("SELECT address, name, n FROM names ORDER BY n"):
        shown[address] = name  # the most frequent last
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_name: dict[tuple[str, ...], list[str]] = defaultdict(list)
    by_form: dict[tuple[str, str], list[str]] = defaultdict(list)
    for address in known:
        tokens = name_tokens(shown.get(address, ""))
        if len(tokens) >= 2:
            by_name[tuple(sorted(tokens))].append(address)
        local, _, domain = address.partition("@")
        words = name_tokens(local)
        if len(words) >= 2:
            by_form[(domain, words[0][0] + words[-1])].append(address)
        elif len(words) == 1:
            by_form[(domain, words[0])].append(address)
    for group in by_name.values():
        for i, a in enumerate(sorted(group)):
            for b in sorted(group)[i + 1 :]:
                found[(a, b)].append(f"same name ({shown[a]})")
    for group in by_form.values():
        for i, a in enumerate(sorted(group)):
            for b in sorted(group)[i + 1 :]:
                why = same_name_forms(a, b)
                if why:
                    found[(a, b)].append(why)
    for to, replier, threads in c.execute(_REPLIED_FOR):
        if not automated_reason(to) and not automated_reason(replier):
            a, b = sorted((to, replier))
            found[(a, b)].append(f"{replier} replied in {threads} threads you started to {to}")
    return [
        Suggestion(merge_id(a, b), (a, b), tuple(e))
        for (a, b), e in sorted(found.items())
        if (a, b) not in decided
    ]
