"""The projector: reads the notification log in pages and feeds a view.

The library's per-event runner commits once per event and cannot follow a SQLite
application; reading `select_notifications` a page at a time and committing each
page with its tracking position is both fast and crash-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Recording, Tracking

from kithkeep.domain.aggregates import Interaction
from kithkeep.domain.rules import Policy
from kithkeep.projections.people import PeopleProjection, ViewMovedError

PAGE = 1000


@dataclass(frozen=True, slots=True)
class Caught:
    events: int
    rebuilt: bool


class Projector:
    def __init__(
        self,
        application_name: str,
        recorder: ApplicationRecorder,
        mapper: Mapper[UUID],
        view: PeopleProjection,
        page: int = PAGE,
    ) -> None:
        self.application_name = application_name
        self.recorder = recorder
        self.mapper = mapper
        self.view = view
        self.page = page

    def position(self) -> int:
        found: int | None = self.view.max_tracking_id(self.application_name)  # type: ignore[attr-defined]
        return found or 0

    def catch_up(
        self, policy: Policy, now: int, progress: Callable[[int, int], None] | None = None
    ) -> Caught:
        """Project every event not yet in the view, then settle time-dependent rows."""
        rebuilt = self.view.ensure_built_for(policy, self.application_name)
        start = self.position()
        end = self.recorder.max_notification_id() or 0
        done = 0
        while True:
            notifications = self.recorder.select_notifications(
                start=start, limit=self.page, inclusive_of_start=False
            )
            if not notifications:
                break
            events = self._resolved([(n.id, self.mapper.to_domain_event(n)) for n in notifications])
            try:
                self.view.apply_page(
                    events, Tracking(self.application_name, notifications[-1].id), policy, now
                )
            except ViewMovedError:
                # Another projector (a shared store) took these first: go on from there.
                start = self.position()
                continue
            start = notifications[-1].id
            done += len(notifications)
            if progress is not None:
                progress(start, end)
        self.view.settle(now)
        return Caught(done, rebuilt)

    def take(self, recordings: Sequence[Recording[UUID]], policy: Policy, now: int) -> bool:
        """Project a page just saved, from memory, if it directly follows the view's position.

        The events are the ones the store just wrote, with their notification ids; the
        tracking position keeps this exactly-once. Anything out of step is left to
        `catch_up`, which reads the log. True if the page was taken.
        """
        if not recordings:
            return True
        ids = [r.notification.id for r in recordings]
        if ids[-1] - ids[0] != len(ids) - 1 or self.position() != ids[0] - 1:
            return False
        events = self._resolved([(r.notification.id, r.domain_event) for r in recordings])
        try:
            self.view.apply_page(events, Tracking(self.application_name, ids[-1]), policy, now)
        except ViewMovedError:
            return False
        return True

    def _resolved(self, events: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
        """A restored interaction is projected again as it stood then; a revised one is
        taken out and projected again with its new fields."""
        out: list[tuple[int, Any]] = []
        for notification_id, e in events:
            if isinstance(e, Interaction.Restored):
                out.append((notification_id, self._as_of(e.originator_id, e.originator_version)))
            elif isinstance(e, Interaction.Revised):
                out.append((notification_id, e))  # withdraws the rows as they were
                out.append((notification_id, self._as_of(e.originator_id, e.originator_version)))
            else:
                out.append((notification_id, e))
        return out

    def _as_of(self, originator_id: UUID, version: int) -> Any:
        """The `Observed` event, with every revision up to `version` folded in."""
        stored = self.recorder.select_events(originator_id, lte=version)
        first: Any = self.mapper.to_domain_event(stored[0])
        fields: dict[str, Any] = {}
        for item in stored[1:]:
            later = self.mapper.to_domain_event(item)
            if isinstance(later, Interaction.Revised):
                fields.update(
                    {k: v for k, v in later.__dict__.items() if k in first.__dict__}
                    | {"originator_version": 1, "timestamp": first.timestamp}
                )
        if not fields:
            return first
        state = {**first.__dict__, **fields}
        return type(first)(**state)

    def rebuild(self, policy: Policy, now: int) -> Caught:
        self.view.reset(self.application_name, "")
        return self.catch_up(policy, now)
