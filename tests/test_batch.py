"""Mistral's batch API: the reference server's files and jobs, embedkit's submit/status/fetch, and the resumable
`embedkit embed --batch-api` job, killed with SIGKILL while polling and resumed without submitting twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest
from conftest import assert_conforms, load_spec
from embedkit import BatchJobError, Embedder
from embedkit._batch_job import _open, _plan, run_batch
from embedkit._core import cache_namespace
from embedkit._files import Record
from embedkit._pricing import cost
from embedkit_server import DEV_TOKEN, BackgroundServer, BatchSettings, FaultPlan, ServerConfig

AUTH = {"Authorization": f"Bearer {DEV_TOKEN}"}


def fast(**changes: Any) -> ServerConfig:
    return ServerConfig(batch=BatchSettings(requests_per_second=0), **changes)


def request_lines(*items: Any) -> bytes:
    return b"".join((item if isinstance(item, bytes) else orjson.dumps(item)) + b"\n" for item in items)


def upload(client: httpx.Client, content: bytes, name: str = "in.jsonl") -> dict[str, Any]:
    response = client.post("/v1/files", files={"file": (name, content)}, data={"purpose": "batch"})
    return dict(assert_conforms(response, "/v1/files", "POST"))


def finished(client: httpx.Client, job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = assert_conforms(client.get(f"/v1/batch/jobs/{job_id}"), "/v1/batch/jobs/{job_id}", "GET")
        if job["status"] in ("SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"):
            return dict(job)
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


def result_lines(client: httpx.Client, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    response = client.get(f"/v1/files/{file_id}/content")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    schema = {"$ref": "#/components/schemas/BatchResultLine", "components": load_spec()["components"]}
    for line in lines:
        jsonschema.validate(line, schema, cls=jsonschema.Draft202012Validator)
    return lines


# --- the reference server -------------------------------------------------------------------------------------------


def test_a_job_answers_every_line_in_some_order_and_puts_each_failure_in_the_error_file() -> None:
    lines = [{"custom_id": str(i), "body": {"input": [f"text {i}", f"other {i}"]}} for i in range(40)]
    content = request_lines(
        *lines,
        b"not json",
        {"custom_id": "too-long", "body": {"input": ["1" * 9000]}},  # a token a digit: over 8192
        {"custom_id": "bad-field", "body": {"input": ["x"], "output_dtype": "float64"}},
        {"custom_id": "no-body"},
    )
    with BackgroundServer(fast()) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        stored = upload(client, content)
        assert (stored["num_lines"], stored["purpose"], stored["sample_type"]) == (44, "batch", "batch_request")
        created = client.post("/v1/batch/jobs", json={"input_files": [stored["id"]], "endpoint": "/v1/embeddings",
                                                      "model": "mistral-embed", "metadata": {"run": "a"}})  # fmt: skip
        job = finished(client, assert_conforms(created, "/v1/batch/jobs", "POST")["id"])
        output, errors = result_lines(client, job["output_file"]), result_lines(client, job["error_file"])
        with httpx.Client() as direct:
            seven_body = {"model": "mistral-embed", "input": ["text 7", "other 7"]}
            synchronous = direct.post(f"{server.url}/v1/embeddings", headers=AUTH, json=seven_body).json()
    assert job["status"] == "SUCCESS"
    assert (job["total_requests"], job["succeeded_requests"], job["failed_requests"]) == (44, 40, 4)
    assert job["metadata"] == {"run": "a"}
    ids = [line["custom_id"] for line in output]
    assert sorted(ids, key=int) == [str(i) for i in range(40)]
    assert ids != sorted(ids, key=int), "shuffled"
    seven = next(line for line in output if line["custom_id"] == "7")
    assert seven["response"]["status_code"] == 200
    assert seven["error"] is None
    assert seven["response"]["body"]["data"] == synchronous["data"], "the synchronous route's vectors"
    by_id = {line["custom_id"]: line for line in errors}
    assert by_id[None]["response"] is None
    assert "not valid JSON" in by_id[None]["error"]["message"]
    assert by_id["too-long"]["response"]["status_code"] == 400
    assert "Too many tokens in input 0" in by_id["too-long"]["response"]["body"]["message"]
    assert by_id["bad-field"]["response"]["status_code"] == 422
    assert by_id["bad-field"]["response"]["body"]["detail"][0]["loc"] == ["body", "output_dtype"]
    assert by_id["no-body"]["error"]["code"] == "invalid_line"


def test_files_are_listed_filtered_retrieved_and_deleted_and_storage_is_bounded(tmp_path: Path) -> None:
    config = fast(files_dir=tmp_path, max_files_bytes=1000, max_file_bytes=600)
    with BackgroundServer(config) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        first = upload(client, b"a" * 500, "first.jsonl")
        assert (tmp_path / first["id"]).read_bytes() == b"a" * 500, "kept under the configured directory"
        assert client.post("/v1/files", files={"file": ("big", b"b" * 700)}).status_code == 413
        full = client.post("/v1/files", files={"file": ("second", b"c" * 550)})
        assert full.status_code == 413
        assert "storage is full" in full.json()["message"]
        second = upload(client, b"d" * 100, "second.jsonl")
        listing = client.get("/v1/files", params={"search": "second", "page_size": 10})
        assert [f["id"] for f in assert_conforms(listing, "/v1/files", "GET")["data"]] == [second["id"]]
        page = client.get("/v1/files", params={"page": 1, "page_size": 1, "include_total": "false"}).json()
        assert [f["id"] for f in page["data"]] == [first["id"]], "newest first"
        assert page["total"] is None
        retrieved = client.get(f"/v1/files/{first['id']}")
        assert assert_conforms(retrieved, "/v1/files/{file_id}", "GET")["deleted"] is False
        deleted = client.delete(f"/v1/files/{first['id']}")
        assert assert_conforms(deleted, "/v1/files/{file_id}", "DELETE") == {"id": first["id"], "object": "file",
                                                                             "deleted": True}  # fmt: skip
        for gone in (client.get(f"/v1/files/{first['id']}"), client.get(f"/v1/files/{first['id']}/content")):
            assert gone.status_code == 404
        upload(client, b"e" * 550, "fits now.jsonl")  # the deleted file's bytes were freed
        bad = client.get("/v1/files/not-a-uuid")
        assert assert_conforms(bad, "/v1/files/{file_id}", "GET")["detail"][0]["loc"] == ["path", "file_id"]
        # Upstream's pages have no bounds: a negative page or an empty page size is answered with an empty page.
        for bad_page in ({"page": "-1"}, {"page_size": "0"}, {"page_size": "-5"}, {"page": str(2**70)}):
            empty = assert_conforms(client.get("/v1/files", params=bad_page), "/v1/files", "GET")
            assert (empty["data"], empty["total"]) == ([], 2), bad_page
        assert client.get("/v1/files", params={"page": "first"}).status_code == 422
        assert client.post("/v1/files", data={"purpose": "batch"}).status_code == 422
        assert server.app.files.uploads == 3


def test_uploads_record_expiry_and_visibility_and_expired_files_are_gone() -> None:
    config = ServerConfig(batch=BatchSettings(requests_per_second=0, hour_seconds=0.4))
    with BackgroundServer(config) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        form = {"purpose": "batch", "expiry": "1", "visibility": "user"}
        expiring = assert_conforms(client.post("/v1/files", files={"file": ("e.jsonl", b"x\n")}, data=form),
                                   "/v1/files", "POST")  # fmt: skip
        assert (expiring["visibility"], expiring["expires_at"]) == ("user", expiring["created_at"])  # 1 h is 0.4 s
        kept = upload(client, b"y\n", "kept.jsonl")
        assert (kept["visibility"], kept["expires_at"], kept["signature"]) == ("workspace", None, None)
        for bad, loc in (({"expiry": "soon"}, "expiry"), ({"visibility": "everyone"}, "visibility")):
            refused = client.post("/v1/files", files={"file": ("b", b"z")}, data={"purpose": "batch", **bad})
            assert assert_conforms(refused, "/v1/files", "POST")["detail"][0]["loc"] == ["body", loc]
        time.sleep(0.5)
        assert client.get(f"/v1/files/{expiring['id']}").status_code == 404
        assert client.get(f"/v1/files/{expiring['id']}/content").status_code == 404
        assert [f["id"] for f in client.get("/v1/files").json()["data"]] == [kept["id"]]
        job = {"endpoint": "/v1/embeddings", "model": "mistral-embed", "input_files": [expiring["id"]]}
        assert client.post("/v1/batch/jobs", json=job).status_code == 404, "an expired input file is gone too"
    with BackgroundServer(fast()) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        hours = client.post("/v1/files", files={"file": ("h", b"h")}, data={"expiry": "48"}).json()
        assert hours["expires_at"] == hours["created_at"] + 48 * 3600
        never = client.post("/v1/files", files={"file": ("f", b"f")}, data={"expiry": str(10**30)}).json()
        assert never["expires_at"] == 253402300799, "capped at the end of year 9999"
        past = client.post("/v1/files", files={"file": ("p", b"p")}, data={"expiry": "-1"}).json()
        assert client.get(f"/v1/files/{past['id']}").status_code == 404, "an expiry in the past: gone at once"


def test_a_signed_url_is_served_without_a_key_and_only_while_it_is_genuine() -> None:
    config = ServerConfig(batch=BatchSettings(requests_per_second=0, hour_seconds=0.4))
    with BackgroundServer(config) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        stored = upload(client, b"signed content\n")
        route = "/v1/files/{file_id}/url"
        url = assert_conforms(client.get(f"/v1/files/{stored['id']}/url", params={"expiry": 1}), route, "GET")["url"]
        assert url.startswith(server.url + "/"), "a URL of this server"
        assert httpx.get(url).content == b"signed content\n"
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 200, "no key is looked at"
        assert httpx.post(url).status_code == 405
        for expiry in ("0", "169", "day"):
            refused = client.get(f"/v1/files/{stored['id']}/url", params={"expiry": expiry})
            assert assert_conforms(refused, route, "GET")["detail"][0]["loc"] == ["query", "expiry"]
        assert client.get("/v1/files/6e1c0a54-0b7d-4b4e-9f44-0f3b6c3b3a01/url").status_code == 404
        time.sleep(0.5)
        expired = httpx.get(url)
        assert (expired.status_code, expired.json()["message"]) == (403, "The URL has expired")
        assert httpx.get(server.url + "/_signed/files/" + stored["id"]).status_code == 403, "unsigned"


def test_jobs_take_inline_requests_or_files_and_answer_outputs_inline_as_the_contract_says() -> None:
    with BackgroundServer(fast()) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        body = {"endpoint": "/v1/embeddings", "model": "mistral-embed",
                "requests": [{"custom_id": "a", "body": {"input": ["x"]}}, {"body": {"input": ["y"]}}]}  # fmt: skip
        created = assert_conforms(client.post("/v1/batch/jobs", json=body), "/v1/batch/jobs", "POST")
        assert (created["input_files"], created["total_requests"]) == ([], 2)
        assert "outputs" not in created
        job = finished(client, created["id"])
        assert "outputs" not in job
        one = "/v1/batch/jobs/{job_id}"
        inline = assert_conforms(client.get(f"/v1/batch/jobs/{job['id']}", params={"inline": "true"}), one, "GET")
        assert [line["custom_id"] for line in inline["outputs"]] == ["a", None]
        schema = {"$ref": "#/components/schemas/BatchResultLine", "components": load_spec()["components"]}
        for line in inline["outputs"]:
            jsonschema.validate(line, schema, cls=jsonschema.Draft202012Validator)
        assert "outputs" not in client.get(f"/v1/batch/jobs/{job['id']}", params={"inline": "false"}).json()
        assert client.get(f"/v1/batch/jobs/{job['id']}", params={"inline": "yes"}).status_code == 422

        stored = upload(client, request_lines({"custom_id": "f", "body": {"input": ["z"]}}))
        for wrong, message in (
            ({"input_files": [stored["id"]]}, "both were given"),
            ({"requests": None}, "neither was given"),
        ):
            refused = client.post("/v1/batch/jobs", json={**body, **wrong})
            assert refused.status_code == 400
            assert message in assert_conforms(refused, "/v1/batch/jobs", "POST")["message"]
        for field, value in (("timeout_hours", 0), ("timeout_hours", 169), ("endpoint", "/v1/chat/completions"),
                             ("metadata", {"k": 1}), ("requests", [{"custom_id": "no body"}])):  # fmt: skip
            refused = client.post("/v1/batch/jobs", json={**body, field: value})
            assert assert_conforms(refused, "/v1/batch/jobs", "POST")["detail"][0]["loc"][:2] == ["body", field]
        empty = finished(client, client.post("/v1/batch/jobs", json={**body, "requests": []}).json()["id"])
        assert (empty["status"], empty["errors"][0]["message"]) == ("FAILED", "The job has no request line")

        deleted = assert_conforms(client.delete(f"/v1/batch/jobs/{job['id']}"), one, "DELETE")
        assert deleted == {"id": job["id"], "object": "batch", "deleted": True}
        assert assert_conforms(client.get(f"/v1/batch/jobs/{job['id']}"), one, "GET")["message"].endswith("not found")
        assert client.get(f"/v1/files/{job['output_file']}").status_code == 200, "its files stay"


def test_the_jobs_metadata_filter_is_read_as_json_or_spread_over_the_query() -> None:
    """FastAPI reads a `Json` query value; OpenAPI serialises an object parameter as one name per property (what
    the official SDKs send). Both are read; anything that is not a JSON object is refused with a 422."""
    with BackgroundServer(fast()) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        line = [{"body": {"input": ["x"]}}]
        jobs = [
            client.post("/v1/batch/jobs", json={"endpoint": "/v1/embeddings", "model": "mistral-embed",
                                                "requests": line, "metadata": metadata}).json()["id"]
            for metadata in ({"team": "x", "run": "1"}, {"team": "x", "run": "2"}, None)
        ]  # fmt: skip

        def ids(params: Any) -> list[str]:
            listing = client.get("/v1/batch/jobs", params=params)
            return [job["id"] for job in assert_conforms(listing, "/v1/batch/jobs", "GET")["data"]]

        assert ids({"metadata": '{"team": "x"}'}) == [jobs[1], jobs[0]]
        assert ids({"metadata": '{"team": "x", "run": "1"}'}) == [jobs[0]]
        assert ids({"metadata": "{}"}) == jobs[::-1]
        assert ids({"team": "x", "run": "2"}) == [jobs[1]]
        assert ids({"team": "x", "order_by": "created"}) == [jobs[0], jobs[1]], "declared names are not metadata"
        assert ids({"metadata": '{"run": "1"}', "team": "y"}) == [jobs[0]], "the JSON form wins over spread names"
        assert ids({"metadata": '{"run": 1}'}) == [], "values are compared as they are: the string '1' is not 1"
        for bad in ("not json", "[1, 2]", '"text"', "[" * 5000):
            refused = client.get("/v1/batch/jobs", params={"metadata": bad})
            assert assert_conforms(refused, "/v1/batch/jobs", "GET")["detail"][0]["loc"] == ["query", "metadata"]
        assert ids({"page": "-1"}) == []
        assert ids({"page_size": "0"}) == []


def test_cancel_and_timeout_stop_a_job_with_the_lines_answered_so_far() -> None:
    lines = request_lines(*({"custom_id": str(i), "body": {"input": [f"t {i}"]}} for i in range(200)))
    config = ServerConfig(batch=BatchSettings(requests_per_second=50, hour_seconds=0.5))
    with BackgroundServer(config) as server, httpx.Client(base_url=server.url, headers=AUTH) as client:
        file_id = upload(client, lines)["id"]
        body = {"input_files": [file_id], "endpoint": "/v1/embeddings", "model": "mistral-embed"}
        cancelled = client.post("/v1/batch/jobs", json={**body, "timeout_hours": 100}).json()
        timed_out = client.post("/v1/batch/jobs", json={**body, "timeout_hours": 1}).json()
        time.sleep(0.2)
        asked = assert_conforms(client.post(f"/v1/batch/jobs/{cancelled['id']}/cancel"),
                                "/v1/batch/jobs/{job_id}/cancel", "POST")  # fmt: skip
        assert asked["status"] in ("CANCELLATION_REQUESTED", "CANCELLED")
        cancelled, timed_out = finished(client, cancelled["id"]), finished(client, timed_out["id"])
        assert client.post(f"/v1/batch/jobs/{cancelled['id']}/cancel").json()["status"] == "CANCELLED", "unchanged"
        running = client.get("/v1/batch/jobs", params=[("status", "CANCELLED"), ("status", "TIMEOUT_EXCEEDED")])
        assert assert_conforms(running, "/v1/batch/jobs", "GET")["total"] == 2
        assert client.get("/v1/batch/jobs", params={"status": "DONE"}).status_code == 422
        for job, status in ((cancelled, "CANCELLED"), (timed_out, "TIMEOUT_EXCEEDED")):
            assert job["status"] == status
            assert 0 < job["completed_requests"] < 200
            assert len(result_lines(client, job["output_file"])) == job["succeeded_requests"]
        unknown = client.post("/v1/batch/jobs", json={**body, "input_files": ["6e1c0a54-0b7d-4b4e-9f44-0f3b6c3b3a01"]})
        assert unknown.status_code == 404
        assert client.post("/v1/batch/jobs", json={**body, "model": "nope"}).status_code == 400


def test_faults_fall_on_the_batch_routes_too_and_embedkit_retries_through_them() -> None:
    config = fast(faults=FaultPlan(rate=0.3, seed=3, kinds=("429", "500", "503", "drop", "truncate")))
    texts = [f"faulty batch text {i}" for i in range(300)]
    with BackgroundServer(config) as server, Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN,
                                                              batch_size=20) as embedder:  # fmt: skip
        job = embedder.batch.wait(embedder.batch.submit(texts), poll_interval=0.01)
        result = embedder.batch.fetch(job)
        faults = [fault for fault in server.app.config.faults.recent if fault]
        assert server.app.files.uploads == 1, "a retried upload that failed was not stored twice"
        expected = embedder.embed(texts).vectors
    assert len(faults) >= 2
    assert np.array_equal(result.vectors, expected)


# --- embedkit: submit, status, fetch --------------------------------------------------------------------------------


def test_submit_status_fetch_gives_the_synchronous_vectors_in_input_order_and_names_failed_lines() -> None:
    texts = [f"python batch text {i}" for i in range(1000)]
    with BackgroundServer(fast()) as server, Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN,
                                                              batch_size=64) as embedder:  # fmt: skip
        job = embedder.batch.submit(texts, model="codestral-embed", output_dimension=64, output_dtype="int8")
        assert embedder.batch.status(job).total_requests == 16
        job = embedder.batch.wait(job, poll_interval=0.01)
        result = embedder.batch.fetch(job)
        synchronous = embedder.embed(texts, model="codestral-embed", output_dimension=64, output_dtype="int8")
        # A line the service refuses: this client allows more tokens per request than the service does.
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, max_batch_tokens=40000) as loose:
            big = [f"{i} " + "1" * 6000 for i in range(3)]  # about 6000 tokens each (a token a digit), 18000 in all
            failing = loose.batch.wait(loose.batch.submit(big), poll_interval=0.01)
            with pytest.raises(BatchJobError) as caught:
                loose.batch.fetch(failing)
    assert result.vectors.dtype == np.int8
    assert np.array_equal(result.vectors, synchronous.vectors)
    assert result.usage.total_tokens == synchronous.usage.total_tokens
    error = caught.value
    assert error.failures[0].status == 400
    assert "Too many tokens" in error.failures[0].message
    assert error.partial is not None
    assert error.partial.completed_indices == []


def test_the_cost_is_reported_at_half_the_synchronous_price() -> None:
    priced = cost(2_000_000, "mistral-embed-2312")
    assert (priced.synchronous, priced.batch) == (pytest.approx(0.2), pytest.approx(0.1))
    assert cost(1_000_000, "mistral-embed", price=1.0).batch == pytest.approx(0.5)
    assert cost(10, "unknown-model").batch is None


# --- the resumable CLI job ------------------------------------------------------------------------------------------


def _records(texts: list[str]) -> list[Record]:
    return [Record(str(i + 1), text) for i, text in enumerate(texts)]


def test_an_orphaned_upload_or_job_is_adopted_not_sent_again(tmp_path: Path) -> None:
    """The window recording cannot close: the service accepted an upload (or a job) and the process died before
    its id was committed. The run finds it by its name (or metadata) instead of sending it again."""
    texts = [f"orphan text {i}" for i in range(50)]
    client = {"api_key": DEV_TOKEN, "cache": tmp_path / "c.sqlite", "batch_size": 10}
    with BackgroundServer(fast()) as server, Embedder.mistral(base_url=server.url, **client) as embedder:
        cache = embedder._settings.cache
        assert cache is not None
        namespace = cache_namespace(embedder._settings, embedder._settings.options)
        connection = _open(cache.path)
        run = _plan(connection, embedder, _records(texts), cache, namespace, "mistral-embed", {}, False, 4096)
        assert run is not None
        filename, path = connection.execute("SELECT filename, path FROM batch_files WHERE run = ?", [run]).fetchone()
        file_id = embedder.batch.upload(Path(path).read_bytes(), filename)  # ...then the process died
        orphan_job = embedder.batch.create_job([file_id], model="mistral-embed", metadata={"embedkit_run": run})
        connection.close()
        outcome = run_batch(embedder, lambda: _records(texts), cache, overrides={}, truncate=False, poll_interval=0.01)
        assert (server.app.files.uploads, server.app.batch.created) == (1, 1)
        assert outcome.job_id == orphan_job.id
        assert outcome.inputs == 50
        assert not outcome.failures
        again = run_batch(embedder, lambda: _records(texts), cache, overrides={}, truncate=False, poll_interval=0.01)
        assert again.run is None, "everything is in the cache: nothing to submit"
        assert np.array_equal(embedder.embed(texts).vectors, Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN).embed(texts).vectors)  # fmt: skip


def _recorded_job(cache: Path) -> str | None:
    if not cache.exists():
        return None
    with sqlite3.connect(cache, timeout=30) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'batch_runs'").fetchone():
            return None
        row = connection.execute("SELECT job_id FROM batch_runs WHERE job_id IS NOT NULL").fetchone()
        return str(row[0]) if row else None


def _killed_twice_then_identical(tmp_path: Path, count: int, rate: float, batch_size: int) -> None:
    texts = [f"batch corpus text {i} on subject {i % 101}" for i in range(count)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    cache, output, synchronous = tmp_path / "job.sqlite", tmp_path / "out.parquet", tmp_path / "sync.parquet"
    options = ["--model", "codestral-embed", "--output-dimension", "32"]
    env = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}
    # The server keeps every vector the batch job computed, so the synchronous run that checks it is served from
    # its cache: the vectors are the same either way (deterministic), and computing 100,000 of them twice was a
    # minute of the suite's CPU (the synchronous run: 75 s alone, 28 s so). It holds about 650 MB meanwhile.
    config = ServerConfig(batch=BatchSettings(requests_per_second=rate), cache_texts=max(count, 32768))
    with BackgroundServer(config) as server:
        command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(output), "--cache",
                   str(cache), "--batch-api", "--poll-interval", "0.1", "--base-url", server.url,
                   "--batch-size", str(batch_size), *options]  # fmt: skip
        for _ in range(2):
            requests_before = server.app.requests
            job = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 300
            # Polling: the job's id is recorded, and this process has asked for its status a few times.
            while (job_id := _recorded_job(cache)) is None or server.app.requests < requests_before + 5:
                assert job.poll() is None, "the CLI finished before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.05)
            state = server.app.batch.get(job_id)
            os.kill(job.pid, signal.SIGKILL)
            job.wait()
            assert state["status"] in ("QUEUED", "RUNNING"), "killed while polling"
        finished_run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert finished_run.returncode == 0, finished_run.stderr
        assert (server.app.files.uploads, server.app.batch.created) == (1, 1), "nothing was submitted twice"
        assert f"{count} inputs embedded" in finished_run.stderr
        assert "in batch" in finished_run.stderr
        plain = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(synchronous), "--no-cache",
                 "--base-url", server.url, *options]  # fmt: skip
        subprocess.run(plain, env=env, capture_output=True, timeout=900, check=True)
    batch_table, sync_table = pq.read_table(output), pq.read_table(synchronous)
    assert batch_table.num_rows == count
    assert batch_table.equals(sync_table), "the same ids, hashes and vectors as the synchronous path"
    assert batch_table.schema.metadata == sync_table.schema.metadata


@pytest.mark.slow
def test_a_batch_job_killed_twice_while_polling_resumes_and_matches_the_synchronous_output(tmp_path: Path) -> None:
    _killed_twice_then_identical(tmp_path, 3000, rate=6, batch_size=50)


@pytest.mark.slow
def test_100000_texts_through_the_batch_api_killed_twice_match_the_synchronous_output(tmp_path: Path) -> None:
    _killed_twice_then_identical(tmp_path, 100_000, rate=10, batch_size=512)
