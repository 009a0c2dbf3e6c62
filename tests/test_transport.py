"""Issue 20: one sending layer. The attempt state machine's decisions, and the drivers doing what it says.

Over real loopback HTTP (`Loopback` from test_hardening, a server whose answers each test scripts): a call that
has failed sends nothing more, sync or async; a create whose answer was lost is found by its marker, never sent
twice, or given up with a typed error naming the marker.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import orjson
import pytest
from embedkit import AsyncEmbedder, Embedder, InvalidRequestError, RetryPolicy, UnconfirmedCreateError
from embedkit._errors import APIConnectionError, ServerError
from embedkit._policy import Outcome, Step
from embedkit._transport import Exchange, Finish, Send, Sleep
from test_hardening import Answer, Loopback, Seen, ok

SECRET = "sk-transport-test-0123456789"


# --- the state machine, without IO -----------------------------------------------------------------------------------


def test_a_stopped_call_sends_nothing() -> None:
    stopped = threading.Event()
    stopped.set()
    assert Exchange(RetryPolicy(), stopped).begin() == Finish(Outcome(Step.DONE))


def test_a_retry_is_a_wait_then_another_attempt() -> None:
    exchange = Exchange(RetryPolicy(max_retries=2, initial_delay=0.0, max_delay=0.0))
    assert exchange.begin() == Send(1)
    assert isinstance(exchange.after(Outcome(Step.RETRY, ServerError("busy", status=503))), Sleep)
    assert exchange.begin() == Send(2)


def test_a_retry_of_a_call_that_stopped_meanwhile_ends_it() -> None:
    stopped = threading.Event()
    exchange = Exchange(RetryPolicy(), stopped)
    exchange.begin()
    stopped.set()
    assert exchange.after(Outcome(Step.RETRY, ServerError("busy", status=503))) == Finish(Outcome(Step.DONE))


def test_a_create_whose_answer_was_lost_is_never_resent_by_the_machine() -> None:
    exchange = Exchange(RetryPolicy(), idempotent=False)
    exchange.begin()
    lost = exchange.after(Outcome(Step.RETRY, APIConnectionError("ReadTimeout"), uncertain=True))
    assert isinstance(lost, Finish)
    assert lost.outcome.step is Step.LOST
    # One that never left (the connection could not be made) is simply sent again.
    assert isinstance(exchange.after(Outcome(Step.RETRY, APIConnectionError("ConnectError"))), Sleep)


def test_a_refusal_raises_with_the_attempt_count() -> None:
    exchange = Exchange(RetryPolicy())
    exchange.begin()
    refused = InvalidRequestError("bad", status=400)
    with pytest.raises(InvalidRequestError) as caught:
        exchange.after(Outcome(Step.FAIL, refused))
    assert caught.value.attempts == 1


# --- the drivers: a failed call sends nothing more -------------------------------------------------------------------


def refuse_one_and_ask_to_wait(seen: Seen) -> Answer:
    """Input "bad" is refused (400); any other waits for a 503 with `Retry-After: 2`."""
    if seen.body["input"] == ["bad"]:
        return 400, {}, orjson.dumps({"object": "error", "message": "bad input", "type": "invalid_request_error"})
    time.sleep(0.2)  # so the refusal is answered first
    return 503, {"Retry-After": "2"}, orjson.dumps({"object": "error", "message": "busy"})


def test_sync_stops_resending_once_a_batch_has_failed() -> None:
    with (
        Loopback(refuse_one_and_ask_to_wait) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, batch_size=1, max_concurrency=2) as embedder,
    ):
        started = time.monotonic()
        with pytest.raises(InvalidRequestError):
            # "slow" first: a key's first request goes alone (its answer teaches the rate budget the key's limits),
            # then "bad" fails the call while "slow" waits to be resent.
            embedder.embed(["slow", "bad"])
        assert time.monotonic() - started < 1.5
        assert len(server.seen) == 2, [s.body for s in server.seen]


def test_async_stops_resending_once_a_batch_has_failed() -> None:
    """The async client used to go on resending the other batch at 0, 2, 4 and 6 s, each answer billed."""

    async def run(url: str) -> float:
        async with AsyncEmbedder.mistral(base_url=url, api_key=SECRET, batch_size=1, max_concurrency=2) as embedder:
            started = time.monotonic()
            with pytest.raises(InvalidRequestError):
                await embedder.embed(["slow", "bad"])  # "slow" first: see the sync test
            return time.monotonic() - started

    with Loopback(refuse_one_and_ask_to_wait) as server:
        assert asyncio.run(run(server.url)) < 1.5
        time.sleep(0.5)  # anything still scheduled would have been sent by now
        assert len(server.seen) == 2, [s.body for s in server.seen]


# --- a create whose answer is lost -----------------------------------------------------------------------------------


class LateCommits:
    """Batch-job routes of a service that commits a job `delay` seconds after the request, then answers."""

    def __init__(self, delay: float, *, commit: bool = True) -> None:
        self.delay = delay
        self.commit = commit
        self.jobs: list[dict[str, Any]] = []
        self.creates = 0
        self.lock = threading.Lock()

    def __call__(self, seen: Seen) -> Answer:
        if seen.method == "POST" and seen.path == "/v1/batch/jobs":
            with self.lock:
                self.creates += 1
            time.sleep(self.delay)
            job = {
                "id": str(uuid.uuid4()), "object": "batch", "input_files": [], "endpoint": "/v1/embeddings",
                "model": seen.body.get("model"), "metadata": seen.body.get("metadata"), "errors": [],
                "status": "QUEUED", "created_at": int(time.time()), "total_requests": 1, "completed_requests": 0,
                "succeeded_requests": 0, "failed_requests": 0,
            }  # fmt: skip
            if self.commit:
                with self.lock:
                    self.jobs.append(job)
            return 200, {}, orjson.dumps(job)
        if seen.method == "GET" and seen.path.startswith("/v1/batch/jobs"):
            with self.lock:
                listing = {"object": "list", "data": list(reversed(self.jobs)), "total": len(self.jobs)}
            return 200, {}, orjson.dumps(listing)
        return 404, {}, orjson.dumps({"message": "no route"})


INLINE = [{"custom_id": "rows-0-1", "body": {"input": ["a"]}}]


def test_a_job_committed_after_the_client_gave_up_waiting_is_found_not_created_again() -> None:
    """The reviewer's repro: the service commits 3 s after the request, the client times out after 1 s."""
    service = LateCommits(delay=3.0)
    policy = RetryPolicy(max_retries=5, initial_delay=0.2, confirm_window=10.0)
    with (
        Loopback(service) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, timeout=1.0, retry=policy) as embedder,
    ):
        job = embedder.batch.create_job(None, model="mistral-embed", requests=INLINE)
    assert service.creates == 1, "one request, one job, one bill"
    assert [found["id"] for found in service.jobs] == [job.id]


def test_a_create_lost_and_never_found_is_a_typed_error_naming_its_marker_and_not_resent() -> None:
    service = LateCommits(delay=2.0, commit=False)
    policy = RetryPolicy(max_retries=5, initial_delay=0.1, confirm_window=1.0)
    with (
        Loopback(service) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, timeout=0.5, retry=policy) as embedder,
        pytest.raises(UnconfirmedCreateError) as caught,
    ):
        embedder.batch.create_job(None, model="mistral-embed", requests=INLINE)
    assert service.creates == 1
    assert len(caught.value.marker) == 32
    assert caught.value.marker in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_create_answered_with_a_retryable_error_is_looked_up_then_sent_again() -> None:
    answers = iter([(503, {}, orjson.dumps({"message": "busy"}))])
    jobs = LateCommits(delay=0.0)

    def service(seen: Seen) -> Answer:
        if seen.method == "POST":
            refused = next(answers, None)
            if refused is not None:
                jobs.creates += 1
                return refused
        return jobs(seen)

    policy = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
    with (
        Loopback(service) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, retry=policy) as embedder,
    ):
        job = embedder.batch.create_job(None, model="mistral-embed", requests=INLINE)
    assert [s.method for s in server.seen] == ["POST", "GET", "POST"], "looked for it before sending it again"
    assert [found["id"] for found in jobs.jobs] == [job.id]


def test_the_embeddings_route_still_retries_a_lost_answer() -> None:
    """Embedding is idempotent (and billed per answer): a lost answer is simply sent again."""
    calls = iter([None])

    def service(seen: Seen) -> Answer:
        if next(calls, 1) is None:
            time.sleep(1.0)
        return ok([(0, [0.5])])

    policy = RetryPolicy(max_retries=2, initial_delay=0.01)
    with (
        Loopback(service) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, timeout=0.3, retry=policy) as embedder,
    ):
        assert embedder.embed("x").vectors.tolist() == [[0.5]]
    assert len(server.seen) == 2


# --- the reviewer's other repros (issue 20, items 3 and 12) -----------------------------------------------------------


def test_one_malformed_line_of_a_batch_output_is_that_lines_failure_not_the_jobs() -> None:
    from embedkit import LineFailure
    from embedkit._batch_api import LineResult, decode_line

    good = {"id": "1", "custom_id": "rows-0-1", "error": None, "response": {"status_code": 200, "body": {
        "id": "e", "object": "list", "model": "m", "usage": {"prompt_tokens": 1, "total_tokens": 1},
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}]}}}  # fmt: skip
    short = orjson.loads(orjson.dumps(good))
    short["custom_id"] = "rows-1-2"
    short["response"]["body"]["data"][0]["embedding"] = [0.5]  # one value short of the others
    broken = orjson.loads(orjson.dumps(good))
    broken["custom_id"] = "rows-2-3"
    broken["response"]["body"]["data"] = "not a list"
    assert isinstance(decode_line(orjson.dumps(good), "float", 2), LineResult)
    for line in (short, broken):
        failure = decode_line(orjson.dumps(line), "float", 2)
        assert isinstance(failure, LineFailure), failure
        assert failure.custom_id == line["custom_id"]
        assert failure.status == 200
        assert "cannot be read" in failure.message


def test_the_batch_apis_ragged_edges_are_typed_and_send_nothing() -> None:
    from embedkit import InputError, UnsupportedError

    with Loopback() as server:
        with Embedder.mistral(base_url=server.url, api_key=SECRET) as embedder:
            with pytest.raises(InputError, match="ordered iterable"):
                embedder.batch.submit({"b", "a"})
            with pytest.raises(InputError, match="no texts"):
                embedder.batch.submit([])
        with Embedder.cortecs(base_url=server.url, api_key=SECRET) as embedder:
            with pytest.raises(UnsupportedError, match="Mistral's"):
                embedder.batch.submit(["a"])
            with pytest.raises(UnsupportedError, match="Mistral's"):
                embedder.estimate(["a"], batch=True)
        assert server.seen == []


def test_truncation_never_sends_an_empty_input() -> None:
    from embedkit import InputTooLongError

    with (
        Loopback(lambda seen: ok([(0, [0.5])])) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, max_input_tokens=1) as embedder,
        pytest.raises(InputTooLongError, match="without emptying it") as caught,
    ):
        embedder.embed(["fine", "😀😀😀"], truncate=True)
    assert caught.value.index == 1
    assert server.seen == []


def test_a_closed_client_refuses_every_request_with_a_typed_error_and_closes_once(tmp_path: Any) -> None:
    from embedkit import ClosedError, EmbeddingCache

    with Loopback(lambda seen: ok([(0, [0.5])])) as server:
        embedder = Embedder.mistral(base_url=server.url, api_key=SECRET, cache=tmp_path / "cache.sqlite")
        assert embedder.embed("x").vectors.tolist() == [[0.5]]
        embedder.close()
        embedder.close()  # once: the second does nothing
        for use in (lambda: embedder.embed("y"), embedder.models, lambda: embedder.batch.status(str(uuid.uuid4()))):
            with pytest.raises(ClosedError):
                use()
        seen = len(server.seen)

        async def run() -> None:
            client = AsyncEmbedder.mistral(base_url=server.url, api_key=SECRET)
            await client.aclose()
            await client.aclose()
            with pytest.raises(ClosedError):
                await client.embed("z")

        asyncio.run(run())
        assert len(server.seen) == seen, "nothing sent after close"
    cache = EmbeddingCache(tmp_path / "other.sqlite")
    cache.close()
    with pytest.raises(ClosedError, match="is closed"):
        len(cache)


def test_against_the_reference_servers_late_commits_a_submit_uploads_once_and_creates_one_job() -> None:
    """The reference server's `commit_delay_ms`: it commits an upload and a job 2 s after their request, and the
    client stops waiting after 0.5 s. Both creates are lost to the client, found by their markers, never resent."""
    from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig

    policy = RetryPolicy(max_retries=5, initial_delay=0.2, confirm_window=15.0)
    with (
        BackgroundServer(ServerConfig(commit_delay_ms=2000)) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, timeout=0.5, retry=policy) as embedder,
    ):
        job = embedder.batch.submit(["one text", "another"])
        assert server.app.files.uploads == 1
        assert server.app.batch.created == 1
        assert job.id == embedder.batch.status(job).id
