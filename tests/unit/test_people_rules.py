"""The rules that keep non-people out: automated senders, addresses no one can have,
junk and trash folders, names from X- headers, copies an export shifted by hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from kithkeep.connectors import xnames
from kithkeep.connectors.copies import ShiftedCopies, rewrapped
from kithkeep.connectors.folders import folder_kind, left_out
from kithkeep.connectors.mail import Skip, addresses, parse_message
from kithkeep.connectors.xnames import match_names, named, with_x_names, x_names
from kithkeep.domain.interaction import Kind, Observation, Party, Role
from kithkeep.domain.people import merge_id, same_name_forms, spells
from kithkeep.domain.rules import Policy, judge, normalize_address
from kithkeep.domain.senders import address_problem, automated_reason

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ME = Policy.of(["me@example.com"])


def test_automated_senders_by_role_domain_and_marketing() -> None:
    automated = {
        "newsletter@rigzone.com": "role account: newsletter",
        "issuealert@scientech.com": "role account: alert",
        "enron.announcements@enron.com": "role account: announcements",
        "no.address@enron.com": "role account: no.address",
        "info@pmaconference.com": "role account: info",
        "webmaster@cera.com": "role account: webmaster",
        "notifications@github.com": "role account: notifications",
        "python-list-request@python.org": "role account: -request",
        "augie-alumnews@listserv.augie.edu": "role account: news",
        "anything@listserv.example.edu": "list or bulk domain: listserv.",
        "x@lists.example.org": "list or bulk domain: lists.",
        "store@enews.buy.com": "list or bulk domain: enews.",
        "hello@e.shop.example": "list or bulk domain: e.",
        "hello@em.shop.example": "list or bulk domain: em.",
        "corpgen@mail.abanet.org": "list or bulk domain: mail.",
        "deals@bestfares.com": "marketing: deals",
        "hotdeals@specials.funjet.com": "marketing: deals",
        "promo@e-virtualcities.com": "marketing: promo",
    }
    for address, reason in automated.items():
        assert automated_reason(address) == reason, address
    people = (
        "drew.fossum@enron.com",
        "c..giron@enron.com",
        "thenninger@mail.law.utexas.edu",  # a university's people, not a sending subdomain
        "john.sales@example.com",
        "newsome@example.com",
        "martha.benner@enron.com",
        "ann@x.example",
    )
    assert [a for a in people if automated_reason(a)] == []


def test_self_writing_once_overrides_the_rules_in_the_view() -> None:
    # The view asks the rules only of addresses self never wrote to (stats.last_out).
    from kithkeep.domain.senders import person_automated_reason as reason

    assert reason(["info@small.example"], wrote=False) == "role account: info"
    assert reason(["info@small.example"], wrote=True) == ""
    # A person with one real address is a person.
    assert reason(["ann@small.example", "info@small.example"], wrote=False) == ""


def test_automated_senders_by_the_habits_of_real_mail() -> None:
    """Habits read in the Enron mailboxes (people.md's audit), as shapes any mail has."""
    automated = {
        # Distribution lists, however self's mail system spells them.
        "all.houston@enron.com": "distribution list: all",
        "dl-ga-all_enron_worldwide1@enron.com": "distribution list: dl",
        "enron.everyone_et&s_houston@enron.com": "distribution list: everyone",
        "omaha.employees@enron.com": "distribution list: employees",
        "undisclosed-recipients@example.com": "distribution list: undisclosed",
        "enron.list@enron.com": "distribution list: list",
        # Role accounts: services, counters, offices, feeds.
        "games-register@yahoo-inc.com": "role account: register",
        "service@etrade.com": "role account: service",
        "storesupport@zing.com": "role account: support",
        "ecenter@energynewslive.com": "role account: center",
        "payroll.enron@enron.com": "role account: payroll",
        "enerfaxdaily@enerfax.com": "role account: daily",
        "energyreleases@excite.com": "role account: releases",
        "front.desk@enron.com": "role account: desk",
        "outlook.team@enron.com": "role account: team",
        "body.shop@enron.com": "role account: shop",
        # A mailing's tracking number, a VERP address, a web site writing as itself.
        "travelsmith.240255380@s2u2.com": "bulk mailing: tracking-number",
        "r-8-724539-3371579-2-1232-us2-79556634@xmr3.com": "bulk mailing: tracking-number",
        "r-a-b-c-d@bounces.example": "bulk mailing: verp",
        "thestreet.com46@offers2.mail-thestreet.com": "web site: com",
        "buy.com@enews.buy.com": "web site: com",
        # A numbered sending label, a bulk-mail provider, an organisation as itself.
        "thestreet32@offers2.mail-thestreet.com": "list or bulk domain: offers.",
        "talbots@clickaction.net": "bulk mail provider: clickaction.net",
        "hello@bounce.sendgrid.net": "bulk mail provider: sendgrid.net",
        "chairman.enron@enron.com": "organisation account: enron",
        "gasmart@gasmart.com": "organisation account: gasmart",
    }
    assert {a: automated_reason(a) for a in automated} == automated
    people = (
        "rob.walls.enronxgate@enron.com",  # a person at EnronXgate
        "jennifer-nyc_williams@nyc.bm.com",  # a person in an office's subdomain
        "born2shop113@aol.com",  # a screen name, not a shop
        "jhess75671@aol.com",
        "a060279@allstate.com",
        "lance.schuler-legal@enron.com",
        "hollyw@email.msn.com",  # MSN's own mail: people's
        "crogers@mail.smu.edu",  # a university's mail host
        "kim.mayers@mail.sprint.com",  # a person's shape at a company's mail host
        "alexandra_wrage@mail.northgrum.com",
        "john.ford@example.com",
    )
    assert {a: automated_reason(a) for a in people if automated_reason(a)} == {}


def test_writing_to_an_address_overrides_every_rule_even_a_lists() -> None:
    from kithkeep.domain.senders import person_automated_reason as reason

    everyone = "enron.everyone_et&s_houston@enron.com"
    assert reason([everyone], wrote=False) == "distribution list: everyone"
    assert reason([everyone], wrote=True) == ""  # self wrote to it (issue #21)
    assert reason(["r-8-7245-3371-2-1232@xmr3.com"], wrote=False) == "bulk mailing: verp"
    assert reason(["outlook.team@enron.com"], wrote=True) == ""


def test_addresses_no_one_can_have() -> None:
    bad = {
        "local part begins or ends with a dot or quote": (
            "'morgan@enron.com",
            ".williams@enron.com",
            "williams.@enron.com",
        ),
        "empty local part": ("@enron.com",),
        "control characters in an address": ("a\x00b@x.com", "a\tb@x.com"),
        "calendar group or resource": (
            "j68lhv614hbv3u4ttbrs6glhpg@group.calendar.google.com",
            "c_1888@resource.calendar.google.com",
        ),
        "Exchange X.500 address": (
            "imceaex-_o=enron_ou=na_cn=recipients_cn=ldonoho@enron.com",
            "imceanotes-+22driver+2c+20walt+22+20+3cwdriver+40kslaw+2ecom+3e+40enron@enron.com",
        ),
        # `To: <joe".'"brenner@enron.com>`: '"Brenner, Joe" <JBrenner@Wilmer.COM>' torn apart.
        "a quote inside an address": ('joe".\'"brenner@enron.com',),
    }
    for reason, shapes in bad.items():
        for address in shapes:
            assert address_problem(address) == reason, address
            assert normalize_address(address) == ""
    assert normalize_address("'ada@example.com'") == "ada@example.com"  # quoted whole
    rejected: list[str] = []
    found = addresses("ann@x.com, 'morgan@enron.com, .williams@enron.com", rejected)
    assert found == [("", "ann@x.com")] and len(rejected) == 2


@given(st.text(max_size=40))
def test_an_address_with_a_control_character_is_never_anyones(local: str) -> None:
    address = f"a{local}\x07@x.com"
    assert address_problem(address) != ""


def test_junk_and_trash_folders_in_any_spelling() -> None:
    for name in ("Junk", "Junk E-mail", "junk_file", "Spam", ".Junk", ".INBOX.Spam", "Bulk Mail"):
        assert folder_kind(name) == "junk", name
    for name in ("Trash", "Deleted Items", "deleted_items", ".Trash", "Deleted Messages"):
        assert folder_kind(name) == "trash", name
    for name in ("Sent", "Sent Items", "_sent_mail", "sent_items", "[Gmail].Sent Mail"):
        assert folder_kind(name) == "sent", name
    assert folder_kind("inbox") == folder_kind("junkyard") == ""
    assert left_out("inbox/junk_file/12") == "junk"
    assert left_out("[Gmail]/Spam/cur/1:2,S") == "junk"
    assert left_out("Mail/Spam.mbox") == "junk"
    assert left_out("Takeout/Mail/Trash.mbox", whole=True) == "trash"
    assert left_out("inbox/12") == ""
    assert left_out("inbox/junk_file/12", frozenset({"Junk_File"})) == ""
    assert left_out("sent_items/3", kind="sent") == "sent"


def test_names_from_x_headers() -> None:
    assert x_names("Harris, Stephanie J </O=ENRON/OU=NA/CN=RECIPIENTS/CN=SHARRIS2>") == [
        "Stephanie J Harris"
    ]
    assert x_names("Frank Bayouth@Enron, Robert Jones") == ["Frank Bayouth", "Robert Jones"]
    assert x_names("Donoho, Lindy </O=ENRON/OU=NA/CN=RECIPIENTS/CN=LDONOHO>, Carole Frank") == [
        "Lindy Donoho",
        "Carole Frank",
    ]
    found = match_names(
        ["robert.jones@enron.com", "c..giron@enron.com", "sharris@enron.com", "x@y.com"],
        ["Robert Jones", "Darron C Giron", "Stephanie Harris"],
    )
    assert found == {
        "robert.jones@enron.com": "Robert Jones",
        "c..giron@enron.com": "Darron C Giron",
        "sharris@enron.com": "Stephanie Harris",
    }
    assert named('"clare santana" <clare.santana@gte.net> @ ENRON') == {
        "clare.santana@gte.net": "clare santana"
    }


@given(st.text(max_size=200))
def test_x_names_never_fail_and_give_no_address(value: str) -> None:
    for name in x_names(value):
        assert "@" not in name and name == name.strip()


def _raw(date: str, to: str = "ann@x.com", mid: str = "", body: str = "hi\n") -> bytes:
    return (
        f"From: drew.fossum@enron.com\nTo: {to}\nSubject: Re: plans\nDate: {date}\n"
        f"Message-ID: <{mid or date}@x>\nX-From: Drew Fossum\nX-To: Ann Example\n\n{body}"
    ).encode()


def test_a_message_takes_names_from_x_from_and_x_to() -> None:
    o = parse_message(_raw("Mon, 14 May 2001 16:39:00 -0700"), origin="f", file_time=NOW, now=NOW)
    assert isinstance(o, Observation)
    assert o.sender is not None and o.sender.name == "Drew Fossum"
    assert o.parties[0].name == "Ann Example"


def test_copies_shifted_by_whole_hours_are_one() -> None:
    def read(shifted: ShiftedCopies, date: str, **kw: str) -> object:
        raw = _raw(date, **kw)
        return parse_message(
            raw, origin="f", file_time=NOW, now=NOW, shifted=shifted, size=len(raw)
        )

    shifted = ShiftedCopies()
    assert isinstance(read(shifted, "Wed, 4 Apr 2001 02:33:00 -0700"), Observation)
    assert read(shifted, "Wed, 4 Apr 2001 12:33:00 -0700") == Skip("time-zone copy")
    assert isinstance(read(shifted, "Wed, 4 Apr 2001 12:34:00 -0700"), Observation)  # minutes
    assert isinstance(read(shifted, "Thu, 5 Apr 2001 02:33:00 -0700"), Observation)  # 24 h
    assert isinstance(read(shifted, "Wed, 4 Apr 2001 02:33:00 -0700", to="bo@x.com"), Observation)
    # Different Message-IDs and bodies far apart in length: two messages.
    other = ShiftedCopies()
    read(other, "Wed, 4 Apr 2001 02:33:00 -0700", mid="a", body="x" * 2000)
    second = read(other, "Wed, 4 Apr 2001 05:33:00 -0700", mid="b", body="short\n")
    assert isinstance(second, Observation)
    assert rewrapped(1778, 1664) and not rewrapped(2000, 6)


def test_broadcasts_are_no_contact_but_not_noise() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    bcc = Observation(
        Kind.EMAIL, "k", t, Party("a@x.com"), (Party("me@example.com", role=Role.BCC),)
    )
    nobody = Observation(Kind.EMAIL, "k", t, Party("a@x.com"), ())
    listed = Observation(Kind.EMAIL, "k", t, Party("a@x.com"), (Party("all@x.com"),))
    direct = Observation(Kind.EMAIL, "k", t, Party("a@x.com"), (Party("me@example.com"),))
    for o in (bcc, nobody, listed):
        j = judge(o, ME)
        assert j.contacts == () and j.noise == ()
    assert judge(direct, ME).contacts == ("a@x.com",)
    unknown = direct._replace(date_source="file", signals=("date-unknown",))
    assert judge(unknown, ME).noise == ("date-unknown",)


def test_name_forms_for_self_and_merges() -> None:
    assert spells("c..giron", ("darron", "c", "giron"))
    assert spells("dfossum", ("drew", "fossum")) and spells("drew_fossum", ("drew", "fossum"))
    assert not spells("kristi.giron", ("darron", "c", "giron"))
    assert same_name_forms("britt.davis@enron.com", "britt_davis@enron.com")
    assert same_name_forms("bdavis@enron.com", "britt.davis@enron.com")
    assert not same_name_forms("britt.davis@enron.com", "britt.davis@other.com")
    assert merge_id("a@x", "b@x") == merge_id("b@x", "a@x") != merge_id("a@x", "c@x")


# The X- values as the Enron archive writes them, and strangers' values: remembered
# (short) and read afresh (long) alike, and `named` as its earlier, unanchored pattern.
_X_PIECES = st.sampled_from(
    [
        "Harris, Stephanie J </O=ENRON/OU=NA/CN=RECIPIENTS/CN=SHARRIS>",
        "Frank Bayouth@Enron",
        '"clare santana" <c@gte.net>',
        "Robert Jones",
        "ted.bland@enron.com",
        " <",
        "> ",
        ", ",
        "@",
        "'",
        "x" * 300,
    ]
)
_X_VALUES = st.lists(st.one_of(_X_PIECES, st.text(max_size=20)), max_size=40).map("".join)
_NAMED_BEFORE = re.compile(r"([^,<>]*)<\s*([^<>@\s,]+@[^<>\s,]+)\s*>")


@given(_X_VALUES)
def test_x_names_and_named_are_the_same_remembered_or_not(value: str) -> None:
    assert x_names(value) == list(xnames._read_x_names(value)) == x_names(value)
    assert named(value) == (dict(xnames._read_named(value)) if "@" in value else {})
    assert xnames._NAMED.findall(value) == _NAMED_BEFORE.findall(value)


@given(_X_VALUES, _X_VALUES)
def test_names_from_x_headers_are_the_same_remembered_or_not(to: str, cc: str) -> None:
    parties = [Party(a, "", Role.TO) for a in ("stephanie.harris@enron.com", "rjones@enron.com")]
    parties.append(Party("c@gte.net", "", Role.CC))

    def named_parties() -> tuple[Party | None, list[Party]]:
        return with_x_names([to], [to], [cc], Party("sharris@enron.com"), parties)

    named_parties()
    remembered = named_parties()
    xnames._x_names_remembered.cache_clear()
    xnames._named_remembered.cache_clear()
    assert named_parties() == remembered
