"""Embedding at scale: the persistent cache, the CLI's formats, crash-safe resume, Dask, and the demo."""

from __future__ import annotations

import csv
import inspect
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, load_spec
from embedkit import Embedder, EmbeddingCache, InputError, NotFoundError
from embedkit._batch_api import (
    DEFAULT_TIMEOUT_HOURS,
    MAX_INLINE_REQUESTS,
    METADATA_KEY_LENGTH,
    METADATA_VALUE_LENGTH,
    SIGNED_URL_HOURS,
    TIMEOUT_HOURS,
    BatchAPI,
    BatchJobError,
)
from embedkit._cache import text_key
from embedkit_server import DEV_TOKEN, BackgroundServer, BatchSettings, FaultPlan, ServerConfig, compute_vector
from embedkit_server import _catalogue as catalogue


def expected(texts: list[str], model: str = "mistral-embed", dimension: int = 1024) -> np.ndarray:
    return np.vstack([compute_vector(model, dimension, text) for text in texts])


def cli(*arguments: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    finished = subprocess.run(
        [sys.executable, "-m", "embedkit", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "MISTRAL_API_KEY": DEV_TOKEN},
        check=False,
    )
    if check:
        assert finished.returncode == 0, finished.stderr
    return finished


def read_parquet(path: Path) -> tuple[list[str], np.ndarray, pa.Table]:
    table = pq.read_table(path)
    column = table.column("vector").combine_chunks()
    vectors = column.flatten().to_numpy().reshape(-1, column.type.list_size)
    return table.column("id").to_pylist(), vectors, table


# --- the cache --------------------------------------------------------------------------------------------------


def test_a_cached_text_is_never_sent_again_and_partial_hits_send_only_misses(server: Any, tmp_path: Path) -> None:
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=tmp_path / "c.sqlite") as embedder:
        first = embedder.embed(["alpha", "beta", "gamma"])
        sent = server.app.inputs_embedded
        again = embedder.embed(["gamma", "alpha", "beta"])
        assert server.app.inputs_embedded == sent
        assert again.cached == 3
        assert again.usage.total_tokens == 0
        mixed = embedder.embed(["delta", "beta", "epsilon", "alpha"])
        assert server.app.inputs_embedded == sent + 2
        assert mixed.cached == 2
    assert np.array_equal(again.vectors, first.vectors[[2, 0, 1]])
    assert np.array_equal(mixed.vectors, expected(["delta", "beta", "epsilon", "alpha"]))


def test_the_cache_key_holds_everything_that_changes_a_vector_and_nothing_else(server: Any, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=cache) as mistral:
        mistral.embed("text")
        assert mistral.embed("text", encoding_format="float").cached == 1, "the wire format changes no vector"
        for options in ({"model": "codestral-embed"}, {"model": "codestral-embed", "output_dimension": 64},
                        {"output_dtype": "int8"}):  # fmt: skip
            assert mistral.embed("text", **options).cached == 0, options
            assert mistral.embed("text", **options).cached == 1, options
    localhost = server.url.replace("127.0.0.1", "LocalHost") + "/"
    with Embedder.mistral(base_url=localhost, api_key=DEV_TOKEN, cache=cache) as e:
        assert e.embed("text").cached == 1, "the same service spelled otherwise is not paid again (issue 21)"
    with Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN, cache=cache) as cortecs:
        assert cortecs.embed("text").cached == 0
        assert cortecs.embed("text", eu_native=True).cached == 0, "another provider may compute other vectors"
        assert cortecs.embed("text", eu_native=True).cached == 1
    cache.close()


def test_threads_sharing_one_cache_store_each_text_once(server: Any, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    texts = [f"shared text {i}" for i in range(400)]
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=cache, batch_size=25) as embedder:
                mine = texts[worker * 50 : worker * 50 + 250]  # overlapping ranges
                results[worker] = embedder.embed(mine).vectors
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for worker, vectors in results.items():
        assert np.array_equal(vectors, expected(texts[worker * 50 : worker * 50 + 250]))
    assert len(cache) == 400
    cache.close()


@pytest.mark.slow
def test_two_processes_can_write_one_cache_at_once(server: Any, tmp_path: Path) -> None:
    cache = tmp_path / "shared.sqlite"
    for name, numbers in (("a", range(0, 3000)), ("b", range(1500, 4500))):
        (tmp_path / f"{name}.txt").write_text("".join(f"line {i}\n" for i in numbers))
    arguments = ["--base-url", server.url, "--cache", str(cache), "--batch-size", "50"]
    env = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}
    runs = []
    for name in ("a", "b"):
        command = ["embed", str(tmp_path / f"{name}.txt"), str(tmp_path / f"{name}.npy"), *arguments]
        runs.append(
            subprocess.Popen([sys.executable, "-m", "embedkit", *command], env=env, stderr=subprocess.PIPE, text=True)
        )
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read() if run.stderr else ""
    assert np.array_equal(np.load(tmp_path / "a.npy"), expected([f"line {i}" for i in range(0, 3000)]))
    assert np.array_equal(np.load(tmp_path / "b.npy"), expected([f"line {i}" for i in range(1500, 4500)]))
    with sqlite3.connect(cache) as connection:
        assert connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 4500


# --- the CLI's inputs and outputs ----------------------------------------------------------------------------------

TEXTS = ["The cat sat on the mat.", "A dog slept in the sun.", "Revenue grew, said the bank."]


def test_plain_lines_skip_blanks_and_keep_line_numbers_as_ids(server: Any, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text(f"{TEXTS[0]}\n\n{TEXTS[1]}\n   \n{TEXTS[2]}\n")
    done = cli("embed", str(tmp_path / "in.txt"), str(tmp_path / "out.parquet"), "--base-url", server.url)
    assert "wrote 3 rows" in done.stderr
    ids, vectors, table = read_parquet(tmp_path / "out.parquet")
    assert ids == ["1", "3", "5"]
    assert np.array_equal(vectors, expected(TEXTS))
    assert table.column("text_sha256").to_pylist() == [text_key(t) for t in TEXTS]
    assert "text" not in table.column_names
    metadata = json.loads(table.schema.metadata[b"embedkit"])
    assert metadata["service"] == "mistral"
    assert metadata["model"] == "mistral-embed"


@pytest.mark.slow
def test_jsonl_csv_parquet_and_stdin_inputs_with_chosen_fields(server: Any, tmp_path: Path) -> None:
    rows = [{"key": f"doc-{i}", "body": text} for i, text in enumerate(TEXTS)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    with (tmp_path / "in.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["key", "body"])
        writer.writeheader()
        writer.writerows(rows)
    table = pa.table({"key": [r["key"] for r in rows], "body": [r["body"] for r in rows]})
    pq.write_table(table, tmp_path / "in.parquet")
    for source in ("in.jsonl", "in.csv", "in.parquet"):
        output = tmp_path / f"{source}.out.parquet"
        cli("embed", str(tmp_path / source), str(output), "--text-field", "body", "--id-field", "key",
            "--with-text", "--base-url", server.url)  # fmt: skip
        ids, vectors, table = read_parquet(output)
        assert ids == ["doc-0", "doc-1", "doc-2"], source
        assert table.column("text").to_pylist() == TEXTS
        assert np.array_equal(vectors, expected(TEXTS)), source
    cli("embed", "-", str(tmp_path / "stdin.npy"), "--base-url", server.url, "--model", "codestral-embed",
        "--output-dimension", "64", "--no-cache", stdin="\n".join(TEXTS))  # fmt: skip
    matrix = np.load(tmp_path / "stdin.npy")
    assert matrix.shape == (3, 64)
    assert not (tmp_path / "stdin.npy.cache.sqlite").exists()


def test_a_bad_record_is_named_and_no_output_appears(server: Any, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"text": "fine"}\n{"body": "no text field"}\n')
    failed = cli("embed", str(tmp_path / "in.jsonl"), str(tmp_path / "out.parquet"), "--base-url", server.url,
                 check=False)  # fmt: skip
    assert failed.returncode == 1
    assert "line 2: no field 'text'" in failed.stderr
    (tmp_path / "in.txt").write_text("fine\n" + "x" * 40_000 + "\n")
    failed = cli("embed", str(tmp_path / "in.txt"), str(tmp_path / "out.parquet"), "--base-url", server.url,
                 check=False)  # fmt: skip
    assert "record 2 (input 1)" in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if "out.parquet" in p.name) == [], "nothing was embedded: no cache"


@pytest.mark.slow
def test_search_finds_the_nearest_texts_with_the_files_own_model(server: Any, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("\n".join(TEXTS))
    output = tmp_path / "out.parquet"
    cli("embed", str(tmp_path / "in.txt"), str(output), "--with-text", "--base-url", server.url,
        "--model", "codestral-embed", "--output-dimension", "128")  # fmt: skip
    found = cli("search", str(output), "where did the cat sit", "-k", "2", "--base-url", server.url)
    first = found.stdout.splitlines()[0]
    assert first.startswith("1. ")
    assert first.endswith("1  The cat sat on the mat.")
    # Every id the server lists, versioned ones with their plain aliases (as the real /v1/models is reported to),
    # then its fine-tuned models (one, a completion model; a test elsewhere may delete it from a shared server).
    listed = cli("models", "--base-url", server.url).stdout.split()
    assert listed[:4] == ["mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed"]
    assert set(listed[4:]) <= set(catalogue.FINE_TUNED_MODELS)


def test_the_cli_reads_keys_from_the_environment_only(server: Any, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    missing = subprocess.run(
        [sys.executable, "-m", "embedkit", "models", "--base-url", server.url],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "MISTRAL_API_KEY"},
        check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "set MISTRAL_API_KEY" in missing.stderr
    assert "--api-key " not in cli("embed", "--help").stdout


# --- crash-safe resume -------------------------------------------------------------------------------------------


def _committed_rows(cache: Path) -> int:
    """Rows the job has committed; 0 until it has created the file and its table (the two are not one step)."""
    if not cache.exists():
        return 0
    with sqlite3.connect(cache, timeout=30) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors'").fetchone():
            return 0
        return int(connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])


@pytest.mark.slow
def test_a_job_killed_with_sigkill_resumes_to_exactly_one_row_per_input_in_order(tmp_path: Path) -> None:
    count, batch, concurrency = 3000, 50, 2
    texts = [f"resumable text number {i}" for i in range(count)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    cache, output = tmp_path / "job.sqlite", tmp_path / "out.parquet"
    command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(output), "--cache", str(cache),
               "--batch-size", str(batch), "--max-concurrency", str(concurrency), "--window", "400"]  # fmt: skip
    env = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}
    with BackgroundServer(ServerConfig(latency_ms=50)) as server:
        command += ["--base-url", server.url]
        job = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        committed = 0
        while committed < 600:
            assert job.poll() is None, "the job finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
            committed = _committed_rows(cache)
        os.kill(job.pid, signal.SIGKILL)
        job.wait()
        assert not output.exists(), "no half-written output is ever in place"
        committed = _committed_rows(cache)
        assert 600 <= committed < count
        server.wait_until_idle()  # the killed job's last requests still finish, and count, on the server
        sent_before = server.app.inputs_embedded

        resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)

        assert resumed.returncode == 0, resumed.stderr
        assert f"({committed} from the cache" in resumed.stderr
        sent_again = server.app.inputs_embedded - sent_before
    assert sent_again == count - committed, "only what was not committed is sent"
    assert sent_before <= committed + concurrency * batch, "at most the in-flight batches were lost"
    ids, vectors, _ = read_parquet(output)
    assert ids == [str(i) for i in range(1, count + 1)]
    assert np.array_equal(vectors, expected(texts))


@pytest.mark.slow
def test_a_job_through_30_percent_faults_killed_twice_ends_exact(tmp_path: Path) -> None:
    """Every fault kind at 30% of requests, SIGKILL twice mid-job: no row lost, duplicated, reordered or different."""
    from embedkit_server import FaultPlan

    count = 2000
    texts = [f"faulty road text number {i}" for i in range(count)]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    cache, output = tmp_path / "job.sqlite", tmp_path / "out.npy"
    # Twelve retries: a batch fails for good only after 13 faults in a row (0.3**13, about 2e-7).
    command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(output), "--cache", str(cache),
               "--batch-size", "20", "--max-concurrency", "4", "--window", "200", "--max-retries", "12"]  # fmt: skip
    env = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}
    faults = FaultPlan(rate=0.3, seed=7, retry_after_ms=20, slow_ms=200)
    with BackgroundServer(ServerConfig(latency_ms=20, faults=faults)) as server:
        command += ["--base-url", server.url]
        for kill_after in (400, 1200):
            job = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while _committed_rows(cache) < kill_after:
                assert job.poll() is None, "the job ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.05)
            os.kill(job.pid, signal.SIGKILL)
            job.wait()
            assert not output.exists()
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert finished.returncode == 0, finished.stderr
        assert {kind for kind in faults.recent if kind} == {"429", "500", "503", "drop", "truncate", "slow"}
    vectors = np.load(output)
    assert vectors.shape == (count, 1024)
    assert np.array_equal(vectors, expected(texts))
    with sqlite3.connect(cache) as connection:
        assert connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == count


# --- Dask -----------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_dask_job_gives_the_single_machine_result_and_shares_the_cache(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    import pandas as pd
    from embedkit.dask import embed_series

    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)  # the workers read it from their environment
    texts = [f"partitioned text {i} on topic {i % 7}" for i in range(2000)]
    cache = tmp_path / "dask.sqlite"
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster):
        series = dd.from_pandas(pd.Series(texts), npartitions=6)
        lazy = embed_series(series, base_url=server.url, cache=str(cache), batch_size=100)
        assert lazy.shape[1] == 1024, "the width is known before anything is computed"
        distributed_vectors = lazy.compute()
        sent = server.app.inputs_embedded
        again = embed_series(series, base_url=server.url, cache=str(cache)).compute()
        assert server.app.inputs_embedded == sent, "a rerun is served from the shared cache"
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        single_machine = embedder.embed(texts).vectors
    assert np.array_equal(distributed_vectors, single_machine)
    assert np.array_equal(again, single_machine)
    with sqlite3.connect(cache) as connection:
        assert connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 2000
    with pytest.raises(TypeError, match="not in the task graph"):
        embed_series(series, api_key="sk-secret")


def _count_partition(part: Any, counter: str) -> Any:
    with open(counter, "a") as handle:  # one line per time the upstream computes a partition
        handle.write("x\n")
    return part


def test_a_dask_job_reads_its_upstream_once_and_sends_nothing_from_the_driver(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from embedkit.dask import embed_series

    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    texts = [f"counted text {i}" for i in range(250)]
    counter = tmp_path / "computed"
    series = dd.from_pandas(pd.Series(texts), npartitions=5)
    upstream = series.map_partitions(_count_partition, str(counter), meta=series._meta)
    before = server.app.requests
    lazy = embed_series(upstream, base_url=server.url, batch_size=20, options={"output_dimension": 32,
                        "model": "codestral-embed"})  # fmt: skip
    assert lazy.shape[1] == 32
    assert server.app.requests == before, "no probe request on the driver"
    assert not counter.exists(), "nothing computed before compute()"
    vectors = lazy.compute(scheduler="synchronous")
    assert counter.read_text().count("x") == 5, "each partition of the upstream computed once"
    assert server.app.requests - before == 5 * 3, "50 texts a partition, 20 a batch: 3 requests each, no more"
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, model="codestral-embed") as embedder:
        assert np.array_equal(vectors, embedder.embed(texts, output_dimension=32).vectors)
    assert embed_series(upstream, base_url=server.url, output_dtype="binary", options={"output_dtype": "binary",
                        "output_dimension": 64}).shape[1] == 8, "bit-packed: 64 bits in 8 values"  # fmt: skip
    with pytest.raises(ValueError, match="pass dimension="):
        embed_series(upstream, base_url=server.url, options={"model": "some-new-embed"})


def test_a_dask_worker_without_the_named_key_variable_fails_naming_it(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from embedkit import AuthenticationError
    from embedkit.dask import embed_series

    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)  # present, and must not be used instead
    monkeypatch.delenv("EMBEDKIT_TEAM_KEY", raising=False)
    series = dd.from_pandas(pd.Series(["a text", "another"]), npartitions=1)
    before = server.app.requests
    lazy = embed_series(series, base_url=server.url, api_key_env="EMBEDKIT_TEAM_KEY")
    with pytest.raises(AuthenticationError, match=r"\$EMBEDKIT_TEAM_KEY \(api_key_env\) is not set"):
        lazy.compute(scheduler="synchronous")
    assert server.app.requests == before


# --- the demo -----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_embeds_the_bundled_corpus_and_finds_sensible_neighbours() -> None:
    finished = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "demo.py")], capture_output=True, text=True, timeout=300, check=False
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    out = finished.stdout
    assert "wrote 300 rows" in finished.stderr
    assert "(300 from the cache, 0 tokens billed)" in finished.stderr
    answers = out.split("$ embedkit search")[1:]
    assert len(answers) == 5
    for answer, topic in zip(answers, ["cooking", "astronomy", "finance", "running", "programming"], strict=True):
        top = [line.split()[2] for line in answer.splitlines() if line[:2] in ("1.", "2.", "3.")]
        assert all(identifier.startswith(topic) for identifier in top), (topic, answer)
    assert "reference server stopped" in out


def test_batching_flags_reach_the_client(server: Any, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("".join(f"{'word ' * 8}{i}\n" for i in range(20)))  # about 11 tokens each
    before = server.app.requests
    cli("embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--base-url", server.url, "--no-cache",
        "--max-batch-tokens", "50", "--max-input-tokens", "50")  # fmt: skip
    assert server.app.requests - before == 5, "20 inputs of ~11 tokens, at most 50 tokens per request: 4 a request"
    failed = cli("embed", str(tmp_path / "in.txt"), str(tmp_path / "out2.npy"), "--base-url", server.url,
                 "--no-cache", "--max-input-tokens", "5", check=False)  # fmt: skip
    assert "record 1 (input 0)" in failed.stderr
    assert "over the per-input limit of 5" in failed.stderr


# --- Mistral's batch API: the operations the upstream contract brought ---------------------------------------------


def fast(**changes: Any) -> ServerConfig:
    """A server whose batch jobs answer their lines as fast as they can."""
    return ServerConfig(batch=BatchSettings(requests_per_second=0), **changes)


@pytest.fixture(scope="module")
def batch_server() -> Any:
    with BackgroundServer(fast()) as running:
        yield running


def test_the_batch_bounds_are_the_contracts() -> None:
    """The wrapper checks what the contract bounds; its figures must be the contract's (the generated models carry
    types, not bounds, so the wrapper writes them once and this test reads openapi.yaml to hold them equal)."""
    spec = load_spec()
    fields = spec["components"]["schemas"]["CreateBatchJobRequest"]["properties"]
    hours = fields["timeout_hours"]
    assert (hours["minimum"], hours["maximum"]) == TIMEOUT_HOURS
    assert hours["default"] == DEFAULT_TIMEOUT_HOURS
    for method in (BatchAPI.submit, BatchAPI.create_job):
        assert inspect.signature(method).parameters["timeout_hours"].default == hours["default"]
    metadata = next(option for option in fields["metadata"]["anyOf"] if option.get("type") == "object")
    assert (metadata["propertyNames"]["minLength"], metadata["propertyNames"]["maxLength"]) == METADATA_KEY_LENGTH
    values = metadata["additionalProperties"]
    assert values["type"] == "string"
    assert (values["minLength"], values["maxLength"]) == METADATA_VALUE_LENGTH
    requests = next(option for option in fields["requests"]["anyOf"] if option.get("type") == "array")
    assert requests["maxItems"] == MAX_INLINE_REQUESTS
    signed = spec["paths"]["/v1/files/{file_id}/url"]["get"]
    expiry = next(parameter for parameter in signed["parameters"] if parameter["name"] == "expiry")
    assert inspect.signature(BatchAPI.signed_url).parameters["expiry_hours"].default == expiry["schema"]["default"]
    bounds = f"({SIGNED_URL_HOURS[0]} to {SIGNED_URL_HOURS[1]}, default {expiry['schema']['default']})"
    assert bounds in signed["description"], "the bounds of a signed URL's expiry are the operation's description's"


BAD_JOB_ARGUMENTS = [
    ({"timeout_hours": 0}, "timeout_hours", "timeout_hours must be between 1 and 168, got 0"),
    ({"timeout_hours": 169}, "timeout_hours", "timeout_hours must be between 1 and 168, got 169"),
    ({"timeout_hours": 2.5}, "timeout_hours", "timeout_hours must be an integer"),
    ({"timeout_hours": "24"}, "timeout_hours", "timeout_hours must be an integer"),
    ({"metadata": {"": "x"}}, "metadata", "metadata key '' has 0 characters; keys have 1 to 32"),
    ({"metadata": {"k" * 33: "x"}}, "metadata", f"metadata key '{'k' * 33}' has 33 characters; keys have 1 to 32"),
    ({"metadata": {"team": ""}}, "metadata", "metadata\\['team'\\] has 0 characters; values have 1 to 512"),
    ({"metadata": {"team": "v" * 513}}, "metadata", "metadata\\['team'\\] has 513 characters; values have 1 to 512"),
    ({"metadata": {"count": 3}}, "metadata", "metadata\\['count'\\] must be a string, got 3 \\(int\\)"),
    ({"metadata": {3: "three"}}, "metadata", "metadata key 3 must be a string"),
    ({"metadata": [("team", "x")]}, "metadata", "metadata must be a mapping of strings to strings, got list"),
    ({"metadata": {"embedkit_rows": "9"}}, "metadata", "metadata key 'embedkit_rows' starts with 'embedkit_"),
    ({"inline": "yes"}, "inline", "inline must be True or False"),
]


BAD_JOB_IDS = [f"{name}={value!r}"[:60] for arguments, _, _ in BAD_JOB_ARGUMENTS for name, value in arguments.items()]


@pytest.mark.parametrize(("arguments", "argument", "message"), BAD_JOB_ARGUMENTS, ids=BAD_JOB_IDS)
@pytest.mark.parametrize("inline", [False, True])
def test_job_arguments_outside_the_contract_are_named_before_anything_is_sent(
    server: Any, arguments: dict[str, Any], argument: str, message: str, inline: bool
) -> None:
    before = server.app.requests
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        with pytest.raises(InputError, match=message) as caught:
            embedder.batch.submit(["a text"], **{"inline": inline, **arguments})
        assert caught.value.argument == argument
        if argument != "inline":  # the lower-level create_job checks the same (it writes embedkit_ keys itself)
            arguments = {"metadata": {"embedkit_request": "mine"}} if "embedkit_rows" in str(arguments) else arguments
            with pytest.raises(InputError, match=message.replace("embedkit_rows", "embedkit_request")):
                embedder.batch.create_job(None, requests=[{"body": {"input": ["x"]}}], model="mistral-embed",
                                          **arguments)  # fmt: skip
    assert server.app.requests == before, "nothing uploaded, no job created"


def test_the_contracts_bounds_themselves_are_accepted(batch_server: Any) -> None:
    metadata = {"k" * METADATA_KEY_LENGTH[1]: "v" * METADATA_VALUE_LENGTH[1], "t": "1"}
    texts = ["bounded job", "another text"]
    with Embedder.mistral(base_url=batch_server.url, api_key=DEV_TOKEN) as embedder:
        for hours, inline in ((TIMEOUT_HOURS[0], False), (TIMEOUT_HOURS[1], True)):
            job = embedder.batch.submit(texts, metadata=metadata, timeout_hours=hours, inline=inline)
            assert {key: job.metadata[key] for key in metadata} == metadata
            result = embedder.batch.fetch(embedder.batch.wait(job, poll_interval=0.01))
            assert np.array_equal(result.vectors, expected(texts))


def test_an_inline_job_gives_the_synchronous_vectors_without_any_file(batch_server: Any) -> None:
    texts = [f"inline batch text {i}" for i in range(300)]
    options: dict[str, Any] = {"model": "codestral-embed", "output_dimension": 64, "output_dtype": "int8"}
    uploads = batch_server.app.files.uploads
    with Embedder.mistral(base_url=batch_server.url, api_key=DEV_TOKEN, batch_size=32) as embedder:
        job = embedder.batch.submit(texts, inline=True, **options)
        assert (job.inline, job.input_files, job.total_requests) == (True, (), 10)
        job = embedder.batch.wait(job, poll_interval=0.01)
        assert job.status == "SUCCESS"
        outputs = embedder.batch.status(job, inline=True).outputs
        assert outputs is not None
        assert sorted(item["custom_id"] for item in outputs) == sorted(f"rows-{i}-{min(i + 32, 300)}"
                                                                       for i in range(0, 300, 32))  # fmt: skip
        result = embedder.batch.fetch(job)
        synchronous = embedder.embed(texts, **options)
        # A line the service refuses: this client allows more tokens per request than the service does.
        with Embedder.mistral(base_url=batch_server.url, api_key=DEV_TOKEN, max_batch_tokens=40000) as loose:
            big = [f"{i} " + "1" * 6000 for i in range(3)]  # about 6000 tokens each (a token a digit), 18000 in all
            failing = loose.batch.wait(loose.batch.submit(big, inline=True), poll_interval=0.01)
            with pytest.raises(BatchJobError) as caught:
                loose.batch.fetch(failing)
    assert batch_server.app.files.uploads == uploads, "nothing uploaded"
    assert result.vectors.dtype == np.int8
    assert np.array_equal(result.vectors, synchronous.vectors)
    assert result.usage.total_tokens == synchronous.usage.total_tokens
    assert caught.value.failures[0].status == 400
    assert "Too many tokens" in caught.value.failures[0].message
    assert caught.value.partial is not None
    assert caught.value.partial.completed_indices == []


def test_an_inline_job_over_the_contracts_request_limit_is_refused_unsent(server: Any) -> None:
    texts = [f"t{i}" for i in range(MAX_INLINE_REQUESTS + 1)]
    before = server.app.requests
    refused = pytest.raises(InputError, match="make 10001 request lines; an inline job carries at most 10000")
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=1) as embedder, refused as caught:
        embedder.batch.submit(texts, inline=True)
    assert caught.value.argument == "inline"
    empty = pytest.raises(InputError, match="no texts: a batch job embeds at least one")
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder, empty:
        embedder.batch.submit([], inline=True)
    assert server.app.requests == before


def test_a_deleted_job_is_gone_and_its_files_stay(batch_server: Any) -> None:
    with Embedder.mistral(base_url=batch_server.url, api_key=DEV_TOKEN) as embedder:
        job = embedder.batch.wait(embedder.batch.submit(["to be deleted", "soon"]), poll_interval=0.01)
        assert job.output_file is not None
        output = list(embedder.batch.read_lines(job.output_file))
        assert embedder.batch.delete(job) is True
        with pytest.raises(NotFoundError) as caught:
            embedder.batch.status(job)
        assert caught.value.status == 404
        with pytest.raises(NotFoundError):
            embedder.batch.delete(job.id)
        assert job.id not in {listed.id for listed in embedder.batch.jobs()}
        assert list(embedder.batch.read_lines(job.output_file)) == output, "the contract: its files are not deleted"


def test_a_signed_url_downloads_a_file_without_the_key(batch_server: Any, tmp_path: Path) -> None:
    with Embedder.mistral(base_url=batch_server.url, api_key=DEV_TOKEN) as embedder:
        job = embedder.batch.wait(embedder.batch.submit(["a signed download"]), poll_interval=0.01)
        assert job.output_file is not None
        embedder.batch.download(job.output_file, tmp_path / "keyed.jsonl")
        url = embedder.batch.signed_url(job.output_file, expiry_hours=1)
        with pytest.raises(NotFoundError):
            embedder.batch.signed_url("6e1c0a54-0b7d-4b4e-9f44-0f3b6c3b3a01")
    assert DEV_TOKEN not in url
    with httpx.Client(timeout=30) as anonymous:
        downloaded = anonymous.get(url)
        refused = anonymous.get(f"{batch_server.url}/v1/files/{job.output_file}/content")
    assert downloaded.status_code == 200
    assert downloaded.content == (tmp_path / "keyed.jsonl").read_bytes()
    assert refused.status_code == 401, "the same file without the URL's signature needs the key"


def test_the_new_batch_operations_retry_through_faults_and_create_once() -> None:
    config = fast(faults=FaultPlan(rate=0.3, seed=5, kinds=("429", "500", "503", "drop", "truncate")))
    texts = [f"faulty inline text {i}" for i in range(200)]
    with (
        BackgroundServer(config) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=20) as embedder,
    ):
        job = embedder.batch.wait(embedder.batch.submit(texts, inline=True), poll_interval=0.01)
        result = embedder.batch.fetch(job)
        file_job = embedder.batch.wait(embedder.batch.submit(texts[:3]), poll_interval=0.01)
        assert file_job.output_file is not None
        assert embedder.batch.signed_url(file_job.output_file).startswith("http")
        assert embedder.batch.delete(job) is True
        created, uploads = server.app.batch.created, server.app.files.uploads
        faults = [fault for fault in server.app.config.faults.recent if fault]
        synchronous = embedder.embed(texts).vectors
    assert (created, uploads) == (2, 1), "a retried creation or upload was adopted, not sent twice"
    assert len(faults) >= 2
    assert np.array_equal(result.vectors, synchronous)
