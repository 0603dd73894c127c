"""What the Gmail and Calendar connectors share: calling googleapiclient politely.

One request or one batch at a time, paced to the user's quota, retried on Google's
"not now" answers (429, 403 rate limits, 5xx, a dropped connection) with the wait the
server asks for. A dead sign-in (google-auth's `RefreshError`) becomes one line telling
the user how to sign in again; no text from a token or a secret ever gets into it.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from kithkeep.connectors.base import Page
from kithkeep.connectors.remote_index import RemoteIndex
from kithkeep.connectors.retry import Pacer, Transient, retry_after_seconds, retrying
from kithkeep.domain.errors import ConnectorError

log = logging.getLogger(__name__)
T = TypeVar("T")

_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
#: Requests in one batch: Gmail advises at most 50.
BATCH_SIZE = 50


def reason_of(error: HttpError) -> str:
    try:
        body = json.loads(error.content.decode("utf-8", "replace"))
        return str(body["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""


def status_of(error: HttpError) -> int:
    return int(error.resp.status)


def is_transient(error: HttpError) -> bool:
    status = status_of(error)
    return status == 429 or status >= 500 or (status == 403 and reason_of(error) in _RATE_REASONS)


def transient(error: HttpError) -> Transient:
    wait = retry_after_seconds(error.resp.get("retry-after"))
    return Transient(f"Google answered {status_of(error)} {reason_of(error)}".strip(), wait)


_NETWORK = (OSError, httplib2.HttpLib2Error, http.client.HTTPException, TransportError)


@dataclass
class Caller:
    """Sends requests for one account: paced, retried, errors in one line."""

    what: str  # "gmail work": said in every error
    reauth: str  # the command that signs in again
    pacer: Pacer | None = None
    sleep: Callable[[float], None] = time.sleep
    attempts: int = 8
    batch_uri: str = ""
    retries: int = 0  # answers that were retried, for the log and tests

    def _on_retry(self, error: Transient, wait: float) -> None:
        self.retries += 1
        if self.pacer is not None and error.retry_after:
            self.pacer.pause(error.retry_after)
        log.debug("%s: %s; trying again in %.1fs", self.what, error, wait)

    def _signed_in(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except RefreshError:
            raise ConnectorError(
                f"{self.what}: the sign-in has expired or was revoked; run `{self.reauth}`"
            ) from None

    def one(self, request: Any, cost: float = 0) -> Any:
        """Execute one googleapiclient request."""

        def attempt() -> Any:
            if self.pacer is not None and cost:
                self.pacer.take(cost)
            try:
                return request.execute(num_retries=0)
            except HttpError as e:
                if is_transient(e):
                    raise transient(e) from None
                raise
            except _NETWORK as e:
                raise Transient(f"network: {type(e).__name__}") from None

        return self._signed_in(
            lambda: retrying(
                attempt, attempts=self.attempts, sleep=self.sleep, on_retry=self._on_retry
            )
        )

    def many(self, service: Any, requests: Sequence[Any], cost: float = 0) -> list[Any | HttpError]:
        """Execute requests in batches; each answer, or its lasting HttpError, in order.

        Only the parts that failed with a transient error are sent again.
        """
        answers: list[Any | HttpError] = [None] * len(requests)
        for start in range(0, len(requests), BATCH_SIZE):
            self._signed_in(
                lambda s=start: self._batch(  # type: ignore[misc]
                    service, requests, range(s, min(s + BATCH_SIZE, len(requests))), cost, answers
                )
            )
        return answers

    def _batch(
        self,
        service: Any,
        requests: Sequence[Any],
        todo: range,
        cost: float,
        answers: list[Any | HttpError],
    ) -> None:
        pending = list(todo)

        def attempt() -> None:
            nonlocal pending
            if self.pacer is not None and cost:
                for _ in pending:
                    self.pacer.take(cost)
            batch: BatchHttpRequest = (
                BatchHttpRequest(batch_uri=self.batch_uri)
                if self.batch_uri
                else service.new_batch_http_request()
            )
            failed: list[int] = []
            waits: list[float] = []

            def done(request_id: str, response: Any, error: Exception | None) -> None:
                i = int(request_id)
                if isinstance(error, HttpError) and is_transient(error):
                    failed.append(i)
                    t = transient(error)
                    if t.retry_after is not None:
                        waits.append(t.retry_after)
                    return
                answers[i] = error if error is not None else response

            for i in pending:
                batch.add(requests[i], callback=done, request_id=str(i))
            try:
                batch.execute()
            except HttpError as e:
                if is_transient(e):
                    raise transient(e) from None
                raise
            except _NETWORK as e:
                raise Transient(f"network: {type(e).__name__}") from None
            if failed:
                pending = sorted(failed)
                raise Transient(
                    f"{len(failed)} of a batch were refused for now", max(waits) if waits else None
                )

        retrying(attempt, attempts=self.attempts, sleep=self.sleep, on_retry=self._on_retry)


def http_error_line(what: str, error: HttpError) -> ConnectorError:
    """A lasting Google error as one line (status and reason, never the request URL)."""
    return ConnectorError(f"{what}: Google answered {status_of(error)} {reason_of(error)}".strip())


class ServiceSource:
    """What both Google sources share: an API resource built when first used, and let
    go of (with the account's index) when a run ends, however it ends."""

    _service_factory: Callable[[], Any]
    _service: Any = None
    index: RemoteIndex

    @property
    def service(self) -> Any:
        if self._service is None:
            self._service = self._service_factory()
        return self._service

    def pages(self, cursor: str | None) -> Iterator[Page]:
        try:
            yield from self._pages(cursor)
        finally:
            self.close()

    def close(self) -> None:
        """Let go of connections (a source may be used again: they reopen)."""
        if self._service is not None:
            self._service.close()
            self._service = None
        self.index.close()

    def _pages(self, cursor: str | None) -> Iterator[Page]:
        raise NotImplementedError
