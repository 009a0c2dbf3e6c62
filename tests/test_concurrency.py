"""Issue 11 item 2: concurrency that finds its level.

Unit tests drive the limit with a fake clock (no real time, no timing assertions); a deterministic simulation
(a modelled service and client, seeded) checks the targets' shape: near the best fixed setting's throughput at
20, 100 and 300 ms, within the requests of a `make bench` run, and a low limit against an instant service.
Loopback tests check, on the reference server, that the limit is enforced (the server never sees more in flight
than the cap), that the default adapts and grows when the service is slow and shrinks on 429s, sync and async.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from embedkit import AsyncEmbedder, Embedder, RetryPolicy
from embedkit._concurrency import (
    BODY_GAIN,
    DEFAULT_GAIN,
    DEFAULT_INITIAL,
    DEFAULT_MAXIMUM,
    DEFAULT_STARTUP_GAIN,
    MIN_BODIES,
    ConcurrencyLimit,
    Permit,
    Signal,
    answer_arrived,
)
from embedkit._errors import APITimeoutError, RateLimitError, ServerError
from embedkit._policy import Outcome, Step, load_signal
from embedkit_server import DEV_TOKEN, BackgroundServer, FaultPlan, ServerConfig


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.step = 0.0  # how far each reading moves it on (0: only the test moves it)

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def limit_with_clock(maximum: int = 32, **arguments: Any) -> tuple[ConcurrencyLimit, Clock]:
    clock = Clock()
    return ConcurrencyLimit(maximum, clock=clock, **arguments), clock


def fill(limit: ConcurrencyLimit) -> list[Permit]:
    """As many requests as the limit allows now (workers with batches to spare)."""
    permits = []
    while (permit := limit.try_acquire()) is not None:
        permits.append(permit)
    return permits


def rounds(limit: ConcurrencyLimit, clock: Clock, rtt: float, count: int, signal: Signal = Signal.SUCCESS) -> None:
    """`count` round trips of a pipe with no bottleneck: everything in flight answers `rtt` later."""
    for _ in range(count):
        permits = fill(limit)
        clock.now += rtt
        for permit in permits:
            limit.release(permit, signal, rtt)


def test_a_fixed_limit_never_moves() -> None:
    limit = ConcurrencyLimit.fixed(3)
    for signal in (Signal.SUCCESS, Signal.OVERLOAD, Signal.OTHER):
        for _ in range(5):
            permits = fill(limit)
            assert len(permits) == 3
            for permit in permits:
                limit.release(permit, signal, 5.0)
    assert limit.limit == 3
    assert limit.in_flight == 0


def test_while_the_pipe_is_not_full_the_limit_grows_by_the_startup_gain_each_round_trip() -> None:
    assert ConcurrencyLimit().limit == DEFAULT_INITIAL
    limit, clock = limit_with_clock(64, initial=4)
    assert DEFAULT_STARTUP_GAIN == 4
    rounds(limit, clock, 0.3, 1)
    # Four answers in 0.3 s, min cycle 0.3 s: the knee is 4, the limit 4x that.
    assert limit.max_rate == pytest.approx(4 / 0.3)
    assert limit.limit == 16
    rounds(limit, clock, 0.3, 1)
    assert limit.limit == 64  # capped at the maximum
    assert limit.startup


def test_when_the_rate_stops_growing_startup_ends_and_the_limit_is_gain_times_the_knee() -> None:
    # A service that answers at most 50 a second, 0.1 s after each request when not queueing.
    limit, clock = limit_with_clock(64, initial=4)
    rate, rtt = 50.0, 0.1
    events: list[tuple[float, int, Permit]] = []
    free_at, order = 0.0, 0
    for _ in range(400):
        for permit in fill(limit):
            free_at = max(clock.now + rtt, free_at + 1 / rate)
            order += 1
            heapq.heappush(events, (free_at, order, permit))
        clock.now, _, permit = heapq.heappop(events)
        limit.release(permit, Signal.SUCCESS, clock.now - permit.started)
    assert not limit.startup
    assert limit.max_rate == pytest.approx(rate)
    assert limit.min_cycle == pytest.approx(rtt)
    assert limit.limit == int(DEFAULT_GAIN * rate * rtt)  # 15, not the 64 it may hold


@pytest.mark.parametrize(("later", "ends"), [(0.105, False), (0.13, True)])
def test_startup_ends_when_even_the_quickest_round_trip_of_a_round_comes_later(later: float, ends: bool) -> None:
    # HyStart++'s delay test: 0.1 s, then a round whose first eight answers all take `later`; the threshold is
    # an eighth of 0.1 s (12.5 ms), so 5 ms later is noise and 30 ms later is a queue.
    limit, clock = limit_with_clock(64)
    rounds(limit, clock, 0.1, 1)
    assert limit.startup
    rounds(limit, clock, later, 1)
    assert limit.startup is not ends


def test_the_round_trip_and_the_decoding_are_measured_apart() -> None:
    # The client passes the time until the answer was read; decoding it afterwards is the client's own stage.
    limit, clock = limit_with_clock()
    permit = limit.try_acquire()
    assert permit is not None
    clock.now += 0.5
    limit.release(permit, Signal.SUCCESS, 0.1)
    assert (limit.min_rtt, limit.min_decode) == pytest.approx((0.1, 0.4))
    # Another answer: a slower round trip but a quicker decoding. Each minimum is kept apart, so a decoding that
    # queued behind others (for the GIL) never makes the service look slower, nor the other way round.
    permit = limit.try_acquire()
    assert permit is not None
    clock.now += 0.35
    assert limit.elapsed(permit) == pytest.approx(0.35)
    limit.release(permit, Signal.SUCCESS, 0.3)
    assert (limit.min_rtt, limit.min_decode) == pytest.approx((0.1, 0.05))
    assert limit.min_cycle == pytest.approx(0.15)
    permit = limit.try_acquire()
    assert permit is not None
    clock.now += 0.02
    limit.release(permit, Signal.SUCCESS)  # no round trip given: all of it counts as one, with no decoding
    assert (limit.min_rtt, limit.min_decode) == pytest.approx((0.02, 0.0))


def test_an_overload_shrinks_once_per_round_and_caps_the_growth_that_follows() -> None:
    limit, clock = limit_with_clock(64, initial=4)
    rounds(limit, clock, 0.1, 1)
    assert limit.limit == 16
    permits = fill(limit)
    assert len(permits) == 16
    # Sixteen requests of the same round answer 429: one halving, not sixteen.
    for permit in permits:
        limit.release(permit, Signal.OVERLOAD)
    assert limit.limit == 8
    assert not limit.startup
    # A request sent after the decrease that is refused too halves again.
    permit = limit.try_acquire()
    assert permit is not None
    limit.release(permit, Signal.OVERLOAD)
    assert limit.limit == 4
    # Quick answers again: the formula alone would go straight back to 64; the cap rises by one a round.
    rounds(limit, clock, 0.1, 3)
    assert limit.limit == 7


def test_the_limit_stays_within_its_bounds() -> None:
    limit, clock = limit_with_clock(8, minimum=2, initial=2)
    rounds(limit, clock, 0.1, 10)
    assert limit.limit == 8
    for _ in range(10):
        rounds(limit, clock, 0.1, 1, Signal.OVERLOAD)
    assert limit.limit == 2


def test_a_caller_that_keeps_few_requests_in_flight_does_not_teach_a_lower_rate() -> None:
    limit, clock = limit_with_clock(64)
    rounds(limit, clock, 0.1, 2)
    assert limit.limit == 64
    before = limit.max_rate
    for _ in range(50):  # one request at a time (small calls): their rate is the caller's pace, not the pipe's
        permit = limit.try_acquire()
        assert permit is not None
        clock.now += 0.1
        limit.release(permit, Signal.SUCCESS, 0.1)
    assert limit.max_rate == before
    assert limit.limit == 64


def test_against_an_instant_service_the_fastest_rate_is_kept_for_a_second_not_only_ten_rounds() -> None:
    # Ten rounds of a few milliseconds forgot the rate within a tenth of a second: one slower round lowered the
    # limit, which lowered the rate measured next, down to 2 in flight (measured against the reference server).
    limit, clock = limit_with_clock(64)
    rounds(limit, clock, 0.002, 5)
    fastest = limit.max_rate
    rounds(limit, clock, 0.004, 50)  # 50 slower rounds, 0.2 s in all: the fastest rate still counts
    assert limit.max_rate == pytest.approx(fastest)
    rounds(limit, clock, 0.004, 300)  # more than a second of them: the rate is the slower service's
    assert limit.max_rate < 0.75 * fastest


def test_a_service_that_got_slower_for_good_is_measured_again_after_ten_seconds() -> None:
    limit, clock = limit_with_clock(64)
    rounds(limit, clock, 0.1, 5)
    assert limit.min_rtt == pytest.approx(0.1)
    rounds(limit, clock, 0.5, 10)  # 5 s of a service five times slower: perhaps a passing queue in the service
    assert limit.min_rtt == pytest.approx(0.1)
    rounds(limit, clock, 0.5, 30)  # 15 s more: measured again
    assert limit.min_rtt == pytest.approx(0.5)
    # And the limit follows its new knee: still the whole pipe (the rate and round trip are both measured anew).
    assert limit.limit == 64


def test_answers_that_say_nothing_about_load_change_nothing() -> None:
    limit, clock = limit_with_clock()
    rounds(limit, clock, 0.1, 1)
    before = limit.limit
    rounds(limit, clock, 9.0, 5, Signal.OTHER)
    assert limit.limit == before
    assert limit.min_rtt == pytest.approx(0.1)


# --- a deterministic simulation: a modelled service and client ----------------------------------------------------


@dataclass
class Model:
    """A closed loop like `make bench`'s: the service waits `latency`, then one core serves each request
    (`service` seconds); the client's one core decodes each answer (`decode` seconds, holding the request's slot);
    a loopback round trip of `wire` seconds. Every cost jitters by up to +-50%, from a seeded generator."""

    latency: float
    service: float = 0.012
    decode: float = 0.014
    wire: float = 0.010
    seed: int = 11
    limits: list[int] = field(default_factory=list)

    def run(self, limit: ConcurrencyLimit, requests: int) -> float:
        """Send `requests` requests as the limit allows; their throughput (per second, ramp-up included)."""
        clock = Clock()
        limit._clock = clock
        jitter = random.Random(self.seed)
        events: list[tuple[float, int, str, Permit, float]] = []
        server_free = client_free = 0.0
        sent = order = 0
        while sent < requests or events:
            while sent < requests and (permit := limit.try_acquire()) is not None:
                sent += 1
                order += 1
                start = max(clock.now + self.latency + self.wire / 2, server_free)
                server_free = start + self.service * jitter.uniform(0.5, 1.5)
                heapq.heappush(events, (server_free + self.wire / 2, order, "read", permit, 0.0))
            clock.now, order_of, kind, permit, rtt = heapq.heappop(events)
            if kind == "read":  # the answer's bytes are read: its round trip ends; decoding queues for the CPU
                client_free = max(clock.now, client_free) + self.decode * jitter.uniform(0.5, 1.5)
                heapq.heappush(events, (client_free, order_of, "done", permit, clock.now - permit.started))
            else:
                limit.release(permit, Signal.SUCCESS, rtt)
                self.limits.append(limit.limit)
        return requests / clock.now


FIXED = (1, 2, 4, 8, 16, 32)


@pytest.mark.parametrize(("latency", "requests"), [(0.02, 160), (0.1, 160), (0.3, 480)])
def test_simulated_the_adaptive_limit_reaches_90_percent_of_the_best_fixed_setting(
    latency: float, requests: int
) -> None:
    # As many requests as `make bench` sends (20,480 texts in batches of 128; three times that at 300 ms).
    best = max(Model(latency).run(ConcurrencyLimit.fixed(n), requests) for n in FIXED)
    model = Model(latency)
    adaptive = model.run(ConcurrencyLimit(), requests)
    assert adaptive >= 0.9 * best
    assert max(model.limits) <= DEFAULT_MAXIMUM


def test_simulated_against_an_instant_service_the_limit_stays_low() -> None:
    model = Model(0.0)
    sequential = Model(0.0).run(ConcurrencyLimit.fixed(1), 160)
    adaptive = model.run(ConcurrencyLimit(), 160)
    # Faster than sequential (two cores overlap), with a handful in flight, not the 32 a far service gets: a short
    # overshoot while starting, then back under the 8 it started at.
    assert adaptive >= sequential
    assert max(model.limits) <= DEFAULT_MAXIMUM // 2
    assert model.limits[-1] < DEFAULT_INITIAL


@pytest.mark.parametrize(
    ("outcome", "signal"),
    [
        (Outcome(Step.DONE), Signal.SUCCESS),
        (Outcome(Step.RETRY, RateLimitError("slow down", status=429)), Signal.OVERLOAD),
        (Outcome(Step.RETRY, ServerError("unavailable", status=503)), Signal.OVERLOAD),
        (Outcome(Step.RETRY, APITimeoutError("no answer")), Signal.OVERLOAD),
        (Outcome(Step.RETRY, ServerError("bug", status=500)), Signal.OTHER),
        (Outcome(Step.SPLIT), Signal.OTHER),
        (None, Signal.OTHER),
    ],
)
def test_the_policy_says_what_each_outcome_means_for_load(outcome: Outcome | None, signal: Signal) -> None:
    assert load_signal(outcome) is signal


def test_threads_wait_for_a_slot_and_a_stopped_call_takes_none() -> None:
    limit = ConcurrencyLimit.fixed(1)
    first = limit.acquire()
    assert first is not None
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(limit.acquire()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # blocked: the one slot is taken
    limit.release(first, Signal.SUCCESS, 0.1)
    waiter.join(5)
    assert got
    assert got[0] is not None
    assert limit.in_flight == 1
    stopped = threading.Event()
    stopped.set()
    assert limit.acquire(stopped) is None
    assert limit.in_flight == 1


def test_a_cancelled_async_wait_gives_its_slot_back() -> None:
    async def scenario() -> None:
        limit = ConcurrencyLimit.fixed(1)
        first = await limit.acquire_async()
        waiting = asyncio.ensure_future(limit.acquire_async())
        await asyncio.sleep(0)
        limit.release(first, Signal.SUCCESS, 0.1)  # granted to the waiting task...
        waiting.cancel()  # ...which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert limit.in_flight == 0
        assert limit.try_acquire() is not None

    asyncio.run(scenario())


# --- answers held at once (issue 22: the float path's peak RSS) -------------------------------------------------------


def one_answer_at_a_time(limit: ConcurrencyLimit, clock: Clock, headers_after: float, decoded_in: float) -> None:
    """An instant service and a client whose CPU is the bottleneck: 20 answers, one at a time."""
    for _ in range(20):
        permit = limit.try_acquire()
        assert permit is not None
        clock.now += headers_after
        limit.hold(permit)
        clock.now += decoded_in
        limit.release(permit, Signal.SUCCESS)


def test_bodies_held_at_once_are_gain_times_the_knee_of_the_clients_own_stage() -> None:
    limit, clock = limit_with_clock()
    assert limit.bodies == limit.limit  # nothing measured yet: no bound beyond the limit
    # Headers 10 ms after sending, the body read and decoded in 5 ms.
    one_answer_at_a_time(limit, clock, headers_after=0.010, decoded_in=0.005)
    assert limit.min_rtt == pytest.approx(0.010)  # up to the headers: the round trip
    assert limit.min_decode == pytest.approx(0.005)  # the body's reading and decoding
    assert BODY_GAIN * limit.max_rate * limit.min_decode < MIN_BODIES
    assert limit.bodies == MIN_BODIES < limit.limit
    # A far service whose bodies take long to arrive (0.2 s of a 0.5 s cycle): the bound is above what the stage
    # holds at the limit, so it does not slow the transfers down.
    far, clock = limit_with_clock()
    for _ in range(3):
        permits = fill(far)
        clock.now += 0.3
        for permit in permits:
            far.hold(permit, wait=0.0)
        clock.now += 0.2
        for permit in permits:
            far.release(permit, Signal.SUCCESS)
    assert far.bodies >= 2 * far.limit * 0.2 / 0.5 - 1


def test_a_body_waits_for_a_slot_and_the_wait_is_not_the_services_round_trip() -> None:
    limit, clock = limit_with_clock()
    # Learn a client whose CPU is the bottleneck (one answer at a time), so that only MIN_BODIES are read at once.
    one_answer_at_a_time(limit, clock, headers_after=0.010, decoded_in=0.001)
    assert limit.bodies == MIN_BODIES
    permits = fill(limit)
    assert len(permits) > MIN_BODIES + 1
    for permit in permits[:MIN_BODIES]:
        assert limit.hold(permit)
    assert limit.holding == MIN_BODIES
    # A third answer's headers are in: it waits (here: gives up after `wait`, as an attempt past its deadline does).
    clock.now += 0.002
    assert not limit.hold(permits[MIN_BODIES], wait=0.0)
    assert permits[MIN_BODIES].answer.headers == pytest.approx(clock.now)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(limit.hold(permits[MIN_BODIES])))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # blocked: both slots are taken
    clock.now += 0.5
    limit.release(permits[0], Signal.SUCCESS)
    waiter.join(5)
    assert got == [True]
    assert limit.holding == MIN_BODIES
    # Its round trip ends at its headers, not after the wait for a slot (0.5 s later).
    rtt = limit.min_rtt
    clock.now += 0.001
    limit.release(permits[MIN_BODIES], Signal.SUCCESS)
    assert limit.min_rtt == rtt
    for permit in permits[1:MIN_BODIES] + permits[MIN_BODIES + 1 :]:
        limit.release(permit, Signal.SUCCESS)
    assert limit.holding == 0


def test_a_fixed_limit_and_a_thread_outside_any_request_never_wait_for_a_body_slot() -> None:
    fixed = ConcurrencyLimit.fixed(4)
    permits = fill(fixed)
    assert all(fixed.hold(permit, wait=0.0) for permit in permits)
    assert answer_arrived(0.0)  # no request of this thread: nothing to hold
    # A thread's request binds it to its limit from `acquire` to `release`, and no longer.
    limit, _ = limit_with_clock()
    permit = limit.acquire()
    assert permit is not None
    assert answer_arrived(0.0)
    assert permit.answer.holding
    limit.release(permit, Signal.SUCCESS)
    assert limit.holding == 0
    assert answer_arrived(0.0)
    assert not permit.answer.holding


def test_an_answer_that_gets_no_body_slot_before_the_attempts_deadline_is_a_read_timeout() -> None:
    import httpx
    from embedkit._guard import Guard, Ticket
    from embedkit._http import new_sync_client
    from embedkit._ratebudget import RateBudget, RateLimits

    limit, clock = limit_with_clock()
    for _ in range(20):  # a client whose CPU is the bottleneck: MIN_BODIES answers read at once
        permit = limit.try_acquire()
        assert permit is not None
        clock.now += 0.010
        limit.hold(permit)
        clock.now += 0.001
        limit.release(permit, Signal.SUCCESS)
    busy = [limit.try_acquire() for _ in range(MIN_BODIES)]
    assert all(permit is not None and limit.hold(permit, wait=0.0) for permit in busy)
    clock.step = 0.25  # the limit's clock moves on whenever it is read: the wait for a slot ends within a few polls
    guard = Guard(RateBudget.in_process(RateLimits(), "body-slot-test"), limit=None)
    with BackgroundServer(ServerConfig()) as server, new_sync_client(httpx.Timeout(10), httpx.Limits()) as client:
        request: dict[str, Any] = {"extensions": {"embedkit.ticket": Ticket(0, time.monotonic() + 1.0)}}
        permit = limit.acquire()
        assert permit is not None
        with guard.watch(request), pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/v1/models", headers={"Authorization": f"Bearer {DEV_TOKEN}"})
        limit.release(permit, Signal.OVERLOAD)
        assert limit.holding == MIN_BODIES  # the timed-out answer took no slot
        # Outside an attempt the same client reads at once.
        assert client.get(f"{server.url}/v1/models", headers={"Authorization": f"Bearer {DEV_TOKEN}"}).is_success


def test_against_an_instant_service_few_answers_are_held_and_every_vector_arrives() -> None:
    """Loopback: the sync client's HTTP layer holds bodies back; the rows are the ones a sequential client gets."""
    held: list[int] = []
    with BackgroundServer(ServerConfig()) as server:
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=16, progress=False) as embedder:
            limit = embedder._limit
            hold = limit.hold

            def watched(permit: Permit, wait: float | None = None) -> bool:
                taken = hold(permit, wait)
                held.append(limit.holding)
                return taken

            limit.hold = watched  # type: ignore[method-assign]
            vectors = embedder.embed(TEXTS).vectors
            assert limit.holding == 0
        with Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=16, progress=False, max_concurrency=1
        ) as sequential:
            expected = sequential.embed(TEXTS).vectors
    assert len(held) >= len(TEXTS) // 16
    assert (vectors == expected).all()


# --- loopback: the reference server -----------------------------------------------------------------------------------

TEXTS = [f"concurrency text {i}" for i in range(64 * 16)]


def test_by_default_the_limit_adapts_and_the_server_never_sees_more_than_the_cap() -> None:
    with BackgroundServer(ServerConfig(latency_ms=150)) as server:
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=8, progress=False) as embedder:
            assert embedder._limit.adaptive
            assert embedder._limit.maximum == DEFAULT_MAXIMUM
            embedder.embed(TEXTS)
            grown = embedder._limit.limit
        assert server.app.peak_in_flight <= DEFAULT_MAXIMUM
        # A slow service: more in flight pays, so the limit grew past its start.
        assert grown > DEFAULT_INITIAL
        assert server.app.peak_in_flight > 4


@pytest.mark.parametrize("cap", [1, 3])
def test_an_explicit_max_concurrency_is_a_hard_cap_sync_and_async(cap: int) -> None:
    with BackgroundServer(ServerConfig(latency_ms=20)) as server:
        with Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=16, max_concurrency=cap, progress=False
        ) as embedder:
            embedder.embed(TEXTS[:320])
        assert server.app.peak_in_flight == cap

        async def run_async() -> None:
            async with AsyncEmbedder.mistral(
                base_url=server.url, api_key=DEV_TOKEN, batch_size=16, max_concurrency=cap, progress=False
            ) as embedder:
                await embedder.embed(TEXTS[:320])

        server.app.peak_in_flight = 0
        asyncio.run(run_async())
        assert server.app.peak_in_flight == cap


def test_the_async_adaptive_limit_grows_under_latency_within_the_cap() -> None:
    async def run_async(url: str) -> int:
        async with AsyncEmbedder.mistral(
            base_url=url, api_key=DEV_TOKEN, batch_size=8, progress=False, max_concurrency=None
        ) as embedder:
            await embedder.embed(TEXTS)
            return embedder._limit.limit

    with BackgroundServer(ServerConfig(latency_ms=150)) as server:
        grown = asyncio.run(run_async(server.url))
        assert grown > 4
        assert 4 < server.app.peak_in_flight <= DEFAULT_MAXIMUM


def test_429s_shrink_the_limit_and_every_vector_still_arrives() -> None:
    faults = FaultPlan(rate=0.3, kinds=("429",), retry_after_ms=10, seed=3)
    retry = RetryPolicy(max_retries=20, initial_delay=0.01, max_delay=0.05)
    with (
        BackgroundServer(ServerConfig(latency_ms=150)) as calm,
        BackgroundServer(ServerConfig(latency_ms=150, faults=faults)) as refusing,
    ):
        limits = {}
        for name, url in (("calm", calm.url), ("refusing", refusing.url)):
            with Embedder.mistral(
                base_url=url, api_key=DEV_TOKEN, batch_size=8, retry=retry, progress=False, max_concurrency=None
            ) as e:
                result = e.embed(TEXTS)
                limits[name] = e._limit.limit
            assert result.vectors.shape == (len(TEXTS), 1024)
    assert "429" in faults.recent
    assert limits["refusing"] < limits["calm"]


@pytest.mark.parametrize(
    ("flags", "expected"), [([], None), (["--max-concurrency", "auto"], None), (["--max-concurrency", "3"], 3)]
)
def test_the_command_adapts_unless_given_a_number(flags: list[str], expected: int | None) -> None:
    from embedkit._cli import _parser

    assert _parser().parse_args(["embed", "in.txt", "out.parquet", *flags]).max_concurrency == expected
