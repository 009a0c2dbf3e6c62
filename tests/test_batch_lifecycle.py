"""The batch job's lifecycle (issue 23): a state machine persisted before every step, against the reference server.

Each scenario has a seed of its own (the server's `BatchSettings.seed`, which orders the answered lines, and its
own texts). Hostile results are made by the real server's job and then altered on its disk before the client
reads them: a duplicated `custom_id`, a vector one value short, a negative `usage`, a cut-short file. The job
that the service forgets is deleted from the server behind the client's back; the outage is the server's own
503 fault switched on while the client polls.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from embedkit import BatchJobError, Embedder, InputError, ResponseValidationError, ServerError
from embedkit._batch_api import MAX_PAGES, PAGE_SIZE, _pages, line_options
from embedkit._batch_job import (
    BatchRun,
    _open,
    _plan,
    _submit,
    batch_recorded,
    describe,
    inputs_digest,
    run_batch,
)
from embedkit._cache import EmbeddingCache, text_key
from embedkit._core import cache_namespace
from embedkit._errors import APIError
from embedkit._files import Record
from embedkit._pricing import cost
from embedkit_server import DEV_TOKEN, BackgroundServer, BatchSettings, FaultPlan, ServerConfig

ENV = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}


def config(seed: int, rate: float = 0, **changes: Any) -> ServerConfig:
    return ServerConfig(batch=BatchSettings(requests_per_second=rate, seed=seed), **changes)


def records(texts: list[str]) -> list[Record]:
    return [Record(str(i + 1), text) for i, text in enumerate(texts)]


def client(server: Any, cache: Path | None = None, **changes: Any) -> Embedder:
    return Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=cache, batch_size=1, **changes)


def submitted(embedder: Embedder, texts: list[str]) -> tuple[str, str]:
    """A run planned, uploaded and created, as a process that was then interrupted leaves it: (run, job id)."""
    cache = embedder._settings.cache
    assert cache is not None
    namespace = cache_namespace(embedder._settings, embedder._settings.options)
    digest = inputs_digest(namespace, False, records(texts))
    connection = _open(cache.path)
    try:
        run = _plan(connection, embedder, records(texts), cache, namespace, "mistral-embed",
                    line_options(None, None), False, 4096, inputs=digest)  # fmt: skip
        assert run is not None
        _submit(connection, embedder.batch, run, "mistral-embed", 24)
        (job_id,) = connection.execute("SELECT job_id FROM batch_runs WHERE run = ?", [run]).fetchone()
    finally:
        connection.close()
    return run, str(job_id)


def finished(server: Any, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (job := server.app.batch.get(job_id))["status"] not in ("SUCCESS", "FAILED", "CANCELLED", "TIMEOUT_EXCEEDED"):
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    return dict(job)


def alter_output(server: Any, job_id: str, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Rewrite the finished job's output file on the server's disk, as a faulty service would have written it."""
    job = finished(server, job_id)
    path = server.app.files.get(job["output_file"]).path
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in change(lines)))


def by_id(lines: list[dict[str, Any]], identifier: str) -> dict[str, Any]:
    return next(line for line in lines if line["custom_id"] == identifier)


def cached_rows(cache: EmbeddingCache, namespace: str, texts: list[str]) -> dict[str, np.ndarray]:
    found = cache.get_many(namespace, [text_key(text) for text in texts])
    return {
        text: np.frombuffer(found[text_key(text)].data, found[text_key(text)].dtype)
        for text in texts
        if text_key(text) in found
    }


def run(embedder: Embedder, texts: list[str], **changes: Any) -> BatchRun:
    cache = embedder._settings.cache
    assert cache is not None
    return run_batch(embedder, lambda: records(texts), cache, overrides={}, truncate=False, poll_interval=0.01,
                     **changes)  # fmt: skip


# --- the Python surface ---------------------------------------------------------------------------------------------


def test_bad_ids_intervals_and_foreign_jobs_are_typed_errors_before_anything_is_misread() -> None:
    texts = [f"typed surface text {i}" for i in range(5)]
    with BackgroundServer(config(seed=2301)) as server, client(server) as embedder:
        with pytest.raises(InputError, match="job must be a job id"):
            embedder.batch.status("not-a-uuid")
        job = embedder.batch.submit(texts)
        for bad in (-1, math.nan, math.inf, "1"):
            with pytest.raises(InputError, match="poll_interval") as caught:
                embedder.batch.wait(job, poll_interval=bad)
            assert caught.value.argument == "poll_interval"
        with pytest.raises(InputError, match="timeout"):
            embedder.batch.wait(job, poll_interval=0.01, timeout=math.nan)
        # A job made without submit(): its metadata cannot say where its rows go.
        file_id = embedder.batch.upload(b'{"custom_id": "rows-0-1", "body": {"input": ["x"]}}\n', "foreign.jsonl")
        foreign = embedder.batch.wait(embedder.batch.create_job([file_id], model="mistral-embed"), poll_interval=0.01)
        with pytest.raises(BatchJobError, match="not made by submit"):
            embedder.batch.fetch(foreign)
    assert cost(0, "mistral-embed").batch == 0
    with pytest.raises(ResponseValidationError, match="negative"):
        cost(-100, "mistral-embed")


def test_fetch_refuses_every_copy_of_a_duplicate_and_ids_beyond_the_job() -> None:
    texts = [f"duplicate fetch text {i}" for i in range(12)]
    with BackgroundServer(config(seed=2302)) as server, client(server) as embedder:
        job = embedder.batch.submit(texts)

        def change(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
            copy = orjson.loads(orjson.dumps(by_id(lines, "rows-3-4")))
            copy["response"]["body"]["data"][0]["embedding"] = [0.5] * 1024
            beyond = orjson.loads(orjson.dumps(by_id(lines, "rows-5-6")))
            beyond["custom_id"] = "rows-40-41"
            backwards = orjson.loads(orjson.dumps(by_id(lines, "rows-6-7")))
            backwards["custom_id"] = "rows-7-6"
            return [*lines, copy, beyond, backwards]

        alter_output(server, job.id, change)
        with pytest.raises(BatchJobError) as caught:
            embedder.batch.fetch(job)
        expected = embedder.embed(texts).vectors
    failed = {failure.custom_id: failure.message for failure in caught.value.failures}
    assert set(failed) == {"rows-3-4", "rows-40-41", "rows-7-6"}
    assert "answered 2 times" in failed["rows-3-4"]
    assert "does not have" in failed["rows-40-41"]
    partial = caught.value.partial
    assert partial is not None
    assert partial.completed_indices == [i for i in range(12) if i != 3], "neither copy of the duplicate is taken"
    assert np.array_equal(partial.vectors[partial.completed_indices], expected[partial.completed_indices])


def test_wait_backs_off_while_a_job_makes_no_progress_and_stops_at_its_deadline() -> None:
    texts = [f"slow job text {i}" for i in range(3)]
    # One line a minute: the first is answered at once, then nothing changes for the rest of the test.
    with BackgroundServer(config(seed=2303, rate=1 / 60)) as server, client(server) as embedder:
        job = embedder.batch.submit(texts)
        before = server.app.requests
        with pytest.raises(BatchJobError, match="still RUNNING") as caught:
            embedder.batch.wait(job, poll_interval=0.01, timeout=3)
        polls = server.app.requests - before
    assert job.id in str(caught.value)
    # Without backoff, a 0.01 s interval asks a couple of hundred times in 3 s; doubling asks about ten times.
    assert polls <= 15, polls


def test_wait_goes_on_polling_through_an_outage_of_503s() -> None:
    texts = [f"outage text {i}" for i in range(4)]
    faults = FaultPlan(rate=0.0, seed=2304, kinds=("503",), retry_after_ms=10)
    with BackgroundServer(config(seed=2304, rate=2, faults=faults)) as server, \
            client(server, max_retries=1) as embedder:  # fmt: skip
        job = embedder.batch.submit(texts)
        faults.rate = 1.0  # every request answers 503 from now on, for longer than one poll's retries last

        def recover() -> None:
            time.sleep(2.5)
            faults.rate = 0.0

        with pytest.raises(ServerError):
            embedder.batch.wait(job, poll_interval=0.05, outage=0.2)
        healer = threading.Thread(target=recover)
        healer.start()
        done = embedder.batch.wait(job, poll_interval=0.05, outage=60)
        healer.join()
        assert done.status == "SUCCESS"
        assert np.array_equal(embedder.batch.fetch(done).vectors, embedder.embed(texts).vectors)
        assert server.app.batch.created == 1


def test_a_listing_whose_pages_never_end_stops_when_a_page_brings_nothing_new() -> None:
    same = [{"id": f"file-{i}"} for i in range(PAGE_SIZE)]
    asked: list[int] = []

    def repeating(number: int) -> list[Any]:
        asked.append(number)
        return same

    assert [item["id"] for item in _pages(repeating, "files")] == [item["id"] for item in same]
    assert asked == [0, 1], "the second page added nothing: the listing ends there"

    def endless(number: int) -> list[Any]:
        return [{"id": f"job-{number}-{i}"} for i in range(PAGE_SIZE)]

    with pytest.raises(APIError, match=f"did not end after {MAX_PAGES} pages"):
        list(_pages(endless, "batch jobs"))


# --- the resumable run ----------------------------------------------------------------------------------------------


def test_one_cache_used_by_two_inputs_keeps_their_runs_apart(tmp_path: Path) -> None:
    first = [f"first input text {i}" for i in range(6)]
    second = [f"second input text {i}" for i in range(5)]
    with BackgroundServer(config(seed=2305)) as server, client(server, tmp_path / "shared.sqlite") as embedder:
        _, first_job = submitted(embedder, first)  # the first input's run, interrupted while polling
        other = run(embedder, second)
        assert other.job_id != first_job, "the second input's texts get a job of their own"
        assert (other.inputs, other.failures, server.app.batch.created) == (5, [], 2)
        resumed = run(embedder, first)
        assert resumed.job_id == first_job, "the first input resumes its own job"
        assert (resumed.inputs, resumed.failures, server.app.batch.created) == (6, [], 2)
        cache = embedder._settings.cache
        assert cache is not None
        namespace = cache_namespace(embedder._settings, embedder._settings.options)
        rows = cached_rows(cache, namespace, first + second)
        expected = embedder.embed(first + second).vectors
    assert np.array_equal(np.stack([rows[text] for text in first + second]), expected)


def test_a_job_the_service_forgot_ends_by_the_policy_and_says_what_is_missing(tmp_path: Path) -> None:
    texts = [f"forgotten job text {i}" for i in range(7)]
    with BackgroundServer(config(seed=2306, rate=0.5)) as server, client(server, tmp_path / "c.sqlite") as embedder:
        _, job_id = submitted(embedder, texts)
        server.app.batch.delete(job_id)  # a restart that lost it: the service answers 404 for it now
        outcome = run(embedder, texts)
        again = run(embedder, texts)  # the forgotten run is over: a rerun starts a new job for what is missing
        created = server.app.batch.created
    assert (outcome.job_id, outcome.status, outcome.inputs, outcome.missing) == (job_id, "NOT_FOUND", 0, 7)
    assert all("no longer knows the job" in failure.message for failure in outcome.failures)
    assert "7 lines with no result" in describe(outcome)
    assert "0 lines failed" not in describe(outcome)
    assert (again.inputs, again.failures, created) == (7, [], 2)


def test_a_cancelled_job_reports_its_missing_lines_and_commits_the_answered_ones(tmp_path: Path) -> None:
    texts = [f"cancelled job text {i}" for i in range(30)]
    with BackgroundServer(config(seed=2307, rate=10)) as server, client(server, tmp_path / "c.sqlite") as embedder:
        _, job_id = submitted(embedder, texts)
        time.sleep(0.5)
        server.app.batch.cancel(job_id)
        outcome = run(embedder, texts)
    assert outcome.status == "CANCELLED"
    assert 0 < outcome.missing < 30
    assert outcome.inputs + outcome.missing == 30
    assert f"{outcome.missing} lines with no result" in describe(outcome)
    assert "0 lines failed" not in describe(outcome)


def test_bad_lines_are_line_failures_and_the_good_lines_are_committed(tmp_path: Path) -> None:
    texts = [f"bad line text {i}" for i in range(24)]
    with BackgroundServer(config(seed=2308)) as server, client(server, tmp_path / "c.sqlite") as embedder:
        run_id, job_id = submitted(embedder, texts)

        def change(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
            by_id(lines, "rows-4-5")["response"]["body"]["data"][0]["embedding"].pop()  # 1,023 values
            by_id(lines, "rows-9-10")["response"]["body"]["usage"]["total_tokens"] = -1000
            copy = orjson.loads(orjson.dumps(by_id(lines, "rows-17-18")))
            copy["response"]["body"]["data"][0]["embedding"] = [0.25] * 1024
            return [*lines, copy]

        alter_output(server, job_id, change)
        outcome = run(embedder, texts)
        cache = embedder._settings.cache
        assert cache is not None
        namespace = cache_namespace(embedder._settings, embedder._settings.options)
        rows = cached_rows(cache, namespace, texts)
        expected = embedder.embed(texts).vectors
        request_files = list(Path(f"{cache.path}.batch").glob("**/*.jsonl"))
    failed = {failure.custom_id: failure.message for failure in outcome.failures}
    assert set(failed) == {"rows-4-5", "rows-9-10", "rows-17-18"}
    assert "1023 values" in failed["rows-4-5"]
    assert "negative" in failed["rows-9-10"]
    assert "answered 2 times" in failed["rows-17-18"]
    assert (outcome.inputs, outcome.missing, outcome.tokens >= 0) == (21, 0, True)
    good = [i for i in range(24) if i not in (4, 9, 17)]
    assert sorted(texts.index(text) for text in rows) == good, "the 21 good lines are committed, no bad one"
    assert np.array_equal(np.stack([rows[texts[i]] for i in good]), expected[good])
    assert request_files == [], f"the request line files of run {run_id} are removed once it is done"


def test_a_cut_short_output_file_leaves_its_lines_missing_not_silent(tmp_path: Path) -> None:
    texts = [f"cut short text {i}" for i in range(10)]
    with BackgroundServer(config(seed=2309)) as server, client(server, tmp_path / "c.sqlite") as embedder:
        _, job_id = submitted(embedder, texts)
        alter_output(server, job_id, lambda lines: lines[:6])
        outcome = run(embedder, texts)
    assert (outcome.status, outcome.inputs, outcome.missing) == ("SUCCESS", 6, 4)
    assert all("without a result" in failure.message for failure in outcome.failures)


# --- the CLI --------------------------------------------------------------------------------------------------------


def _recorded_job(cache: Path) -> str | None:
    if not batch_recorded(cache):
        return None
    with sqlite3.connect(cache, timeout=30) as connection:
        row = connection.execute("SELECT job_id FROM batch_runs WHERE job_id IS NOT NULL").fetchone()
        return str(row[0]) if row else None


def test_ctrl_c_while_polling_keeps_the_job_record_and_the_rerun_resumes_it(tmp_path: Path) -> None:
    texts = [f"interrupted cli text {i}" for i in range(20)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    with BackgroundServer(config(seed=2310, rate=4)) as server:
        command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(output), "--batch-api",
                   "--poll-interval", "0.1", "--base-url", server.url, "--batch-size", "2",
                   "--no-progress"]  # fmt: skip
        job = subprocess.Popen(command, env=ENV, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while _recorded_job(cache) is None:
            assert job.poll() is None, "the CLI finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # polling
        job.send_signal(signal.SIGINT)
        _, stderr = job.communicate(timeout=60)
        assert job.returncode == 130, stderr
        assert _recorded_job(cache) is not None, "the job record outlives the interruption (the cache had no rows)"
        finished_run = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300, check=False)
        created, uploads = server.app.batch.created, server.app.files.uploads
    assert finished_run.returncode == 0, finished_run.stderr
    assert (created, uploads) == (1, 1), "the rerun resumed the job: nothing submitted twice"
    assert "20 inputs embedded" in finished_run.stderr
    assert list(Path(f"{cache}.batch").glob("**/*.jsonl")) == [], "the request line files (texts) are removed"
    assert np.load(output).shape == (20, 1024)


def test_the_cli_ends_a_forgotten_job_by_batch_retry_none_and_batch(tmp_path: Path) -> None:
    texts = [f"forgotten cli text {i}" for i in range(6)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    with BackgroundServer(config(seed=2311, rate=0.5)) as server:
        with client(server, cache) as embedder:
            _, job_id = submitted(embedder, texts)  # a run of this very input, its job since forgotten
        server.app.batch.delete(job_id)
        command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(output), "--batch-api",
                   "--poll-interval", "0.05", "--base-url", server.url, "--batch-size", "1",
                   "--no-progress"]  # fmt: skip
        embedded_before = server.app.inputs_embedded
        refused = subprocess.run([*command, "--batch-retry", "none"], env=ENV, capture_output=True, text=True,
                                 timeout=300, check=False)  # fmt: skip
        assert not output.exists(), "nothing embedded synchronously, so no output"
        assert server.app.inputs_embedded == embedded_before, "--batch-retry none: nothing paid at full price"
        retried = subprocess.run([*command, "--batch-retry", "batch"], env=ENV, capture_output=True, text=True,
                                 timeout=300, check=False)  # fmt: skip
        created = server.app.batch.created
    assert refused.returncode == 1, refused.stderr
    assert "NOT_FOUND" in refused.stderr, refused.stderr
    assert "6 lines with no result" in refused.stderr, refused.stderr
    assert "0 lines failed" not in refused.stderr
    assert retried.returncode == 0, retried.stderr
    assert created == 2, "one job forgotten, one more for --batch-retry batch"
    assert np.load(output).shape == (6, 1024)


def _cli_outage(tmp_path: Path, seed: int, interrupt: bool) -> tuple[subprocess.CompletedProcess[str], int, int, int]:
    """`embed --batch-api` through a poll outage of 503s (then, with `interrupt`, Ctrl-C during it and a rerun):
    (the run that finished, the jobs the server made, the jobs its list route shows, the uploads)."""
    texts = [f"outage cli text {seed} {i}" for i in range(12)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    faults = FaultPlan(rate=0.0, seed=seed, kinds=("503",), retry_after_ms=10)
    with BackgroundServer(config(seed=seed, rate=3, faults=faults)) as server:
        command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(output), "--batch-api",
                   "--poll-interval", "0.1", "--base-url", server.url, "--batch-size", "2", "--max-retries", "1",
                   "--no-progress"]  # fmt: skip
        job = subprocess.Popen(command, env=ENV, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while _recorded_job(cache) is None:
            assert job.poll() is None, "the CLI finished before the outage"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        faults.rate = 1.0  # every request (only polls now) answers 503, far longer than one poll's retries
        outage_ends = time.monotonic() + 4.0
        if interrupt:
            time.sleep(1.5)
            job.send_signal(signal.SIGINT)
            _, stderr = job.communicate(timeout=60)
            assert job.returncode == 130, stderr
            assert _recorded_job(cache) is not None, "the job record outlives Ctrl-C during the outage"
        time.sleep(max(0.0, outage_ends - time.monotonic()))
        faults.rate = 0.0
        if interrupt:
            finished_run = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300, check=False)
        else:
            _, stderr = job.communicate(timeout=300)
            finished_run = subprocess.CompletedProcess(command, job.returncode, "", stderr)
        with client(server) as embedder:
            listed = len(list(embedder.batch.jobs()))
            expected = embedder.embed(texts).vectors
        created, uploads = server.app.batch.created, server.app.files.uploads
    assert finished_run.returncode == 0, finished_run.stderr
    assert "Traceback" not in finished_run.stderr
    assert "12 inputs embedded" in finished_run.stderr
    assert np.array_equal(np.load(output), expected), "every row, right, in input order"
    return finished_run, created, listed, uploads


@pytest.mark.parametrize(("seed", "interrupt"), [(2312, False), (2313, True)])
def test_the_cli_rides_out_a_poll_outage_of_503s_and_never_submits_a_second_job(
    seed: int, interrupt: bool, tmp_path: Path
) -> None:
    """issue 23: after a 20 s outage of 503s on the poll (or Ctrl-C while polling), the job record was deleted with
    the "empty" cache, and the rerun submitted a SECOND job: paid twice."""
    _, created, listed, uploads = _cli_outage(tmp_path, seed, interrupt)
    assert (created, listed, uploads) == (1, 1, 1), "one job and one upload, whatever the outage did"


class _StuckJob:
    """A service whose one batch job stays RUNNING with total_requests 0 forever; it counts the polls."""

    def __init__(self) -> None:
        self.polls = 0
        self.job_id = "6f1c3e0a-2d4b-4c59-9a7e-0b1f2c3d4e5f"

    def answer(self, method: str, path: str, body: Any) -> Any:
        from replay import Answer

        self.polls += 1
        return Answer(200, {"id": self.job_id, "object": "batch", "input_files": [], "endpoint": "/v1/embeddings",
                            "model": "mistral-embed", "errors": [], "status": "RUNNING", "created_at": 0,
                            "total_requests": 0, "completed_requests": 0, "succeeded_requests": 0,
                            "failed_requests": 0})  # fmt: skip


@pytest.mark.parametrize(("seed", "seconds"), [(2314, 3.0), (2315, 6.0)])
def test_a_job_that_stays_running_with_total_0_is_polled_with_backoff_and_ends_at_its_deadline(
    seed: int, seconds: float
) -> None:
    """issue 23: a job that stayed RUNNING with total 0 was polled 827 times in 45 s."""
    from replay import ReplayServer

    stuck = _StuckJob()
    interval = random.Random(seed).uniform(0.005, 0.02)
    with ReplayServer(stuck.answer) as replay, client(replay) as embedder:
        started = time.monotonic()
        with pytest.raises(BatchJobError, match="still RUNNING") as caught:
            embedder.batch.wait(stuck.job_id, poll_interval=interval, timeout=seconds)
        took = time.monotonic() - started
    assert stuck.job_id in str(caught.value)
    assert took <= seconds + 0.5, "it ends by its deadline"
    # Doubling from `interval` while nothing changes: about log2(seconds / interval) polls, not seconds / interval.
    bound = math.ceil(math.log2(seconds / interval)) + 3
    assert stuck.polls <= bound, f"{stuck.polls} polls in {took:.1f} s (a fixed interval: {seconds / interval:.0f})"


def test_a_cache_locked_by_another_process_during_the_run_is_a_typed_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 23: a locked cache gave a raw sqlite3 traceback after 63 s; the batch run's own steps too."""
    import embedkit._batch_job as batch_job
    from embedkit import CacheLockedError

    monkeypatch.setattr(batch_job, "LOCK_WAIT_SECONDS", 0.3)
    texts = [f"locked run text {i}" for i in range(3)]
    path = tmp_path / "c.sqlite"
    with BackgroundServer(config(seed=2316)) as server, client(server, path) as embedder:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # taken after the cache was opened: the run's first write waits for it
        try:
            started = time.monotonic()
            with pytest.raises(CacheLockedError) as caught:
                run(embedder, texts)
            took = time.monotonic() - started
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        created = server.app.batch.created
    assert str(path) in str(caught.value)
    assert "wait" in str(caught.value)
    assert took < 10
    assert created == 0, "nothing submitted"
