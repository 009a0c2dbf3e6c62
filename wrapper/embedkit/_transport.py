"""Every request embedkit sends goes through here: one attempt state machine, and a driver for each client.

`Exchange` holds the decisions of one request's life and does no IO: whether to send (or stop, because the call
that owns the request has failed or been interrupted), and after each attempt whether it is done, split, retried
after a wait (the policy of `_policy.py`), or lost. The drivers, `Transport.exchange` (threads) and
`Transport.exchange_async` (asyncio), only do what it says: wait for the shared rate budget and the concurrency
limit, send under the attempt's watchdog, read the answer, sleep. So the sync and async clients, and the files and
batch-job routes, share every decision: the stop event is honoured before each attempt and during each wait, the
budget and the limit apply to every route, and the per-attempt deadline to every attempt but a file download (whose
size, and so duration, is not known beforehand: httpx's per-read timeouts bound it).

Requests that create something billable (an upload, a batch job) are not idempotent: an attempt whose request may
have reached the service but whose answer was lost is never resent blind. The driver looks the object up by the
marker the request carries, with backoff, for longer than the service can take to commit it
(`RetryPolicy.confirm_window`), and gives up with `UnconfirmedCreateError` naming the marker rather than risk a
second bill. An attempt the service answered with a retryable error (429, 5xx) is looked up once before it is
sent again; one that never left (the connection could not be made) is simply sent again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from ._body import Received
from ._concurrency import ConcurrencyLimit
from ._errors import APIConnectionError, ClosedError, UnconfirmedCreateError
from ._guard import Guard
from ._policy import Attempts, Outcome, RetryPolicy, Step, after_exception, load_signal, next_wait

HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)
logger = logging.getLogger("embedkit")
# The longest single sleep of an async wait: how soon a stop is noticed (threads wait on the event itself).
STOP_POLL = 0.05


@dataclass(frozen=True)
class Send:
    """Send the request (attempt number `attempt`)."""

    attempt: int


@dataclass(frozen=True)
class Sleep:
    """Wait this long, then ask again (a stop ends the wait early)."""

    seconds: float


@dataclass(frozen=True)
class Finish:
    """The request is over: `outcome` says how (DONE with no error when the call stopped before it was done)."""

    outcome: Outcome


Action = Send | Sleep | Finish
STOPPED = Outcome(Step.DONE)


@dataclass
class Exchange:
    """The decisions of one request, from its first attempt to its end; no IO.

    `idempotent=False` (a create): an attempt that may have been received but was not answered ends the exchange
    as `Step.LOST`, for the driver to confirm by looking, never by sending again.
    """

    policy: RetryPolicy
    stopped: threading.Event | None = None
    idempotent: bool = True
    attempts: Attempts = field(init=False)

    def __post_init__(self) -> None:
        self.attempts = Attempts(self.policy)

    def _is_stopped(self) -> bool:
        return self.stopped is not None and self.stopped.is_set()

    def begin(self) -> Send | Finish:
        """The next attempt, unless the call that owns this request is over."""
        if self._is_stopped():
            return Finish(STOPPED)
        self.attempts.count += 1
        return Send(self.attempts.count)

    def after(self, outcome: Outcome) -> Sleep | Finish:
        """What an attempt's outcome leads to; raises the outcome's error when it fails for good."""
        if outcome.step in (Step.DONE, Step.SPLIT):
            return Finish(outcome)
        if not self.idempotent and outcome.uncertain:
            assert outcome.error is not None
            outcome.error.attempts = self.attempts.count
            return Finish(Outcome(Step.LOST, outcome.error))
        if self._is_stopped() and outcome.step is Step.RETRY:
            return Finish(STOPPED)  # nothing more is sent for a call that has failed or been interrupted
        wait = next_wait(outcome, self.attempts)
        logger.debug(
            "attempt %d failed (%s); retrying in %.2fs", self.attempts.count, type(outcome.error).__name__, wait
        )
        return Sleep(wait)


@dataclass
class Confirmation:
    """Looking for what a lost create may have made: when to look again, and when to give up; no IO."""

    policy: RetryPolicy
    started: float = field(default_factory=time.monotonic)
    looks: int = 0

    def next_wait(self) -> float | None:
        """Seconds before the next look, or None when the window is spent (the object was not made)."""
        self.looks += 1
        if self.looks == 1:
            return 0.0
        left = self.policy.confirm_window - (time.monotonic() - self.started)
        if left <= 0:
            return None
        return min(left, self.policy.initial_delay * 2.0 ** min(self.looks - 2, 6))


def _read_whole(http: httpx.Client, request: dict[str, Any]) -> Received:
    response = http.request(**request)
    return Received(response, response.content)


async def _read_whole_async(http: httpx.AsyncClient, request: dict[str, Any]) -> Received:
    response = await http.request(**request)
    return Received(response, response.content)


@dataclass
class Created:
    """What a non-idempotent request needs to be confirmed after a lost answer: how to look for it, by what."""

    marker: str
    what: str
    lookup: Callable[[], Any]


class Transport(Generic[HttpClient]):
    """One client's way to the service: its HTTP client, rate budget and watchdog, concurrency limit and policy."""

    def __init__(self, http: HttpClient, guard: Guard, limit: ConcurrencyLimit, policy: RetryPolicy) -> None:
        self.http: HttpClient = http
        self.guard = guard
        self.limit = limit
        self.policy = policy
        self.closed = False

    def close(self) -> None:
        """Refuse every later request with `ClosedError` (the client's owner closes the HTTP client itself)."""
        self.closed = True

    def _check_open(self) -> None:
        if self.closed:
            raise ClosedError("this client is closed: make a new one (or use it inside `with`) to send requests")

    # --- threads ----------------------------------------------------------------------------------------------

    def exchange(
        self,
        build: Callable[[], dict[str, Any]],
        answer: Callable[[Received], Outcome],
        *,
        stopped: threading.Event | None = None,
        read: Callable[[httpx.Client, dict[str, Any]], Received] | None = None,
        give: Callable[[Received], None] | None = None,
        created: Created | None = None,
        bounded: bool = True,
    ) -> Outcome:
        """Send the request `build` makes (afresh for each attempt) until `answer` says DONE or SPLIT.

        `read` reads an answer (default: the whole body; the embeddings route reads into reusable buffers and
        `give`s them back once answered); `created` marks a request that creates something billable;
        `bounded=False` leaves an attempt to httpx's own timeouts (a download of unknown size).
        """
        assert isinstance(self.http, httpx.Client)
        self._check_open()
        reader = read or _read_whole
        exchange = Exchange(self.policy, stopped, idempotent=created is None)
        action: Action = exchange.begin()
        while True:
            if isinstance(action, Finish):
                if action.outcome.step is Step.LOST:
                    assert created is not None
                    return self._confirm(created, action.outcome, stopped)
                return action.outcome
            if isinstance(action, Sleep):
                if stopped is None:
                    time.sleep(action.seconds)
                elif stopped.wait(action.seconds):
                    return STOPPED
                if created is not None and (found := created.lookup()) is not None:
                    return Outcome(Step.DONE, found=found)
                action = exchange.begin()
                continue
            request = build()
            outcome = self._attempt(request, answer, reader, give, stopped, bounded)
            if outcome is None:
                return STOPPED
            action = exchange.after(outcome)

    def _attempt(
        self,
        request: dict[str, Any],
        answer: Callable[[Received], Outcome],
        reader: Callable[[httpx.Client, dict[str, Any]], Received],
        give: Callable[[Received], None] | None,
        stopped: threading.Event | None,
        bounded: bool,
    ) -> Outcome | None:
        """One attempt: budget, permit, send under the watchdog, answer. None: the call ended while waiting."""
        assert isinstance(self.http, httpx.Client)
        if not self.guard.admit(request, stopped):
            return None
        permit = self.limit.acquire(stopped)
        if permit is None:
            return None
        outcome: Outcome | None = None
        round_trip: float | None = None
        try:
            try:
                if bounded:
                    with self.guard.watch(request):  # the whole attempt, the body's reading too
                        received = reader(self.http, request)
                else:
                    received = reader(self.http, request)
                # Read, not yet decoded: decoding waits for the GIL behind other answers (see _concurrency.py).
                round_trip = self.limit.elapsed(permit)
            except httpx.HTTPError as error:
                outcome = after_exception(error)
                return outcome
            self.guard.observe(request, received.response, self.policy.max_retry_after)
            try:
                outcome = answer(received)
            finally:
                if give is not None:
                    give(received)
            return outcome
        finally:
            self.limit.release(permit, load_signal(outcome), round_trip)

    def _confirm(self, created: Created, lost: Outcome, stopped: threading.Event | None) -> Outcome:
        """Find what a lost create made, or give up without sending it again."""
        confirmation = Confirmation(self.policy)
        while (wait := confirmation.next_wait()) is not None:
            if stopped is not None and stopped.wait(wait):
                return STOPPED
            if stopped is None:
                time.sleep(wait)
            found = created.lookup()
            if found is not None:
                return Outcome(Step.DONE, found=found)
        raise _unconfirmed(created, lost, confirmation)

    # --- asyncio ----------------------------------------------------------------------------------------------

    async def exchange_async(
        self,
        build: Callable[[], dict[str, Any]],
        answer: Callable[[Received], Awaitable[Outcome]],
        *,
        stopped: threading.Event | None = None,
        read: Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[Received]] | None = None,
        give: Callable[[Received], None] | None = None,
    ) -> Outcome:
        """`exchange` for asyncio: the same decisions (the stop event included), awaited."""
        assert isinstance(self.http, httpx.AsyncClient)
        self._check_open()
        reader = read or _read_whole_async
        exchange = Exchange(self.policy, stopped)
        action: Action = exchange.begin()
        while True:
            if isinstance(action, Finish):
                return action.outcome
            if isinstance(action, Sleep):
                if await _sleep(action.seconds, stopped):
                    return STOPPED
                action = exchange.begin()
                continue
            outcome = await self._attempt_async(build(), answer, reader, give, stopped)
            if outcome is None:
                return STOPPED
            action = exchange.after(outcome)

    async def _attempt_async(
        self,
        request: dict[str, Any],
        answer: Callable[[Received], Awaitable[Outcome]],
        reader: Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[Received]],
        give: Callable[[Received], None] | None,
        stopped: threading.Event | None,
    ) -> Outcome | None:
        assert isinstance(self.http, httpx.AsyncClient)
        if not await self.guard.admit_async(request, stopped) or (stopped is not None and stopped.is_set()):
            return None
        permit = await self.limit.acquire_async()
        outcome: Outcome | None = None
        round_trip: float | None = None
        try:
            if stopped is not None and stopped.is_set():
                return None
            try:
                async with self.guard.watch_async(request):  # the whole attempt, the body's reading too
                    received = await reader(self.http, request)
                round_trip = self.limit.elapsed(permit)  # read, not yet decoded (see _concurrency.py)
            except httpx.HTTPError as error:
                outcome = after_exception(error)
                return outcome
            await self.guard.observe_async(request, received.response, self.policy.max_retry_after)
            cancelled = False
            try:
                outcome = await answer(received)
            except asyncio.CancelledError:
                cancelled = True  # the decoding thread may still be reading the buffer: it is never reused
                raise
            finally:
                if give is not None and not cancelled:
                    give(received)
            return outcome
        finally:
            self.limit.release(permit, load_signal(outcome), round_trip)


async def _sleep(seconds: float, stopped: threading.Event | None) -> bool:
    """Sleep `seconds`; True when the call stopped meanwhile (noticed within `STOP_POLL`)."""
    if stopped is None:
        await asyncio.sleep(seconds)
        return False
    ends = time.monotonic() + seconds
    while not stopped.is_set():
        left = ends - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(left, STOP_POLL))
    return True


def _unconfirmed(created: Created, lost: Outcome, confirmation: Confirmation) -> UnconfirmedCreateError:
    cause = lost.error if lost.error is not None else APIConnectionError("no answer")
    waited = time.monotonic() - confirmation.started
    return UnconfirmedCreateError(
        f"the {created.what} may have been created, but its answer was lost ({cause.message}) and no {created.what} "
        f"marked {created.marker} appeared in {waited:.0f} s of looking; not sent again, so as not to pay twice. "
        f"Look for it later (marker {created.marker}) before creating it again",
        marker=created.marker,
        attempts=cause.attempts,
    )
