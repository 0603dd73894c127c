"""RFC 5322 headers to an `Observation`, fast and forgiving.

Only the header block is read, and only the headers kithkeep uses are decoded:
importing a mailbox should cost little more than splitting its headers. Address
lists are split before RFC 2047 names are decoded (`"FooCorp, Inc."` has a comma).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

from kithkeep.connectors.base import Problem
from kithkeep.connectors.copies import ShiftedCopies
from kithkeep.connectors.limits import DEFAULT, Limits
from kithkeep.connectors.xnames import with_x_names
from kithkeep.domain.interaction import NAME_CHARS, Kind, Observation, Party, Role, mail_key
from kithkeep.domain.introductions import introduction_cues, is_forward
from kithkeep.domain.quoting import NEW_TEXT_CHARS, new_text
from kithkeep.domain.referral_cues import referral_cues
from kithkeep.domain.rules import is_plausible_date, normalize_address
from kithkeep.domain.senders import address_problem

_WANTED = frozenset(
    {
        b"from",
        b"to",
        b"cc",
        b"bcc",
        b"date",
        b"subject",
        b"message-id",
        b"list-id",
        b"list-unsubscribe",
        b"precedence",
        b"auto-submitted",
        b"received",
        b"in-reply-to",
        b"references",
        b"x-gmail-labels",
        b"x-mozilla-draft-info",
        b"x-autoreply",
        b"x-autorespond",
        b"content-type",
        b"content-transfer-encoding",
        b"x-from",
        b"x-to",
        b"x-cc",
    }
)
_UNFOLD = re.compile(rb"\r?\n[ \t]+")
_HEADER = re.compile(
    rb"^(" + b"|".join(sorted(_WANTED)) + rb")[ \t]*:(.*(?:\r?\n[ \t].*)*)",
    re.MULTILINE | re.IGNORECASE,
)
_PLAIN_ADDRESS = re.compile(r"^[^\s@,]+@[^\s@,]+$")
_SIMPLE_LIST = re.compile(r'^[^"()<>:;\\]*$')
_NAMED_LIST = re.compile(r'^[^"():;\\]*$')
_MSGID = re.compile(r"<([^<>\s]+)>")
_IDENTIFYING = (b"date", b"from", b"to", b"cc", b"subject")
_CAL_REPLY = re.compile(r"^(accepted|declined|tentative(ly accepted)?)\s*:", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

SKIP_LABELS = ("spam", "trash")


@dataclass(frozen=True, slots=True)
class Skip:
    """A message deliberately left out (spam, trash), not a problem."""

    reason: str


def header_block(data: bytes) -> bytes:
    """The bytes before the first empty line (the whole input if there is none)."""
    end = data.find(b"\n\n")
    # A CRLF blank line counts only before the LF one: no need to look past it.
    crlf = data.find(b"\r\n\r\n") if end == -1 else data.find(b"\r\n\r\n", 0, end + 3)
    if crlf != -1 and (end == -1 or crlf < end):
        end = crlf
    return data if end == -1 else data[:end]


def split_headers(block: bytes) -> dict[bytes, list[bytes]]:
    """Wanted headers by lower-cased name, values unfolded, in order of appearance."""
    headers: dict[bytes, list[bytes]] = {}
    # One pass of the regex engine finds just the wanted headers and their folded lines.
    for name, raw in _HEADER.findall(block):
        value = _UNFOLD.sub(b" ", raw) if b"\n" in raw else raw
        headers.setdefault(name.lower(), []).append(value.strip())
    return headers


def text(raw: bytes) -> str:
    """Header bytes to str: ASCII, else UTF-8, else Windows-1252 (8-bit junk happens)."""
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def decode_words(value: str, limit: int = DEFAULT.encoded_words) -> str:
    """Decode RFC 2047 encoded words (the first `limit`: the library's decoding grows
    faster than the input); leave the text as it was if they are broken."""
    if "=?" not in value:
        return value
    at = -2
    for _ in range(limit):
        at = value.find("=?", at + 2)
        if at == -1:
            break
    else:
        end = value.find("?=", value.find("?", value.find("?", at + 2) + 1) + 1)
        value = value[: end + 2] if end != -1 else value[:at]
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError, AssertionError):
        return value


def addresses(value: str, rejected: list[str] | None = None) -> list[tuple[str, str]]:
    """(display name, normalised address) pairs; groups and junk are dropped, and
    addresses no one can have (`senders.address_problem`) too, their reasons added to
    `rejected`."""
    if _SIMPLE_LIST.match(value):
        # The common case (bare addresses, as in most archives) needs no parser at all.
        plain = [a.strip().lower() for a in value.split(",")]
        if all(_PLAIN_ADDRESS.match(a) for a in plain if a):
            found = [("", a) for a in plain if a and len(a) <= 254]
            if any(address_problem(a) for _, a in found):
                return _without_problems(found, rejected)
            return found
        pairs = [("", part) for part in value.split(",")]
    elif _NAMED_LIST.match(value):
        pairs = []
        for part in value.split(","):
            name, lt, rest = part.partition("<")
            pairs.append((name, rest.partition(">")[0]) if lt else ("", name))
    else:
        pairs = getaddresses([value])
    out: list[tuple[str, str]] = []
    for name, addr in pairs:
        a = normalize_address(addr)
        if a:
            n = _SPACE.sub(" ", decode_words(name)).strip().strip("'\"").strip() if name else ""
            n = n[:NAME_CHARS]
            out.append((n, a))
        elif rejected is not None and "@" in addr:
            problem = address_problem(addr.strip().strip("<>").strip().lower())
            if problem:
                rejected.append(problem)
    return out


def _without_problems(
    found: list[tuple[str, str]], rejected: list[str] | None
) -> list[tuple[str, str]]:
    out = []
    for name, a in found:
        problem = address_problem(a)
        if not problem:
            out.append((name, a))
        elif rejected is not None:
            rejected.append(problem)
    return out


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
)}  # fmt: skip
# The shape nearly every mailer writes ("Mon, 14 May 2001 16:39:00 -0700"); anything
# else goes to the standard library's forgiving parser.
_RFC5322_DATE = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+"
    r"(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})\b"
)


def parse_date(value: str) -> datetime | None:
    m = _RFC5322_DATE.match(value)
    if m is not None and (month := _MONTHS.get(m.group(2).lower())):
        day, year, hh, mm = int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5))
        offset = (int(m.group(8)) * 60 + int(m.group(9))) * (-1 if m.group(7) == "-" else 1)
        try:
            local = datetime(year, month, day, hh, mm, int(m.group(6) or 0), tzinfo=UTC)
            return local - timedelta(minutes=offset)
        except (ValueError, OverflowError):
            pass
    try:
        d = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    try:
        return d.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _message_id(value: str) -> str:
    m = _MSGID.search(value)
    v = m.group(1) if m else value.strip()
    return v.strip().lower() if len(v) < 998 else ""


_CHARSET = re.compile(r'charset\s*=\s*"?([\w.:-]+)', re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,500}>")
#: Raw bytes of a body read for cues: 4 KB of new text, with room for its encoding.
BODY_BYTES = 12 * 1024
_PLAIN_BYTES = NEW_TEXT_CHARS + 512


def body_text(rest: bytes, content_type: str, encoding: str) -> str:
    """The start of a message's text, decoded well enough to find a few phrases in."""
    raw = rest.lstrip(b"\r\n")[:BODY_BYTES]
    kind = content_type.lower()
    if kind.startswith("multipart/"):
        return _first_text_part(raw, content_type)
    if kind and not kind.startswith("text/"):
        return ""
    if encoding.strip().lower() not in ("base64", "quoted-printable"):
        raw = raw[:_PLAIN_BYTES]  # as much as the new text read for cues can take up
    return _decode(raw, content_type, encoding, html="html" in kind)


_FORWARDED_FROM = re.compile(r"^\s*from:[^\n@]{0,120}?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.I | re.M)


def body_signals(subject: str, body: str, *, referrals: bool = True) -> list[str]:
    """The cues a body gives, read in the writer's new text only; the text is forgotten.

    Referral cues only where a referral can be (`referrals`): not on bulk mail, nor on
    mail to more people than a referral goes to (`introductions.REFERRAL_AUDIENCE`).
    """
    new = new_text(body) if body else ""
    signals = ["cue:" + c for c in introduction_cues(subject, new)]
    if new and referrals:
        forwarded = ""
        if is_forward(subject):
            m = _FORWARDED_FROM.search(body, len(new), len(new) + 2000)
            forwarded = m.group(1).lower() if m else ""
        signals.extend(r.signal() for r in referral_cues(new, subject, forwarded))
    return signals


def _first_text_part(raw: bytes, content_type: str) -> str:
    from email import message_from_bytes, policy

    head = f"Content-Type: {content_type}\n\n".encode("ascii", "replace")
    message = message_from_bytes(head + raw, policy=policy.compat32)
    html = ""
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True)  # bytes, transfer encoding undone
        if not isinstance(payload, bytes):
            continue
        text = _decode(payload, str(part.get("content-type", "")), "", html=ctype == "text/html")
        if ctype == "text/plain":
            return text
        html = html or text
    return html


def _decode(raw: bytes, content_type: str, encoding: str, *, html: bool) -> str:
    import binascii
    import quopri

    cte = encoding.strip().lower()
    try:
        if cte == "quoted-printable":
            raw = quopri.decodestring(raw)
        elif cte == "base64":
            compact = b"".join(raw.split())
            raw = binascii.a2b_base64(compact[: len(compact) // 4 * 4])
    except (ValueError, binascii.Error):
        return ""
    m = _CHARSET.search(content_type)
    charset = m.group(1) if m else "utf-8"
    try:
        text = raw.decode(charset, errors="replace")
    except LookupError:
        text = raw.decode("utf-8", errors="replace")
    return _TAG.sub(" ", text) if html else text


def parse_message(
    data: bytes,
    *,
    origin: str,
    file_time: datetime,
    now: datetime,
    signals: tuple[str, ...] = (),
    seen: set[int] | None = None,
    shifted: ShiftedCopies | None = None,
    size: int = -1,
    delivered: bool = False,
    limits: Limits = DEFAULT,
) -> Observation | Problem | Skip:
    """Reduce one raw message to metadata. Never raises for bad input.

    `seen` holds the identities given so far by the caller: a copy of one of them is
    answered with `Skip("duplicate")` at the cost of its headers alone. `shifted` does
    the same for copies whose Date an export shifted by whole hours (`copies.py`), with
    the message's whole `size` in bytes, if known, as evidence.
    """
    try:
        return _parse(data, origin, file_time, now, signals, seen, shifted, size, delivered, limits)
    except RecursionError:
        return Problem("headers too deeply nested", origin)
    except Exception as e:  # bad input must be counted, never fatal
        return Problem(f"unreadable headers ({type(e).__name__})", origin)


def _parse(
    data: bytes,
    origin: str,
    file_time: datetime,
    now: datetime,
    signals: tuple[str, ...],
    seen: set[int] | None,
    shifted: ShiftedCopies | None = None,
    size: int = -1,
    delivered: bool = False,
    limits: Limits = DEFAULT,
) -> Observation | Problem | Skip:
    block = header_block(data)
    if len(block) > limits.header_block_bytes:
        return Problem(f"header block over {limits.header_block_bytes // 1024} KB", origin)
    h = split_headers(block)
    if not h:
        return Problem("not a mail message (no headers)", origin)

    def one(name: bytes) -> str:
        values = h.get(name)
        return text(values[0]) if values else ""

    labels = one(b"x-gmail-labels").lower()
    if labels:
        label_set = {x.strip() for x in labels.split(",")}
        for skip in SKIP_LABELS:
            if skip in label_set:
                return Skip(skip)
        if "sent" in label_set:
            signals = (*signals, "sent-folder")
    header_date = parse_date(one(b"date")) if b"date" in h else None
    if header_date is not None and not is_plausible_date(header_date, now):
        header_date = None
    if seen is not None:
        # Byte-identical identifying headers mean the same identity (`mail_key`), so a
        # copy is known before anything is decoded. Without a usable Date, the
        # Message-ID is part of the identity.
        named = _IDENTIFYING if header_date is not None else (*_IDENTIFYING, b"message-id")
        copy = hash(tuple([tuple(h.get(n, ())) for n in named]))
        if copy in seen:
            return Skip("duplicate")
        seen.add(copy)

    rejected: list[str] = []
    senders = addresses(one(b"from"), rejected)
    sender = Party(senders[0][1], senders[0][0]) if senders else None
    parties, capped = _recipients(h, limits, rejected)
    if sender is None and not parties:
        if rejected:
            return Problem(f"no usable address ({rejected[0]})", origin)
        return Problem("not a mail message (no From, To or Cc)", origin)
    if b"x-from" in h or b"x-to" in h:
        x = {k: [text(v) for v in h.get(k, ())] for k in (b"x-from", b"x-to", b"x-cc")}
        sender, parties = with_x_names(x[b"x-from"], x[b"x-to"], x[b"x-cc"], sender, parties)

    subject = _SPACE.sub(" ", decode_words(one(b"subject"), limits.encoded_words)).strip()
    message_id = _message_id(one(b"message-id"))

    occurred_at = header_date
    date_source = "header"
    if occurred_at is None:
        occurred_at, date_source = _fallback_date(h, file_time, now)

    sig = list(signals)
    if date_source == "file" and not delivered:
        # An export's own time, not the mail's (an mbox's From_ line, `delivered`, is the
        # delivery time): kept with the event, the rules judge it.
        sig.append("date-unknown")
    sig.extend("bad-address:" + r for r in dict.fromkeys(rejected))
    if capped:
        sig.append("recipients-capped")
    if b"list-id" in h:
        sig.append("list-id")
    if b"list-unsubscribe" in h:
        sig.append("list-unsubscribe")
    precedence = one(b"precedence").strip().lower()
    if precedence:
        sig.append("precedence:" + precedence)
    auto = one(b"auto-submitted").strip().lower()
    if auto:
        sig.append("auto-submitted:" + auto.split(";")[0].strip())
    if b"x-mozilla-draft-info" in h or "draft" in labels:
        sig.append("draft")
    if b"x-autoreply" in h or b"x-autorespond" in h or _CAL_REPLY.match(subject):
        sig.append("auto-reply")

    refs = _MSGID.findall(one(b"references"))
    reply_to = _MSGID.findall(one(b"in-reply-to"))
    thread = (refs[0] if refs else reply_to[0] if reply_to else message_id).lower()

    key = mail_key(
        message_id,
        header_date,
        sender.address if sender else "",
        [p.address for p in parties if p.role != Role.BCC],
        subject,
    )
    if not key:
        key = "raw:" + hashlib.sha1(block).hexdigest()
    if seen is not None:
        # Another copy of a message this reader already gave: say so, and skip the rest.
        digest = hash(key)
        if digest in seen:
            return Skip("duplicate")
        seen.add(digest)
    if shifted is not None and header_date is not None and sender is not None:
        identity = (sender.address, " ".join(subject.split()).casefold())
        people = frozenset(p.address for p in parties if p.role != Role.BCC)
        length = size - len(block) if size >= 0 else -1
        at = int(header_date.timestamp())
        if shifted.is_copy(identity, people, at, message_id, length):
            return Skip("time-zone copy")
    if parties or sender is not None:
        # The body's new text is read for introduction and referral cues, then forgotten:
        # only the names of the cues that fired, and the person a referral names, are kept.
        try:
            body = body_text(
                data[len(block) :], one(b"content-type"), one(b"content-transfer-encoding")
            )
        except Exception:  # a body we cannot read costs its cues, never the message
            body = ""
        visible = sum(p.role != Role.BCC for p in parties)
        bulk = any(s.startswith(("list-", "precedence:")) for s in sig)
        sig.extend(body_signals(subject, body, referrals=visible <= 6 and not bulk))
    return Observation(
        kind=Kind.EMAIL,
        natural_key=key,
        occurred_at=occurred_at,
        sender=sender,
        parties=tuple(parties),
        subject=subject[:300],
        thread_key=thread,
        message_id=message_id,
        signals=tuple(dict.fromkeys(sig)),
        date_source=date_source,
        origin=origin,
    )


def _recipients(
    h: dict[bytes, list[bytes]], limits: Limits, rejected: list[str] | None = None
) -> tuple[list[Party], bool]:
    """To, Cc and Bcc, at most `limits.recipients` of them; whether some were left unread.
    Addresses no one can have are left out, their reasons added to `rejected`."""
    parties: list[Party] = []
    capped = False
    for name, role in ((b"to", Role.TO), (b"cc", Role.CC), (b"bcc", Role.BCC)):
        for value in h.get(name, ()):
            room = limits.recipients - len(parties)
            if room <= 0:
                return parties, True
            head, cut = limits.recipients_cut(text(value), room)
            capped |= cut
            parties.extend([Party(a, n, role) for n, a in addresses(head, rejected)[:room]])
    return parties, capped


def _fallback_date(
    h: dict[bytes, list[bytes]], file_time: datetime, now: datetime
) -> tuple[datetime, str]:
    """The newest Received: date (the topmost header), else the file's own time."""
    best: datetime | None = None
    for raw in h.get(b"received", ()):
        value = text(raw)
        semi = value.rfind(";")
        if semi == -1:
            continue
        d = parse_date(value[semi + 1 :])
        if d is not None and is_plausible_date(d, now) and (best is None or d > best):
            best = d
    if best is not None:
        return best, "received"
    return file_time.astimezone(UTC), "file"
