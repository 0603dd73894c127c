"""Display names from `X-From`, `X-To` and `X-cc`, where From/To/Cc carry none.

Exchange and Lotus Notes exports (the Enron archive among them) write bare addresses in
From/To/Cc and the names beside them: `X-To: Harris, Stephanie J </O=ENRON/OU=NA/...>,
Robert Jones`. The lists are not aligned with the address headers, so each name is
matched to the address it spells (`stephanie.harris`, `s..harris`, `sharris`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kithkeep.domain.interaction import NAME_CHARS, Party, Role

_ANGLED = re.compile(r"<[^<>]*>?")
#: A Notes domain after a name (`Frank Bayouth@Enron`), not an internet address.
_NOTES_DOMAIN = re.compile(r"\s*@\s*[A-Za-z_-]+(?=\s*(?:,|$))")
#: `name <address>`: the name of that very address.
#: (A name starts the value or follows `,`, `<` or `>`: said, so that the engine does not
#: try every position of a long list, the same matches found.)
_NAMED = re.compile(r"(?:^|(?<=[,<>]))([^,<>]*)<\s*([^<>@\s,]+@[^<>\s,]+)\s*>")
_WORD = re.compile(r"[a-z]+")


#: Values this long or shorter are remembered (a mailbox names the same few people over
#: and over: each such value is read once); a longer one is read every time it comes.
_REMEMBERED = 1024


def x_names(value: str) -> list[str]:
    """The names in an X-From/X-To/X-cc value, each as written first-name-first."""
    return list(_x_names(value))


def _x_names(value: str) -> tuple[str, ...]:
    return _x_names_remembered(value) if len(value) <= _REMEMBERED else _read_x_names(value)


def _read_x_names(value: str) -> tuple[str, ...]:
    text = _NOTES_DOMAIN.sub("", _ANGLED.sub("", value))
    segments = [s.strip().strip("'\"").strip() for s in text.split(",")]
    names: list[str] = []
    i = 0
    while i < len(segments):
        seg = segments[i]
        nxt = segments[i + 1] if i + 1 < len(segments) else ""
        if seg and " " not in seg and nxt and "@" not in nxt and len(nxt.split()) <= 3:
            # "Harris, Stephanie J": a surname, then the given names.
            seg, i = f"{nxt} {seg}", i + 1
        i += 1
        if seg and "@" not in seg and len(seg) <= 100:
            names.append(" ".join(seg.split()))
    return tuple(names)


_x_names_remembered = lru_cache(maxsize=4096)(_read_x_names)


def named(value: str) -> dict[str, str]:
    """Addresses given with their name in an X- header (`"clare santana" <c@gte.net>`)."""
    return dict(_named(value))


def _named(value: str) -> tuple[tuple[str, str], ...]:
    if "@" not in value:
        return ()
    return _named_remembered(value) if len(value) <= _REMEMBERED else _read_named(value)


def _read_named(value: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for raw, address in _NAMED.findall(value):
        name = " ".join(raw.strip().strip("'\"").split())[:NAME_CHARS]
        if name and "@" not in name:
            out.setdefault(address.strip("'\"").lower(), name)
    return tuple(out.items())


_named_remembered = lru_cache(maxsize=4096)(_read_named)


@lru_cache(maxsize=8192)  # names (at most 100 characters) and addresses' local parts
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def match_names(addresses: list[str], names: list[str]) -> dict[str, str]:
    """Address -> the name among `names` that it spells (first.last, f..last, flast)."""
    by_surname: dict[str, list[tuple[str, ...]]] = {}
    spelled: dict[tuple[str, ...], str] = {}
    for name in names:
        tokens = _tokens(name)
        if len(tokens) >= 2:
            by_surname.setdefault(tokens[-1], []).append(tokens)
            spelled.setdefault(tokens, name)
    found: dict[str, str] = {}
    if not by_surname:
        return found
    for address in addresses:
        local = _tokens(address.partition("@")[0])
        if not local:
            continue
        if len(local) >= 2:
            candidates = by_surname.get(local[-1], [])
            firsts = local[:-1]
        else:
            word = local[0]
            candidates = [t for t in by_surname.get(word[1:], []) if t[0][0] == word[0]]
            firsts = ()
        for tokens in candidates:
            if all(t in tokens or (len(t) == 1 and any(n[0] == t for n in tokens)) for t in firsts):
                found[address] = spelled[tokens]
                break
    return found


def with_x_names(
    x_from: list[str],
    x_to: list[str],
    x_cc: list[str],
    sender: Party | None,
    parties: list[Party],
) -> tuple[Party | None, list[Party]]:
    """The sender and parties, those that came without a name named from their X-From,
    X-To and X-cc values (decoded text)."""
    if sender is not None and not sender.name and x_from:
        own = _x_names(x_from[0])
        if len(own) == 1:
            sender = sender._replace(name=own[0])
    found: dict[str, str] = {}
    for role, values in ((Role.TO, x_to), (Role.CC, x_cc)):
        unnamed = [p.address for p in parties if not p.name and p.role == role]
        if not unnamed or not values:
            continue
        names = [n for v in values for n in _x_names(v)]
        if len(unnamed) == 1 and len(names) == 1:
            found.setdefault(unnamed[0], names[0])  # one address, one name: theirs
        else:
            for address, name in match_names(unnamed, names).items():
                found.setdefault(address, name)
        for v in values:
            found.update(_named(v))
    if found:
        # Only a party that gets a name is made anew (most of a long list stays as it was).
        parties = [
            p
            if p.name or p.address not in found
            else Party(p.address, found[p.address], p.role, p.response)
            for p in parties
        ]
    return sender, parties
