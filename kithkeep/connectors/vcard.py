"""vCard (2.1, 3.0, 4.0) into contact cards, through `vobject`.

A file may hold one card or many. Each card is parsed on its own, so one malformed
card is a counted problem and the others are still read. Shared by `.vcf` imports and
every address book that speaks vCard (CardDAV).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from hashlib import sha1
from typing import Any

import vobject
from vobject.base import VObjectError

from kithkeep.connectors.base import Problem
from kithkeep.domain.card import Card, addresses_of, month_day
from kithkeep.domain.card import tidy as _clean

_BEGIN = re.compile(rb"^BEGIN:VCARD\s*$", re.IGNORECASE | re.MULTILINE)
_END = re.compile(rb"^END:VCARD[ \t]*\r?\n?", re.IGNORECASE | re.MULTILINE)
#: A quoted-printable soft line break (vCard 2.1): the value goes on at the next line.
_SOFT_BREAK = re.compile(r"=\r?\n(?![ \t])")
#: Apple's labels for dates in an `itemN.` group.
_ANNIVERSARY_LABELS = ("_$!<anniversary>!$_", "anniversary")
#: A card bigger than this is not a person's card (a photo is left out before parsing).
_MAX_CARD = 256 * 1024
#: A folded line goes on after a line break and one space or tab.
_FOLD = re.compile(r"\r?\n[ \t]")
#: Text properties many writers leave commas unescaped in (vobject would cut the value
#: at the first one): their commas are escaped before parsing.
_TEXT_LINE = re.compile(r"^((?:[\w-]+\.)?(?:FN|TITLE)(?:;[^:\r\n]*)?:)(.*)$", re.I | re.M)
_BARE_COMMA = re.compile(r"(?<!\\),")
_PHOTO = re.compile(r"^(?:[\w-]+\.)?(PHOTO|LOGO|SOUND|KEY)[;:].*?(?=^[^ \t])", re.I | re.M | re.S)


def blocks(data: bytes) -> Iterator[bytes]:
    """Each `BEGIN:VCARD … END:VCARD` block of a file (an unterminated last one too)."""
    starts = [m.start() for m in _BEGIN.finditer(data)]
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(data)
        chunk = data[start:stop]
        end = _END.search(chunk)
        yield chunk[: end.end()] if end else chunk


def parse_cards(
    data: bytes, *, origin: str, source: str = "vcard", key_prefix: str = "vcard:"
) -> Iterator[Card | Problem]:
    """Every card in `data`, in order; a card that cannot be read is a `Problem`."""
    for n, block in enumerate(blocks(data), start=1):
        yield parse_card(block, origin=f"{origin}#{n}", source=source, key_prefix=key_prefix)


def parse_card(
    block: bytes, *, origin: str, source: str = "vcard", key_prefix: str = "vcard:", key: str = ""
) -> Card | Problem:
    """One card; `key` (else its UID, else its contents) names it in its address book."""
    if len(block) > 4 * _MAX_CARD:
        return Problem("contact card too large", origin)
    text = block.decode("utf-8", "replace").replace("\x00", "")
    text = _FOLD.sub("", _SOFT_BREAK.sub("", _PHOTO.sub("", text + "\n")))
    text = _TEXT_LINE.sub(lambda m: m.group(1) + _BARE_COMMA.sub(r"\\,", m.group(2)), text)
    if len(text) > _MAX_CARD:
        return Problem("contact card too large", origin)
    try:
        component: Any = vobject.readOne(text, ignoreUnreadable=False)
    except (VObjectError, ValueError, TypeError, IndexError, AttributeError, StopIteration):
        return Problem("malformed contact card", origin)
    if getattr(component, "name", "").upper() != "VCARD":
        return Problem("malformed contact card", origin)
    try:
        return _card(component, source, key_prefix, key)
    except (VObjectError, ValueError, TypeError, IndexError, AttributeError):
        return Problem("malformed contact card", origin)


def _card(component: Any, source: str, key_prefix: str, key: str) -> Card:
    lines: list[Any] = list(component.lines())
    by_name: dict[str, list[Any]] = {}
    for line in lines:
        by_name.setdefault(line.name.upper(), []).append(line)
    addresses = addresses_of(_text(line.value) for line in by_name.get("EMAIL", []))
    name = _one(by_name, "FN") or _structured_name(by_name)
    organization = ""
    for line in by_name.get("ORG", []):
        parts = line.value if isinstance(line.value, list) else [line.value]
        organization = _clean(next((p for p in map(_text, parts) if p.strip()), ""))
        if organization:
            break
    birthday = _date(_one(by_name, "BDAY"))
    anniversary = _date(_one(by_name, "ANNIVERSARY") or _one(by_name, "X-ANNIVERSARY"))
    if not anniversary:
        anniversary = _labelled_date(by_name)
    uid = _one(by_name, "UID")
    if not key:
        if uid:
            key = key_prefix + uid
        else:
            material = "\x1f".join([name, ",".join(sorted(addresses)), organization, birthday])
            key = key_prefix + "sha1:" + sha1(material.encode("utf-8", "replace")).hexdigest()
    return Card(
        key=key,
        name=name,
        addresses=addresses,
        organization=organization,
        title=_one(by_name, "TITLE"),
        birthday=birthday,
        anniversary=anniversary,
        source=source,
    )


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _one(by_name: dict[str, list[Any]], name: str) -> str:
    for line in by_name.get(name, []):
        value = _clean(_text(line.value))
        if value:
            return value
    return ""


def _structured_name(by_name: dict[str, list[Any]]) -> str:
    for line in by_name.get("N", []):
        n = line.value
        parts = [
            getattr(n, "prefix", ""),
            getattr(n, "given", ""),
            getattr(n, "additional", ""),
            getattr(n, "family", ""),
            getattr(n, "suffix", ""),
        ]
        words = [_clean(" ".join(p) if isinstance(p, list) else _text(p)) for p in parts]
        joined = " ".join(w for w in words if w)
        if joined:
            return joined
    return ""


def _labelled_date(by_name: dict[str, list[Any]]) -> str:
    """An Apple `itemN.X-ABDATE` whose `itemN.X-ABLabel` says anniversary."""
    labels = {
        line.group.lower(): _text(line.value).strip().lower()
        for line in by_name.get("X-ABLABEL", [])
        if line.group
    }
    for line in by_name.get("X-ABDATE", []):
        if line.group and labels.get(line.group.lower()) in _ANNIVERSARY_LABELS:
            found = _date(_text(line.value))
            if found:
                return found
    return ""


_DATE = re.compile(r"^(\d{4}|--)-?(\d{2})-?(\d{2})")


def _date(value: str) -> str:
    """`YYYY-MM-DD`, or `--MM-DD` without a year (vCard 4's `--MMDD`, Apple's year 1604)."""
    m = _DATE.match(value.strip())
    if not m:
        return ""
    year, month, day = m.groups()
    text = f"{'--' if year in ('--', '1604') else year}-{month}-{day}"
    text = text.replace("---", "--")
    return text if month_day(text) is not None else ""
