"""What happens around each attempt: wait for the shared rate budget, bound the attempt's time, learn from its answer.

httpx's timeouts bound each phase (connect, each read, each write), not an attempt: a server that trickles a byte
every few seconds, or that accepts and then sends its headers a byte at a time, never trips the read timeout and
holds a worker forever. The watchdog bounds the attempt as a whole: each socket operation of the attempt gets at
most the time left before the attempt's deadline (the sync client's connections are `_http.WatchdogStream`s,
which ask `time_left`; the async client puts the attempt under `asyncio.timeout`). An attempt cut short ends as an
`httpx.ReadTimeout`, which the policy retries like any timeout, so the request is sent again.

An attempt's deadline is the sooner of its own (`attempt_limit(timeout)`: the connect timeout plus the read
timeout) and the call's `deadline=`, carried with the request as a `Ticket` in httpx's request extensions,
beside the tokens the batcher counted for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._policy import retry_after
from ._ratebudget import RateBudget

TICKET = "embedkit.ticket"

# The monotonic moment the current attempt of this thread (or task) must end by; None: unbounded.
_ATTEMPT_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("embedkit_attempt", default=None)


@dataclass
class Ticket:
    """What a request costs (tokens, as the batcher counted them) and when its call must end (monotonic).

    `count_exactly`: where the batcher's count may be a bound, how to count the request exactly, done once, when a
    budget pacing a tokens/min limit learned from the service first asks (see `Guard.cost`). `reserved`: what
    the last admission reserved, which the answer corrects to what was charged.
    """

    tokens: int = 0
    deadline: float | None = None
    count_exactly: Callable[[], int] | None = None
    _exact: int | None = field(default=None, repr=False)
    reserved: int | None = None

    def exact_tokens(self) -> int:
        """The exact count (the batcher's, when it was exact already)."""
        if self._exact is None:
            self._exact = self.count_exactly() if self.count_exactly is not None else self.tokens
        return self._exact


def attempt_limit(timeout: httpx.Timeout) -> float | None:
    """The most one attempt may take, all phases together: the connect timeout plus the read timeout."""
    if timeout.read is None:
        return None
    return timeout.read + (timeout.connect or 0.0)


def _ticket(request: dict[str, Any]) -> Ticket:
    found = request.get("extensions", {}).get(TICKET)
    return found if isinstance(found, Ticket) else Ticket()


class Guard:
    """The budget and watchdog of one client, applied by its `_attempts` around every request."""

    def __init__(self, budget: RateBudget, limit: float | None) -> None:
        self.budget = budget
        self.limit = limit

    def _deadline(self, ticket: Ticket) -> float | None:
        ends = [moment for moment in (ticket.deadline,) if moment is not None]
        if self.limit is not None:
            ends.append(time.monotonic() + self.limit)
        return min(ends) if ends else None

    def cost(self, ticket: Ticket) -> int:
        """The tokens a request spends from the budget: what the service will charge, as near as it is known.

        The batcher's count, unless it may be a bound (the call says so: `count_exactly`) and the budget paces a
        tokens/min limit: then the request's exact count. Reserving the bound paced a free-tier job of full
        batches at 0.8 of its token limit.
        """
        if ticket.count_exactly is None or not self.budget.paces_tokens():
            return ticket.tokens
        return ticket.exact_tokens()

    def _reservation(self, ticket: Ticket) -> Callable[[], int] | int:
        """What `acquire` reserves for `ticket`: its cost, asked again before each try and recorded for the answer.

        The limits the budget learns while the key's first request is in flight change the cost (see `cost`), and
        the answer corrects what was reserved, not what a later count says, to what was charged.
        """
        ticket.reserved = ticket.tokens
        if ticket.count_exactly is None:
            return ticket.tokens

        def cost() -> int:
            ticket.reserved = self.cost(ticket)
            return ticket.reserved

        return cost

    def admit(self, request: dict[str, Any], stopped: threading.Event | None) -> bool:
        """Wait for the budget (False: the call stopped meanwhile); raises `DeadlineExceededError` past the call's."""
        ticket = _ticket(request)
        return self.budget.acquire(self._reservation(ticket), deadline=ticket.deadline, stopped=stopped)

    async def admit_async(self, request: dict[str, Any], stopped: threading.Event | None = None) -> bool:
        """`admit` for asyncio (False: the call stopped meanwhile).

        A request the budget will count exactly is counted in a thread first, so that its reservations (on the
        event loop, unless the budget's state is behind a file) do not tokenize a batch there; only a limit learned
        during the wait itself (the key's first answer) leaves a count to them.
        """
        ticket = _ticket(request)
        if ticket.count_exactly is not None:
            await asyncio.to_thread(self.cost, ticket)
        return await self.budget.acquire_async(self._reservation(ticket), deadline=ticket.deadline, stopped=stopped)

    @contextlib.contextmanager
    def watch(self, request: dict[str, Any]) -> Iterator[None]:
        """Bound the attempt run inside (on a client whose connections are `_http.WatchdogStream`s)."""
        token = _ATTEMPT_DEADLINE.set(self._deadline(_ticket(request)))
        try:
            yield
        finally:
            _ATTEMPT_DEADLINE.reset(token)

    @contextlib.asynccontextmanager
    async def watch_async(self, request: dict[str, Any]) -> AsyncIterator[None]:
        """Bound the attempt awaited inside; past its deadline it ends as an `httpx.ReadTimeout`."""
        deadline = self._deadline(_ticket(request))
        if deadline is None:
            yield
            return
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                yield
        except TimeoutError:
            raise httpx.ReadTimeout("no complete answer before the attempt's deadline") from None

    def observe(self, request: dict[str, Any], response: httpx.Response, max_wait: float | None = None) -> None:
        """Tell the budget what the answer says (a 429 pauses everyone sharing it; limit headers correct it).

        `max_wait`: the policy's `max_retry_after` (a 429 asking longer gives the call up: a short pause only).
        """
        ticket = _ticket(request)
        reserved = ticket.tokens if ticket.reserved is None else ticket.reserved
        self.budget.observe(response.status_code, response.headers, reserved, retry_after(response.headers), max_wait)

    async def observe_async(
        self, request: dict[str, Any], response: httpx.Response, max_wait: float | None = None
    ) -> None:
        """`observe` for asyncio (in a thread when the budget's state is behind a file or the network)."""
        if self.budget.backend.blocking:
            await asyncio.to_thread(self.observe, request, response, max_wait)
        else:
            self.observe(request, response, max_wait)


def time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket operation's timeout, cut to what is left of the attempt; past its deadline, `error`."""
    deadline = _ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt ran past its deadline")
    return left if timeout is None else min(timeout, left)
