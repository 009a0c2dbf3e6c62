"""How many requests a client keeps in flight: a fixed number, or one that finds its level (the default).

A fixed number is right only for one latency: against a service that answers at once, threads beyond the first
cost CPU and gain nothing (the client's own decoding is the bottleneck); across the internet, one request at a
time leaves the pipe empty. The adaptive limit measures instead, in the manner of TCP Vegas and Netflix's
concurrency-limits (its gradient limit): each request's latency is a sample; about once per round trip (a
window of `limit` answers) the window's mean latency is compared with the least seen (the latency with no
queue). While the mean stays within `tolerance` of it, more requests in flight mean more throughput, and the
limit grows: doubling per window at first ("slow start"), then by one. When the mean rises past it, requests
are only queueing (in the client, the network or the service), and the limit shrinks by the gradient
(`tolerance * least / mean`, never below halving). A 429, a 503 or a timeout halves it, once per round of
requests (the requests already sent when it shrank would only report the same overload again).

The limit is enforced for real: `acquire` waits while `limit` requests are in flight. One limit serves a
client's threads (`acquire`) or its asyncio tasks (`acquire_async`), and every call of that client, so what it
learnt carries over from one call to the next.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

# The default ceiling. At 300 ms a request (a far service), a 2-core client decoding float JSON keeps about 20
# requests busy before its CPU is the bottleneck; 32 covers that with room, while bounding what a client holds
# at once (32 answers: about 50 MB of float JSON at 128 x 1024) and the connections it opens.
DEFAULT_MAXIMUM = 32


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
        # The least window mean latency seen (None before the first window): the latency with no queue.
        self.baseline: float | None = None
        self.slow_start = True
        self._epoch = 0
        self._window_sum, self._window_count, self._saturated = 0.0, 0, False
        self._lock = threading.Lock()
        self._free = threading.Condition(self._lock)
        self._async_waiters: collections.deque[asyncio.Future[None]] = collections.deque()

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
        with self._free:
            while self.in_flight >= self.limit:
                if stopped is not None and stopped.is_set():
                    self._free.notify()  # the wake-up this thread took goes on to the next waiter
                    return None
                # A bounded wait: a stopped call is noticed even when no request ends to wake this thread.
                self._free.wait(0.5)
            if stopped is not None and stopped.is_set():
                self._free.notify()
                return None
            return self._take()

    async def acquire_async(self) -> Permit:
        """Wait for a slot (asyncio tasks of one event loop); cancelling the wait passes the turn on."""
        loop = asyncio.get_running_loop()
        while True:
            permit = self.try_acquire()
            if permit is not None:
                return permit
            waiter: asyncio.Future[None] = loop.create_future()
            self._async_waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake_async(1)  # woken, then cancelled: the slot goes to the next waiter
                raise
            finally:
                if waiter in self._async_waiters:
                    self._async_waiters.remove(waiter)

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
            free = max(0, self.limit - self.in_flight)
            self._free.notify(free)
        self._wake_async(free)

    def _learn(self, permit: Permit, signal: Signal, latency: float) -> None:
        if signal is Signal.OVERLOAD:
            # Once per round: requests sent before the last decrease report the overload that caused it.
            if permit.epoch == self._epoch:
                self._shrink(self.backoff)
            return
        if signal is not Signal.SUCCESS:
            return
        self._window_sum += latency
        self._window_count += 1
        if self._window_count < max(1, self.limit):
            return
        mean = self._window_sum / self._window_count
        saturated = self._saturated
        self._window_sum, self._window_count, self._saturated = 0.0, 0, self.in_flight >= self.limit
        if self.baseline is None or mean < self.baseline:
            self.baseline = mean
        ratio = mean / self.baseline if self.baseline > 0 else 1.0
        if ratio > self.tolerance:
            if self.limit <= self.minimum:
                # Slower even with the fewest requests in flight: the service itself got slower, not queueing
                # caused by this client. The old least latency no longer describes it.
                self.baseline = mean
                return
            self._shrink(max(self.backoff, self.tolerance / ratio))
        elif saturated:
            self._limit = min(float(self.maximum), self._limit * 2 if self.slow_start else self._limit + 1)

    def _shrink(self, factor: float) -> None:
        self._limit = max(float(self.minimum), self._limit * factor)
        self.slow_start = False
        self._epoch += 1
        self._window_sum, self._window_count, self._saturated = 0.0, 0, False

    def _wake_async(self, count: int) -> None:
        while count > 0 and self._async_waiters:
            waiter = self._async_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
