"""Strength, tiers, states, what is at stake, replies owed and fading, on built histories.

Histories are stored and projected as an import would (every test on both back ends:
`store_url`), and asked about through the read side, now and `as_of`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kithkeep.domain import strength as rules
from kithkeep.domain.interaction import Kind, Observation, Party, Response, Role
from kithkeep.projections import queries
from kithkeep.services.config.settings import Paths, load, write_config
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases.relationships import reconnect, replies_owed
from kithkeep.services.usecases.views import read_views
from tests.pg import use_store

ME = "me@example.com"
T0 = datetime(2022, 1, 3, 9, tzinfo=UTC)
DAY = timedelta(days=1)


def mail(
    key: str, when: datetime, sender: str, to: Iterable[str], subject: str = "", thread: str = ""
) -> Observation:
    return Observation(
        Kind.EMAIL, key, when, Party(sender), tuple(Party(a) for a in to),
        subject or key, thread or key,
    )  # fmt: skip


def meeting(key: str, when: datetime, *guests: str) -> Observation:
    people = (ME, *guests)
    return Observation(
        Kind.MEETING, key, when, Party(ME),
        tuple(Party(a, role=Role.ATTENDEE, response=Response.ACCEPTED) for a in people),
        key,
    )  # fmt: skip


def exchange(
    who: str, start: datetime, times: int, every: timedelta, tag: str = ""
) -> list[Observation]:
    """A two-way exchange: self writes, they answer the next day, `times` times."""
    out = []
    for i in range(times):
        at, t = start + every * i, f"{who}-{tag}t{i}"
        out.append(mail(f"{who}-{tag}o{i}", at, ME, [who], f"topic {tag}{i}", t))
        out.append(mail(f"{who}-{tag}i{i}", at + DAY, who, [ME], f"Re: topic {tag}{i}", t))
    return out


class World:
    def __init__(self, home: Path, store_url: str) -> None:
        write_config(Paths(home), [ME], force=True)
        use_store(home, store_url)
        self.settings = load(home)
        self.n = 0

    def add(self, facts: list[Observation], now: datetime) -> None:
        with open_runtime(self.settings) as rt:
            self.n += 1
            rt.store.save_page(f"src{self.n}", facts, None)
            rt.project(now)

    def project(self, now: datetime) -> None:
        with open_runtime(self.settings) as rt:
            rt.project(now)

    def people(self, at: datetime, *, as_of: bool = False, **kw: Any) -> dict[str, Any]:
        c = read_views(self.settings)
        try:
            t = int(at.timestamp())
            found = queries.people(c, now=t, default_cadence=180, as_of=t if as_of else None, **kw)
            return {p.key: p for p in (queries.due(found) if kw.get("only_due") else found)}
        finally:
            c.close()


def test_a_steady_colleague_a_little_late_outranks_an_acquaintance_long_silent(
    tmp_path: Path, store_url: str
) -> None:
    w = World(tmp_path, store_url)
    colleague = exchange("col@x.com", T0, 104, timedelta(days=7))  # two years, weekly
    end = T0 + timedelta(days=7 * 103) + DAY
    acquaintance = exchange("acq@x.com", end - timedelta(days=730), 3, timedelta(days=20))
    now = end + timedelta(days=21)
    w.add(colleague + acquaintance, now)
    everyone = w.people(now)
    col, acq = everyone["col@x.com"], everyone["acq@x.com"]
    assert col.tier == rules.CLOSE and col.state == rules.DUE
    assert acq.tier == rules.ACQUAINTANCE and acq.state in (rules.DUE, rules.DORMANT)
    assert col.strength > 3 * max(1, acq.strength)
    due = list(w.people(now, only_due=True))
    assert due[0] == "col@x.com"
    assert "acq@x.com" not in due[:1]
    # What is at stake, whatever the state: the colleague two weeks late outranks the
    # acquaintance a year late.
    t = int(now.timestamp())
    assert col.bond is not None and acq.bond is not None
    stake_col = rules.at_stake(col.bond, t, col.cadence_days)
    stake_acq = rules.at_stake(acq.bond, t + 365 * 86400, 180)
    assert stake_col > stake_acq
    # Dormant relationships that mattered are offered to reconnect, not due.
    later = now + timedelta(days=800)
    c = read_views(w.settings)
    try:
        dormant = reconnect(c, w.settings.policy(), int(later.timestamp()), None)
    finally:
        c.close()
    assert [p.key for p, _ in dormant][:1] == ["col@x.com"]
    assert not w.people(later, only_due=True)


def test_a_sender_self_never_writes_to_is_one_way_and_never_due(
    tmp_path: Path, store_url: str
) -> None:
    w = World(tmp_path, store_url)
    letters = [mail(f"n{i}", T0 + DAY * 7 * i, "kim@shop.example", [ME]) for i in range(30)]
    unanswered = [mail(f"u{i}", T0 + DAY * 30 * i, ME, ["cold@x.com"]) for i in range(6)]
    now = T0 + timedelta(days=400)
    w.add(letters + unanswered, now)
    everyone = w.people(now)
    for key in ("kim@shop.example", "cold@x.com"):
        assert everyone[key].tier == rules.ONE_WAY
        assert everyone[key].state == rules.ONE_WAY
    assert w.people(now, only_due=True) == {}
    assert w.people(now, as_of=True, only_due=True) == {}
    # Unless self sets a cadence for them.
    from kithkeep.services.usecases.directives import set_cadence

    set_cadence(w.settings, "cold@x.com", 30)
    w.project(now)
    assert list(w.people(now, only_due=True)) == ["cold@x.com"]


def test_a_burst_then_silence_decays_faster_than_the_same_mail_over_two_years(
    tmp_path: Path, store_url: str
) -> None:
    w = World(tmp_path, store_url)
    end = T0 + timedelta(days=730)
    burst = exchange("burst@x.com", end - timedelta(days=5), 5, DAY)  # 10 mails in a week
    steady = exchange("steady@x.com", T0, 5, timedelta(days=182))  # 10 over two years
    w.add(burst + steady, end + DAY)
    at = {d: w.people(end + DAY + timedelta(days=d), as_of=True) for d in (0, 90, 180)}
    kept = {k: at[90][k].strength / at[0][k].strength for k in ("burst@x.com", "steady@x.com")}
    assert kept["burst@x.com"] < kept["steady@x.com"]
    assert at[180]["steady@x.com"].strength > at[180]["burst@x.com"].strength


def test_owed_lists_an_unanswered_mail_until_answered_by_mail_or_by_a_meeting(
    tmp_path: Path, store_url: str
) -> None:
    w = World(tmp_path, store_url)
    history = exchange("bob@x.com", T0, 4, timedelta(days=10)) + exchange(
        "cat@x.com", T0, 4, timedelta(days=10)
    )
    ask = T0 + timedelta(days=100)
    asks = [
        mail("q-bob", ask, "bob@x.com", [ME], "Contract?", "t-bob"),
        mail("q-cat", ask + timedelta(hours=1), "cat@x.com", [ME], "Lunch?", "t-cat"),
        mail("q-all", ask, "dan@x.com", [ME, *(f"p{i}@x.com" for i in range(5))], "FYI"),
    ]
    w.add(history + asks, ask + 4 * DAY)
    policy = w.settings.policy()

    def owed(at: datetime) -> list[str]:
        c = read_views(w.settings)
        try:
            return [o.sender for o in replies_owed(c, policy, int(at.timestamp()))]
        finally:
            c.close()

    assert owed(ask + DAY) == []  # not yet three days
    assert owed(ask + 4 * DAY) == ["cat@x.com", "bob@x.com"]  # newest first; not the FYI
    answer = mail("a-bob", ask + 5 * DAY, ME, ["bob@x.com"], "RE: Contract?", "t-bob")
    met = meeting("m-cat", ask + 5 * DAY, "cat@x.com")
    w.add([answer, met], ask + 6 * DAY)
    assert owed(ask + 6 * DAY) == []
    assert owed(ask + 4 * DAY) == ["cat@x.com", "bob@x.com"]  # as it stood then


def test_fading_fires_when_a_close_relationship_goes_quiet_and_clears_when_it_resumes(
    tmp_path: Path, store_url: str
) -> None:
    w = World(tmp_path, store_url)
    weekly = exchange("col@x.com", T0, 60, timedelta(days=7))
    steady = exchange("old@x.com", T0, 20, timedelta(days=30))
    end = T0 + timedelta(days=7 * 59) + DAY
    quiet = end + timedelta(days=90)
    w.add(weekly + steady, quiet)
    now = w.people(quiet)
    assert now["col@x.com"].fading is True
    assert w.people(quiet, as_of=True)["col@x.com"].fading is True
    assert now["old@x.com"].fading is False  # its rhythm is monthly: not yet
    assert w.people(end, as_of=True)["col@x.com"].fading is False
    resumed = end + timedelta(days=100)
    again = exchange("col@x.com", resumed, 3, timedelta(days=3), tag="again")
    w.add(again, resumed + timedelta(days=8))
    assert w.people(resumed + timedelta(days=8))["col@x.com"].fading is False
    assert w.people(resumed + timedelta(days=8), as_of=True)["col@x.com"].fading is False
