"""Secrets (issue 23): a malformed key is refused at construction without being printed; whatever the service
echoes back is scrubbed of the key in every encoding; the reference server takes its keys out of `ps`; and a
traceback recorded with its locals works on every embedkit frame.

Each probe draws its key from its own seed, so no probe passes by matching another's key.
"""

from __future__ import annotations

import base64
import logging
import os
import random
import string
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from embedkit import APIStatusError, AuthenticationError, Embedder, EmbeddingError, InputError, InvalidAPIKeyError
from embedkit._security import APIKey
from embedkit_server import DEV_TOKEN
from replay import Answer, ReplayServer

WRAPPER = str(Path(__file__).resolve().parent.parent / "wrapper")


def key_for(seed: int) -> str:
    rng = random.Random(seed)
    return "sk-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))


def recorded(error: BaseException) -> str:
    """Everything a traceback recorder keeps of `error`: message, chain, and every frame's locals."""
    return "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


def embedkit_locals(error: BaseException) -> str:
    """The locals of embedkit's own frames in `error`'s traceback, as a recorder prints them."""
    shown = traceback.TracebackException.from_exception(error, capture_locals=True)
    return "\n".join(
        f"{frame.name}: {frame.locals}" for frame in shown.stack if "embedkit" in frame.filename and frame.locals
    )


# --- keys checked at construction ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "suffix"), [(2321, "\r"), (2322, "\n"), (2323, " "), (2324, "\x00"), (2325, "\t")])
def test_a_key_with_whitespace_or_a_control_character_is_refused_unprinted(
    seed: int, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """issue 23: a trailing \\r (a CRLF .env file) reached h11, whose error quoted `Bearer sk-...`."""
    key = key_for(seed)
    caplog.set_level(logging.DEBUG)
    for make in (
        lambda: Embedder.mistral(api_key=key + suffix, base_url="http://127.0.0.1:9"),
        lambda: Embedder("cortecs", api_key=key + suffix, base_url="http://127.0.0.1:9"),
    ):
        with pytest.raises(InvalidAPIKeyError) as raised:
            make()
        error = raised.value
        assert isinstance(error, AuthenticationError)
        assert isinstance(error, InputError)
        assert error.argument == "api_key"
        assert key not in str(error)
        assert key not in repr(error)
        assert key not in embedkit_locals(error)
        assert "at its end" in str(error)
    assert key not in caplog.text


def test_a_malformed_key_from_the_environment_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    key = key_for(2326)
    monkeypatch.setenv("MISTRAL_API_KEY", key + "\r")
    with pytest.raises(InvalidAPIKeyError, match=r"\$MISTRAL_API_KEY.*carriage return") as raised:
        Embedder.mistral(base_url="http://127.0.0.1:9")
    assert key not in embedkit_locals(raised.value)
    assert key not in str(raised.value)


def test_the_cli_refuses_a_crlf_key_in_one_line_without_it(tmp_path: Path) -> None:
    key = key_for(2327)
    corpus = tmp_path / "in.txt"
    corpus.write_text("one\n")
    done = subprocess.run(
        [sys.executable, "-m", "embedkit", "embed", str(corpus), str(tmp_path / "out.npy"), "--base-url",
         "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "MISTRAL_API_KEY": key + "\r", "PYTHONPATH": WRAPPER},
    )  # fmt: skip
    assert done.returncode == 1
    assert "InvalidAPIKeyError" in done.stderr
    assert "$MISTRAL_API_KEY" in done.stderr
    assert key not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


# --- scrubbed in every encoding ------------------------------------------------------------------------------------


def test_scrub_masks_the_key_raw_percent_encoded_and_in_base64() -> None:
    key = key_for(2328) + "/+!"
    masked = APIKey(key)
    forms = [
        f"echo {key} echo",
        quote(key, safe=""),
        quote(key, safe="").replace("%2F", "%2f").replace("%2B", "%2b"),
        quote(quote(key, safe=""), safe=""),  # encoded twice
        base64.b64encode(f"Bearer {key}".encode()).decode(),
        base64.urlsafe_b64encode(f"user:{key}".encode()).decode(),
        base64.b64encode(f"xy{key}tail".encode()).decode(),
    ]
    for text in forms:
        scrubbed = masked.scrub(text)
        assert "***" in scrubbed, text
        assert key not in scrubbed
        assert quote(key, safe="") not in scrubbed
        for offset in range(3):  # no run of the key's base64 at any alignment is left
            core = base64.b64encode(b"\0" * offset + key.encode()).decode()[4 if offset else 0 : -4]
            assert core not in scrubbed
    assert masked.scrub("nothing secret here") == "nothing secret here"


def echoing(key: str, where: str) -> Any:
    """A service that echoes the key back: in the model, the provider, or in a 400 body (percent or base64)."""

    def answer(method: str, path: str, body: Any) -> Answer:
        if where in ("model", "provider"):
            data = [{"object": "embedding", "index": i, "embedding": [0.5, 0.5]} for i in range(len(body["input"]))]
            payload: dict[str, Any] = {"object": "list", "data": data, "model": "mistral-embed",
                                       "usage": {"prompt_tokens": 1, "total_tokens": 1}}  # fmt: skip
            payload[where] = f"echo-{key}-echo"
            return Answer(200, payload)
        if where == "percent":
            return Answer(400, {"message": f"bad request: Authorization=Bearer%20{quote(key, safe='')}", "code": "x"})
        encoded = base64.b64encode(f"Bearer {key}".encode()).decode()
        return Answer(400, {"message": f"bad header {encoded}", "detail": {"auth": encoded}})

    return answer


@pytest.mark.parametrize(("seed", "where"), [(2331, "model"), (2332, "provider"), (2333, "percent"), (2334, "base64")])
def test_a_service_echoing_the_key_gets_it_into_no_result_message_or_log(
    seed: int, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = key_for(seed)
    caplog.set_level(logging.DEBUG)
    with (
        ReplayServer(echoing(key, where)) as server,
        Embedder.mistral(base_url=server.url, api_key=key, max_retries=0) as embedder,
    ):
        if where in ("model", "provider"):
            result = embedder.embed(["a", "b"])
            shown = f"{result.model} {result.providers} {result!r}"
        else:
            with pytest.raises(APIStatusError) as raised:
                embedder.embed(["a", "b"])
            shown = f"{raised.value} {raised.value!r} {raised.value.body} {embedkit_locals(raised.value)}"
    assert "***" in shown
    encoded = base64.b64encode(f"Bearer {key}".encode()).decode()
    for text in (shown, caplog.text):
        assert key not in text
        assert quote(key, safe="") not in text
        assert encoded[8:-4] not in text


def test_records_of_the_embedkit_logger_are_scrubbed_of_live_keys(caplog: pytest.LogCaptureFixture) -> None:
    key = key_for(2335)
    masked = APIKey(key)
    caplog.set_level(logging.DEBUG, logger="embedkit")
    logging.getLogger("embedkit").debug("the service said %s", f"x {key} / {quote(key, safe='')}")
    assert key not in caplog.text
    assert "***" in caplog.text
    del masked


# --- the reference server's keys out of `ps` -----------------------------------------------------------------------


def start_server(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "embedkit_server", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "reference server on " in line, process.stderr.read() if process.stderr else line
    return process, line.split("reference server on ")[1].split()[0]


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, errors = process.communicate(timeout=30)
    return errors


def status_with(url: str, key: str) -> int:
    return httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code


def test_the_reference_server_reads_its_keys_from_a_file_and_warns_about_token(tmp_path: Path) -> None:
    key, other = key_for(2336), key_for(2337)
    keys = tmp_path / "keys"
    keys.write_text(f"# the keys\n{key}\r\n\n{other}\n")
    process, url = start_server("--token-file", str(keys))
    try:
        assert key not in " ".join(process.args)  # type: ignore[arg-type]
        assert (status_with(url, key), status_with(url, other), status_with(url, DEV_TOKEN)) == (200, 200, 401)
    finally:
        errors = stop(process)
    assert "warning" not in errors

    process, url = start_server("--token", key)
    try:
        assert status_with(url, key) == 200, "--token still works"
    finally:
        errors = stop(process)
    assert "warning: --token" in errors
    assert "REFERENCE_SERVER_TOKENS" in errors
    assert key not in errors


def test_the_reference_server_refuses_an_empty_token_file(tmp_path: Path) -> None:
    empty = tmp_path / "keys"
    empty.write_text("# nothing\n\n")
    done = subprocess.run(
        [sys.executable, "-m", "embedkit_server", "--port", "0", "--token-file", str(empty)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "holds no key" in done.stderr


# --- capture_locals on every frame ---------------------------------------------------------------------------------


def unprintable_uuid() -> Any:
    """A `UUID` made without its number: its repr raises (the caller's frame never holds it here)."""
    return uuid.UUID.__new__(uuid.UUID)


def test_capture_locals_works_when_a_job_id_is_a_uuid_without_int(server: Any) -> None:
    """issue 23: TracebackException(capture_locals=True) crashed on a UUID without `.int`."""
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        for call in (embedder.batch.status, embedder.batch.cancel, embedder.batch.fetch, embedder.batch.delete):
            with pytest.raises(InputError, match="cannot be printed") as raised:
                call(unprintable_uuid())
            assert "Traceback" in recorded(raised.value)
        with pytest.raises(InputError) as raised:
            embedder.batch.download(unprintable_uuid(), Path("unused"))
        recorded(raised.value)


def test_capture_locals_works_on_a_body_held_in_a_memoryview() -> None:
    """issue 23: the decoder kept a `re.Match` over the reused receive buffer (a memoryview), which cannot repr."""

    def answer(method: str, path: str, body: Any) -> Answer:
        return Answer(200, b'{"data": [{"index": 0, "embedding": [0.1, 0.2')

    with (
        ReplayServer(answer) as replay,
        Embedder.mistral(base_url=replay.url, api_key=key_for(2338), max_retries=0) as e,
        pytest.raises(EmbeddingError) as raised,
    ):
        e.embed(["a"])
    assert "Traceback" in recorded(raised.value)


def test_a_models_route_echoing_the_key_gets_it_into_no_model_card() -> None:
    key = key_for(2339)

    def answer(method: str, path: str, body: Any) -> Answer:
        card = {"id": f"model-{key}", "object": "model", "description": f"for {quote(key, safe='')}",
                "aliases": [f"alias-{key}"], "capabilities": {"embeddings": True}}  # fmt: skip
        return Answer(200, {"object": "list", "data": [card]} if path.endswith("/models") else card)

    with ReplayServer(answer) as replay, Embedder.mistral(base_url=replay.url, api_key=key) as embedder:
        cards = [*embedder.models(), embedder.model_info("any")]
    shown = " ".join(repr(card) for card in cards)
    assert key not in shown
    assert quote(key, safe="") not in shown
    assert shown.count("***") >= 6


# --- the batch path scrubs what the service sends back, as the synchronous path does ---------------------------------


def echoed_forms(key: str) -> dict[str, str]:
    """The key as a service might echo it: raw, percent-encoded, and in base64 (as in a Basic or Bearer header)."""
    return {
        "raw": key,
        "percent": quote(key, safe=""),
        "base64": base64.b64encode(f"Bearer {key}".encode()).decode(),
    }


def assert_key_free(key: str, *texts: str) -> None:
    encoded = base64.b64encode(f"Bearer {key}".encode()).decode()
    for number, text in enumerate(texts):
        for name, form in (("raw", key), ("percent-encoded", quote(key, safe="")), ("base64", encoded[8:-4])):
            if form in text:  # said without the text: the report must not show the key either
                pytest.fail(f"text {number} holds the key ({name})")


def echo_into_batch_job(server: Any, job_id: str, key: str) -> None:
    """Make the finished job echo `key`: in one output line's `model`, in other lines' error messages, in the job's
    model and errors (each form in its own place)."""
    import orjson

    deadline = time.monotonic() + 60
    while server.app.batch.get(job_id)["status"] != "SUCCESS":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    forms = echoed_forms(key)
    job = server.app.batch._jobs[job_id]
    path = server.app.files.get(job.output_file).path
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    lines.sort(key=lambda line: line["custom_id"])
    lines[0]["response"]["body"]["model"] = f"mistral-embed-{forms['raw']}"
    lines[1]["response"] = {"status_code": 400, "body": {"message": f"bad key {forms['percent']}", "code": "x"}}
    lines[2]["response"] = None
    lines[2]["error"] = {"message": "x" * 490 + f" header {forms['base64']}", "code": "y"}  # over the 500 cut
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    with server.app.batch._lock:
        job.model = f"mistral-embed-{forms['percent']}"
        job.errors = [{"message": f"your key {forms['raw']} / {forms['base64']}", "count": 1}]
        job.metadata = {**(job.metadata or {}), "echo": forms["raw"]}


@pytest.mark.parametrize("seed", [2346, 2347])
def test_a_batch_job_echoing_the_key_gets_it_into_no_result_error_or_job(
    seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    from embedkit import BatchJobError
    from embedkit_server import BackgroundServer, BatchSettings, ServerConfig

    key = key_for(seed)
    caplog.set_level(logging.DEBUG)
    config = ServerConfig(tokens=(key,), batch=BatchSettings(requests_per_second=0, seed=seed))
    with (
        BackgroundServer(config) as server,
        Embedder.mistral(base_url=server.url, api_key=key, batch_size=1, max_retries=0) as embedder,
    ):
        job = embedder.batch.submit([f"echo text {seed} {i}" for i in range(5)])
        echo_into_batch_job(server, job.id, key)
        seen = embedder.batch.status(job)
        listed = [found for found in embedder.batch.jobs() if found.id == job.id]
        with pytest.raises(BatchJobError) as raised:
            embedder.batch.fetch(job)
    error = raised.value
    failures = " ".join(f"{failure!r}" for failure in error.failures)
    assert len(error.failures) == 2
    assert all(len(failure.message) <= 500 for failure in error.failures)
    assert "***" in failures
    assert_key_free(
        key, repr(seen), repr(listed), str(error), repr(error), failures, embedkit_locals(error), caplog.text
    )
    assert "***" in repr(seen.errors)
    assert "***" in str(seen.model)
    assert seen.metadata["echo"] == "***"


def test_the_cli_batch_path_prints_and_caches_no_echoed_key(tmp_path: Path) -> None:
    from embedkit_server import BackgroundServer, BatchSettings, ServerConfig

    key = key_for(2348)
    source = tmp_path / "in.txt"
    source.write_text("".join(f"cli echo text {i}\n" for i in range(5)))
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    config = ServerConfig(tokens=(key,), batch=BatchSettings(requests_per_second=0, seed=2348))
    with BackgroundServer(config) as server:
        command = [
            sys.executable,
            "-m",
            "embedkit",
            "embed",
            str(source),
            str(output),
            "--batch-api",
            "--poll-interval",
            "0.05",
            "--batch-size",
            "1",
            "--base-url",
            server.url,
            "--no-progress",
        ]
        environment = {**os.environ, "MISTRAL_API_KEY": key}
        child = subprocess.Popen([*command, "--batch-retry", "none"], env=environment, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while not server.app.batch.created:
            assert child.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.01)
        (job_id,) = list(server.app.batch._jobs)
        echo_into_batch_job(server, job_id, key)
        out, errors = child.communicate(timeout=300)
        refused = child.returncode
        retried = subprocess.run([*command, "--batch-retry", "sync"], env=environment, capture_output=True,
                                 text=True, timeout=300, check=False)  # fmt: skip
    assert refused == 1, errors
    assert "2 lines failed" in errors
    assert "***" in errors
    assert retried.returncode == 0, retried.stderr
    import sqlite3

    with sqlite3.connect(cache) as connection:
        stored = repr(connection.execute("SELECT * FROM batch_lines").fetchall())
        served = repr(connection.execute("SELECT DISTINCT served_model FROM vectors").fetchall())
    assert_key_free(key, out, errors, retried.stdout, retried.stderr, stored, served)
