"""How many requests a client keeps in flight: a fixed number, or one that finds its level (the default).

A fixed number is right only for one latency: against a service that answers at once, threads beyond the first
cost CPU and gain nothing (the client's own decoding is the bottleneck); across the internet, one request at a
time leaves the pipe empty. The adaptive limit measures instead, in the manner of TCP Vegas and Netflix's
concurrency-limits (its gradient limit). Each answer's latency is a sample; the quickest yet is the latency
with no queue (Vegas' base RTT). About once per round trip (a window of `limit` answers) the window's mean is
compared with it. While the mean stays within `tolerance` of it, more requests in flight mean more throughput:
the limit grows by one a window, and at first ("slow start") by one for each answer within `tolerance`,
doubling per round trip, until an answer is not. When the mean rises past it, requests are only queueing (in
the client, the network or the service), and the limit shrinks by the gradient (`tolerance * base / mean`,
never below halving). A 429, a 503 or a timeout halves it, once per round of requests (the requests already
sent when it shrank would only report the same overload again).

The limit is enforced for real: `acquire` waits while `limit` requests are in flight. One limit serves a
client's threads (`acquire`) or its asyncio tasks (`acquire_async`), and every call of that client, so what it
learnt carries over from one call to the next.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

# The default ceiling. At 300 ms a request (a far service), a 2-core client decoding float JSON keeps about 20
# requests busy before its CPU is the bottleneck; 32 covers that with room, while bounding what a client holds
# at once (32 answers: about 50 MB of float JSON at 128 x 1024) and the connections it opens.
DEFAULT_MAXIMUM = 32
# The clients' default: a fixed 8 (`make bench`: 4.4x sequential throughput at 100 ms, beating adaptive). The adaptive
# limit (`max_concurrency=None`) is opt-in until its benchmark reaches 90% of the best fixed setting at every latency.
DEFAULT_CONCURRENCY = 8


class Signal(Enum):
    """What one request's end says about the load: see `_policy.load_signal`."""

    SUCCESS = "success"  # answered: its latency is a sample
    OVERLOAD = "overload"  # 429, 503, or no answer in time: too much in flight for the service
    OTHER = "other"  # anything else (a refused request, a dropped connection): says nothing about load


@dataclass(frozen=True)
class Permit:
    """One request's slot: when it started, and in which round of the limit (see `ConcurrencyLimit.release`)."""

    started: float
    epoch: int


class ConcurrencyLimit:
    """At most `limit` requests in flight; fixed, or adapted from each request's latency and outcome."""

    def __init__(
        self,
        maximum: int = DEFAULT_MAXIMUM,
        *,
        adaptive: bool = True,
        initial: int = 1,
        minimum: int = 1,
        tolerance: float = 1.5,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= minimum <= initial <= maximum:
            raise ValueError(f"need 1 <= minimum <= initial <= maximum, got {minimum}, {initial}, {maximum}")
        self.maximum, self.minimum, self.adaptive = maximum, minimum, adaptive
        self.tolerance, self.backoff, self._clock = tolerance, backoff, clock
        self._limit = float(initial if adaptive else maximum)
        self.in_flight = 0
        # The quickest answer seen (None before the first): the latency with no queue.
        self.baseline: float | None = None
        self.slow_start = True
        self._epoch = 0
        self._window_sum, self._window_count, self._saturated = 0.0, 0, False
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []

    @classmethod
    def fixed(cls, limit: int) -> ConcurrencyLimit:
        """Exactly `limit` requests in flight at most, whatever happens (an explicit `max_concurrency`)."""
        return cls(limit, adaptive=False, initial=limit, minimum=limit)

    @property
    def limit(self) -> int:
        """How many requests may be in flight now."""
        return int(self._limit)

    def __repr__(self) -> str:
        kind = "adaptive" if self.adaptive else "fixed"
        return f"ConcurrencyLimit({kind}, limit={self.limit}, maximum={self.maximum}, in_flight={self.in_flight})"

    def try_acquire(self) -> Permit | None:
        """A slot if one is free now, else None."""
        with self._lock:
            return self._take()

    def acquire(self, stopped: threading.Event | None = None) -> Permit | None:
        """Wait for a slot (threads); None if `stopped` is set first (the call is over: send nothing more)."""
        with self._lock:
            permit = self._take()
            if permit is not None:
                return permit
            waiter = _Waiter()
            self._waiters.append(waiter)
        # A bounded wait: a stopped call is noticed even when no request ends to wake this thread.
        while not waiter.ready.wait(0.5):
            if stopped is not None and stopped.is_set():
                with self._lock:
                    if waiter.permit is None:
                        self._waiters.remove(waiter)
                        return None
                break  # granted meanwhile: given back below
        if stopped is not None and stopped.is_set():
            self._give_back()
            return None
        return waiter.permit

    async def acquire_async(self) -> Permit:
        """Wait for a slot (asyncio tasks of one event loop); a slot granted to a cancelled wait is given back."""
        with self._lock:
            permit = self._take()
            if permit is not None:
                return permit
            waiter = _AsyncWaiter(asyncio.get_running_loop().create_future())
            self._waiters.append(waiter)
        try:
            return await waiter.future
        except BaseException:
            with self._lock:
                granted = waiter.permit is not None
                if not granted:
                    self._waiters.remove(waiter)
            if granted:
                self._give_back()
            raise

    def _give_back(self) -> None:
        """A slot granted to a waiter that no longer wants it: free it, learning nothing."""
        with self._lock:
            self.in_flight -= 1
            self._grant()

    def _take(self) -> Permit | None:
        if self.in_flight >= self.limit:
            return None
        self.in_flight += 1
        if self.in_flight >= self.limit:
            self._saturated = True  # the limit was what held requests back: growing it can help
        return Permit(self._clock(), self._epoch)

    def release(self, permit: Permit, signal: Signal, latency: float | None = None) -> None:
        """A request ended: free its slot and learn from it (`latency` defaults to the time since `acquire`)."""
        with self._lock:
            self.in_flight -= 1
            if self.adaptive:
                self._learn(permit, signal, self._clock() - permit.started if latency is None else latency)
            self._grant()

    def _learn(self, permit: Permit, signal: Signal, latency: float) -> None:
        if signal is Signal.OVERLOAD:
            # Once per round: requests sent before the last decrease report the overload that caused it.
            if permit.epoch == self._epoch:
                self._shrink(self.backoff)
            return
        if signal is not Signal.SUCCESS:
            return
        # The quickest answer yet is the latency with no queue (TCP Vegas' base RTT); not the first answers', which
        # pay for new connections and would set a lax baseline.
        self.baseline = latency if self.baseline is None else min(self.baseline, latency)
        if self.slow_start:
            # One more in flight per quick answer: doubling per round trip.
            if latency > self.tolerance * self.baseline:
                self.slow_start = False
            elif self.in_flight + 1 >= self.limit:
                self._limit = min(float(self.maximum), self._limit + 1)
        self._window_sum += latency
        self._window_count += 1
        if self._window_count < max(1, self.limit):
            return
        mean = self._window_sum / self._window_count
        saturated = self._saturated
        self._window_sum, self._window_count, self._saturated = 0.0, 0, self.in_flight >= self.limit
        ratio = mean / self.baseline if self.baseline > 0 else 1.0
        if ratio > self.tolerance:
            if self.limit <= self.minimum:
                # Slower even with the fewest requests in flight: the service itself got slower, not queueing
                # caused by this client. The old least latency no longer describes it.
                self.baseline = mean
                return
            self._shrink(max(self.backoff, self.tolerance / ratio))
        elif saturated and not self.slow_start:
            self._limit = min(float(self.maximum), self._limit + 1)

    def _shrink(self, factor: float) -> None:
        self._limit = max(float(self.minimum), self._limit * factor)
        self.slow_start = False
        self._epoch += 1
        self._window_sum, self._window_count, self._saturated = 0.0, 0, False

    def _grant(self) -> None:
        """Hand free slots to waiters, the most recent first.

        Last in, first out: the threads that just sent keep sending, so a client whose limit is 2 keeps using 2
        threads (their memory and caches warm), not every one of its pool in turn.
        """
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.pop()
            waiter.permit = self._take()
            waiter.wake()


class _Waiter:
    """A thread waiting for a slot; `permit` is set (under the limit's lock) when one is granted to it."""

    def __init__(self) -> None:
        self.permit: Permit | None = None
        self.ready = threading.Event()

    def wake(self) -> None:
        self.ready.set()


class _AsyncWaiter(_Waiter):
    """A task waiting for a slot (granted from the event loop's thread, where its client releases slots)."""

    def __init__(self, future: asyncio.Future[Permit]) -> None:
        super().__init__()
        self.future = future

    def wake(self) -> None:
        assert self.permit is not None
        if not self.future.done():
            self.future.set_result(self.permit)
