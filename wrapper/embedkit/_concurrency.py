"""How many requests a client keeps in flight: one that finds its level (the default), or a fixed number.

A fixed number is right only for one latency: against a service that answers at once, requests beyond a few cost
client CPU and gain little (the client's own decoding is the bottleneck); across the internet, a few at a time
leave the pipe empty. The adaptive limit measures instead, as TCP BBR does (Cardwell et al., "BBR:
Congestion-Based Congestion Control", ACM Queue 2016) rather than as TCP Vegas. The knee of a closed loop is its
delivery rate times the time a request takes to go round with no queue; the limit is `gain` times that knee.

- Delivery rate, per answer (BBR's estimate): the answers delivered since the request was sent, over the longer
  of the delivery and the sending intervals. Its maximum over the last ten rounds (a round ends when a request
  sent after it began is answered), and over at least the last second, is what the loop can carry. Samples of
  requests sent while the limit was not full (a call with fewer batches left than the limit) show the caller's
  pace, and count only to raise it.
- The cycle, in two parts, each the minimum of its own samples: the round trip, from sending to the answer's
  bytes read, and the decoding, from there to `release`. Under load, decoding waits for the GIL behind other
  answers: a latency that included it took the client's own CPU queue for the service's (the old Vegas limit
  stopped growing at 300 ms for that reason). Kept apart, neither queue passes for the other; summed, they are
  the loop with no queue (the slot is held while decoding, which bounds the answers held in memory). The round
  trip is re-measured after ten seconds without a new minimum, for a round at half the limit (BBR's ProbeRTT, at
  BBRv2's half).
- Startup: the limit starts at 16 and grows to `startup_gain` (4) times the knee on every answer, never
  shrinking: while the pipe is not full, each round delivers about `limit` answers a cycle, so the limit grows
  about fourfold a round trip: 32 at the second round trip, where a slow start from 1 took five (a 300 ms run of
  480 requests lost a third of its time to that). Why 16, not 8: the first round trip is the one with no
  measurement, and at 100 ms a first round of 8 cost the run about a tenth against fixed 16 (`make bench`: 0.87
  and 0.88 of it in two full runs); against an instant service the startup climbed from 8 to about 16 anyway, so
  the peak held in flight there barely moves (`make bench`'s float path peak RSS: 1.43x the floor's with 16, 1.36
  to 1.42x with 8). Startup ends when three full rounds raise the rate by less than a
  quarter (BBR's full-pipe test), or when the quickest round trip of a round's first 8 answers is later than the
  last round's by an eighth (4 to 16 ms: HyStart++, RFC 9406): the added requests only queue.
- Then the limit is `gain` (3) times the knee. Why 3 and not BBR's 2: the bottleneck is the client's CPU, and
  Python threads decoding under one GIL are a bursty server; with 20 to 100 ms of latency, the best fixed setting
  was measured at two to five times the knee at 20 ms (8 to 16; the knee is about 3.5), and at 100 ms 16 and 32
  came within a few percent of each other (`make bench`, medians of 5). Against an instant
  service the knee is a few requests, so the limit ends low; more would only cost CPU (each answer in flight is a
  buffer of its own: page faults rise with the count). It ends higher for base64 answers than for float ones:
  reading the body is most of the client's work there, so the round trip it measures includes the wait for the
  GIL, and the knee looks larger than it is.
- A 429, a 503 or a timeout means the service (or its rate limit) takes less than the formula thinks: the limit
  is multiplied by `backoff`, once per round of requests (those already sent when it shrank would only report the
  same overload again), and capped there; the cap rises by one a round without overload (AIMD), so the rate
  formula cannot undo a decrease at once. A wait before sending (a 429's `Retry-After`, the shared rate budget)
  happens before `acquire`, so it is never taken for a round trip.

- Answers held at once: requests in flight hide the service's latency, but an answer's body is held in memory
  from its first byte until it is decoded, and against a service that answers at once every answer of a round
  arrives together (a float answer of 128 x 1024 values is 2.4 MB as Mistral prints it: 16 of them were most of
  `make bench`'s float path peak RSS above the floor's, and their reading, interleaved by 16 threads, cost CPU).
  So an adaptive limit also bounds the bodies read or decoded at once (`bodies`), to twice the knee of the
  client's own stage: max rate x the quickest time from an answer's headers to its `release` (reading its body,
  then decoding it), at least 2 (one read while another decodes); until that time is measured, `limit`. The
  other answers wait in their sockets (the service has answered: its round trip is over). The
  sync client's HTTP layer calls `answer_arrived` when an answer's headers are in: the round trip is measured
  there, so neither this wait nor the body's reading is taken for the service's latency. Across the internet the
  bodies take a while to arrive, the stage's time is long and the bound is above `limit`: it binds only where
  reading is the client's own CPU work.

The limit is enforced for real: `acquire` waits while `limit` requests are in flight. One limit serves a
client's threads (`acquire`) or its asyncio tasks (`acquire_async`), and every call of that client, so what it
learnt carries over from one call to the next.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

# The ceiling. At 300 ms a request (a far service), a 2-core client decoding float JSON keeps about 20-30
# requests busy before its CPU is the bottleneck (`make bench`: fixed 32 was the best there); 32 covers that,
# while bounding what a client holds at once (32 answers: about 50 MB of float JSON at 128 x 1024) and the
# connections it opens.
DEFAULT_MAXIMUM = 32
# The first limit of an adaptive client (see the module's docstring).
DEFAULT_INITIAL = 16
# The multiples of the knee (max rate x min cycle) kept in flight: while starting, then (see the module's docstring).
DEFAULT_STARTUP_GAIN = 4.0
DEFAULT_GAIN = 3.0
# Rounds the maximum delivery rate is kept (BBR's), and seconds the minimum round trip is (BBR's ProbeRTT interval).
RATE_ROUNDS = 10
# ... and at least this long: against an instant service a round is a few milliseconds, and ten of them would forget
# the rate within a tenth of a second, so a round of fewer answers (a burst, a pause for the GIL) lowered the limit,
# which lowered the rate it measured next: the limit spiralled down to 2 where 4 to 8 carry more (measured).
RATE_SECONDS = 1.0
# Answers of a round before HyStart++'s delay test may end the startup (RFC 9406's N_RTT_SAMPLE).
HYSTART_SAMPLES = 8
RTT_SECONDS = 10.0
# The fewest answers an adaptive limit lets be read or decoded at once: one body read while another is decoded.
MIN_BODIES = 2
# The multiple of its own stage's knee the client reads or decodes at once: BBR's 2, not `gain`. That stage is the
# client's CPU under one GIL, whose knee is about 1 when reading is CPU work; twice that keeps it busy, and more only
# held bodies in memory (`make bench`'s float path: peak RSS 1.26x the floor's at `gain`/`startup_gain`, 1.22x at 2,
# the same wall and CPU).
BODY_GAIN = 2.0


class Signal(Enum):
    """What one request's end says about the load: see `_policy.load_signal`."""

    SUCCESS = "success"  # answered: its latency is a sample
    OVERLOAD = "overload"  # 429, 503, or no answer in time: too much in flight for the service
    OTHER = "other"  # anything else (a refused request, a dropped connection): says nothing about load


@dataclass(frozen=True)
class Permit:
    """One request's slot: when it was sent, and what the limit knew then (see `ConcurrencyLimit.release`)."""

    started: float
    epoch: int = 0
    # Answers delivered before it was sent, when the last of them was, and when that one had been sent: its
    # delivery-rate sample starts there.
    delivered: int = 0
    delivered_at: float = 0.0
    first_sent: float = 0.0
    # Whether the limit was full when it was sent: if not, its rate sample shows the caller's pace, not the pipe's.
    full: bool = True
    # Sent while the round trip is re-measured (at half the limit): only such requests' round trips count then.
    probing: bool = False
    # When its answer's headers came, and whether its body holds one of the `bodies` slots (see `answer_arrived`).
    answer: _Answer = field(default_factory=lambda: _Answer(), compare=False, repr=False)


class _Answer:
    """What a request's answer has done so far: mutable, in a frozen `Permit`; changed under its limit's lock."""

    __slots__ = ("done", "headers", "holding")

    def __init__(self) -> None:
        self.headers: float | None = None
        self.holding = False
        self.done = False  # released: a stale binding of its thread holds nothing


# The request this thread is sending, from `acquire` to `release`: what `answer_arrived` holds a body slot for.
_CURRENT: contextvars.ContextVar[tuple[ConcurrencyLimit, Permit] | None] = contextvars.ContextVar(
    "embedkit_permit", default=None
)


def answer_arrived(wait: float | None = None) -> bool:
    """An answer's headers are in (the sync client's HTTP layer calls this): its body may be read once a slot is free.

    Measures the round trip of the request this thread is sending, then waits until fewer than `bodies` answers are
    read or decoded at once (at most `wait` seconds: False if none came free in time, and the caller gives the
    attempt up). True at once outside an attempt, or for a fixed limit.
    """
    current = _CURRENT.get()
    if current is None:
        return True
    limit, permit = current
    return limit.hold(permit, wait)


class ConcurrencyLimit:
    """At most `limit` requests in flight; fixed, or `gain x max delivery rate x min cycle` (see the module)."""

    def __init__(
        self,
        maximum: int = DEFAULT_MAXIMUM,
        *,
        adaptive: bool = True,
        initial: int = DEFAULT_INITIAL,
        minimum: int = 1,
        gain: float = DEFAULT_GAIN,
        startup_gain: float = DEFAULT_STARTUP_GAIN,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        initial = min(initial, maximum)
        if not 1 <= minimum <= initial <= maximum:
            raise ValueError(f"need 1 <= minimum <= initial <= maximum, got {minimum}, {initial}, {maximum}")
        if not 1 < gain <= startup_gain or not 0 < backoff < 1:
            raise ValueError(
                f"need 1 < gain <= startup_gain and 0 < backoff < 1, got {gain}, {startup_gain}, {backoff}"
            )
        self.maximum, self.minimum, self.adaptive = maximum, minimum, adaptive
        self.gain, self.startup_gain, self.backoff, self._clock = gain, startup_gain, backoff, clock
        self._limit = float(initial if adaptive else maximum)
        self.in_flight = 0
        # The quickest round trip seen lately (None before the first answer), and when it was measured.
        self.min_rtt: float | None = None
        self._min_rtt_at = 0.0
        # The quickest decoding seen (from the answer read to `release`): the client's own stage of the loop.
        self.min_decode: float | None = None
        # Delivery: answers so far, when the last one was; rounds; the fastest rate of each recent round.
        self._delivered, self._delivered_at = 0, clock()
        self._delivered_sent = self._delivered_at  # when the last answer delivered had been sent
        self.round, self._round_ends_at = 0, 0
        # (when the round ended, its fastest rate), for the last RATE_ROUNDS rounds or RATE_SECONDS, whichever is more.
        self._round_rates: collections.deque[tuple[float, float]] = collections.deque()
        self._rate = 0.0  # the fastest of this round
        # ProbeRTT: the round in which the round trip is re-measured at half the limit (None: not probing).
        self._probing: int | None = None
        self._probe_rtt: float | None = None
        self._probe_decode: float | None = None
        # Startup: the limit only grows, until three rounds in a row raise the max rate by less than a quarter
        # (BBR's full-pipe test); then it follows the formula down as well as up.
        self.startup = True
        self._full_rate, self._flat_rounds, self._round_full = 0.0, 0, False
        # HyStart++'s delay test (RFC 9406): the quickest round trip of this round and of the last one.
        self._round_rtt: float | None = None
        self._round_rtt_samples = 0
        self._last_round_rtt: float | None = None
        # Overload: requests sent before the last decrease carry an older epoch; the cap it left (None: none).
        self._epoch = 0
        self.ceiling: float | None = None
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []
        # Answers whose bodies are read or decoded now, and the threads waiting to read theirs (see `bodies`).
        self.holding = 0
        self._body_free = threading.Condition(self._lock)

    @classmethod
    def fixed(cls, limit: int) -> ConcurrencyLimit:
        """Exactly `limit` requests in flight at most, whatever happens (an explicit `max_concurrency`)."""
        return cls(limit, adaptive=False, initial=limit, minimum=limit)

    @property
    def limit(self) -> int:
        """How many requests may be in flight now."""
        return int(self._limit)

    @property
    def max_rate(self) -> float:
        """The fastest delivery rate of the last rounds (answers per second): what the pipe carries."""
        return max(self._rate, max((rate for _, rate in self._round_rates), default=0.0))

    @property
    def min_cycle(self) -> float:
        """The quickest a request goes round with no queue: the service's round trip, then the client's decoding.

        Each is the minimum of its own samples: decoding queues behind other answers' decoding (for the GIL), so
        a queue in the client never passes for a slower service, and the other way round.
        """
        return (self.min_rtt or 0.0) + (self.min_decode or 0.0)

    @property
    def bodies(self) -> int:
        """How many answers may be read or decoded at once: BODY_GAIN x max rate x the quickest headers-to-release time.

        That time is the client's own stage (the body's reading, then its decoding; see the module's docstring); a
        fixed limit, or one that has not measured it yet, bounds nothing beyond `limit`.
        """
        if not self.adaptive or self.min_decode is None or not self.max_rate:
            return self.limit
        return max(MIN_BODIES, min(self.limit, math.ceil(BODY_GAIN * self.max_rate * self.min_decode)))

    def hold(self, permit: Permit, wait: float | None = None) -> bool:
        """`permit`'s answer has its headers: note when, then take a body slot (see `answer_arrived`).

        False if no slot came free within `wait` seconds. A second answer to the same request (a redirect's) keeps
        its slot and moves its round trip on.
        """
        ends = None if wait is None else self._clock() + wait
        with self._lock:
            if permit.answer.done:
                return True
            permit.answer.headers = self._clock()
            if permit.answer.holding or not self.adaptive:
                return True
            while self.holding >= self.bodies:
                left = None if ends is None else ends - self._clock()
                if left is not None and left <= 0:
                    return False
                # Bounded: the limit's learning may raise `bodies` without a slot being freed.
                self._body_free.wait(0.05 if left is None else min(left, 0.05))
            self.holding += 1
            permit.answer.holding = True
            return True

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
                _CURRENT.set((self, permit))
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
        if waiter.permit is not None:
            _CURRENT.set((self, waiter.permit))
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

    def elapsed(self, permit: Permit) -> float:
        """Seconds since `permit` was granted, on the limit's clock: a request's round trip once its answer is read."""
        return self._clock() - permit.started

    def _give_back(self) -> None:
        """A slot granted to a waiter that no longer wants it: free it, learning nothing."""
        with self._lock:
            self.in_flight -= 1
            self._grant()

    def _take(self) -> Permit | None:
        if self.in_flight >= self.limit:
            return None
        now = self._clock()
        if self.in_flight == 0:
            # Nothing in flight (the start, or idle between calls): the rate is measured from now, not across
            # the idle time (BBR's restart from idle).
            self._delivered_at = self._delivered_sent = now
        self.in_flight += 1
        full = self.in_flight >= self.limit or bool(self._waiters)
        probing = self._probing is not None
        return Permit(now, self._epoch, self._delivered, self._delivered_at, self._delivered_sent, full, probing)

    def release(self, permit: Permit, signal: Signal, latency: float | None = None) -> None:
        """A request ended: free its slot and learn from it.

        `latency` is its round trip up to the answer's bytes read (before decoding); default: the time since
        `acquire`. Where the HTTP layer said when the answer's headers came (`answer_arrived`), that is the round
        trip instead: the body's reading, and any wait for a body slot, are the client's stage.
        """
        with self._lock:
            self.in_flight -= 1
            answer = permit.answer
            answer.done = True
            if answer.holding:
                answer.holding = False
                self.holding -= 1
            if self.adaptive:
                cycle = self._clock() - permit.started
                if answer.headers is not None:
                    latency = answer.headers - permit.started
                self._learn(permit, signal, cycle if latency is None else min(latency, cycle), cycle)
            self._grant()
            free = self.bodies - self.holding
            if free > 0:
                self._body_free.notify(free)
        current = _CURRENT.get()
        if current is not None and current[1] is permit:
            _CURRENT.set(None)

    def _learn(self, permit: Permit, signal: Signal, latency: float, cycle: float) -> None:
        if signal is Signal.OVERLOAD:
            # Once per round: requests sent before the last decrease report the overload that caused it.
            if permit.epoch == self._epoch:
                self._epoch += 1
                self.startup = False
                self.ceiling = max(float(self.minimum), self._limit * self.backoff)
                self._limit = self.ceiling
            return
        if signal is not Signal.SUCCESS:
            return
        now = self._clock()
        self._delivered += 1
        self._delivered_at, self._delivered_sent = now, permit.started
        # The longer of the delivery and the sending intervals (BBR's delivery-rate estimate): answers decoded in a
        # burst after a pause (the GIL was busy) would otherwise show a rate no one sustained.
        interval = max(now - permit.delivered_at, permit.started - permit.first_sent)
        if interval > 0:
            rate = (self._delivered - permit.delivered) / interval
            if permit.full or rate > self.max_rate:
                self._rate = max(self._rate, rate)
        self._round_full = self._round_full or permit.full
        self._round_trip(permit, latency, cycle - latency, now)
        if permit.delivered >= self._round_ends_at:
            self._next_round(now)
        self._update()

    def _round_trip(self, permit: Permit, latency: float, decode: float, now: float) -> None:
        self._round_rtt = latency if self._round_rtt is None else min(self._round_rtt, latency)
        self._round_rtt_samples += 1
        last = self._last_round_rtt
        if self.startup and last is not None and self._round_rtt_samples >= HYSTART_SAMPLES:
            # Even the quickest of this round's first answers came back later than the last round's: the added
            # requests wait in a queue (the service's, or this client's for the GIL) and add no throughput.
            self.startup = self._round_rtt < last + min(max(last / 8, 0.004), 0.016)
        if self._probing is not None and permit.probing:
            self._probe_rtt = latency if self._probe_rtt is None else min(self._probe_rtt, latency)
            self._probe_decode = decode if self._probe_decode is None else min(self._probe_decode, decode)
        if self.min_decode is None or decode < self.min_decode:
            self.min_decode = decode
        if self.min_rtt is None or latency <= self.min_rtt:
            self.min_rtt, self._min_rtt_at = latency, now
        elif now - self._min_rtt_at > RTT_SECONDS and self._probing is None:
            # Not matched for ten seconds: the service may have got slower for good. Measure again at half the
            # limit, so that this client's own queue does not inflate what it measures: a round to get there,
            # then a round of requests sent at it.
            self._probing, self._probe_rtt, self._probe_decode = self.round, None, None

    def _next_round(self, now: float) -> None:
        self.round += 1
        self._round_ends_at = self._delivered
        if self._round_full or self._rate > 0:
            # A round that never filled the limit (the caller's pace) does not age the estimate out, unless it
            # was faster (its samples count only then).
            self._round_rates.append((now, self._rate))
            while len(self._round_rates) > RATE_ROUNDS and now - self._round_rates[0][0] > RATE_SECONDS:
                self._round_rates.popleft()
        self._rate = 0.0
        if self.startup and self._round_full:
            # Only rounds that kept the limit full say whether more in flight still raises the rate.
            if self.max_rate >= 1.25 * self._full_rate:
                self._full_rate, self._flat_rounds = self.max_rate, 0
            else:
                self._flat_rounds += 1
                self.startup = self._flat_rounds < 3
        self._round_full = False
        if self._round_rtt_samples >= HYSTART_SAMPLES:
            self._last_round_rtt = self._round_rtt
        self._round_rtt, self._round_rtt_samples = None, 0
        if self.ceiling is not None:
            # Additive increase of the cap an overload left, one a round.
            self.ceiling = self.ceiling + 1 if self.ceiling + 1 < self.maximum else None
        if self._probing is not None and self.round > self._probing + 2:
            if self._probe_rtt is not None and self._probe_decode is not None:
                self.min_rtt, self._min_rtt_at, self.min_decode = self._probe_rtt, now, self._probe_decode
            self._probing = None

    def _update(self) -> None:
        target = (self.startup_gain if self.startup else self.gain) * self.max_rate * self.min_cycle
        if self._probing is not None:
            target /= 2
        if self.ceiling is not None:
            target = min(target, self.ceiling)
        if self.startup:
            target = max(target, self._limit)
        self._limit = min(float(self.maximum), max(float(self.minimum), target))

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
