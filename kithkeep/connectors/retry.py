"""The one retry helper every provider connector uses, and a pacer that keeps to a quota.

A provider says "not now" in its own words (429, 503, `rateLimitExceeded`, a dropped
connection); each connector turns those into `Transient`, with the `Retry-After` the
server gave if any. `retrying` then waits at least that long — else an exponential
backoff with jitter — and gives up after a bounded number of tries with the last
error, which the caller reports in one line.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from kithkeep.domain.errors import ConnectorError

T = TypeVar("T")

#: Tries of one request before its error is the sync's error.
ATTEMPTS = 8
#: The longest single wait, whatever a server asks for.
MAX_WAIT_SECONDS = 300.0


class Transient(ConnectorError):
    """A failure worth retrying; `retry_after` is the server's word on when, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A `Retry-After` header as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _Wait:
    """At least what the server asked for; otherwise exponential backoff with jitter."""

    def __init__(self, initial: float, cap: float) -> None:
        self._backoff = wait_exponential_jitter(multiplier=initial, max=cap, jitter=initial)
        self._cap = cap

    def __call__(self, state: RetryCallState) -> float:
        backoff: float = self._backoff(state)
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, Transient) and error.retry_after is not None:
            # The server's word, and a little jitter so retries of many workers spread out.
            return min(error.retry_after + random.uniform(0, 0.1), MAX_WAIT_SECONDS)
        return min(backoff, self._cap)


def retrying(
    call: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    initial: float = 0.5,
    cap: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[Transient, float], None] | None = None,
) -> T:
    """`call()`, tried again on `Transient` failures; other errors pass straight through."""

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None and state.next_action is not None:
            error = state.outcome.exception()
            if isinstance(error, Transient):
                on_retry(error, state.next_action.sleep)

    retryer = Retrying(
        retry=retry_if_exception_type(Transient),
        stop=stop_after_attempt(attempts),
        wait=_Wait(initial, cap),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retryer(call)


class Pacer:
    """A token bucket: `take(units)` waits until the quota allows that many more units.

    `rate` units a second with room for `burst` at once. A server's `Retry-After`
    can `pause` it, so every request after a 429 waits too, not just the one retried.
    Thread-safe: parallel requests share one budget.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._tokens = min(self._tokens, 0.0)

    def take(self, units: float = 1.0) -> None:
        units = min(units, self.burst)  # a request larger than the bucket waits for a full one
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                wait = self._paused_until - now
                if wait <= 0:
                    if self._tokens >= units - 1e-9:  # float dust must not spin
                        self._tokens -= units
                        return
                    wait = (units - self._tokens) / self.rate
            self._sleep(wait)
