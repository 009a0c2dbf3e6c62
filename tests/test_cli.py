"""The CLI's edges: every numeric flag checked, every input read or named, nothing left behind, searches that
embed the query as the file was made, no silent overwrite, and a bulk job that keeps the pipe full."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from conftest import run_cli as run
from embedkit import Embedder, _cli
from embedkit._bulk import run_job
from embedkit._files import NpyOutput, Record
from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig, compute_vector

TEXTS = ["The cat sat on the mat.", "A dog slept in the sun.", "Revenue grew, said the bank."]


def expected(texts: list[str], model: str = "mistral-embed", dimension: int = 1024) -> np.ndarray:
    return np.vstack([compute_vector(model, dimension, text) for text in texts])


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    monkeypatch.setenv("CORTECS_API_KEY", DEV_TOKEN)
    for variable in ("MISTRAL_BASE_URL", "CORTECS_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)


def leftovers(directory: Path, stem: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if stem in p.name)


def read_parquet(path: Path) -> tuple[list[str], np.ndarray]:
    table = pq.read_table(path)
    column = table.column("vector").combine_chunks()
    return table.column("id").to_pylist(), column.flatten().to_numpy().reshape(-1, column.type.list_size)


# --- 1. numeric flags ---------------------------------------------------------------------------------------------

BAD_FLAGS = [
    ("--window", "0", "must be at least 1"),
    ("--window", "-1", "must be at least 1"),
    ("--window", "many", "a whole number is needed"),
    ("--batch-size", "0", "must be at least 1"),
    ("--max-batch-tokens", "0", "must be at least 1"),
    ("--max-input-tokens", "-5", "must be at least 1"),
    ("--max-concurrency", "0", "must be at least 1"),
    ("--max-retries", "-1", "must be at least 0"),
    ("--max-retries", "nan", "a whole number is needed"),
    ("--timeout", "0", "must be a finite number of seconds above 0"),
    ("--timeout", "-1", "must be a finite number of seconds above 0"),
    ("--timeout", "nan", "must be a finite number of seconds above 0"),
    ("--timeout", "inf", "must be a finite number of seconds above 0"),
    ("--connect-timeout", "0", "must be a finite number of seconds above 0"),
    ("--output-dimension", "0", "must be at least 1"),
    # The contract's bounds on a batch job's timeout_hours (1 to 168), refused before any file is planned.
    ("--batch-timeout-hours", "0", "must be at least 1"),
    ("--batch-timeout-hours", "169", "must be at most 168"),
]


@pytest.mark.parametrize(("flag", "value", "message"), BAD_FLAGS, ids=[f"{f} {v}" for f, v, _ in BAD_FLAGS])
def test_a_bad_numeric_flag_is_a_usage_error_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str, value: str, message: str
) -> None:
    (tmp_path / "in.txt").write_text("one text\n")
    status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(tmp_path / "out.parquet"), f"{flag}={value}")
    assert status == 2
    assert f"argument {flag}: {message}" in err
    assert leftovers(tmp_path, "out") == []


def test_k_is_checked_and_zero_retries_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "search", "out.parquet", "query", "-k", "0")
    assert status == 2
    assert "argument -k: must be at least 1" in err
    assert _cli._parser().parse_args(["models", "--max-retries", "0"]).max_retries == 0


# --- 2-4. inputs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["out.parquet", "out.npy"])
def test_an_empty_input_is_refused_the_same_way_for_parquet_and_npy(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path, output: str
) -> None:
    (tmp_path / "in.txt").write_text("\n   \n")  # blank lines only: no texts
    status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(tmp_path / output), "--base-url", server.url)
    assert status == 1
    assert "EmptyInputError: the input holds no texts: nothing to embed, no output written" in err
    assert leftovers(tmp_path, "out") == [], "no output, no temporary file, no empty cache"


def test_a_jsonl_record_without_the_id_field_is_named(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    (tmp_path / "in.jsonl").write_text('{"text": "first", "id": 7}\n\n{"text": "third"}\n')
    status, _, err = run(capsys, "embed", str(tmp_path / "in.jsonl"), str(tmp_path / "out.parquet"),
                         "--id-field", "id", "--base-url", server.url)  # fmt: skip
    assert status == 1
    assert "InputError: line 3: no id field 'id' (fields: text)" in err
    (tmp_path / "in.jsonl").write_text('{"text": "first", "id": true}\n')
    status, _, err = run(capsys, "embed", str(tmp_path / "in.jsonl"), str(tmp_path / "out.parquet"),
                         "--id-field", "id", "--base-url", server.url)  # fmt: skip
    assert "line 1: id field 'id' is bool, not a string or an integer" in err
    (tmp_path / "in.jsonl").write_text('{"text": "first", "id": 7}\n{"text": "second", "id": "b"}\n')
    status, _, _ = run(capsys, "embed", str(tmp_path / "in.jsonl"), str(tmp_path / "out.parquet"),
                       "--id-field", "id", "--base-url", server.url)  # fmt: skip
    assert status == 0
    assert read_parquet(tmp_path / "out.parquet")[0] == ["7", "b"], "whole-number ids are kept, as text"


def test_a_byte_order_mark_is_not_part_of_the_first_header_line_or_record(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    files = {
        "in.csv": "id,text\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TEXTS)),
        "in.txt": "".join(f"{t}\n" for t in TEXTS),
        "in.jsonl": "".join(json.dumps({"text": t}) + "\n" for t in TEXTS),
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8-sig")  # as Excel and Notepad save UTF-8
        output = tmp_path / f"{name}.npy"
        status, _, err = run(capsys, "embed", str(tmp_path / name), str(output), "--base-url", server.url)
        assert status == 0, (name, err)
        assert np.array_equal(np.load(output), expected(TEXTS)), name
    finished = subprocess.run(
        [sys.executable, "-m", "embedkit", "embed", "-", str(tmp_path / "stdin.npy"), "--base-url", server.url],
        input=("\ufeff" + "\n".join(TEXTS)).encode(), capture_output=True, timeout=120, cwd=ROOT,
        env={**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert np.array_equal(np.load(tmp_path / "stdin.npy"), expected(TEXTS))


def test_a_file_that_is_not_utf8_is_named(capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_bytes("café\n".encode("latin-1"))
    status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--base-url", server.url)
    assert status == 1
    assert f"InputError: {tmp_path / 'in.txt'}: not UTF-8 text" in err


# --- 5. nothing left behind ---------------------------------------------------------------------------------------


def test_a_run_that_fails_before_embedding_leaves_nothing(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in.txt").write_text("one text\n")
    # The input does not exist (found while counting it for the progress bar, after the output was opened).
    status, _, err = run(capsys, "embed", str(tmp_path / "missing.txt"), str(tmp_path / "out.npy"), "--progress",
                         "--base-url", server.url)  # fmt: skip
    assert status == 1
    assert "FileNotFoundError" in err
    assert leftovers(tmp_path, "out") == []
    # No key: refused once the cache was opened.
    monkeypatch.delenv("MISTRAL_API_KEY")
    status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--base-url", server.url)
    assert status == 1
    assert leftovers(tmp_path, "out") == []


def test_a_failed_run_keeps_only_a_cache_with_committed_rows_and_resumes_from_it(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    lines = [f"text {i}" for i in range(30)] + ["x" * 40_000]  # the last window fails before it is sent
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    command = ["embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--window", "10", "--batch-size", "5",
               "--base-url", server.url]  # fmt: skip
    status, _, err = run(capsys, *command)
    assert status == 1
    assert "record 31 (input 30)" in err
    # A file is read whole before anything is sent (issue 23): the long line is refused before any text is paid
    # for, so nothing is left, not even a cache. (Standard input, read once, keeps its committed rows instead.)
    assert leftovers(tmp_path, "out") == [], "no .rows, .partial, output or cache"
    (tmp_path / "in.txt").write_text("\n".join(lines[:-1]) + "\n")
    status, _, err = run(capsys, *command)
    assert status == 0, err
    assert "(0 from the cache" in err
    assert np.array_equal(np.load(tmp_path / "out.npy"), expected(lines[:-1]))


# --- 6. search ----------------------------------------------------------------------------------------------------


def test_search_on_npy_uses_the_model_and_dimension_in_its_sidecar(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    (tmp_path / "in.txt").write_text("\n".join(TEXTS) + "\n")
    output = tmp_path / "out.npy"
    status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(output), "--base-url", server.url,
                         "--model", "codestral-embed", "--output-dimension", "64")  # fmt: skip
    assert status == 0, err
    sidecar = json.loads((tmp_path / "out.npy.json").read_text())
    assert sidecar == {"service": "mistral", "model": "codestral-embed", "output_dimension": 64, "rows": 3,
                       "width": 64, "dtype": "<f4"}  # fmt: skip
    status, out, err = run(capsys, "search", str(output), "where did the cat sit", "-k", "1", "--base-url", server.url)
    assert status == 0, err
    assert out.startswith("1. ")
    assert out.rstrip().endswith("  1")

    np.save(output, np.ones((5, 64), np.float32))  # another matrix, not the one the sidecar describes
    status, _, err = run(capsys, "search", str(output), "cat", "--base-url", server.url)
    assert status == 1
    assert "were not written together" in err
    (tmp_path / "out.npy.json").unlink()  # a matrix from elsewhere: say how it was made, or be refused
    status, _, err = run(capsys, "search", str(output), "cat", "--base-url", server.url)
    assert status == 1
    assert "out.npy does not say how it was made (no out.npy.json); pass the --model" in err
    status, out, _ = run(capsys, "search", str(output), "cat", "--base-url", server.url, "--model", "codestral-embed",
                         "--output-dimension", "64")  # fmt: skip
    assert status == 0
    assert out.startswith("1. ")


def test_search_sends_the_files_allowed_providers(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    (tmp_path / "in.txt").write_text("\n".join(TEXTS) + "\n")
    output = tmp_path / "out.parquet"
    status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(output), "--base-url", server.url,
                         "--service", "cortecs", "--allowed-providers", "mistral, scaleway")  # fmt: skip
    assert status == 0, err
    table = pq.read_table(output)
    metadata = json.loads(table.schema.metadata[b"embedkit"])
    assert metadata["allowed_providers"] == ["mistral", "scaleway"]
    assert run(capsys, "search", str(output), "cat", "--base-url", server.url)[0] == 0
    # The same file, claiming a provider the service does not know: the search must send it, and be refused.
    metadata["allowed_providers"] = ["no-such-provider"]
    pq.write_table(table.replace_schema_metadata({b"embedkit": json.dumps(metadata).encode()}), output)
    status, _, err = run(capsys, "search", str(output), "cat", "--base-url", server.url)
    assert status == 1
    assert "allowed_providers=['no-such-provider']" in err


@pytest.mark.parametrize("dtype", ["int8", "uint8", "binary", "ubinary"])
def test_search_refuses_quantized_codes(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path, dtype: str
) -> None:
    (tmp_path / "in.txt").write_text("\n".join(TEXTS) + "\n")
    for output in (tmp_path / "out.parquet", tmp_path / "out.npy"):
        status, _, err = run(capsys, "embed", str(tmp_path / "in.txt"), str(output), "--base-url", server.url,
                             "--output-dtype", dtype)  # fmt: skip
        assert status == 0, err
        before = server.app.requests
        status, out, err = run(capsys, "search", str(output), "cat", "--base-url", server.url)
        assert (status, out) == (1, "")
        assert f"holds output_dtype={dtype!r} codes, which cosine search would score meaninglessly" in err
        assert ("Hamming distance" in err) is dtype.endswith("binary")
        assert server.app.requests == before, "refused before the query is embedded"


# --- 7. models ----------------------------------------------------------------------------------------------------


def test_models_for_cortecs_lists_prices_and_its_older_route_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], server: Any
) -> None:
    status, out, _ = run(capsys, "models", "-l", "--service", "cortecs", "--base-url", server.url)
    assert status == 0
    assert "bge-m3  0.01 EUR per 1M tokens  providers: scaleway, nebius, ionos, deepinfra" in out.splitlines()
    before = server.app.requests
    status, out, err = run(capsys, "models", "--service", "cortecs-serverless", "--base-url", server.url)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1
    assert "cortecs-serverless has no models route" in err
    assert server.app.requests == before, "no route is asked that the older API does not have"


# --- 9. timeouts, the key, overwriting ----------------------------------------------------------------------------


def test_timeout_bounds_answers_and_the_connect_phase_keeps_its_own_default() -> None:
    def timeout(*flags: str) -> tuple[float | None, float | None]:
        chosen = _cli._timeout(_cli._parser().parse_args(["models", *flags]))
        return chosen.read, chosen.connect

    assert timeout() == (60.0, 10.0)
    assert timeout("--timeout", "120") == (120.0, 10.0)
    assert timeout("--timeout", "2") == (2.0, 2.0), "never longer than the whole answer may take"
    assert timeout("--timeout", "120", "--connect-timeout", "30") == (120.0, 30.0)


def test_a_missing_key_is_explained_in_the_cli_s_terms(
    capsys: pytest.CaptureFixture[str], server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY")
    status, _, err = run(capsys, "models", "--base-url", server.url)
    assert status == 1
    assert "no API key: set MISTRAL_API_KEY (or name another variable with --api-key-env)" in err
    assert "api_key=" not in err
    status, _, err = run(capsys, "models", "--base-url", server.url, "--api-key-env", "MY_TEAM_KEY")
    assert "no API key: set MY_TEAM_KEY" in err


def test_an_existing_output_is_refused_unless_overwrite_and_a_rerun_is_served_by_the_cache(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    (tmp_path / "in.txt").write_text("\n".join(TEXTS) + "\n")
    command = ["embed", str(tmp_path / "in.txt"), str(tmp_path / "out.parquet"), "--base-url", server.url]
    assert run(capsys, *command)[0] == 0
    written = (tmp_path / "out.parquet").read_bytes()
    (tmp_path / "in.txt").write_text("something else entirely\n")
    status, _, err = run(capsys, *command)
    assert status == 1
    assert "out.parquet exists; pass --overwrite to replace it" in err
    assert (tmp_path / "out.parquet").read_bytes() == written
    (tmp_path / "in.txt").write_text("\n".join(TEXTS) + "\n")
    status, _, err = run(capsys, *command, "--overwrite")
    assert status == 0
    assert "(3 from the cache, 0 tokens billed)" in err
    assert (
        "--overwrite"
        in subprocess.run(
            [sys.executable, "-m", "embedkit", "embed", "--help"], capture_output=True, text=True, check=True
        ).stdout
    )


# --- 11. the pipe stays full across windows -----------------------------------------------------------------------


def rounds(handled: list[float], latency: float) -> int:
    """The longest chain of requests each sent after the one before it was answered: a job's rounds, counted by
    cause, not by time (a machine under load delays every round alike, and the count stays).

    `handled`: when the server ran each request's handler, `latency` after the request arrived, as it answered.
    """
    depths: list[tuple[float, int]] = []  # (answered, depth), a request each
    for moment in sorted(handled):
        arrived = moment - latency
        depths.append((moment, 1 + max((d for answered, d in depths if answered < arrived), default=0)))
    return max(depth for _, depth in depths)


def test_a_bulk_job_keeps_every_worker_busy_across_window_boundaries(tmp_path: Path) -> None:
    # 4 windows of 12 batches on 8 workers, after the key's first request, which goes alone (the rate budget learns
    # the key's limits from its answer): a job that drains at each boundary runs each window in two rounds (8, then
    # 4), 1 + 8 in all (measured: 9); one that starts the next window under the tail of the last keeps 8 in flight,
    # 1 + 6 rounds (measured: 7, on an idle machine and under 6 busy processes alike), 8 if a batch goes a round late.
    texts = [f"pipelined text {i}" for i in range(480)]
    latency = 0.6
    handled: list[float] = []
    with BackgroundServer(ServerConfig(latency_ms=round(latency * 1000))) as server:
        embed = server.app._handlers["create_embeddings"]

        def observed(request: Any) -> Any:
            handled.append(time.monotonic())
            return embed(request)

        server.app._handlers["create_embeddings"] = observed
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, max_concurrency=8, batch_size=10) as embedder:
            records = (Record(str(i), text) for i, text in enumerate(texts))
            summary = run_job(embedder, records, NpyOutput(str(tmp_path / "m.npy")), window=120, options={})
        peak = server.app.peak_in_flight
    assert summary.rows == 480
    assert np.array_equal(np.load(tmp_path / "m.npy"), expected(texts)), "every row, in order"
    assert peak <= 8, "the client's bound holds with two windows in flight"
    assert len(handled) == 48
    assert rounds(handled, latency) <= 8, "a job that drains at every window boundary takes 9 rounds"


def test_an_interrupted_job_stops_within_two_rounds_and_says_how_to_resume(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("".join(f"text {i}\n" for i in range(4000)))
    command = [sys.executable, "-m", "embedkit", "embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"),
               "--batch-size", "10", "--max-concurrency", "2"]  # fmt: skip
    with BackgroundServer(ServerConfig(latency_ms=100)) as server:
        job = subprocess.Popen([*command, "--base-url", server.url], env={**os.environ, "MISTRAL_API_KEY": DEV_TOKEN},
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while server.app.requests < 10:
            assert job.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.02)
        job.send_signal(signal.SIGINT)
        sent = server.app.requests
        _, err = job.communicate(timeout=60)
        server.wait_until_idle()
        after = server.app.requests - sent
    assert job.returncode == 130
    assert err.strip().splitlines()[-1] == "embedkit: interrupted (run the same command again to resume from its cache)"
    assert after <= 2 * 2, "at most two calls of one round each were still running"
    assert not (tmp_path / "out.npy").exists()
    assert leftovers(tmp_path, ".out.npy") == [], "no temporary file"


# --- 12. help: each subcommand its own flags, a description, the key variables (issue 21, item 10) ----------------

# Flags that belong to one subcommand only: another's --help listing them would promise what it ignores.
FOREIGN_FLAGS = {
    "models": ["--window", "--batch-size", "--with-text", "--format", "--output-dimension", "--max-concurrency",
               "--requests-per-second", "--batch-api", "--price-per-million", "--truncate", "--cache"],
    "search": ["--window", "--batch-size", "--with-text", "--format", "--text-field", "--max-concurrency",
               "--requests-per-second", "--batch-api", "--price-per-million", "--truncate", "--overwrite"],
    "estimate": ["--window", "--batch-size", "--with-text", "--output-dimension", "--max-concurrency",
                 "--requests-per-second", "--overwrite", "--max-cost", "--progress"],
}  # fmt: skip
OWN_FLAGS = {
    "embed": ["--window", "--batch-size", "--with-text", "--max-concurrency", "--requests-per-second", "--batch-api",
              "--max-cost", "--model", "--eu-native", "--service", "--base-url", "--api-key-env", "--progress"],
    "search": ["-k", "--model", "--output-dimension", "--service", "--base-url", "--timeout"],
    "models": ["--long", "--service", "--base-url", "--api-key-env", "--timeout"],
    "estimate": ["--format", "--model", "--truncate", "--cache", "--batch-api", "--price-per-million", "--service"],
}  # fmt: skip


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    status, out, err = run(capsys, *command, "--help")
    assert (status, err) == (0, "")
    return out


def flags_in(help_text: str) -> set[str]:
    """Every flag the help lists (in its usage line or its option list)."""
    import re

    return set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", help_text))


@pytest.mark.parametrize("command", sorted(OWN_FLAGS))
def test_each_subcommand_s_help_lists_its_own_flags_and_no_others(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    listed = flags_in(help_of(capsys, command))
    assert set(OWN_FLAGS[command]) <= listed
    assert listed.isdisjoint(FOREIGN_FLAGS.get(command, [])), listed & set(FOREIGN_FLAGS.get(command, []))


def test_every_subcommand_has_a_real_description_and_names_the_key_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    search = help_of(capsys, "search")
    assert "Top-k search." not in search
    assert "by cosine similarity, best" in search
    assert "rank, score, id" in search
    for command in ("embed", "search", "models", "estimate"):
        text = help_of(capsys, command)
        for variable in ("MISTRAL_API_KEY", "CORTECS_API_KEY", "MISTRAL_BASE_URL", "CORTECS_BASE_URL"):
            assert variable in text, (command, variable)
        assert len(_cli.COMMANDS[command].description) > 80, command
    assert "EMBEDKIT_REQUESTS_PER_SECOND" in help_of(capsys, "embed")
    assert "embedkit COMMAND --help" in help_of(capsys)


def test_serve_help_names_the_embedkit_command_and_reference_server_keeps_its_own() -> None:
    def usage(*command: str) -> str:
        done = subprocess.run([sys.executable, *command, "--help"], capture_output=True, text=True, timeout=60,
                              check=True, cwd=ROOT)  # fmt: skip
        return done.stdout.splitlines()[0]

    assert usage("-m", "embedkit", "serve").startswith("usage: embedkit serve [-h]")
    assert usage("-m", "embedkit_server").startswith("usage: reference-server [-h]")


def test_the_constants_the_help_quotes_are_the_library_s() -> None:
    from embedkit._batch_api import DEFAULT_TIMEOUT_HOURS, TIMEOUT_HOURS
    from embedkit._concurrency import DEFAULT_MAXIMUM
    from embedkit._files import FORMATS
    from embedkit._policy import DEFAULT_TIMEOUT
    from embedkit._services import SERVICES

    assert tuple(sorted(SERVICES)) == _cli.SERVICE_NAMES
    assert FORMATS == _cli.FILE_FORMATS
    assert DEFAULT_MAXIMUM == _cli.MAX_CONCURRENCY
    assert (DEFAULT_TIMEOUT.read, DEFAULT_TIMEOUT.connect) == (_cli.DEFAULT_READ_TIMEOUT, _cli.DEFAULT_CONNECT_TIMEOUT)
    assert (TIMEOUT_HOURS, DEFAULT_TIMEOUT_HOURS) == (_cli.BATCH_TIMEOUT_HOURS, _cli.DEFAULT_BATCH_TIMEOUT_HOURS)


# --- 13. start-up: nothing heavy for --version, --help or `import embedkit` (issue 22, item 3) ---------------------

HEAVY = ("asyncio", "sqlite3", "simdjson", "embedkit_generated.models", "embedkit._client")


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (which may exit, as --version does)."""
    probe = f"import atexit, sys, json\natexit.register(lambda: print(json.dumps(sorted(sys.modules))))\n{code}\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    ["import embedkit", "from embedkit._cli import main; main(['--version'])", "from embedkit._cli import main; "
     "main(['--help'])", "from embedkit._cli import main; main(['embed', '--help'])"],
    ids=["import", "--version", "--help", "embed --help"],
)  # fmt: skip
def test_start_up_imports_nothing_heavy(code: str) -> None:
    loaded = modules_after(code)
    assert not [name for name in HEAVY if name in loaded]
    if "main" in code:
        assert "httpx" not in loaded, "the CLI's help and version need no HTTP client"
        assert "numpy" not in loaded, "the CLI's help and version need no numpy"


def test_every_public_name_still_imports_and_mypy_sees_them() -> None:
    loaded = modules_after(
        "import embedkit\nfor name in embedkit.__all__:\n    getattr(embedkit, name)\n"
        "from embedkit import Embedder, top_k"
    )
    assert "embedkit._client" in loaded, "the client is imported on first use"
    import embedkit

    assert set(embedkit.__all__) <= set(dir(embedkit))
    assert set(embedkit.__all__) - {"__version__"} == set(embedkit._LAZY), "__all__ and the lazy table agree"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        embedkit.no_such_name  # noqa: B018


# --- 14. what the end of a run says ---------------------------------------------------------------------------------


def test_a_batch_api_run_ends_with_the_batch_cost_not_zero(
    capsys: pytest.CaptureFixture[str], server: Any, tmp_path: Path
) -> None:
    # Issue 21, item 10: the run printed the batch cost, then ended with "cost 0 USD" (its rows came from the cache).
    (tmp_path / "in.txt").write_text("\n".join(TEXTS) + "\n")
    command = ["embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--batch-api", "--poll-interval", "0.1",
               "--batch-size", "1", "--no-progress", "--base-url", server.url]  # fmt: skip
    status, _, err = run(capsys, *command)
    assert status == 0, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("wrote 3 rows to "), last
    assert "cost 0 USD" not in last
    assert " USD for " in last
    assert "tokens through the batch API)" in last
    assert "(3 from the cache, 0 tokens billed)" not in last


# --- 15. the server's command: a plain install, a busy port, its stats (issue 21, items 2 and 10) ------------------

WITHOUT_SERVER_EXTRA = "import sys\nsys.modules['jsonschema_rs'] = None  # as on a plain install, without the extra\n"


def python(code: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, check=False)  # fmt: skip


def test_without_the_server_extra_every_way_in_names_it() -> None:
    extra = "pip install 'embedkit[server]'"
    quickstart = python(WITHOUT_SERVER_EXTRA + "from embedkit_server import DEV_TOKEN, BackgroundServer")
    assert quickstart.returncode == 1
    last = quickstart.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: the reference server needs the optional dependency 'jsonschema_rs'")
    assert last.endswith(extra)
    command = python(WITHOUT_SERVER_EXTRA + "from embedkit_server._cli import main")  # what `reference-server` runs
    assert extra in command.stderr.strip().splitlines()[-1]
    serve = python(WITHOUT_SERVER_EXTRA + "from embedkit._cli import main\nsys.exit(main(['serve']))")
    assert serve.returncode == 1
    assert serve.stderr == f"embedkit: embedkit serve needs the optional dependency 'jsonschema_rs', which is not " \
        f"installed: {extra}\n"  # fmt: skip


def test_serve_on_a_busy_port_says_so_and_never_that_it_serves() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "embedkit", "serve", "--port", str(port)], capture_output=True,
                              text=True, timeout=60, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 1
    assert "reference server on" not in done.stdout
    assert done.stderr.startswith(f"embedkit serve: cannot listen on 127.0.0.1:{port}: ")


def test_the_server_counts_tokens_served_without_rate_limits() -> None:
    with BackgroundServer() as server:
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
            result = embedder.embed(TEXTS)
        server.wait_until_idle()
        stats = json.loads(server.app.stats_line().split(":", 1)[1])
    assert not server.app.rate_limiter.limits.enabled
    assert stats["tokens_served"] == result.usage.total_tokens > 0


def test_the_reference_server_command_without_its_extra_names_it_in_one_line() -> None:
    # A plain install lacks uvicorn (the `server` extra): the command says what to install, with no traceback.
    script = (
        "import sys; sys.modules['uvicorn'] = None; from embedkit._cli import reference_server; "
        "sys.exit(reference_server(['--port', '0']))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "pip install 'embedkit[server]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
