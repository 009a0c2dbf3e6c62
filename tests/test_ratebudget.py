"""One rate budget for every worker, the per-call deadline, and the watchdog that bounds each attempt.

The server-side proof of pacing is the reference server's own limiter: limited at the same rate as the client, it
refuses nothing (`rate_limiter.refused == 0`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from embedkit import (
    APITimeoutError,
    AsyncEmbedder,
    ClosedError,
    DeadlineExceededError,
    Embedder,
    InputError,
    RateBudget,
    RateLimits,
    RetryPolicy,
)
from embedkit._ratebudget import FileBackend, LocalBackend
from embedkit_server import BackgroundServer, ServerConfig, ServerProcess
from embedkit_server import RateLimits as ServerLimits
from embedkit_server._faults import FaultPlan
from embedkit_server._runner import read_stats

DEV_TOKEN = "dev-token"  # the reference server's published development key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_spaces_reservations_pauses_void_them_and_headers_correct_it() -> None:
    clock = Clock()
    limits = RateLimits(requests_per_second=10)
    backend = LocalBackend(limits, clock)
    # Half a second of requests at once, then one every 1/(10 * 0.98) s, reserved ahead (no polling).
    waits = [backend.reserve(limits, 0, None, None)[0] for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(1 / 9.8)
    assert waits[6] == pytest.approx(2 / 9.8)
    # A wait longer than allowed is not reserved at all.
    assert backend.reserve(limits, 0, None, 0.1)[0] is None
    assert backend.reserve(limits, 0, None, None)[0] == pytest.approx(3 / 9.8)
    # A reservation already made, still valid, costs nothing more.
    _, held = backend.reserve(limits, 0, None, None)
    before = backend.state.requests
    assert backend.reserve(limits, 0, held, None) == (0.0, held)
    assert backend.state.requests == before
    # A pause voids what was reserved before it: the holder reserves again, behind the pause.
    backend.pause(2.0)
    wait, newer = backend.reserve(limits, 0, held, None)
    assert newer == held + 1
    assert 2.0 + 1 / 9.8 <= wait <= 2.0 + 1 / 9.8 + 0.2  # the pause, its place in the queue, and jitter
    clock.now += 60
    assert backend.state.requests <= 5  # never above its capacity, however long idle

    tokens = RateLimits(tokens_per_minute=6000)  # 100 tokens a second, a 50-token bucket
    backend = LocalBackend(tokens, clock)
    assert backend.reserve(tokens, 50, None, None)[0] == 0.0
    assert backend.reserve(tokens, 98, None, None)[0] == pytest.approx(1.0)
    backend.correct(tokens, refund=98, remaining=None)  # charged nothing after all: the tokens come back
    assert backend.state.tokens == pytest.approx(0.0)
    clock.now += 1
    backend.correct(tokens, refund=0, remaining=7)  # the service says 7 remain: never more here
    assert backend.state.tokens == 7


def test_limits_arguments_and_environment_are_checked_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="requests_per_second") as caught:
        Embedder.mistral(api_key=DEV_TOKEN, requests_per_second=0)
    assert caught.value.argument == "requests_per_second"
    monkeypatch.setenv("EMBEDKIT_TOKENS_PER_MINUTE", "lots")
    with pytest.raises(InputError, match="EMBEDKIT_TOKENS_PER_MINUTE"):
        Embedder.mistral(api_key=DEV_TOKEN)
    monkeypatch.setenv("EMBEDKIT_TOKENS_PER_MINUTE", "600000")
    with Embedder.mistral(api_key=DEV_TOKEN) as embedder:
        assert embedder._settings.budget.limits == RateLimits(tokens_per_minute=600000)
    with pytest.raises(InputError, match="not beside it"):
        Embedder.mistral(api_key=DEV_TOKEN, rate_budget=RateBudget(RateLimits(), LocalBackend(RateLimits())),
                         tokens_per_minute=5)  # fmt: skip


def texts(count: int, tag: str = "") -> list[str]:
    return [f"budget text {tag}{i}" for i in range(count)]


def test_threads_sharing_one_budget_never_exceed_the_limits() -> None:
    config = ServerConfig(rate_limits=ServerLimits(requests_per_second=20, tokens_per_minute=6000))
    with BackgroundServer(config) as server:
        # Empty the server's minute of tokens, then give it the half second of tokens this client may burst.
        server.app.rate_limiter.admit(DEV_TOKEN.encode(), 6000)
        time.sleep(0.6)
        with Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=2, max_concurrency=8, requests_per_second=20,
            tokens_per_minute=6000, progress=False,
        ) as embedder:  # fmt: skip
            result = embedder.embed(texts(60))  # 30 requests of ~12 tokens: ~4 s at 100 tokens/s
        assert server.app.rate_limiter.refused == 0
        assert server.app.rate_limiter.tokens_served == 6000 + result.usage.total_tokens
        # With no limits given (and one retry), the same job learns them from the answers' headers and finishes:
        # 429s do not spend retries (tests/test_learned_limits.py shows the learning itself).
        learner = Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=2, max_concurrency=8,
                                   max_retries=1, progress=False)  # fmt: skip
        with learner:
            assert learner.embed(texts(60, "control ")).vectors.shape[0] == 60


def test_async_tasks_share_the_budget_too() -> None:
    config = ServerConfig(rate_limits=ServerLimits(requests_per_second=20))

    async def run(url: str) -> None:
        async with AsyncEmbedder.mistral(base_url=url, api_key=DEV_TOKEN, batch_size=1, max_concurrency=8,
                                         requests_per_second=20, progress=False) as embedder:  # fmt: skip
            await asyncio.gather(embedder.embed(texts(20, "a")), embedder.embed(texts(20, "b")))

    with BackgroundServer(config) as server:
        asyncio.run(run(server.url))
        assert server.app.rate_limiter.refused == 0
        assert server.app.requests == 40


CHILD = """
import sys
from embedkit import Embedder
url, budget, tag = sys.argv[1:]
with Embedder.mistral(base_url=url, api_key="dev-token", batch_size=1, max_concurrency=4, requests_per_second=10,
                      rate_budget=budget, progress=False) as embedder:
    embedder.embed([f"process {tag} text {i}" for i in range(25)])
"""


@pytest.mark.slow
def test_two_processes_share_the_budget_through_its_file(tmp_path: Path) -> None:
    budget = tmp_path / "budget.sqlite"
    with server_process(tmp_path, "--requests-per-second", "10") as (url, stats):
        children = [
            subprocess.Popen([sys.executable, "-c", CHILD, url, str(budget), tag], stderr=subprocess.PIPE)
            for tag in "ab"
        ]
        for child in children:
            _, errors = child.communicate(timeout=120)
            assert child.returncode == 0, errors.decode()[-2000:]
    # 50 requests at 10/s from two processes, each of which alone would pace at 10/s: shared, or refused.
    assert stats["requests"] == 50
    assert stats["refused"] == 0
    assert FileBackend(budget, "x").reserve(RateLimits(1), 0, None, None)[0] == 0.0  # a table beside, any name


@contextlib.contextmanager
def server_process(tmp_path: Path, *flags: str) -> Iterator[tuple[str, dict[str, int]]]:
    """The reference server in a process of its own (a busy test process must not delay what it receives);
    its counters fill the dict once it has stopped."""
    output = tmp_path / "server.out"
    stats: dict[str, int] = {}
    command = [sys.executable, "-m", "embedkit_server", "--token", DEV_TOKEN, "--token", "warm-up", *flags]
    with ServerProcess(command, output=output) as url:
        # Its first embedding loads the tokenizer, holding up (then bunching) whatever arrives meanwhile; another
        # key's budget pays for it.
        httpx.post(url + "/v1/embeddings", json={"model": "mistral-embed", "input": ["warm up"]},
                   headers={"Authorization": "Bearer warm-up"}).raise_for_status()  # fmt: skip
        yield url, stats
    stats.update(read_stats(output.read_text()))
    assert stats, "the server printed its counters on exit"
    stats["requests"] -= 1  # the warm-up


@pytest.mark.slow
def test_dask_workers_share_one_budget(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    import pandas as pd
    from embedkit.dask import embed_series

    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    corpus = texts(48, "dask ")
    with server_process(tmp_path, "--requests-per-second", "10") as (url, stats):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None)
        with cluster, distributed.Client(cluster):
            series = dd.from_pandas(pd.Series(corpus), npartitions=4)
            lazy = embed_series(series, base_url=url, batch_size=1, requests_per_second=10)
            vectors = lazy.compute()
    assert stats["requests"] == 48
    assert stats["refused"] == 0, "one limiter per partition would send 4x the rate"
    assert vectors.shape == (48, 1024)


def test_a_429_pauses_every_worker_sharing_the_budget() -> None:
    # One request in four is refused with `Retry-After: 1`; nobody may send until it has passed.
    plan = FaultPlan(rate=0.25, seed=3, kinds=("429",), retry_after_ms=1000)
    with BackgroundServer(ServerConfig(faults=plan)) as server:
        draws: list[tuple[float, str | None]] = []
        draw = plan.draw

        def recorded() -> str | None:
            fault = draw()
            draws.append((time.monotonic(), fault))
            return fault

        server.app.config.faults.draw = recorded  # type: ignore[method-assign]
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=1, max_concurrency=4,
                              retry=RetryPolicy(max_retries=10), progress=False) as embedder:  # fmt: skip
            embedder.embed(texts(16, "pause "))
    refusals = [moment for moment, fault in draws if fault == "429"]
    assert refusals
    for refused in refusals:
        # What was already on the wire may still arrive; nothing is sent in the rest of the pause.
        during = [moment for moment, _ in draws if refused + 0.3 < moment < refused + 0.9]
        assert during == [], f"{len(during)} requests during the pause after the 429 at {refused - draws[0][0]:.2f} s"


def embed_with(client: str, arguments: dict[str, Any], corpus: list[str], **options: Any) -> None:
    """One `embed` call by the sync or the async client."""
    if client == "sync":
        with Embedder.mistral(**arguments) as embedder:
            embedder.embed(corpus, **options)
        return

    async def run() -> None:
        async with AsyncEmbedder.mistral(**arguments) as embedder:
            await embedder.embed(corpus, **options)

    asyncio.run(run())


@pytest.mark.parametrize("client", ["sync", "async"])
def test_a_deadline_raises_a_typed_error_carrying_the_rows_that_finished(client: str) -> None:
    corpus = texts(10, "deadline ")
    with BackgroundServer(ServerConfig(latency_ms=300)) as server:
        arguments: dict[str, Any] = {"base_url": server.url, "api_key": DEV_TOKEN, "batch_size": 1,
                                     "max_concurrency": 1, "progress": False}  # fmt: skip
        with pytest.raises(DeadlineExceededError) as caught:
            embed_with(client, arguments, corpus, deadline=1.0)
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
            expected = embedder.embed(corpus).vectors
    partial = caught.value.partial
    assert partial is not None
    done = partial.completed_indices
    assert 1 <= len(done) < len(corpus)
    assert partial.vectors is not None
    assert np.array_equal(partial.vectors[done], expected[done])
    assert isinstance(caught.value, TimeoutError)


def test_a_deadline_the_rate_budget_cannot_meet_fails_at_once() -> None:
    with BackgroundServer() as server:
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=1, requests_per_second=1,
                              progress=False) as embedder:  # fmt: skip
            started = time.monotonic()
            with pytest.raises(DeadlineExceededError, match="rate budget") as caught:
                embedder.embed(texts(5, "slow budget "), deadline=2.5)
            assert time.monotonic() - started < 2.5  # refused rather than waited for
        assert caught.value.partial is not None
        assert 1 <= len(caught.value.partial.completed_indices) < 5


class HangingServer:
    """Accepts connections and never completes an answer: silent, or trickling header bytes forever."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.accepted = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            threading.Thread(target=self._hold, args=(connection,), daemon=True).start()

    def _hold(self, connection: socket.socket) -> None:
        with connection:
            if self.mode == "trickle":
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self._stop.wait(0.1):
                if self.mode == "trickle":
                    try:
                        connection.sendall(b"x")  # a header line that never ends, a byte well within the timeout
                    except OSError:
                        return

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.mark.parametrize("mode", ["silent", "trickle"])
@pytest.mark.parametrize("client", ["sync", "async"])
def test_the_watchdog_ends_an_attempt_that_hangs_and_sends_it_again(mode: str, client: str) -> None:
    arguments: dict[str, Any] = {"api_key": DEV_TOKEN, "timeout": 0.5, "retry": RetryPolicy(max_retries=1,
                                 initial_delay=0.01), "progress": False}  # fmt: skip
    with HangingServer(mode) as server:
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            embed_with(client, {"base_url": server.url, **arguments}, ["hello"])
        elapsed = time.monotonic() - started
        assert caught.value.attempts == 2, "resent once after the first attempt hung"
        assert server.accepted == 2
    # Each attempt ends by its deadline (0.5 s to connect + 0.5 s to answer), however the bytes trickle.
    assert elapsed < 10


# --- the budget's clock is monotonic ------------------------------------------------------------------------------


def test_a_wall_clock_stepped_back_stalls_nobody(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    budget = RateBudget.in_file(RateLimits(requests_per_second=10), tmp_path / "budget.sqlite", "wall clock")
    try:
        assert budget.acquire(0)
        wall = time.time
        monkeypatch.setattr(time, "time", lambda: wall() - 600)  # the system clock stepped back ten minutes
        started = time.monotonic()
        for _ in range(3):  # a wall-clock budget would have every sender wait the 600 s (past this deadline)
            assert budget.acquire(0, deadline=time.monotonic() + 2)
        assert time.monotonic() - started < 2
    finally:
        budget.close()


PAUSE_CHILD = """
import sys
from embedkit._ratebudget import FileBackend
backend = FileBackend(sys.argv[1], "across")
backend.pause(5.0)
backend.close()
"""


def test_moments_in_the_file_mean_the_same_to_every_process_and_another_boots_are_clamped(tmp_path: Path) -> None:
    path = tmp_path / "budget.sqlite"
    limits = RateLimits(requests_per_second=10)
    # Another process pauses the budget for 5 s on its monotonic clock: this one reads the same 5 s (what is left).
    subprocess.run([sys.executable, "-c", PAUSE_CHILD, str(path)], check=True, timeout=60)
    here = FileBackend(path, "across")
    try:
        wait = here.reserve(limits, 0, None, None)[0]
        assert wait is not None
        assert 3.0 < wait < 5.0 + 0.5 + 0.6 + 0.2  # what is left of the pause, two jitters, this request's place
    finally:
        here.close()

    # A file written before a reboot: its moments lie far ahead of the new boot's clock. Clamped, not waited for.
    clock = Clock()
    clock.now = 90_000.0  # a day of uptime
    before = FileBackend(path, "reboot", clock=clock)
    before.pause(60.0)
    for _ in range(100):
        before.reserve(limits, 0, None, None)  # a queue of reservations, ten seconds long
    before.close()
    clock.now = 30.0  # booted again, thirty seconds ago
    after = FileBackend(path, "reboot", clock=clock)
    try:
        wait = after.reserve(limits, 0, None, None)[0]
        assert wait is not None
        assert wait < 0.2, "emptied (one request's spacing), neither paused nor queued"
        # A pause within the window is still a pause.
        after.pause(5.0)
        wait = after.reserve(limits, 0, None, None)[0]
        assert wait is not None
        assert wait >= 5.0
    finally:
        after.close()

    # The same in a process, with a clock stepped back ten minutes (the state's moments are from before).
    clock.now = 1000.0
    local = LocalBackend(limits, clock)
    local.pause(30.0)
    clock.now -= 600
    wait = local.reserve(limits, 0, None, None)[0]
    assert wait is not None
    assert wait < 0.2


# --- one budget per key, whatever the limits ----------------------------------------------------------------------


@pytest.mark.parametrize("rates", [(2.0, 5.0), (2.0, None)], ids=["2-and-5", "2-and-unlimited"])
@pytest.mark.parametrize("where", ["process", "file"])
def test_a_429_seen_by_one_client_of_a_key_pauses_its_other_clients_whatever_their_limits(
    where: str, rates: tuple[float, float | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMBEDKIT_REQUESTS_PER_SECOND", raising=False)
    monkeypatch.delenv("EMBEDKIT_TOKENS_PER_MINUTE", raising=False)
    monkeypatch.delenv("EMBEDKIT_RATE_BUDGET_FILE", raising=False)
    arguments: dict[str, Any] = {"base_url": "http://127.0.0.1:9", "api_key": f"key-{uuid.uuid4().hex}",
                                 "progress": False}  # fmt: skip
    if where == "file":
        arguments["rate_budget"] = tmp_path / "budget.sqlite"
    first, second = rates
    with (
        Embedder.mistral(requests_per_second=first, **arguments) as one,
        Embedder.mistral(requests_per_second=second, **arguments) as other,
    ):
        mine, theirs = one._settings.budget, other._settings.budget
        assert mine.limits != theirs.limits  # each paces to its own limits
        assert theirs.acquire(0, deadline=time.monotonic() + 0.5)
        mine.observe(429, {}, 0, asked=1.0)  # a 429 through one: Retry-After 1 s
        with pytest.raises(DeadlineExceededError):
            theirs.acquire(0, deadline=time.monotonic() + 0.5)
        with pytest.raises(DeadlineExceededError):
            mine.acquire(0, deadline=time.monotonic() + 0.5)


def test_a_client_limiting_requests_only_does_not_stall_one_limiting_tokens() -> None:
    clock = Clock()
    shared = LocalBackend(RateLimits(), clock)
    tokens, requests = RateLimits(tokens_per_minute=6000), RateLimits(requests_per_second=1000)
    assert shared.reserve(tokens, 50, None, None)[0] == 0.0  # the 50-token bucket, spent
    for _ in range(50):  # the other client's requests meanwhile, over half a second
        clock.now += 0.01
        assert shared.reserve(requests, 0, None, None)[0] == 0.0
    # 49 tokens came back in that half second (98 a second): the requests did not take their refill away.
    assert shared.reserve(tokens, 48, None, None)[0] == 0.0


# --- closing releases the budget ----------------------------------------------------------------------------------


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors through /proc")
@pytest.mark.parametrize("client", ["sync", "async"])
def test_closing_clients_closes_the_budget_files_they_opened(client: str, tmp_path: Path) -> None:
    # A limit given: no request waits for a first one's answer to learn the pace (none is ever sent here).
    arguments: dict[str, Any] = {"base_url": "http://127.0.0.1:9", "api_key": DEV_TOKEN, "requests_per_second": 1000,
                                 "rate_budget": tmp_path / "budget.sqlite", "progress": False}  # fmt: skip
    closed: list[Embedder | AsyncEmbedder] = []  # kept: not the garbage collector, close() must release them

    async def run() -> None:
        for _ in range(50):
            embedder = AsyncEmbedder.mistral(**arguments)
            await embedder._settings.budget.acquire_async(1)  # opens its connection to the file
            await embedder.aclose()
            closed.append(embedder)

    before = open_descriptors()
    if client == "sync":
        for _ in range(50):
            embedder = Embedder.mistral(**arguments)
            assert embedder._settings.budget.acquire(1)
            embedder.close()
            closed.append(embedder)
    else:
        asyncio.run(run())
    assert abs(open_descriptors() - before) <= 2
    budget = closed[0]._settings.budget
    assert budget.closed
    budget.close()  # again: nothing happens
    with pytest.raises(ClosedError):
        budget.acquire(1)
    with pytest.raises(ClosedError):
        budget.backend.reserve(RateLimits(), 0, None, None)
    assert DEV_TOKEN not in repr(budget)


def test_a_budget_passed_in_is_its_owners_to_close(tmp_path: Path) -> None:
    budget = RateBudget.in_file(RateLimits(requests_per_second=100), tmp_path / "budget.sqlite", "owned")
    for _ in range(2):
        with Embedder.mistral(base_url="http://127.0.0.1:9", api_key=DEV_TOKEN, rate_budget=budget,
                              progress=False) as embedder:  # fmt: skip
            assert embedder._settings.budget.acquire(1)
        assert not budget.closed
    budget.close()
    budget.close()
    with pytest.raises(ClosedError, match="closed"):
        budget.acquire(1)
    with pytest.raises(ClosedError):
        budget.observe(429, {}, 0)
    # A client's handle of the process's budget closes with it; the other clients of the key keep theirs.
    arguments: dict[str, Any] = {"base_url": "http://127.0.0.1:9", "api_key": f"key-{uuid.uuid4().hex}",
                                 "requests_per_second": 100, "progress": False}  # fmt: skip
    with Embedder.mistral(**arguments) as staying:
        with Embedder.mistral(**arguments) as leaving:
            assert leaving._settings.budget.acquire(1)
        assert leaving._settings.budget.closed
        assert staying._settings.budget.acquire(1)
