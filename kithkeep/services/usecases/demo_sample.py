"""The sample network built in memory from its roster, with one seeded generator.

`Sample` takes the roster (`kithkeep/data/demo_network.json`) and draws three years of
correspondence, team meetings and 1:1s, the roster's introductions and the automated
mail around them, always in the same order, so the same day draws the same sample.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from kithkeep.services.usecases.demo_files import Meeting, Message, Who

SEED = 20240229
WINDOW_DAYS = 3 * 365
# A thread may run into the next day; one started on the oldest day must stay in the window.
_OLDEST_DAY = WINDOW_DAYS - 3
# Fading relationships were frequent this many days ago and earlier, then tapered off.
_FREQUENT_UNTIL = 730
_TEAM_EVERY = 14
_ONE_ON_ONES = 30
# A decline among the last team meetings would make a colleague look overdue by accident.
_STEADY_DAYS = 60

_INTRO_SUBJECT = "Intro: {a} <> {b}"
_INTRO_BODY = (
    "Hi {a} and {b},\n\nIntroducing you two: I think you should meet.\n"
    "{a}, {b} works on something close to your project.\n\n{me}\n"
)


@dataclass(frozen=True, slots=True)
class SampleIntroduction:
    """An introduction in the sample, and what `kithkeep referrals` makes of it.

    `kind` is "made" or "received"; `message_id` is the introduction's, without brackets.
    `state` is its follow-up state on `today` whatever the day, or None where the
    ordinary correspondence with its people decides. `mark` is "dismiss" or "close" for
    the two that are there to be marked by hand; `opt_in` says self asked first.
    """

    kind: str
    message_id: str
    introducer: str
    parties: tuple[str, ...]
    state: str | None
    opt_in: bool = False
    mark: str | None = None


@dataclass(frozen=True, slots=True)
class _Person:
    who: Who
    also: tuple[str, ...]
    company: str
    pattern: str
    gap_days: int
    quiet_days: int | None
    since_days: int | None
    writes_first: str
    one_on_one: bool


def _who(d: dict[str, Any], address: str | None = None) -> Who:
    return Who(str(d["name"]), address or str(d["email"]), ZoneInfo(str(d.get("tz", "UTC"))))


def _person(d: dict[str, Any]) -> _Person:
    return _Person(
        who=_who(d),
        also=tuple(str(a) for a in d.get("also", ())),
        company=str(d["company"]),
        pattern=str(d["pattern"]),
        gap_days=int(d["gap_days"]),
        quiet_days=int(d["quiet_days"]) if "quiet_days" in d else None,
        since_days=int(d["since_days"]) if "since_days" in d else None,
        writes_first=str(d.get("writes_first", "either")),
        one_on_one=bool(d.get("one_on_one", False)),
    )


class Sample:
    """Builds the messages and meetings in memory, drawing from one seeded generator."""

    def __init__(self, raw: dict[str, Any], today: datetime) -> None:
        self.rng = random.Random(SEED)
        # Counting whole days from midnight keeps every past moment before `today`.
        self.anchor = datetime.combine(today.date(), time(), tzinfo=UTC)
        self.me = _who(raw["me"])
        self.company = str(raw["me"]["company"])
        self.people = [_person(p) for p in raw["people"]]
        self.phrases: dict[str, list[str]] = raw["phrases"]
        self.messages: list[Message] = []
        self.meetings: list[Meeting] = []
        self.introductions: list[SampleIntroduction] = []
        by_address = {p.who.address: p.who for p in self.people}
        for person in self.people:
            if person.pattern != "meetings":
                self._correspondence(person)
        self._team_meetings()
        self._one_on_one()
        self._specials(raw["meetings"], by_address)
        # After all the correspondence: its draws stay the same whatever is introduced.
        for i in raw["introductions"]:
            self._introduction(i, by_address)
        for i in raw["introduced_to_me"]:
            self._introduced(i, by_address)
        for noise in raw["noise"]:
            self._noise(noise)

    def at(self, days_ago: int, who: Who, lo: float = 8, hi: float = 18) -> datetime:
        """A moment between `lo` and `hi` o'clock, `who`'s time, `days_ago` days back."""
        day = self.anchor.date() - timedelta(days=days_ago)
        minutes = round(self.rng.uniform(lo, hi) * 60)
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=who.tz)
        return local.astimezone(UTC)

    def _days(self, p: _Person) -> list[int]:
        """The days (counted back from today) on which `p` and self had a conversation."""
        rng = self.rng
        d = p.quiet_days if p.quiet_days is not None else rng.randint(1, max(1, p.gap_days // 2))
        oldest = min(p.since_days or _OLDEST_DAY, _OLDEST_DAY)
        # Dormant people need their few notes evenly spread to learn a long cadence.
        jitter = 0.12 if p.pattern == "dormant" else 0.3
        days = []
        while d <= oldest:
            days.append(d)
            taper = 3.0 if p.pattern == "fading" and d < _FREQUENT_UNTIL else 1.0
            d += max(1, round(p.gap_days * taper * rng.uniform(1 - jitter, 1 + jitter)))
        return days

    def _correspondence(self, p: _Person) -> None:
        rng = self.rng
        ours = [x.who for x in self.people if x.company == self.company and x.pattern == "close"]
        theirs = [
            x.who
            for x in self.people
            if x.company == p.company
            and x is not p
            and x.pattern in ("close", "regular")
            # Copying someone in is contact with them: it must not end a planned silence.
            and x.quiet_days is None
        ]
        meet_odds = {"close": 0.05, "regular": 0.08, "new": 0.15, "fading": 0.05}
        for i, d in enumerate(self._days(p)):
            who, kind = p.who, "work"
            if p.also and i % 2:
                # Alternating keeps both addresses recent, as with a friend who has two.
                who, kind = Who(p.who.name, p.also[0], p.who.tz), "personal"
            elif p.pattern in ("dormant", "new"):
                kind = p.pattern
            elif p.pattern == "close" and rng.random() < 0.25:
                kind = "personal"
            mine = {"them": False, "me": True}.get(p.writes_first, rng.random() < 0.5)
            cc: tuple[Who, ...] = ()
            if mine and ours and p.company != self.company and rng.random() < 0.08:
                cc = (ours[0],)
            elif not mine and theirs and rng.random() < 0.1:
                cc = (rng.choice(theirs),)
            replies = 0 if p.pattern == "dormant" else rng.choice((0, 0, 1, 1, 2))
            subject = rng.choice(self.phrases[kind])
            when = self._thread(who, d, subject, mine=mine, replies=replies, cc=cc)
            meets = rng.random() < meet_odds.get(p.pattern, 0)
            if meets and (p.pattern != "fading" or d >= _FREQUENT_UNTIL):
                self._meet(when, p.who, kind)

    def _thread(
        self,
        who: Who,
        days_ago: int,
        subject: str,
        *,
        mine: bool,
        replies: int,
        cc: tuple[Who, ...],
    ) -> datetime:
        """One conversation started `days_ago`, with `replies` going back and forth."""
        rng = self.rng
        while True:
            speaker, other = (self.me, who) if mine else (who, self.me)
            times = [self.at(days_ago, speaker)]
            for _ in range(replies):
                if days_ago > 1 and times[-1].hour > 12 and rng.random() < 0.1:
                    times.append(self.at(days_ago - 1, other, 8, 11))
                else:
                    times.append(times[-1] + timedelta(minutes=rng.randint(12, 240)))
                speaker, other = other, speaker
            # Far time zones can push a thread past midnight into `today`, or put a
            # next-day reply before its question; then start earlier, or draw again.
            if times[-1] >= self.anchor:
                days_ago += 1
            elif all(a < b for a, b in pairwise(times)):
                break
        speaker, other = (self.me, who) if mine else (who, self.me)
        parents: tuple[str, ...] = ()
        for n, when in enumerate(times):
            body = self._body(other, speaker, reply=n > 0)
            self._mail(when, speaker, (other,), cc, ("Re: " if n else "") + subject, parents, body)
            parents = (*parents, self.messages[-1].message_id)
            speaker, other = other, speaker
        return times[0]

    def _body(self, to: Who, sender: Who, *, reply: bool) -> str:
        pick = self.rng.choice
        if reply:
            return f"{pick(self.phrases['replies'])}\n\n{sender.first}\n"
        opener, ask = pick(self.phrases["openers"]), pick(self.phrases["asks"])
        return f"Hi {to.first},\n\n{opener}\n{ask}\n\n{sender.first}\n"

    def _mail(
        self,
        when: datetime,
        sender: Who,
        to: tuple[Who, ...],
        cc: tuple[Who, ...],
        subject: str,
        parents: tuple[str, ...],
        body: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        domain = sender.address.rpartition("@")[2]
        message_id = f"{when:%Y%m%d%H%M%S}.{len(self.messages):05d}.demo@{domain}"
        message = Message(when, sender, to, cc, subject, message_id, parents, body, extra)
        self.messages.append(message)

    def _meet(self, near: datetime, who: Who, kind: str) -> None:
        """A meeting on the day of a conversation, so it adds no contact day of its own."""
        days_ago = (self.anchor.date() - near.date()).days
        if days_ago < 1:
            return
        rng = self.rng
        start = self.at(days_ago, self.me, 9, 16)
        start = start.replace(minute=start.minute - start.minute % 15)
        title = f"Coffee with {who.first}" if kind != "work" else f"{who.first} / {self.me.first}"
        yours = "DECLINED" if rng.random() < 0.04 else "ACCEPTED"
        theirs = "TENTATIVE" if rng.random() < 0.1 else "ACCEPTED"
        organizer = self.me if rng.random() < 0.6 else who
        attendees = ((self.me, yours), (who, theirs))
        self.meetings.append(Meeting(start, rng.choice((30, 45, 60)), title, organizer, attendees))

    def _team_meetings(self) -> None:
        rng = self.rng
        team = [p for p in self.people if p.pattern == "meetings"]
        organizer = next(p.who for p in team if p.one_on_one)
        # Every other Tuesday, counted back from well inside the window.
        oldest = _OLDEST_DAY - _OLDEST_DAY % _TEAM_EVERY - _TEAM_EVERY + self.anchor.weekday() - 1
        for d in range(oldest, 0, -_TEAM_EVERY):
            steady = d <= _STEADY_DAYS
            attendees = [
                (self.me, "DECLINED" if not steady and rng.random() < 0.04 else "ACCEPTED")
            ]
            for p in team:
                joined = p.since_days is None or p.since_days >= d
                if not joined or (p.quiet_days is not None and p.quiet_days > d):
                    continue
                roll = 1.0 if steady else rng.random()
                answer = "DECLINED" if roll < 0.08 else "TENTATIVE" if roll < 0.15 else "ACCEPTED"
                attendees.append((p.who, answer))
            start = datetime.combine(self.anchor.date() - timedelta(days=d), time(10), self.me.tz)
            self.meetings.append(
                Meeting(start.astimezone(UTC), 45, "Team sync", organizer, tuple(attendees))
            )

    def _one_on_one(self) -> None:
        manager = next(p.who for p in self.people if p.one_on_one)
        first_day = self.anchor.date() - timedelta(days=(_ONE_ON_ONES - 1) * 7 + 2)
        start = datetime.combine(first_day, time(15), self.me.tz).astimezone(UTC)
        both = ((self.me, "ACCEPTED"), (manager, "ACCEPTED"))
        summary = f"{self.me.first} / {manager.first} 1:1"
        self.meetings.append(
            Meeting(start, 30, summary, self.me, both, weekly=_ONE_ON_ONES, skip_week=10)
        )

    def _specials(self, raw: dict[str, Any], people: dict[str, Who]) -> None:
        gone, soon = raw["cancelled"], raw["upcoming"]
        who = people[gone["with"]]
        start = self.at(int(gone["days_ago"]), self.me, 12, 12)
        pair = ((self.me, "ACCEPTED"), (who, "ACCEPTED"))
        self.meetings.append(Meeting(start, 60, gone["summary"], self.me, pair, cancelled=True))
        who = people[soon["with"]]
        day = self.anchor.date() + timedelta(days=int(soon["in_days"]))
        start = datetime.combine(day, time(12, 30), self.me.tz).astimezone(UTC)
        pair = ((self.me, "ACCEPTED"), (who, "TENTATIVE"))
        self.meetings.append(Meeting(start, 60, soon["summary"], who, pair))

    def _introduction(self, raw: dict[str, Any], people: dict[str, Who]) -> None:
        """An introduction self makes, and what happened after: see the roster's `fields`.

        The two are at different companies and neither is copied on the other's mail, so
        only what is written here can connect them; `state` in the roster relies on that.
        """
        a, b, days = people[raw["a"]], people[raw["b"]], int(raw["days_ago"])
        names = {"a": a.first, "b": b.first, "me": self.me.first}
        asked = raw.get("asked_days_ago")
        if asked is not None:
            self._ask_first(a, b, int(asked))
        subject = str(raw.get("subject", _INTRO_SUBJECT)).format(**names)
        body = str(raw.get("body", _INTRO_BODY)).format(**names)
        self._mail(self.at(days, self.me, 9, 12), self.me, (a, b), (), subject, (), body)
        intro = self.messages[-1]
        parents, then = (intro.message_id,), str(raw.get("then", "nothing"))
        if then == "reply-all":
            body = (
                f"Thanks {self.me.first}!\n\n{a.first}, lovely to meet you."
                f" A call next week?\n\n{b.first}\n"
            )
            when = self.at(days - 1, b, 9, 17)
            self._mail(when, b, (a,), (self.me,), "Re: " + subject, parents, body)
        elif then == "thanks":
            body = f"Thanks {self.me.first}! I will write to {a.first} this week.\n\n{b.first}\n"
            when = self.at(days - 1, b, 9, 17)
            self._mail(when, b, (self.me,), (), "Re: " + subject, parents, body)
        elif then == "meeting":
            start = self.at(days - 12, self.me, 10, 15)
            start = start.replace(minute=start.minute - start.minute % 15)
            summary = f"Coffee with {a.first} and {b.first}"
            attendees = ((self.me, "ACCEPTED"), (a, "ACCEPTED"), (b, "ACCEPTED"))
            self.meetings.append(Meeting(start, 60, summary, a, attendees))
        elif then == "follow-up":
            body = (
                f"Hi {b.first},\n\nDid you and {a.first} find a time to talk?"
                f" Tell me if anything is stuck.\n\n{self.me.first}\n"
            )
            when = self.at(int(raw["follow_up_days_ago"]), self.me, 9, 17)
            self._mail(when, self.me, (b,), (), f"Did you and {a.first} talk?", (), body)
        elif then != "nothing":
            msg = f"introduction of {a.address} and {b.address}: unknown then {then!r}"
            raise ValueError(msg)
        state = raw.get("state")
        self.introductions.append(
            SampleIntroduction(
                "made",
                intro.message_id,
                self.me.address,
                (a.address, b.address),
                None if state is None else str(state),
                opt_in=asked is not None,
                mark=None if raw.get("mark") is None else str(raw["mark"]),
            )
        )

    def _ask_first(self, a: Who, b: Who, days_ago: int) -> None:
        """Self asks `a` alone whether they would like to meet `b`: a double opt-in."""
        subject = f"Intro to {b.first}?"
        body = (
            f"Hi {a.first},\n\nWould you like to meet {b.first}? {b.first} works on"
            f" something close to your project.\n\n{self.me.first}\n"
        )
        self._mail(self.at(days_ago, self.me, 9, 12), self.me, (a,), (), subject, (), body)
        parents = (self.messages[-1].message_id,)
        body = f"Yes please, that would be great.\n\n{a.first}\n"
        when = self.at(days_ago - 1, a, 9, 17)
        self._mail(when, a, (self.me,), (), "Re: " + subject, parents, body)

    def _introduced(self, raw: dict[str, Any], people: dict[str, Who]) -> None:
        """Someone introduces self to a person self never dealt with before."""
        by, new, days = people[raw["by"]], people[raw["new"]], int(raw["days_ago"])
        subject = f"Intro: {self.me.first} <> {new.first}"
        body = (
            f"Hi {self.me.first},\n\nLet me introduce you to {new.first}, who runs operations"
            f" with us and has questions you can answer.\n\n{by.first}\n"
        )
        self._mail(self.at(days, by, 9, 17), by, (self.me, new), (), subject, (), body)
        intro = self.messages[-1]
        then = str(raw.get("then", "nothing"))
        if then == "reply":
            body = (
                f"Thanks {by.first}!\n\n{new.first}, good to hear from you."
                f" Would Thursday work for a short call?\n\n{self.me.first}\n"
            )
            when = self.at(days - 1, self.me, 9, 17)
            parents = (intro.message_id,)
            self._mail(when, self.me, (new,), (by,), "Re: " + subject, parents, body)
        elif then != "nothing":
            msg = f"introduction by {by.address}: unknown then {then!r}"
            raise ValueError(msg)
        state = raw.get("state")
        self.introductions.append(
            SampleIntroduction(
                "received",
                intro.message_id,
                by.address,
                (self.me.address, new.address),
                None if state is None else str(state),
            )
        )

    def _noise(self, raw: dict[str, Any]) -> None:
        who = _who(raw)
        subjects = [str(s) for s in raw["subjects"]]
        host = who.address.rpartition("@")[2]
        extra = (
            (
                ("List-Id", str(raw["list_id"])),
                ("List-Unsubscribe", f"<mailto:unsubscribe@{host}>, <https://{host}/unsubscribe>"),
                ("Precedence", "bulk"),
            )
            if "list_id" in raw
            else (("Auto-Submitted", "auto-generated"),)
        )
        for d in range(_OLDEST_DAY, 0, -int(raw["gap_days"])):
            body = f"{self.rng.choice(subjects)}.\n\nFrom {who.name}: no need to reply.\n"
            subject = self.rng.choice(subjects)
            self._mail(self.at(d, who, 6, 7), who, (self.me,), (), subject, (), body, extra)
