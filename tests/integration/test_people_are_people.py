"""People are people, on the seven real Enron mailboxes: no newsletters, no own aliases,
no doubled copies, no broken addresses.

Each mailbox is imported once (with only its owner's main address as `--me`) and asked
the questions a user asks. What the mail says is read here with the standard library
only, sharing no code with kithkeep (except where a test names the rule it checks).
"""

from __future__ import annotations

import json
import re
import sqlite3
from email import message_from_binary_file, policy
from email.utils import getaddresses, parsedate_to_datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from kithkeep.domain.senders import automated_reason
from tests.conftest import Result, run_cli, shared_data

pytestmark = pytest.mark.slow

OWNERS = {
    "brawner-s": "sandra.brawner@enron.com",
    "carson-m": "mike.carson@enron.com",
    "cuilla-m": "martin.cuilla@enron.com",
    "derrick-j": "james.derrick@enron.com",
    "donoho-l": "lindy.donoho@enron.com",
    "fossum-d": "drew.fossum@enron.com",
    "giron-d": "darron.giron@enron.com",
}
#: Senders the issue names, and others like them, that are no one to keep in touch with.
KNOWN_AUTOMATED = {
    "fossum-d": {
        "issuealert@scientech.com",
        "enron.announcements@enron.com",
        "ets.announcement@enron.com",
        "augie-alumnews@listserv.augie.edu",
    },
    "donoho-l": {"newsletter@rigzone.com", "info@pmaconference.com", "no.address@enron.com"},
    "cuilla-m": {
        "deals@bestfares.com",
        "info@clubhyperia.com",
        "webmaster@cera.com",
        "newsletter@thevegasstrip.net",
        "orders@imagestation.com",
        "noreply@ccomad3.uu.commissioner.com",
    },
    "carson-m": {
        "buy.com@enews.buy.com",
        "feedback@intcx.com",
        # Found by the audit: member services, a broker's mailer, a numbered sending label.
        "ecenter@energynewslive.com",
        "games-register@yahoo-inc.com",
        "service@etrade.com",
        "thestreet.com46@offers2.mail-thestreet.com",
    },
    "brawner-s": {"enron.announcements@enron.com", "no.address@enron.com"},
    "derrick-j": {
        "enron.announcements@enron.com",
        "corpgen@mail.abanet.org",
        "body.shop@enron.com",
        "travelsmith.240255380@s2u2.com",
        "travelsmith_outfitters@travelsmith.m0.net",
    },
    "giron-d": {"enron.announcements@enron.com"},
}
KNOWN_AUTOMATED["cuilla-m"] |= {"storesupport@zing.com"}
KNOWN_AUTOMATED["donoho-l"] |= {
    "enerfaxdaily@enerfax.com",
    "energyreleases@excite.com",
    "payroll.enron@enron.com",
    "talbots@clickaction.net",
}
#: Lists and mailings self wrote to: still no one to keep in touch with.
KNOWN_LISTS = {
    "fossum-d": {
        "enron.everyone_et&s_houston@enron.com",
        "enron.everyone_et&s_field_offices@enron.com",
    },
    "donoho-l": {"r-8-724539-3371579-2-1232-us2-79556634@xmr3.com"},
}
#: Addresses that cannot be anyone's, in the shapes the issue names.
MALFORMED = re.compile(
    r"(^[.'])|([.']@)|(^@)|([\x00-\x1f\x7f])|(@(group|resource)\.calendar\.google\.com$)|(/o=)"
    r"|(^imcea)|(\"[^@]*@)"
)
#: Half-yearly moments from before the archive starts to after it ends.
MOMENTS = [f"{y}-{m:02d}-01" for y in range(1998, 2003) for m in (1, 7)]


def _addrs(msg: object, *names: str) -> list[str]:
    values = [str(v) for n in names for v in (msg.get_all(n) or [])]
    return [a.strip().lower() for _, a in getaddresses(values) if "@" in a]


def _messages(root: Path) -> list[tuple[Path, object]]:
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as f:
            out.append((path, message_from_binary_file(f, policy=policy.compat32)))
    return out


def wrote_to(root: Path, me: str) -> set[str]:
    """Every address the owner wrote to, read straight from the files."""
    found: set[str] = set()
    for _, msg in _messages(root):
        if _addrs(msg, "From")[:1] == [me]:
            found.update(_addrs(msg, "To", "Cc", "Bcc"))
    return found - {me}


def sent_from(root: Path, me: str) -> set[str]:
    """The addresses of mail whose X-From gives the owner's first and last name."""
    first, last = me.split("@", maxsplit=1)[0].split(".")
    found: set[str] = set()
    for _, msg in _messages(root):
        shown = str(msg["X-From"] or "").lower().split("<")[0].split("@")[0]  # type: ignore[index]
        if {first, last} <= set(re.findall("[a-z]+", shown)):
            found.update(_addrs(msg, "From")[:1])
    return found


def senders(root: Path) -> set[str]:
    return {a for _, msg in _messages(root) for a in _addrs(msg, "From")[:1]}


class Mailbox:
    """One imported mailbox, asked through the CLI as a user would."""

    def __init__(self, name: str, home: Path) -> None:
        self.name, self.home, self.me = name, home, OWNERS[name]
        self.root = shared_data("enron", "maildir", name)
        self.report = ""

    def __call__(self, *args: str, check: bool = True) -> Result:
        return run_cli(self.home, *args, check=check)

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").out)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Mailbox]:
    boxes: dict[str, Mailbox] = {}
    for name in OWNERS:
        box = Mailbox(name, tmp_path_factory.mktemp(name) / "home")
        box("init", "--me", box.me)
        box.report = box("import", str(box.root)).out
        boxes[name] = box
    return boxes


@pytest.mark.parametrize("name", sorted(OWNERS))
def test_automated_senders_are_never_due_and_what_self_wrote_to_never_automated(
    imported: dict[str, Mailbox], name: str
) -> None:
    box = imported[name]
    written = wrote_to(box.root, box.me)
    # The addresses classified automated in this mailbox: senders self never wrote to
    # whose shape fires a rule (the view holds the same reason for those with contacts).
    classified = {a: automated_reason(a) for a in senders(box.root) - written - {box.me}}
    classified = {a: why for a, why in classified.items() if why}
    print(name, "automated:", json.dumps(classified, indent=1, sort_keys=True))
    assert KNOWN_AUTOMATED[name] <= set(classified), KNOWN_AUTOMATED[name] - set(classified)
    # Lists self wrote to fire a rule, but self writing to an address overrides it.
    assert all(automated_reason(a) for a in KNOWN_LISTS.get(name, set()))
    assert not KNOWN_LISTS.get(name, set()) & set(classified)

    everyone = box.json("people", "--all")
    reasons = {p["addresses"][0]: p["automated_reason"] for p in everyone}
    wrote_automated = {a for a in written if reasons.get(a)}
    assert not wrote_automated, "self wrote to them: not automated"
    for address, why in reasons.items():
        if why:
            assert address in classified and why == classified[address]
    default = {p["addresses"][0] for p in box.json("people")}
    assert not default & set(classified)
    for moment in [None, *MOMENTS]:
        due = box.json("due", *(("--as-of", moment) if moment else ()))
        due_addresses = {a for p in due for a in p["addresses"]}
        assert not due_addresses & set(classified), moment
        assert all(p["automated_reason"] is None for p in due)


def test_junk_is_skipped_and_reported_and_a_calendar_address_is_never_a_person(
    imported: dict[str, Mailbox], tmp_path: Path
) -> None:
    donoho = imported["donoho-l"]
    junk = {p.name for p in (donoho.root / "inbox" / "junk_file").iterdir()}
    assert len(junk) == 511
    assert "skipped: 511 in junk folders" in donoho.report
    junk_subjects = set()
    for _, msg in _messages(donoho.root / "inbox" / "junk_file"):
        junk_subjects.add(" ".join(str(msg["Subject"] or "").split()))
    views = sqlite3.connect(donoho.home / "views.sqlite")
    stored = {s for (s,) in views.execute("SELECT subject FROM interactions")}
    only_junk = junk_subjects - {
        " ".join(str(m["Subject"] or "").split())
        for p, m in _messages(donoho.root)
        if "junk_file" not in p.parts
    }
    assert only_junk and not only_junk & stored
    # --include-folder reads it all the same.
    again = run_cli(tmp_path / "again", "init", "--me", donoho.me)
    assert again.code == 0
    more = run_cli(
        tmp_path / "again", "import", str(donoho.root), "--include-folder", "junk_file"
    ).out
    assert "in junk folders" not in more

    # A real .ics whose attendee is a Google calendar group's address.
    ics = shared_data("ics", "rie__daylight_saving_time.ics")
    assert "group.calendar.google.com" in ics.read_text()
    home = tmp_path / "cal"
    run_cli(home, "init", "--me", "someone@example.com")
    run_cli(home, "import", str(ics))
    people = json.loads(run_cli(home, "people", "--all", "--json").out)
    assert not [a for p in people for a in p["addresses"] if "calendar.google.com" in a]


@pytest.mark.parametrize("name", sorted(OWNERS))
def test_no_person_has_an_address_no_one_can_have(imported: dict[str, Mailbox], name: str) -> None:
    box = imported[name]
    everyone = [a for p in box.json("people", "--all") for a in p["addresses"]]
    assert everyone
    assert [a for a in everyone if MALFORMED.search(a)] == []
    raw = {a for _, m in _messages(box.root) for a in _addrs(m, "From", "To", "Cc", "Bcc")}
    if [a for a in raw if MALFORMED.search(a)]:
        assert "address left out:" in box.report


def test_names_come_from_x_from_and_person_finds_by_any_part(
    imported: dict[str, Mailbox],
) -> None:
    fossum = imported["fossum-d"]
    found = fossum.json("person", "benner")
    assert found["name"] == "Martha Benner"
    assert found["addresses"] == ["martha.benner@enron.com"]
    several = fossum("person", "harris", check=False)
    assert several.code == 1 and "people match 'harris'" in several.err
    assert "<" in several.err  # the candidates are listed
    named = {p["addresses"][0]: p["name"] for p in fossum.json("people")}
    assert named["lorna.brennan@enron.com"] == "Lorna Brennan"
    derrick = {p["addresses"][0]: p["name"] for p in imported["derrick-j"].json("people")}
    # "Stephanie Harris" and "Harris, Stephanie J" in X-From, the address bare in From.
    assert derrick["stephanie.harris@enron.com"] in ("Stephanie Harris", "Stephanie J Harris")
    for box in imported.values():
        # Those who wrote to the owner have X-From's name (where it gives one at all:
        # `X-From: coconnor@prebon.com@ENRON` does not).
        wrote = [p for p in box.json("people") if p["last_inbound"]]
        with_name = [p for p in wrote if p["name"]]
        assert len(with_name) > 0.85 * len(wrote), box.name


def independent_contacts(root: Path, me: str, who: str) -> int:
    """Contacts between `me` and `who`, counted from the files: one per message however
    many copies (same Date, From, To/Cc and Subject; or a Date shifted by whole hours,
    1-14, with the same From and Subject and mostly the same To/Cc), outbound to them or
    from them to `me` in To/Cc, to at most 15 people."""
    messages: dict[tuple[int, str, frozenset[str], str], set[str]] = {}
    for _, msg in _messages(root):
        sender = (_addrs(msg, "From") or [""])[0]
        to_cc = frozenset(_addrs(msg, "To", "Cc"))
        subject = " ".join(str(msg["Subject"] or "").split()).casefold()  # type: ignore[index]
        when = int(parsedate_to_datetime(msg["Date"]).timestamp())  # type: ignore[index]
        messages.setdefault((when, sender, to_cc, subject), set(_addrs(msg, "To", "Cc", "Bcc")))
    seen: dict[tuple[str, str], list[tuple[int, frozenset[str]]]] = {}
    n = 0
    for key in sorted(messages):
        when, sender, to_cc, subject = key
        earlier = seen.setdefault((sender, subject), [])
        shifted = any(
            0 < abs(when - t) <= 14 * 3600
            and abs(when - t) % 3600 == 0
            and (to_cc == r or 2 * len(to_cc & r) > min(len(to_cc), len(r)))
            for t, r in earlier
        )
        earlier.append((when, to_cc))
        everyone = messages[key]
        if shifted or len((everyone | {sender}) - {me}) > 15:
            continue
        if (sender == me and who in everyone) or (sender == who and me in to_cc):
            n += 1
    return n


def test_time_zone_shifted_copies_are_one_interaction(imported: dict[str, Mailbox]) -> None:
    from kithkeep.projections.timeline import timeline

    fossum = imported["fossum-d"]
    assert "copies whose Date an export shifted by whole hours, merged" in fossum.report
    views = sqlite3.connect(fossum.home / "views.sqlite")
    people = [p["addresses"] for p in fossum.json("people", "--all")]
    assert len(people) > 200
    doubled = []
    for addresses in people:
        entries = timeline(views, tuple(addresses), 2**40, limit=100_000)
        for a, b in combinations(entries, 2):
            shift = abs(a.at - b.at)
            same = (a.subject, a.direction) == (b.subject, b.direction)
            if same and 0 < shift <= 14 * 3600 and shift % 3600 == 0:
                doubled.append((addresses, a.subject, a.at, b.at))
    assert doubled == []
    benner = fossum.json("person", "martha.benner@enron.com")
    expected = independent_contacts(fossum.root, fossum.me, "martha.benner@enron.com")
    assert benner["interactions"] == expected > 100


def test_me_suggest_finds_self_and_me_add_changes_only_me(
    imported: dict[str, Mailbox], tmp_path: Path
) -> None:
    fossum = {s["addresses"][0]: s["evidence"] for s in imported["fossum-d"].json("me", "suggest")}
    assert fossum["dfossum@enron.com"] and fossum["drew_fossum@enron.com"]
    giron = {s["addresses"][0]: s["evidence"] for s in imported["giron-d"].json("me", "suggest")}
    assert any("sent" in e for e in giron["c..giron@enron.com"])
    assert "darron.giron@enron.com" not in giron
    # Self's home addresses: mail names them with self's own name, and they spell it.
    assert any("your name (Darron Giron)" in e for e in giron["dgiron1@pdq.net"])
    cuilla = {s["addresses"][0]: s for s in imported["cuilla-m"].json("me", "suggest")}
    assert "mcuilla@houston.rr.com" in cuilla
    # Family with self's surname are not self ("Mom" <sharon.cuilla@nlrb.gov>).
    assert "sharon.cuilla@nlrb.gov" not in cuilla
    for box in imported.values():
        # Every address the owner sends mail from (X-From names them) is self or proposed.
        proposed = {s["addresses"][0] for s in box.json("me", "suggest")}
        assert sent_from(box.root, box.me) - {box.me} <= proposed, box.name

    home = tmp_path / "home"
    run_cli(home, "init", "--me", OWNERS["fossum-d"])
    config = home / "config.toml"
    drop = tmp_path / "drop"
    drop.mkdir()
    text = (
        "# my own words, kept\n"
        + config.read_text()
        + "\n# an account, kept as written\n[[accounts]]\nname = 'drop'   # mine\n"
        + f"type = \"folder\"\npath = '{drop}'\n"
    )
    config.write_text(text)
    run_cli(home, "import", str(imported["fossum-d"].root))
    before = {p["addresses"][0] for p in json.loads(run_cli(home, "people", "--json").out)}
    assert {"dfossum@enron.com", "drew_fossum@enron.com"} <= before
    run_cli(home, "me", "add", "dfossum@enron.com")
    run_cli(home, "me", "add", "Drew_Fossum@enron.com")
    after = config.read_text()
    changed = [(a, b) for a, b in zip(text.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith("me = ")
    assert '"dfossum@enron.com"' in changed[0][1] and '"drew_fossum@enron.com"' in changed[0][1]
    assert json.loads(run_cli(home, "me", "--json").out) == [
        "drew.fossum@enron.com",
        "dfossum@enron.com",
        "drew_fossum@enron.com",
    ]
    # Self in every answer: no person, never due, no suggestion, no merge.
    for args in (("people", "--all"), ("due",), ("me", "suggest"), ("merges",)):
        out = run_cli(home, *args, "--json").out
        assert "dfossum@enron.com" not in out and "drew_fossum@enron.com" not in out, args
    alias = run_cli(home, "person", "dfossum@enron.com", check=False)
    assert alias.code == 1
    run_cli(home, "me", "remove", "dfossum@enron.com")
    assert "dfossum@enron.com" in run_cli(home, "people", "--json").out


def test_merges_are_proposed_accepted_and_refused_for_good(
    imported: dict[str, Mailbox],
) -> None:
    fossum = imported["fossum-d"]
    proposed = {tuple(s["addresses"]): s for s in fossum.json("merges")}
    britt = proposed[("britt.davis@enron.com", "britt_davis@enron.com")]
    assert britt["evidence"]
    fossum("merges", "accept", britt["id"])
    person = fossum.json("person", "britt.davis@enron.com")
    assert person["addresses"] == ["britt.davis@enron.com", "britt_davis@enron.com"]
    people = fossum.json("people")
    assert [p for p in people if "britt_davis@enron.com" in p["addresses"]] == [
        p for p in people if "britt.davis@enron.com" in p["addresses"]
    ]
    assert ("britt.davis@enron.com", "britt_davis@enron.com") not in {
        tuple(s["addresses"]) for s in fossum.json("merges")
    }

    other = next(s for pair, s in sorted(proposed.items()) if "britt" not in pair[0])
    fossum("merges", "reject", other["id"])
    assert other["id"] not in {s["id"] for s in fossum.json("merges")}
    fossum("rebuild")
    assert other["id"] not in {s["id"] for s in fossum.json("merges")}
    unknown = fossum("merges", "accept", "ffffffff", check=False)
    assert unknown.code == 1 and "Traceback" not in unknown.err
