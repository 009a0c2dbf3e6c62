"""Issue 10 (hardening) and issue 9 item 2: hostile answers, hostile inputs, signals, the key, real error shapes.

Every answer comes over real loopback HTTP: the reference server, or `Loopback`, a tiny server whose answers
each test scripts (bodies the reference server would never send: broken vectors, other services' error shapes).
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import logging
import math
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from embedkit import (
    APIConnectionError,
    AsyncEmbedder,
    AuthenticationError,
    Embedder,
    EmbeddingCache,
    EmbeddingError,
    InputError,
    InputTooLongError,
    InvalidRequestError,
    ModelNotFoundError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    UnknownOptionError,
    UnsupportedError,
)
from embedkit._policy import retry_after
from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig, compute_vector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NO_RETRY = RetryPolicy(max_retries=0)
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
SECRET = "sk-hardening-secret-0123456789abcdef"


# --- a loopback server whose answers the test scripts ----------------------------------------------------------------


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Loopback:
    """A real HTTP server on 127.0.0.1: every request is recorded, and `answer(request)` says what to send back."""

    answer: Callable[[Seen], Answer] = lambda seen: (200, {}, b"{}")
    seen: list[Seen] = field(default_factory=list)

    def __enter__(self) -> Loopback:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None)
                owner.seen.append(seen)
                status, headers, body = owner.answer(seen)
                self.send_response(status)
                headers = {"content-type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def ok(items: list[tuple[int, Any]], **extra: Any) -> Answer:
    data = [{"object": "embedding", "index": i, "embedding": e} for i, e in items]
    body = {"id": "x", "object": "list", "model": "m", "data": data, "usage": {"prompt_tokens": 1}, **extra}
    return 200, {}, json.dumps(body).encode()


def error(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, headers or {}, raw


def b64(values: list[float], dtype: str = "<f4") -> str:
    return base64.b64encode(np.array(values, dtype=dtype).tobytes()).decode()


def embed_against(answer: Callable[[Seen], Answer], texts: list[str], **options: Any) -> Any:
    with (
        Loopback(answer) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=NO_RETRY, max_concurrency=1) as embedder,
    ):
        return embedder.embed(texts, **options)


# --- A. bad answers never become vectors -----------------------------------------------------------------------------

NAN_BYTES = base64.b64encode(np.array([0.5, np.nan], "<f4").tobytes()).decode()
INF_BYTES = base64.b64encode(np.array([np.inf, 0.5], "<f4").tobytes()).decode()


@pytest.mark.parametrize(
    ("items", "options", "message"),
    [
        ([(0, b64([0.5, 0.25])), (1, NAN_BYTES)], {}, "input 1 holds NaN or infinity"),
        ([(0, INF_BYTES), (1, b64([0.5, 0.25]))], {}, "input 0 holds NaN or infinity"),
        ([(0, [0.5, 0.25]), (1, [1e39, 0.5])], {}, "input 1 holds NaN or infinity"),
        ([(0, [0.5, None]), (1, [0.5, 0.25])], {}, "input 0 has a wrong value at position 1: is null"),
        ([(0, [0.5, 0.25]), (1, [True, 0.25])], {}, "input 1 has a wrong value at position 0: is a boolean"),
        ([(0, [0.5, "0.5"]), (1, [0.5, 0.25])], {}, "input 0 has a wrong value at position 1: is a string"),
        ([(0, []), (1, [])], {}, "input 0 is empty"),
        ([(0, ""), (1, "")], {}, "input 0 is empty"),
        ([(0, [1, 2]), (1, [0.5, 3])], {"output_dtype": "int8"}, "input 1 has a wrong value at position 0: is not an"),
        ([(0, [1, 300]), (1, [1, 2])], {"output_dtype": "int8"}, "input 0 .* outside int8's range -128..127"),
        ([(0, [1, -1]), (1, [1, 2])], {"output_dtype": "uint8"}, "input 0 .* outside uint8's range 0..255"),
        ([(0, [1, 2]), (1, [1, 2.5])], {"output_dtype": "binary"}, "input 1 .* is not an integer"),
        ([(0, [0.5, 0.25]), (1, b64([0.5, 0.25]))], {}, "input 1 mixes base64 and array"),
    ],
)
def test_a_bad_answer_is_a_validation_error_naming_the_input(
    items: list[tuple[int, Any]], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ResponseValidationError, match=message) as caught:
        embed_against(lambda seen: ok(items), ["one", "two"], **options)
    assert caught.value.index is not None or "mixes" not in message


def test_integral_json_numbers_are_accepted_for_integer_dtypes_and_numbers_of_any_form_for_floats() -> None:
    result = embed_against(lambda seen: ok([(0, [1, -2.0]), (1, [127, -128])]), ["a", "b"], output_dtype="int8")
    assert result.vectors.dtype == np.int8
    assert result.vectors.tolist() == [[1, -2], [127, -128]]
    result = embed_against(lambda seen: ok([(1, [1, 0.5]), (0, [10**20, -0.0])]), ["a", "b"])
    assert np.array_equal(result.vectors, np.array([[1e20, -0.0], [1.0, 0.5]], np.float32))


def test_a_float_answer_to_a_base64_request_is_decoded_and_counted() -> None:
    # The real Mistral answers float arrays whatever encoding_format says (third-party reports: anything-llm #5794,
    # docs-mcp-server #469).
    def answer(seen: Seen) -> Answer:
        assert seen.body["encoding_format"] == "base64"
        return ok([(i, [float(i), 0.5]) for i in range(len(seen.body["input"]))])

    with (
        Loopback(answer) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=2, max_concurrency=1) as embedder,
    ):
        result = embedder.embed(["a", "b", "c"])
    assert result.vectors.tolist() == [[0.0, 0.5], [1.0, 0.5], [0.0, 0.5]]
    assert result.encodings == {"float": 2}


def test_base64_answers_are_counted_too(gateway: Any) -> None:
    # A deployment that honours base64 (the reference server's default answers floats, as Mistral does).
    with Embedder.mistral(base_url=gateway.url, api_key=DEV_TOKEN, batch_size=2) as embedder:
        assert embedder.embed(["a", "b", "c"]).encodings == {"base64": 2}
        assert embedder.embed(["a"], encoding_format="float").encodings == {"float": 1}


def test_retry_after_that_is_negative_or_not_a_number_counts_as_absent_and_huge_is_clamped() -> None:
    assert retry_after({"retry-after": "-5"}) is None
    assert retry_after({"retry-after-ms": "nan"}) is None
    assert retry_after({"retry-after-ms": "-1", "retry-after": "inf"}) is None
    assert retry_after({"retry-after-ms": "nan", "retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({"retry-after": "not a date"}) is None
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.delay(1, 1e9) == 30.0


@pytest.mark.parametrize("headers", [{"retry-after": "-5"}, {"retry-after-ms": "nan"}])
def test_a_429_with_an_unusable_retry_after_waits_the_policys_backoff(
    headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="embedkit")
    answers = iter([error(429, {"message": "Requests rate limit exceeded"}, headers)] * 2)
    policy = RetryPolicy(max_retries=3, initial_delay=0.04, max_delay=0.04, _random=random.Random(7))
    with (
        Loopback(lambda seen: next(answers, ok([(0, [0.5])]))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=policy) as embedder,
    ):
        assert embedder.embed("x").vectors.tolist() == [[0.5]]
    same = random.Random(7)
    expected = [f"retrying in {same.uniform(0, 0.04):.2f}s" for _ in range(2)]
    logged = [record.getMessage().split("); ")[1] for record in caplog.records if "retrying" in record.getMessage()]
    assert logged == expected


# --- A. the property: any mutated body gives exactly its vectors, or a ResponseValidationError ------------------------

FLOAT32_MAX = float(np.finfo(np.float32).max)
ODD_VALUES = [
    None,
    True,
    False,
    "0.5",
    1e39,
    -1e39,
    float("nan"),
    float("inf"),
    10**20,
    300,
    -129,
    1.5,
    0,
    -0.0,
    [],
    {},
]


def oracle(body: Any, count: int, dtype: np.dtype[Any]) -> np.ndarray | None:
    """What a body encodes for `count` inputs of `dtype`, written plainly and independently; None: not valid."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or len(data) != count:
        return None
    usage = body.get("usage")
    if isinstance(usage, dict) and any(type(n) in (int, float) and n < 0 for n in usage.values()):
        return None  # a negative count would be summed and priced as a refund
    by_index: dict[int, Any] = {}
    for item in data:
        index = item.get("index") if isinstance(item, dict) else None
        if type(index) is not int or not 0 <= index < count or index in by_index:
            return None
        by_index[index] = item.get("embedding")
    rows = []
    kinds = {type(by_index[i]) for i in range(count)}
    if kinds not in ({str}, {list}):
        return None
    for i in range(count):
        embedding = by_index[i]
        if isinstance(embedding, str):
            try:
                raw = base64.b64decode(embedding, validate=True)
            except ValueError:
                return None
            if not raw or len(raw) % dtype.itemsize:
                return None
            rows.append(np.frombuffer(raw, dtype))
            continue
        if not embedding:
            return None
        values = []
        for value in embedding:
            if type(value) not in (int, float):
                return None
            if dtype.kind == "f":
                if not (math.isfinite(float(value)) and abs(float(value)) <= FLOAT32_MAX):
                    return None
            elif not (math.isfinite(value) and value == int(value) and -128 <= value <= 127):
                return None
            values.append(float(value))
        rows.append(np.array(values, dtype))
    if len({len(row) for row in rows}) != 1:
        return None
    matrix = np.vstack(rows)
    if dtype.kind == "f" and not np.isfinite(matrix).all():
        return None
    return matrix


@st.composite
def mutated_bodies(draw: st.DrawFn) -> tuple[Any, str]:
    """A body from the contract's EmbeddingResponse schema, made to answer 3 inputs, then mutated."""
    from test_generated_models import component_strategies

    body = draw(component_strategies()["EmbeddingResponse"])
    dtype = draw(st.sampled_from(["float", "int8"]))
    width = draw(st.integers(1, 4))
    encoded = draw(st.booleans())
    if draw(st.integers(0, 9)):  # mostly answer the request, so that mutations meet the decoding proper
        numbers = st.floats(-1e3, 1e3, width=32) if dtype == "float" else st.integers(-128, 127)
        vectors = [draw(st.lists(numbers, min_size=width, max_size=width)) for _ in range(3)]
        order = draw(st.permutations(range(3)))
        numpy_dtype = "<f4" if dtype == "float" else "i1"
        body["data"] = [
            {"object": "embedding", "index": i, "embedding": b64(vectors[i], numpy_dtype) if encoded else vectors[i]}
            for i in order
        ]
    for _ in range(draw(st.integers(0, 3))):
        data = body["data"]
        if not data:
            break
        item = data[draw(st.integers(0, len(data) - 1))]
        kind = draw(st.sampled_from(["value", "index", "drop", "duplicate", "embedding", "truncate"]))
        if kind == "value" and isinstance(item["embedding"], list) and item["embedding"]:
            item["embedding"][draw(st.integers(0, len(item["embedding"]) - 1))] = draw(st.sampled_from(ODD_VALUES))
        elif kind == "index":
            item["index"] = draw(st.sampled_from([-1, 3, True, 1.0, "0", None, 0, 1, 2]))
        elif kind == "drop":
            data.remove(item)
        elif kind == "duplicate":
            data.append(dict(item))
        elif kind == "embedding":
            item["embedding"] = draw(st.sampled_from(["", [], None, 5, "AAAA", NAN_BYTES, "@@@@", [[0.5]]]))
        elif kind == "truncate" and isinstance(item["embedding"], str | list):
            item["embedding"] = item["embedding"][:-1]
    return body, dtype


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[Loopback, Embedder]]:
    with (
        Loopback() as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=NO_RETRY) as embedder,
    ):
        yield server, embedder


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated_bodies())
def test_any_mutated_body_gives_exactly_its_vectors_or_a_validation_error(
    scripted: tuple[Loopback, Embedder], case: tuple[Any, str]
) -> None:
    server, embedder = scripted
    body, dtype = case
    raw = json.dumps(body).encode()  # NaN and Infinity written as the tokens a broken service might send
    server.answer = lambda seen: (200, {}, raw)
    expected = oracle(body, 3, np.dtype("<f4" if dtype == "float" else "i1"))
    if expected is None:
        with pytest.raises(ResponseValidationError):
            embedder.embed(["a", "b", "c"], output_dtype=dtype)
    else:
        vectors = embedder.embed(["a", "b", "c"], output_dtype=dtype).vectors
        assert vectors.dtype == expected.dtype
        assert np.array_equal(vectors, expected)


# --- B. bad input gets a typed error, in the caller's words, before anything is sent ---------------------------------


@pytest.mark.parametrize(
    ("options", "argument", "message"),
    [
        ({"output_dimension": float("nan")}, "output_dimension", "output_dimension must be an integer, got nan"),
        ({"output_dimension": float("inf")}, "output_dimension", "must be an integer"),
        ({"output_dimension": 1.5}, "output_dimension", "must be an integer"),
        ({"output_dimension": "256"}, "output_dimension", "must be an integer, got '256'"),
        ({"output_dimension": True}, "output_dimension", "must be an integer, got True"),
        ({"output_dimension": -1}, "output_dimension", "must be between 1 and 65536, got -1"),
        ({"output_dimension": 10**30}, "output_dimension", "must be between 1 and 65536"),
        (
            {"output_dtype": "float64"},
            "output_dtype",
            "output_dtype must be one of binary, float, int8, ubinary, uint8",
        ),
        ({"encoding_format": "base65"}, "encoding_format", "did you mean 'base64'"),
        ({"model": ""}, "model", "model must be a non-empty model name"),
        ({"normalize": "yes"}, "normalize", "normalize must be True or False"),
        ({"truncate": float("nan")}, "truncate", "truncate must be True or False"),
        ({"output_dimensions": 256}, "output_dimensions", "did you mean 'output_dimension'.*Valid options: .*model"),
        ({"inputs": ["x"]}, "inputs", "embed\\(\\) has no option 'inputs'"),
    ],
)
def test_bad_call_options_are_refused_by_name_before_sending(
    server: Any, options: dict[str, Any], argument: str, message: str
) -> None:
    before = server.app.requests
    with (
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
        pytest.raises(InputError, match=message) as caught,
    ):
        embedder.embed("x", **options)
    assert caught.value.argument == argument
    assert server.app.requests == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"eu_native": float("nan")}, "eu_native must be True or False, got nan"),
        ({"allow_quantization": 1}, "allow_quantization must be True or False"),
        ({"allowed_providers": "mistral"}, "allowed_providers must be a list of provider names"),
        ({"allowed_providers": {"mistral": 1}}, "allowed_providers must be a list"),
        ({"allowed_providers": ["mistral", ""]}, "allowed_providers\\[1\\] must be a non-empty provider name"),
        ({"preference": "fast"}, "preference must be one of balanced, cost, speed"),
    ],
)
def test_bad_cortecs_options_are_refused_by_name(server: Any, options: dict[str, Any], message: str) -> None:
    before = server.app.requests
    with Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN) as cortecs, pytest.raises(InputError, match=message):
        cortecs.embed("x", **options)
    with pytest.raises(InputError, match=message):
        Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN, **options)
    assert server.app.requests == before


def test_an_option_of_the_other_service_or_a_typo_is_both_an_input_error_and_a_type_error(server: Any) -> None:
    with Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN) as cortecs:
        with pytest.raises(UnknownOptionError, match="cortecs does not take output_dimension") as caught:
            cortecs.embed("x", output_dimension=8)
        assert isinstance(caught.value, TypeError)
        assert isinstance(caught.value, InputError)
    with pytest.raises(TypeError, match="did you mean 'max_concurrency'"):
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, max_concurency=2)


@pytest.mark.parametrize(
    ("arguments", "argument", "message"),
    [
        ({"max_concurrency": 0}, "max_concurrency", "max_concurrency must be at least 1, got 0"),
        ({"max_concurrency": 2.5}, "max_concurrency", "max_concurrency must be an integer"),
        ({"max_retries": float("nan")}, "max_retries", "max_retries must be an integer, got nan"),
        ({"max_retries": -1}, "max_retries", "max_retries must be at least 0"),
        ({"timeout": 0}, "timeout", "timeout must be a positive, finite number"),
        ({"timeout": -1}, "timeout", "timeout must be a positive"),
        ({"timeout": float("nan")}, "timeout", "timeout must be a positive"),
        ({"timeout": float("inf")}, "timeout", "timeout must be a positive"),
        ({"batch_size": 0}, "batch_size", "batch_size must be at least 1, got 0"),
        ({"batch_size": "10"}, "batch_size", "batch_size must be an integer"),
        ({"max_batch_tokens": 0}, "max_batch_tokens", "max_batch_tokens must be at least 1"),
        ({"max_input_tokens": 0}, "max_input_tokens", "max_input_tokens must be at least 1"),
        ({"max_input_tokens": 20000}, "max_input_tokens", "max_input_tokens \\(20000\\) cannot exceed max_batch_"),
        ({"progress": "yes"}, "progress", "progress must be True or False"),
        ({"allow_insecure_http": 1}, "allow_insecure_http", "allow_insecure_http must be True or False"),
        ({"model": ""}, "model", "model must be a non-empty model name"),
        ({"retry": 3}, "retry", "retry must be a RetryPolicy"),
        ({"api_key": 5}, "api_key", "api_key must be a string"),
    ],
)
def test_bad_constructor_arguments_are_input_errors_naming_the_argument(
    arguments: dict[str, Any], argument: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        Embedder.mistral(**{"base_url": "http://127.0.0.1:9", "api_key": DEV_TOKEN, **arguments})
    assert caught.value.argument == argument


def test_retry_policy_fields_are_checked() -> None:
    with pytest.raises(InputError, match="max_retries must be a whole number"):
        RetryPolicy(max_retries=float("nan"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="max_delay must be a finite number"):
        RetryPolicy(max_delay=float("inf"))


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (1, "texts must be a string or an iterable of strings, got int"),
        ({"a": 1}, "got a dict; pass list"),
        ({"a", "b"}, "got a set"),
        (frozenset({"a"}), "got a frozenset"),
    ],
)
def test_texts_that_are_not_an_ordered_iterable_of_strings_are_refused(
    server: Any, embedder_for: Any, texts: Any, message: str
) -> None:
    before = server.app.requests
    with pytest.raises(InputError, match=message):
        embedder_for.embed(texts)
    assert server.app.requests == before


def test_any_ordered_iterable_of_strings_is_accepted(embedder_for: Embedder) -> None:
    texts = ("alpha", "beta")
    expected = np.vstack([compute_vector("mistral-embed", 1024, t) for t in texts])
    for given_texts in (texts, iter(texts), (t for t in texts), np.array(texts), {"k": "alpha", "j": "beta"}.values()):
        assert np.array_equal(embedder_for.embed(given_texts).vectors, expected)


@pytest.fixture
def embedder_for(server: Any) -> Iterator[Embedder]:
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder:
        yield embedder


# --- C. signals and concurrency --------------------------------------------------------------------------------------

INTERRUPTED_CHILD = textwrap.dedent(
    """
    import sys
    from embedkit import Embedder
    texts = [f"text number {i}" for i in range(400)]
    with Embedder.mistral(base_url=sys.argv[1], api_key=sys.argv[2], batch_size=10, max_concurrency=2) as embedder:
        print("ready", flush=True)
        try:
            embedder.embed(texts)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            raise
    """
)


def test_ctrl_c_stops_a_sync_call_at_once() -> None:
    with BackgroundServer(ServerConfig(latency_ms=100)) as server:
        child = subprocess.Popen(
            [sys.executable, "-c", INTERRUPTED_CHILD, server.url, DEV_TOKEN], stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 10
            while server.app.requests < 4 and time.monotonic() < deadline:  # a few batches of 20 are on their way
                time.sleep(0.02)
            time.sleep(0.2)
            before = server.app.requests
            child.send_signal(signal.SIGINT)
            output, _ = child.communicate(timeout=15)
        finally:
            child.kill()
        server.wait_until_idle()
        extra = server.app.requests - before
    assert "interrupted" in output
    assert child.returncode != 0
    assert extra <= 2, f"{extra} requests were sent after Ctrl-C (at most the 2 in flight may still arrive)"
    assert before < 20, "the call was interrupted early, with most batches still to send"


def test_cancelling_an_async_call_stops_its_requests() -> None:
    texts = [f"text {i}" for i in range(400)]

    async def run(server: BackgroundServer) -> tuple[int, int]:
        async with AsyncEmbedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=10, max_concurrency=2
        ) as embedder:
            task = asyncio.create_task(embedder.embed(texts))
            while server.app.requests < 4:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            at_cancel = server.app.requests
            await asyncio.sleep(0.5)  # five latencies: an uncancelled call would have sent about ten more
            return at_cancel, server.app.requests

    with BackgroundServer(ServerConfig(latency_ms=100)) as server:
        at_cancel, later = asyncio.run(run(server))
    assert later - at_cancel <= 2
    assert later < 40, "most of the 40 batches were never sent"


class WatchedCache(EmbeddingCache):
    """A real cache that notes which thread each lookup and write runs on."""

    threads: list[int]

    def get_many(self, namespace: str, keys: Any) -> Any:
        self.threads.append(threading.get_ident())
        return super().get_many(namespace, keys)

    def put_many(self, namespace: str, keys: Any, rows: Any, served_model: Any = None) -> None:
        self.threads.append(threading.get_ident())
        super().put_many(namespace, keys, rows, served_model)


def test_the_async_client_keeps_sqlite_and_decoding_off_the_event_loop(
    server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import embedkit._core as core

    decoded_on: list[int] = []
    real_decode = core.decode_into

    def watched_decode(*args: Any) -> Any:
        decoded_on.append(threading.get_ident())
        return real_decode(*args)

    monkeypatch.setattr(core, "decode_into", watched_decode)
    cache = WatchedCache(tmp_path / "cache.sqlite")
    cache.threads = []

    async def run() -> int:
        async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=cache, batch_size=2) as e:
            await e.embed(["a", "b", "c"])
            await e.embed(["a", "d"])
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert len(cache.threads) == 5, "two lookups, three batch writes"
    assert len(decoded_on) == 3
    assert loop_thread not in cache.threads + decoded_on


def test_an_async_batch_error_still_keeps_the_others_work(server: Any) -> None:
    async def run() -> None:
        async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=1) as embedder:
            with pytest.raises(InputError, match="input 1"):
                await embedder.embed(["a", ""])

    asyncio.run(run())


# --- D. the key never leaves -----------------------------------------------------------------------------------------


def key_free(*texts: Any) -> bool:
    return all(SECRET not in (text if isinstance(text, str) else repr(text)) for text in texts)


def embedkit_frame_locals(error: BaseException) -> list[str]:
    """repr of every local of every embedkit frame of `error`'s traceback (and of its causes)."""
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for frame, _ in traceback.walk_tb(current.__traceback__):
            if "embedkit" in frame.f_code.co_filename:
                found.extend(f"{frame.f_code.co_name}.{name}={value!r}" for name, value in frame.f_locals.items())
        current = current.__cause__ or current.__context__
    return found


def test_an_echoed_key_is_scrubbed_before_the_message_is_cut_and_from_the_body() -> None:
    message = "x" * 490 + f" your key {SECRET} is wrong"
    answer = error(401, {"message": message, "echo": {SECRET: [SECRET]}})
    with (
        Loopback(lambda seen: answer) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET) as embedder,
        pytest.raises(AuthenticationError) as caught,
    ):
        embedder.embed("x")
    assert server.seen[0].headers["Authorization"] == f"Bearer {SECRET}", "the key was sent, by httpx"
    assert key_free(str(caught.value), repr(caught.value), caught.value.body, caught.value.message)
    assert len(caught.value.message) <= 500
    assert caught.value.body["echo"] == {"***": ["***"]}


@pytest.mark.parametrize(
    "answer",
    [
        ok([(0, [SECRET, 0.5])]),
        ok([(SECRET, [0.5])]),  # type: ignore[list-item]
        error(400, f"<html><title>{SECRET}</title></html>".encode()),
        error(422, {"detail": [{"loc": ["body", SECRET], "msg": SECRET, "type": "x"}]}),
        error(500, {"error": {"message": SECRET, "code": SECRET, "type": SECRET}}, {"x-request-id": SECRET}),
    ],
)
def test_a_key_echoed_in_any_answer_reaches_no_message_body_or_frame_local(answer: Answer) -> None:
    with (
        Loopback(lambda seen: answer) as server,
        Embedder.mistral(base_url=server.url, api_key=SECRET, retry=NO_RETRY) as embedder,
        pytest.raises(EmbeddingError) as caught,
    ):
        embedder.embed("x")
    failure = caught.value
    attributes = [getattr(failure, name, None) for name in ("body", "details", "code", "type", "request_id")]
    assert key_free(str(failure), repr(failure), *attributes, *getattr(failure, "__notes__", []))
    frames = embedkit_frame_locals(failure)
    assert any("exchange." in local for local in frames), "the traceback goes through the transport"
    assert key_free(*frames)


def test_no_embedkit_frame_holds_the_key_when_the_constructor_or_a_connection_fails() -> None:
    with pytest.raises(InputError) as caught:
        Embedder.mistral(base_url="http://127.0.0.1:9", api_key=SECRET, max_concurrency=0)
    assert embedkit_frame_locals(caught.value)
    assert key_free(*embedkit_frame_locals(caught.value))
    with (
        Embedder.mistral(base_url="http://127.0.0.1:9", api_key=SECRET, retry=NO_RETRY) as embedder,
        pytest.raises(APIConnectionError) as refused,
    ):
        embedder.embed("x")
    assert key_free(*embedkit_frame_locals(refused.value), str(refused.value))


def test_the_generated_authenticated_client_does_not_print_its_token() -> None:
    from embedkit_generated import AuthenticatedClient

    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=SECRET)
    client.get_httpx_client()  # puts "Authorization: Bearer <token>" into its headers
    assert key_free(repr(client), str(client))
    client.get_httpx_client().close()


# --- E. every error shape the services are reported to send -----------------------------------------------------------

VALIDATION_ITEM = {"loc": ["body", "input"], "msg": "Field required", "type": "missing", "input": None}


@dataclass(frozen=True)
class Shape:
    status: int
    body: Any
    kind: type[EmbeddingError]
    message: str
    code: str | None = None
    type: str | None = None
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


# Bodies as reported from the real Mistral (third-party reports, each with its source in tests/fixtures/reported/)
# and as
# OpenAI-compatible providers behind cortecs send them.
SHAPES = {
    "401 detail": Shape(401, {"detail": "Unauthorized"}, AuthenticationError, "Unauthorized"),
    "401 message request_id": Shape(
        401, {"message": "Unauthorized", "request_id": "req-7"}, AuthenticationError, "Unauthorized", request_id="req-7"
    ),
    "422 bare detail": Shape(422, {"detail": [VALIDATION_ITEM]}, InvalidRequestError, "body.input: Field required"),
    "422 object Error 3001": Shape(
        422,
        {
            "object": "Error",
            "detail": [VALIDATION_ITEM],
            "message": ["Field required"],
            "type": "invalid_request_error",
            "code": 3001,
        },
        InvalidRequestError,
        "body.input: Field required",
        code="3001",
        type="invalid_request_error",
    ),
    "422 message detail": Shape(
        422,
        {
            "object": "error",
            "message": {"detail": [VALIDATION_ITEM]},
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        },
        InvalidRequestError,
        "body.input: Field required",
        type="invalid_request_error",
    ),
    "429 rate_limited 1300": Shape(
        429,
        {
            "object": "error",
            "message": "Requests rate limit exceeded",
            "type": "rate_limited",
            "param": None,
            "code": "1300",
        },
        RateLimitError,
        "Requests rate limit exceeded",
        code="1300",
        type="rate_limited",
    ),
    "429 bare message": Shape(429, {"message": "Requests rate limit exceeded"}, RateLimitError, "Requests rate limit"),
    "400 invalid model 1500": Shape(
        400,
        {"object": "error", "message": "Invalid model: x", "type": "invalid_model", "param": None, "code": "1500"},
        ModelNotFoundError,
        "Invalid model: x",
        code="1500",
        type="invalid_model",
    ),
    "404 model not found": Shape(404, {"detail": "Model 'x' not found"}, ModelNotFoundError, "Model 'x' not found"),
    "404 route": Shape(404, {"detail": "Not Found"}, NotFoundError, "Not Found"),
    "400 openai error": Shape(
        400,
        {"error": {"message": "bad thing", "type": "invalid_request_error", "param": None, "code": "bad_thing"}},
        InvalidRequestError,
        "bad thing",
        code="bad_thing",
        type="invalid_request_error",
    ),
    "502 html proxy": Shape(
        502,
        b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        ServerError,
        "502 Bad Gateway",
        headers={"content-type": "text/html"},
    ),
    "503 empty": Shape(503, b"", ServerError, "Service Unavailable", request_id="r-1", headers={"x-request-id": "r-1"}),
    "500 text": Shape(
        500, b"upstream   exploded\n", ServerError, "upstream exploded", headers={"content-type": "text/plain"}
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_every_reported_error_shape_gives_the_typed_error_with_the_services_fields(name: str) -> None:
    shape = SHAPES[name]
    with pytest.raises(shape.kind) as caught:
        embed_against(lambda seen: error(shape.status, shape.body, shape.headers), ["x"])
    failure = caught.value
    assert type(failure) is shape.kind
    assert failure.message.startswith(shape.message), failure.message
    assert (failure.status, failure.code, failure.type) == (shape.status, shape.code, shape.type)
    assert failure.request_id == shape.request_id
    if isinstance(failure, InvalidRequestError) and shape.status == 422:
        assert failure.details == [VALIDATION_ITEM]


def test_an_unknown_model_is_catchable_as_both_invalid_request_and_not_found(server: Any) -> None:
    with (
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
        pytest.raises(ModelNotFoundError) as caught,
    ):
        embedder.embed("x", model="no-such-model")
    assert isinstance(caught.value, InvalidRequestError)
    assert isinstance(caught.value, NotFoundError)


TOO_LARGE = {
    "413": (413, {"detail": "Payload Too Large"}),
    "3210": (400, {"object": "error", "message": "Too many inputs in request, split into more batches.",
                   "type": "invalid_request_error", "param": None, "code": "3210"}),
    "code 3210 only": (400, {"object": "error", "message": "request refused", "code": 3210}),
    "context_length_exceeded": (400, {"error": {"message": "refused", "type": "invalid_request_error",
                                                "param": None, "code": "context_length_exceeded"}}),
    "too many tokens": (400, {"message": "TOO MANY TOKENS in batch. Max is 16384 got 17555"}),
    "maximum context length": (400, {"error": {"message": "This model's maximum context length is 8192 tokens"}}),
    "split wording": (422, {"message": "please split into more batches"}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TOO_LARGE))
def test_a_batch_refused_for_its_size_is_split_and_resent(name: str) -> None:
    status, refusal = TOO_LARGE[name]

    def answer(seen: Seen) -> Answer:
        texts = seen.body["input"]
        if len(texts) > 2:
            return error(status, refusal)
        return ok([(i, [float(text.split()[1]), 0.5]) for i, text in enumerate(texts)])

    texts = [f"text {i}" for i in range(8)]
    with Loopback(answer) as server, Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        result = embedder.embed(texts)
    assert result.vectors[:, 0].tolist() == list(range(8))
    assert sorted(len(seen.body["input"]) for seen in server.seen) == [2, 2, 2, 2, 4, 4, 8]


def test_one_input_still_too_large_is_named_in_the_callers_numbering_with_cache_hits(tmp_path: Any) -> None:
    long_text = "too long " * 50

    def answer(seen: Seen) -> Answer:
        texts = seen.body["input"]
        if long_text in texts:
            return error(400, {"object": "error", "message": "Too many tokens in batch. Max is 16 got 120",
                               "type": "invalid_request_error", "param": None, "code": "3210"})  # fmt: skip
        return ok([(i, [1.0, 0.5]) for i in range(len(texts))])

    with (
        Loopback(answer) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=tmp_path / "c.sqlite") as embedder,
    ):
        embedder.embed(["alpha", "beta"])
        with pytest.raises(InputTooLongError, match="input 2 alone is too large") as caught:
            embedder.embed(["alpha", "beta", long_text, "gamma"])
    assert caught.value.index == 2
    assert isinstance(caught.value.__cause__, InvalidRequestError)
    assert caught.value.__cause__.code == "3210"


def test_a_validation_error_names_the_input_in_the_callers_numbering_with_cache_hits(tmp_path: Any) -> None:
    def answer(seen: Seen) -> Answer:
        texts = seen.body["input"]
        return ok([(i, [1.0, None if text == "bad" else 0.5]) for i, text in enumerate(texts)])

    with (
        Loopback(answer) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=tmp_path / "c.sqlite") as embedder,
    ):
        embedder.embed(["alpha", "beta"])
        with pytest.raises(ResponseValidationError, match="input 3 has a wrong value at position 1") as caught:
            embedder.embed(["alpha", "gamma", "beta", "bad"])
    assert caught.value.index == 3


def test_list_models_retries_like_embed_and_reads_unknown_card_types() -> None:
    cards = {"object": "list", "data": [
        {"id": "mistral-embed-2312", "object": "model", "type": "fine-tuned-v2", "capabilities": {"new": True}},
        {"id": "codestral-embed-2505", "object": "model", "type": "base", "aliases": ["codestral-embed"]},
    ]}  # fmt: skip
    answers = iter([error(503, b""), error(429, {"message": "slow down"}, {"retry-after-ms": "1"})])
    with (
        Loopback(lambda seen: next(answers, (200, {}, orjson.dumps(cards)))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
    ):
        assert embedder.list_models() == ["mistral-embed-2312", "codestral-embed-2505"]
        assert [seen.path for seen in server.seen] == ["/v1/models"] * 3

        async def run() -> list[str]:
            async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as asynchronous:
                return await asynchronous.list_models()

        assert asyncio.run(run()) == ["mistral-embed-2312", "codestral-embed-2505"]
    with (
        Loopback(lambda seen: (200, {}, b'{"data": [{"object": "model"}]}')) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
        pytest.raises(ResponseValidationError, match="model card 0 has no string `id`"),
    ):
        embedder.list_models()


def test_list_models_for_cortecs_older_route_is_refused_without_a_request() -> None:
    with Loopback() as server, Embedder.cortecs(api="serverless", base_url=server.url, api_key=DEV_TOKEN) as cortecs:
        with pytest.raises(UnsupportedError, match="cortecs-serverless has no models route"):
            cortecs.list_models()
        assert server.seen == []


def test_a_body_of_valid_json_that_orjson_cannot_read_is_not_mistaken_for_damage() -> None:
    deep = b'{"data": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    with pytest.raises(ResponseValidationError):
        embed_against(lambda seen: (200, {}, deep), ["x"])
    with pytest.raises(APIConnectionError, match="not JSON"):
        embed_against(lambda seen: (200, {}, b'{"data": [ {"index": 0, "embed'), ["x"])


def test_httpx_timeout_objects_and_positive_numbers_are_accepted(server: Any) -> None:
    for timeout in (httpx.Timeout(5.0), 5, 0.5, None):
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, timeout=timeout) as embedder:
            assert embedder.embed("x").vectors.shape == (1, 1024)


def test_a_cortecs_deployment_without_the_models_route_is_estimated_without_a_price() -> None:
    """cortecs' price comes from its models route; a deployment without it gives an unpriced estimate, not an error,
    and the route is asked once per client."""
    not_found = (404, {}, b'{"object": "error", "message": "Not Found", "type": "not_found"}')
    with Loopback(lambda _: not_found) as server, Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN) as cortecs:
        first, second = cortecs.estimate(["a text"]), cortecs.estimate(["another"])
        assert (first.cost, second.cost) == (None, None)
        assert first.tokens > 0
        assert [(seen.method, seen.path) for seen in server.seen] == [("GET", "/models?tag=Embedding&currency=EUR")]
        assert cortecs.estimate(["a text"], price_per_million=2.0).cost is not None


# --- F. the operations the upstream contract brought: one model, inline jobs, deleting a job, signed URLs ----------

A_JOB_ID = "0d7c4b8e-8f3e-4f6a-9a51-3c2f9d1e7b10"
A_FILE_ID = "5b2f7c1a-1d4e-4c9b-8e6f-2a7d3c9e1f04"
FT_CARD = {"id": "ft:open-mistral-7b:5a1c:20260901:7f3e", "object": "model", "type": "fine-tuned",
           "capabilities": {"completion_chat": True, "fine_tuning": False}, "job": "3c1d", "root": "open-mistral-7b",
           "archived": False, "aliases": []}  # fmt: skip


def test_model_info_retries_like_embed_quotes_the_id_and_reads_a_fine_tuned_card() -> None:
    answers = iter([error(503, b""), error(429, {"message": "slow down"}, {"retry-after-ms": "1"})])
    with (
        Loopback(lambda seen: next(answers, (200, {}, orjson.dumps(FT_CARD)))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
    ):
        info = embedder.model_info("ft:open-mistral-7b/odd id")
        assert [(seen.method, seen.path) for seen in server.seen] == [
            ("GET", "/v1/models/ft%3Aopen-mistral-7b%2Fodd%20id")
        ] * 3, "one route, the id quoted whole, retried through 503 and 429"

        async def run() -> Any:
            async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as asynchronous:
                return await asynchronous.model_info("ft:open-mistral-7b:5a1c:20260901:7f3e")

        assert asyncio.run(run()) == info
    assert (info.id, info.price, info.aliases) == (FT_CARD["id"], None, ())


def test_model_info_of_an_unknown_id_is_a_model_not_found_error_sent_once() -> None:
    not_found = error(404, {"detail": "Not Found"})  # a wording that names no model: the route makes it one
    with (
        Loopback(lambda seen: not_found) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
    ):
        with pytest.raises(ModelNotFoundError) as caught:
            embedder.model_info("no-such-model")
        assert len(server.seen) == 1, "a 404 is not retried"
        for bad in ("", "  ", None, 7):
            with pytest.raises(InputError, match="model_id must be a non-empty model id") as refused:
                embedder.model_info(bad)
            assert refused.value.argument == "model_id"
        assert len(server.seen) == 1, "bad ids are refused before anything is sent"
    assert isinstance(caught.value, NotFoundError)
    assert isinstance(caught.value, InvalidRequestError)
    assert (caught.value.status, caught.value.attempts) == (404, 1)
    with (
        Loopback(lambda seen: (200, {}, b'{"object": "model"}')) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
        pytest.raises(ResponseValidationError, match="the model card has no string `id`"),
    ):
        embedder.model_info("mistral-embed")


class ScriptedBatch:
    """Mistral's batch routes as scripted answers: one inline job, which succeeds at once, its outputs computed
    from the requests it was created with (a vector per input: [row, 0.5])."""

    def __init__(self) -> None:
        self.created: dict[str, Any] | None = None

    def job(self, *, outputs: bool) -> dict[str, Any]:
        assert self.created is not None
        requests = self.created["requests"]
        body: dict[str, Any] = {
            "id": A_JOB_ID, "object": "batch", "input_files": [], "endpoint": "/v1/embeddings",
            "model": self.created["model"], "metadata": self.created["metadata"], "errors": [], "status": "SUCCESS",
            "created_at": 1, "total_requests": len(requests), "completed_requests": len(requests),
            "succeeded_requests": len(requests), "failed_requests": 0, "output_file": None, "error_file": None,
        }  # fmt: skip
        if outputs:
            body["outputs"] = []
            for number, item in enumerate(requests):
                first = int(item["custom_id"].split("-")[1])
                answer = json.loads(ok([(i, [float(first + i), 0.5]) for i in range(len(item["body"]["input"]))])[2])
                body["outputs"].append({"id": f"line-{number}", "custom_id": item["custom_id"], "error": None,
                                        "response": {"status_code": 200, "body": answer}})  # fmt: skip
        return body

    def __call__(self, seen: Seen) -> Answer:
        if (seen.method, seen.path) == ("POST", "/v1/batch/jobs"):
            self.created = seen.body
            return 200, {}, orjson.dumps({**self.job(outputs=False), "status": "QUEUED"})
        if seen.method == "GET" and seen.path.startswith(f"/v1/batch/jobs/{A_JOB_ID}"):
            return 200, {}, orjson.dumps(self.job(outputs=seen.path.endswith("?inline=true")))
        return error(404, {"detail": "Not Found"})


def test_an_inline_job_sends_its_requests_in_the_job_and_reads_its_outputs_inline() -> None:
    script = ScriptedBatch()
    texts = [f"inline text {i}" for i in range(5)]
    with (
        Loopback(script) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=2, retry=FAST_RETRY) as embedder,
    ):
        job = embedder.batch.submit(texts, inline=True, metadata={"team": "search"}, timeout_hours=168)
        assert job.inline
        result = embedder.batch.fetch(job)
        paths = [(seen.method, seen.path) for seen in server.seen]
    job_path = f"/v1/batch/jobs/{A_JOB_ID}"
    assert paths == [("POST", "/v1/batch/jobs"), ("GET", job_path), ("GET", f"{job_path}?inline=true")], "no files"
    created = script.created
    assert created is not None
    assert "input_files" not in created
    assert (created["endpoint"], created["model"], created["timeout_hours"]) == ("/v1/embeddings", "mistral-embed", 168)
    assert created["requests"] == [
        {"custom_id": "rows-0-2", "body": {"input": texts[0:2], "encoding_format": "float"}},
        {"custom_id": "rows-2-4", "body": {"input": texts[2:4], "encoding_format": "float"}},
        {"custom_id": "rows-4-5", "body": {"input": texts[4:5], "encoding_format": "float"}},
    ]
    metadata = created["metadata"]
    assert metadata["team"] == "search"
    assert (metadata["embedkit_rows"], metadata["embedkit_dtype"]) == ("5", "float")
    assert "embedkit_dimension" not in metadata, "an empty value would break the contract's minLength"
    assert np.array_equal(result.vectors, np.array([[row, 0.5] for row in range(5)], dtype=np.float32))


def test_deleting_a_job_is_retried_and_a_404_after_a_lost_answer_is_success() -> None:
    answers = iter([error(503, b""), error(404, {"detail": "Not Found"})])
    with (
        Loopback(lambda seen: next(answers, error(404, {"detail": "Not Found"}))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
    ):
        assert embedder.batch.delete(A_JOB_ID) is True, "the first attempt deleted it; its answer was lost"
        assert [(seen.method, seen.path) for seen in server.seen] == [("DELETE", f"/v1/batch/jobs/{A_JOB_ID}")] * 2
        with pytest.raises(NotFoundError) as caught:
            embedder.batch.delete(A_JOB_ID)
        assert caught.value.attempts == 1, "no such job: a 404 at the first attempt is raised"
        with pytest.raises(InputError, match="job must be a job id \\(a UUID\\), got 'not-a-uuid'") as refused:
            embedder.batch.delete("not-a-uuid")
        assert refused.value.argument == "job"
        assert len(server.seen) == 3
    with (
        Loopback(lambda seen: (200, {}, orjson.dumps({"id": A_JOB_ID, "object": "batch", "deleted": True}))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
    ):
        assert embedder.batch.delete(A_JOB_ID) is True


def test_a_signed_url_is_asked_with_its_expiry_and_bad_arguments_are_refused_unsent() -> None:
    signed = {"url": f"https://files.example/{A_FILE_ID}?signature=abc"}
    with (
        Loopback(lambda seen: (200, {}, orjson.dumps(signed))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
    ):
        assert embedder.batch.signed_url(A_FILE_ID) == signed["url"]
        assert embedder.batch.signed_url(A_FILE_ID, expiry_hours=168) == signed["url"]
        assert [seen.path for seen in server.seen] == [f"/v1/files/{A_FILE_ID}/url?expiry=24",
                                                       f"/v1/files/{A_FILE_ID}/url?expiry=168"]  # fmt: skip
        bad_hours = [(0, "between 1 and 168, got 0"), (169, "between 1 and 168, got 169"), (1.5, "must be an integer"),
                     ("24", "must be an integer"), (True, "must be an integer")]  # fmt: skip
        for bad, message in bad_hours:
            with pytest.raises(InputError, match=message) as refused:
                embedder.batch.signed_url(A_FILE_ID, expiry_hours=bad)
            assert refused.value.argument == "expiry_hours"
        with pytest.raises(InputError) as refused:
            embedder.batch.signed_url("file-123")
        assert refused.value.argument == "file_id"
        assert len(server.seen) == 2, "nothing sent for bad arguments"
