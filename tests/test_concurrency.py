"""Issue 11 item 2: concurrency that finds its level.

Unit tests feed the limit latencies and outcomes (no clock, no timing); loopback tests check, on the reference
server, that the limit is enforced (the server never sees more in flight than the cap), that it grows when the
service is slow and shrinks on 429s, in the sync and async clients.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from embedkit import AsyncEmbedder, Embedder, RetryPolicy
from embedkit._concurrency import DEFAULT_MAXIMUM, ConcurrencyLimit, Signal
from embedkit._errors import APITimeoutError, RateLimitError, ServerError
from embedkit._policy import Outcome, Step, load_signal
from reference_server import DEV_TOKEN, BackgroundServer, FaultPlan, ServerConfig


def run(limit: ConcurrencyLimit, latencies: list[float], signal: Signal = Signal.SUCCESS) -> None:
    """Keep the limit full, and end one request per latency given (a steady stream, as workers make)."""
    for latency in latencies:
        while (permit := limit.try_acquire()) is not None:
            held.append(permit)
        limit.release(held.pop(0), signal, latency)


held: list[Any] = []


@pytest.fixture(autouse=True)
def _no_leftover_permits() -> None:
    held.clear()


def test_a_fixed_limit_never_moves() -> None:
    limit = ConcurrencyLimit.fixed(3)
    run(limit, [0.1] * 20 + [5.0] * 20)
    run(limit, [0.1] * 5, Signal.OVERLOAD)
    assert limit.limit == 3
    assert limit.in_flight == 2  # full, less the one just ended


def test_slow_start_doubles_while_latency_stays_flat_up_to_the_maximum() -> None:
    limit = ConcurrencyLimit(32)
    assert limit.limit == 1
    run(limit, [0.3] * 3)
    assert limit.limit == 4  # one more per answer: 1 -> 2 -> 3 -> 4
    run(limit, [0.3] * 200)
    assert limit.limit == 32
    assert limit.in_flight == 31


def test_rising_latency_ends_slow_start_and_shrinks_the_limit_by_the_gradient() -> None:
    limit = ConcurrencyLimit(32)
    run(limit, [0.1] * 7)
    assert limit.limit == 8
    # Each request in flight adds to the latency (a client-bound service): past 1.5x the base, it shrinks.
    for _ in range(30):
        run(limit, [0.1 * max(1.0, limit.in_flight / 2)])
    assert not limit.slow_start
    assert 2 <= limit.limit <= 5  # about where 1.5x the base latency is


def test_additive_growth_after_slow_start_while_latency_holds() -> None:
    limit = ConcurrencyLimit(32)
    run(limit, [0.1] * 3)
    run(limit, [0.2])  # 2x the base: slow start ends
    assert not limit.slow_start
    before = limit.limit
    run(limit, [0.1] * (before + 1))  # one window of quick answers: one more
    assert limit.limit == before + 1


def test_an_overload_halves_once_per_round_and_ends_slow_start() -> None:
    limit = ConcurrencyLimit(32)
    run(limit, [0.1] * 15)
    assert limit.limit == 16
    outstanding = [limit.try_acquire() for _ in range(limit.limit - limit.in_flight)]
    assert None not in outstanding
    # Sixteen requests of the same round answer 429: one halving, not sixteen.
    for permit in held + outstanding:
        assert permit is not None
        limit.release(permit, Signal.OVERLOAD)
    held.clear()
    assert limit.limit == 8
    assert not limit.slow_start
    # A request sent after the decrease that is refused too halves again.
    permit = limit.try_acquire()
    assert permit is not None
    limit.release(permit, Signal.OVERLOAD)
    assert limit.limit == 4


def test_the_limit_stays_within_its_bounds() -> None:
    limit = ConcurrencyLimit(4, minimum=2, initial=2)
    run(limit, [0.1] * 50)
    assert limit.limit == 4
    for _ in range(10):
        permit = limit.try_acquire() or held.pop(0)
        limit.release(permit, Signal.OVERLOAD)
        limit._epoch = 0  # every overload of a new round
    assert limit.limit >= 2


def test_a_slower_service_is_not_mistaken_for_queueing_at_the_minimum() -> None:
    limit = ConcurrencyLimit(8)
    run(limit, [0.1])
    run(limit, [0.5] * 10)  # the service got 5x slower with one request in flight
    assert limit.baseline == pytest.approx(0.5)


def test_answers_that_say_nothing_about_load_change_nothing() -> None:
    limit = ConcurrencyLimit(8)
    run(limit, [0.1] * 3)
    before = limit.limit
    run(limit, [9.0] * 10, Signal.OTHER)
    assert limit.limit == before


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


# --- loopback: the reference server -----------------------------------------------------------------------------------

TEXTS = [f"concurrency text {i}" for i in range(64 * 16)]


def test_no_fixed_limit_adapts_and_the_server_never_sees_more_than_the_cap() -> None:
    with BackgroundServer(ServerConfig(latency_ms=150)) as server:
        with Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=8, progress=False, max_concurrency=None
        ) as embedder:
            assert embedder._limit.adaptive
            assert embedder._limit.maximum == DEFAULT_MAXIMUM
            embedder.embed(TEXTS)
            grown = embedder._limit.limit
        assert server.app.peak_in_flight <= DEFAULT_MAXIMUM
        # A slow service: more in flight pays, so the limit grew past its start (1).
        assert grown > 4
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
