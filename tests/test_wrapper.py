"""embedkit against the reference server over loopback HTTP: every option, batching, concurrency, retries, errors."""

from __future__ import annotations

import asyncio
import http.server
import logging
import pickle
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from embedkit import (
    APIConnectionError,
    APITimeoutError,
    AsyncEmbedder,
    AuthenticationError,
    Embedder,
    EmbeddingResult,
    InputError,
    InputTooLongError,
    InsecureTransportError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    cosine_similarity,
    top_k,
)
from embedkit._security import APIKey
from embedkit_server import (
    DEV_TOKEN,
    BackgroundServer,
    FaultPlan,
    Limits,
    ServerConfig,
    compute_vector,
    count_tokens,
    truncate,
)
from embedkit_server import _catalogue as catalogue

FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
TEXTS = ["The cat sat on the mat.", "A cat was sitting on a mat.", "Quarterly revenue grew by ten percent.", "déjà vu"]


def expected(texts: list[str], model: str = "mistral-embed", dimension: int = 1024) -> np.ndarray:
    return np.vstack([compute_vector(model, dimension, text) for text in texts])


@pytest.fixture
def embedder(server: Any) -> Iterator[Embedder]:
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as client:
        yield client


# --- results -----------------------------------------------------------------------------------------------------


def test_rows_are_the_inputs_in_order_with_summed_usage(embedder: Embedder) -> None:
    texts = [f"sentence number {i} about {'cats' if i % 2 else 'revenue'}" for i in range(1100)]
    result = embedder.embed(texts)
    assert isinstance(result, EmbeddingResult)
    assert result.vectors.dtype == np.float32
    assert result.vectors.shape == (1100, 1024)
    assert np.array_equal(result.vectors, expected(texts))
    assert result.model == "mistral-embed"
    assert result.usage.prompt_tokens == result.usage.total_tokens == sum(count_tokens(t) for t in texts)
    assert result.usage.extra == {"request_count": 3}, "1100 inputs at 512 per request"
    assert result.providers == ()


def test_a_single_string_is_one_row(embedder: Embedder) -> None:
    result = embedder.embed("déjà vu")
    assert result.vectors.shape == (1, 1024)
    assert np.array_equal(result.vectors[0], compute_vector("mistral-embed", 1024, "déjà vu"))


def test_float_json_and_base64_give_identical_vectors(embedder: Embedder) -> None:
    as_base64 = embedder.embed(TEXTS)
    as_json = embedder.embed(TEXTS, encoding_format="float")
    assert np.array_equal(as_base64.vectors, as_json.vectors)


@pytest.mark.parametrize(
    ("dtype", "numpy_dtype", "width"),
    [("float", np.float32, 256), ("int8", np.int8, 256), ("uint8", np.uint8, 256),
     ("binary", np.int8, 32), ("ubinary", np.uint8, 32)],
)  # fmt: skip
@pytest.mark.parametrize("encoding", ["base64", "float"])
def test_dtypes_and_dimensions_come_back_as_matching_numpy_arrays(
    embedder: Embedder, dtype: str, numpy_dtype: type, width: int, encoding: str
) -> None:
    result = embedder.embed(
        TEXTS, model="codestral-embed", output_dimension=256, output_dtype=dtype, encoding_format=encoding
    )
    assert result.vectors.dtype == numpy_dtype
    assert result.vectors.shape == (4, width)
    floats = np.vstack([truncate(compute_vector("codestral-embed", 3072, t), 256) for t in TEXTS])
    if dtype == "float":
        assert np.array_equal(result.vectors, floats)
    elif dtype in ("binary", "ubinary"):
        unsigned = result.vectors.astype(np.int16) + (128 if dtype == "binary" else 0)
        assert np.array_equal(np.unpackbits(unsigned.astype(np.uint8), axis=1).astype(bool), floats > 0)
    else:
        signed = result.vectors.astype(np.int16) - (128 if dtype == "uint8" else 0)
        assert np.array_equal(
            np.sign(signed), np.sign(np.rint(floats / np.abs(floats).max(axis=1, keepdims=True) * 127))
        )


def test_normalize_gives_unit_rows_and_refuses_integer_dtypes(embedder: Embedder) -> None:
    result = embedder.embed(TEXTS, model="codestral-embed", output_dimension=100, normalize=True)
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-6)
    with pytest.raises(InputError, match="normalize=True applies to float"):
        embedder.embed(TEXTS, output_dtype="int8", normalize=True)


def test_client_defaults_apply_to_every_call_and_calls_override_them(server: Any) -> None:
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, model="codestral-embed", output_dimension=64) as e:
        assert e.embed("x").vectors.shape == (1, 64)
        assert e.embed("x", output_dimension=128).vectors.shape == (1, 128)
        assert e.embed("x", model="mistral-embed", output_dimension=1024).vectors.shape == (1, 1024)


def test_cortecs_routing_options_choose_the_provider(server: Any) -> None:
    with Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN, model="bge-m3") as cortecs:
        assert cortecs.embed(TEXTS).providers == ("deepinfra",)
        assert cortecs.embed(TEXTS, eu_native=True).providers == ("nebius",)
        assert cortecs.embed(TEXTS, allow_quantization=False, preference="speed").providers == ("scaleway",)
        result = cortecs.embed(TEXTS, allowed_providers=["ionos"])
        assert result.providers == ("ionos",)
        assert np.array_equal(result.vectors, expected(TEXTS, "bge-m3"))
        with pytest.raises(InvalidRequestError, match="No provider of bge-m3"):
            cortecs.embed(TEXTS, allowed_providers=["mistral"])


def test_options_of_the_other_service_are_refused_by_name(server: Any) -> None:
    with (
        Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN) as cortecs,
        pytest.raises(TypeError, match="cortecs does not take output_dimension"),
    ):
        cortecs.embed("x", output_dimension=8)
    with pytest.raises(TypeError, match="mistral does not take eu_native"):
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, eu_native=True)


EMBEDDING_MODELS = ["mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed"]


def listed_as_mistral_lists(ids: list[str]) -> None:
    """Mistral's `/v1/models` lists every model the key may use: the embedding models, then the fine-tuned ones
    (the reference server has one, a completion model; a test elsewhere may delete it from a shared server)."""
    assert ids[: len(EMBEDDING_MODELS)] == EMBEDDING_MODELS
    assert set(ids[len(EMBEDDING_MODELS) :]) <= set(catalogue.FINE_TUNED_MODELS)


def test_list_models(embedder: Embedder) -> None:
    listed_as_mistral_lists(embedder.list_models())


def test_model_info_reads_one_card_by_id_or_alias_as_models_lists_it(server: Any, embedder: Embedder) -> None:
    cards = {card.id: card for card in embedder.models()}
    for identifier, card in cards.items():
        assert embedder.model_info(identifier) == card, "the same card as the list's, price included"
        for alias in card.aliases:
            resolved = embedder.model_info(alias)
            assert alias == resolved.id or alias in resolved.aliases, "the alias is resolved to its model"
            assert cards[resolved.id] == resolved
    assert cards["mistral-embed"].price is not None
    before = server.app.requests
    with pytest.raises(ModelNotFoundError) as caught:
        embedder.model_info("mistral-embed-9999")
    assert (caught.value.status, caught.value.attempts) == (404, 1)
    assert server.app.requests == before + 1, "an unknown model is not retried"

    async def run() -> Any:
        async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as asynchronous:
            return await asynchronous.model_info("codestral-embed")

    assert asyncio.run(run()) == cards["codestral-embed"]


# --- bad input ---------------------------------------------------------------------------------------------------


def test_an_empty_list_is_an_empty_result_without_a_request(server: Any, embedder: Embedder) -> None:
    before = server.app.requests
    assert embedder.embed([]).vectors.shape == (0, 0)
    assert embedder.embed([], output_dimension=64, model="codestral-embed").vectors.shape == (0, 64)
    assert server.app.requests == before


@pytest.mark.parametrize(
    ("texts", "index", "message"),
    [
        (["fine", ""], 1, "input 1 is an empty string"),
        (["fine", "fine", None], 2, "input 2 is NoneType, not a string"),
        ([b"bytes"], 0, "input 0 is bytes, not a string"),
        (["ok", 5], 1, "input 1 is int"),
        (["ok", "\ud800"], 1, "input 1 is not valid Unicode"),
        (None, None, "texts must be a string or an iterable"),
        (b"raw", None, "texts must be a string or an iterable"),
    ],
)
def test_bad_input_names_its_index_before_anything_is_sent(
    server: Any, embedder: Embedder, texts: Any, index: int | None, message: str
) -> None:
    before = server.app.requests
    with pytest.raises(InputError, match=message) as caught:
        embedder.embed(texts)
    assert caught.value.index == index
    assert server.app.requests == before


def test_an_input_over_the_per_input_limit_is_named_or_truncated_on_request(server: Any, embedder: Embedder) -> None:
    long_text = "word " * 9000  # 9001 tokens ("▁word" each, and a trailing "▁"), over 8192
    before = server.app.requests
    with pytest.raises(InputTooLongError, match="input 2 has 9001 tokens") as caught:
        embedder.embed(["a", "b", long_text])
    assert caught.value.index == 2
    assert server.app.requests == before
    result = embedder.embed(["a", long_text], truncate=True)
    # Cut by token: the first 8192 "▁word" tokens, i.e. 8192 words.
    assert np.array_equal(result.vectors[1], compute_vector("mistral-embed", 1024, long_text[: 8192 * 5 - 1]))


# --- batching against the service's own limits --------------------------------------------------------------------


def test_batches_respect_the_token_budget(embedder: Embedder) -> None:
    # 3000 tokens each: 5 per request under 16384 (distinct: identical texts are sent once, issue 21)
    texts = [f"{i:02d}" + "1" * 2997 for i in range(12)]
    result = embedder.embed(texts)
    assert result.usage.extra["request_count"] == 3
    assert result.vectors.shape == (12, 1024)


def test_a_batch_the_service_finds_too_large_is_split_and_resent() -> None:
    strict = Limits(max_inputs=512, max_tokens_per_request=1000, max_tokens_per_input=500)
    texts = [f"text {i} " + "y" * 380 for i in range(40)]  # 194 or 195 tokens each; 40 of them far over 1000
    with (
        BackgroundServer(ServerConfig(limits=strict)) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
    ):
        result = embedder.embed(texts)
    assert np.array_equal(result.vectors, expected(texts))
    assert result.usage.extra["request_count"] == 8, "40 -> 2x20 -> 4x10 -> 8x5 accepted"


def test_one_input_the_service_finds_too_large_is_named_and_finished_rows_are_kept() -> None:
    texts = [f"short text {i}" for i in range(50)]
    texts[25] = "z" * 4 * 300  # 601 tokens: fine for the client, over this server's 100 per input
    strict = Limits(max_tokens_per_input=100)
    with (
        BackgroundServer(ServerConfig(limits=strict)) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=10, max_concurrency=1) as embedder,
        pytest.raises(InputTooLongError, match="input 25 alone is too large") as caught,
    ):
        embedder.embed(texts)
    error = caught.value
    assert error.index == 25
    assert error.partial is not None
    assert error.partial.completed_indices == list(range(25))
    assert np.array_equal(error.partial.vectors[:25], expected(texts[:25]))
    assert error.partial.usage.prompt_tokens == sum(count_tokens(t) for t in texts[:25])


# --- concurrency -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_is_bounded_as_the_server_sees_it(limit: int) -> None:
    texts = [f"text {i}" for i in range(200)]
    with BackgroundServer(ServerConfig(latency_ms=40)) as server:
        with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=10, max_concurrency=limit) as e:
            assert np.array_equal(e.embed(texts).vectors, expected(texts))
        assert server.app.peak_in_flight == limit
        server.app.peak_in_flight = 0

        async def run() -> EmbeddingResult:
            async with AsyncEmbedder.mistral(
                base_url=server.url, api_key=DEV_TOKEN, batch_size=10, max_concurrency=limit
            ) as embedder:
                return await embedder.embed(texts)

        assert np.array_equal(asyncio.run(run()).vectors, expected(texts))
        assert server.app.peak_in_flight == limit


# --- faults and retries ------------------------------------------------------------------------------------------

FAULTY = FaultPlan(rate=0.2, seed=11, slow_ms=30, retry_after_ms=5)
MANY = [f"document {i}: {'alpha beta' if i % 3 else 'gamma delta'} {i * 7 % 13}" for i in range(10_000)]


@pytest.fixture(scope="module")
def fault_free_vectors(server: Any) -> np.ndarray:
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        return embedder.embed(MANY).vectors


def test_ten_thousand_texts_survive_20_percent_faults_complete_and_in_order(fault_free_vectors: np.ndarray) -> None:
    with (
        BackgroundServer(ServerConfig(faults=FAULTY)) as server,
        Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=100, timeout=5, retry=RetryPolicy(initial_delay=0.01)
        ) as embedder,
    ):
        result = embedder.embed(MANY)
        faults = [draw for draw in server.app.config.faults.recent if draw is not None]
    assert np.array_equal(result.vectors, fault_free_vectors)
    assert len(faults) > 10
    assert {"429", "500", "503", "drop", "truncate"} <= set(faults)


def test_the_async_client_survives_the_same_faults(fault_free_vectors: np.ndarray) -> None:
    async def run(url: str) -> EmbeddingResult:
        async with AsyncEmbedder.mistral(
            base_url=url, api_key=DEV_TOKEN, batch_size=100, timeout=5, retry=RetryPolicy(initial_delay=0.01)
        ) as embedder:
            return await embedder.embed(MANY)

    with BackgroundServer(ServerConfig(faults=FAULTY)) as server:
        assert np.array_equal(asyncio.run(run(server.url)).vectors, fault_free_vectors)


def test_server_errors_are_retried_then_raised_with_the_attempt_count() -> None:
    with BackgroundServer(ServerConfig(faults=FaultPlan(rate=1.0, kinds=("500",)))) as server:
        with (
            Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
            pytest.raises(ServerError) as caught,
        ):
            embedder.embed(TEXTS)
        assert server.app.requests == 3
    assert caught.value.status == 500
    assert caught.value.attempts == 3
    assert "[after 3 attempts]" in str(caught.value)
    assert caught.value.request_id


def test_retry_after_ms_is_honoured_and_the_total_wait_is_capped() -> None:
    plan = FaultPlan(rate=1.0, kinds=("429",), retry_after_ms=150)
    with BackgroundServer(ServerConfig(faults=plan)) as server:
        started = time.monotonic()
        with (
            # 429s spend no retries: their waits are bounded by max_rate_limited_wait (a service answering only 429).
            Embedder.mistral(
                base_url=server.url, api_key=DEV_TOKEN, retry=RetryPolicy(max_retries=2, max_rate_limited_wait=0.35)
            ) as embedder,
            pytest.raises(RateLimitError) as caught,
        ):
            embedder.embed(TEXTS)
        assert time.monotonic() - started >= 0.3, "two waits of 150 ms, as asked, not the policy's 10-50 ms"
        assert caught.value.attempts == 3
        capped = RetryPolicy(max_retries=100, max_total_wait=0.2, max_rate_limited_wait=0.2)
        with (
            Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=capped) as embedder,
            pytest.raises(RateLimitError) as caught,
        ):
            embedder.embed(TEXTS)
        assert caught.value.attempts == 2, "a second wait of 150 ms would pass the 200 ms budget"


def test_client_errors_are_never_retried(server: Any, embedder: Embedder) -> None:
    before = server.app.requests
    with pytest.raises(InvalidRequestError, match="Invalid model") as caught:
        embedder.embed(TEXTS, model="no-such-model")
    assert server.app.requests == before + 1
    assert caught.value.attempts == 1
    assert caught.value.status == 400


def test_an_option_the_contract_forbids_is_refused_before_sending(server: Any, embedder: Embedder) -> None:
    # Was a 422 from the service; now refused by the client, naming the option (the 422 shapes the services send
    # are read in tests/test_hardening.py).
    before = server.app.requests
    with pytest.raises(InputError, match="output_dimension must be between 1 and") as caught:
        embedder.embed("x", model="codestral-embed", output_dimension=0)
    assert caught.value.argument == "output_dimension"
    assert server.app.requests == before


def test_dropped_connections_and_timeouts_are_typed() -> None:
    with (
        BackgroundServer(ServerConfig(faults=FaultPlan(rate=1.0, kinds=("drop",)))) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
        pytest.raises(APIConnectionError) as caught,
    ):
        embedder.embed(TEXTS)
    assert caught.value.attempts == 3
    with (
        BackgroundServer(ServerConfig(latency_ms=500)) as server,
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, retry=FAST_RETRY, timeout=0.1) as embedder,
        pytest.raises(APITimeoutError),
    ):
        embedder.embed(TEXTS)
    with (
        socket_that_refuses() as url,
        Embedder.mistral(base_url=url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
        pytest.raises(APIConnectionError, match="ConnectError"),
    ):
        embedder.embed(TEXTS)


class socket_that_refuses:
    """A loopback port nothing listens on."""

    def __enter__(self) -> str:
        import socket

        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        return None


# --- answers that are not what was asked -------------------------------------------------------------------------


class CannedServer:
    """A real HTTP server on loopback that answers every POST with one fixed 200 body (a broken service)."""

    def __init__(self, body: bytes) -> None:
        canned = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(canned)))
                self.end_headers()
                self.wfile.write(canned)

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def body(items: list[Any]) -> bytes:
    data = [{"object": "embedding", "index": i, "embedding": e} for i, e in items]
    return orjson.dumps({"id": "x", "object": "list", "model": "m", "data": data, "usage": {"prompt_tokens": 1}})


VECTOR = [0.5, 0.25]
ENCODED = "AAAAPwAAgD4="  # float32 little-endian [0.5, 0.25]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (body([(0, VECTOR)]), "sent 2 inputs .0-1., received 1 embeddings"),
        (body([(0, VECTOR), (0, VECTOR)]), "index 0 is missing, repeated or out of range"),
        (body([(0, VECTOR), (2, VECTOR)]), "index 2 is missing, repeated or out of range"),
        (body([(0, VECTOR), (1, [0.5])]), "the embedding of input 1 has 1 values, others 2"),
        (body([(0, ENCODED), (1, "AAAAPwAAgD4AAAAA")]), "the embedding of input 1 is 12 bytes, others 8"),
        (body([(0, ENCODED), (1, "AAAAP!!!gD4=")]), "the embedding of input 1 is invalid base64"),
        (body([(0, VECTOR), (1, ["a", "b"])]), "the embedding of input 1 has a wrong value at position 0: is a string"),
        (body([(0, {"x": 1}), (1, VECTOR)]), "the embedding of input 0 is dict, not an array"),
        (b'{"data": 5}', "no `data` array"),
    ],
)
def test_an_answer_that_does_not_match_the_request_is_an_error_never_a_wrong_vector(
    answer: bytes, message: str
) -> None:
    with (
        CannedServer(answer) as url,
        Embedder.mistral(base_url=url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
        pytest.raises(ResponseValidationError, match=message),
    ):
        embedder.embed(["one", "two"])


def test_a_width_other_than_the_asked_dimension_is_an_error() -> None:
    with CannedServer(body([(0, VECTOR)])) as url, Embedder.mistral(base_url=url, api_key=DEV_TOKEN) as embedder:
        with pytest.raises(ResponseValidationError, match="asked for vectors of 3 values, received 2"):
            embedder.embed("one", model="codestral-embed", output_dimension=3)
        assert embedder.embed("one").vectors.tolist() == [VECTOR]


def test_a_damaged_body_is_retried_then_reported() -> None:
    with (
        CannedServer(body([(0, VECTOR)])[:-10]) as url,
        Embedder.mistral(base_url=url, api_key=DEV_TOKEN, retry=FAST_RETRY) as embedder,
        pytest.raises(APIConnectionError, match="not JSON") as caught,
    ):
        embedder.embed("one")
    assert caught.value.attempts == 3


# --- configuration, environment, injection --------------------------------------------------------------------------


def test_keys_and_base_urls_come_from_the_environment(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    monkeypatch.setenv("MISTRAL_BASE_URL", server.url)
    monkeypatch.setenv("CORTECS_API_KEY", DEV_TOKEN)
    monkeypatch.setenv("CORTECS_BASE_URL", server.url)
    with Embedder.mistral() as mistral, Embedder.cortecs() as cortecs:
        assert mistral.embed("x").vectors.shape == cortecs.embed("x").vectors.shape == (1, 1024)
    monkeypatch.delenv("MISTRAL_API_KEY")
    with pytest.raises(AuthenticationError, match="set MISTRAL_API_KEY"):
        Embedder.mistral()


def test_a_custom_httpx_client_is_used_and_left_open(server: Any) -> None:
    seen: list[str] = []
    custom = httpx.Client(event_hooks={"request": [lambda request: seen.append(request.url.path)]})
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, http_client=custom) as embedder:
        embedder.embed(TEXTS)
    assert seen == ["/v1/embeddings"]
    assert not custom.is_closed
    custom.close()


def test_the_async_client_has_the_same_surface(server: Any) -> None:
    async def run() -> None:
        custom = httpx.AsyncClient()
        async with AsyncEmbedder.cortecs(base_url=server.url, api_key=DEV_TOKEN, http_client=custom) as cortecs:
            result = await cortecs.embed(TEXTS, preference="speed")
            assert result.providers == ("scaleway",)
            assert np.array_equal(result.vectors, expected(TEXTS))
        assert not custom.is_closed
        await custom.aclose()
        async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as mistral:
            listed_as_mistral_lists(await mistral.list_models())
            with pytest.raises(InputError, match="input 1"):
                await mistral.embed(["a", ""])

    asyncio.run(run())


def test_a_progress_bar_shows_when_asked_and_stays_quiet_otherwise(
    embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = [f"t{i}" for i in range(30)]
    embedder.embed(texts)
    assert capsys.readouterr().err == "", "stderr is not a terminal here: no bar by default"
    with Embedder.mistral(base_url=embedder._settings.base_url, api_key=DEV_TOKEN, batch_size=10) as batched:
        batched.embed(texts, progress=True)
    assert "30/30" in capsys.readouterr().err


# --- the key stays secret ------------------------------------------------------------------------------------------

SECRET = "sk-wrapper-secret-0123456789"


def test_the_key_never_appears_in_repr_logs_errors_or_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        BackgroundServer(ServerConfig(tokens=(SECRET,), faults=FaultPlan(rate=0.5, seed=2, retry_after_ms=1))) as (
            server
        ),
        warnings.catch_warnings(record=True) as caught_warnings,
    ):
        warnings.simplefilter("always")
        with Embedder.mistral(base_url=server.url, api_key=SECRET, retry=FAST_RETRY, batch_size=2) as embedder:
            texts = repr(embedder)
            try:
                embedder.embed([f"t{i}" for i in range(20)])
            except Exception as error:
                texts += f"{error!r} {error} {error.__notes__ if hasattr(error, '__notes__') else ''}"
        with (
            Embedder.mistral(base_url=server.url, api_key=SECRET + "-wrong") as wrong,
            pytest.raises(AuthenticationError) as denied,
        ):
            wrong.embed("x")
    texts += repr(denied.value) + str(denied.value) + repr(APIKey(SECRET))
    texts += "".join(str(w.message) for w in caught_warnings)
    assert any(record.levelno == logging.DEBUG for record in caplog.records), "DEBUG logging was captured"
    assert SECRET not in caplog.text
    assert SECRET not in texts
    with pytest.raises(TypeError):
        pickle.dumps(APIKey(SECRET))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [("http://example.com", False), ("http://10.0.0.7:8000", False), ("http://127.0.0.1:9", True),
     ("http://localhost:9", True), ("http://[::1]:9", True), ("https://example.com", True)],
)  # fmt: skip
def test_a_key_is_never_sent_over_plain_http_off_this_machine(url: str, allowed: bool) -> None:
    if allowed:
        Embedder.mistral(base_url=url, api_key=SECRET).close()
        return
    with pytest.raises(InsecureTransportError, match="refusing to send an API key over plain http://") as caught:
        Embedder.mistral(base_url=url, api_key=SECRET)
    assert SECRET not in str(caught.value)
    Embedder.mistral(base_url=url, api_key=SECRET, allow_insecure_http=True).close()


# --- similarity helpers ------------------------------------------------------------------------------------------


def test_cosine_similarity_and_top_k_agree_with_brute_force() -> None:
    rng = np.random.default_rng(4)
    corpus, queries = rng.normal(size=(50, 16)).astype(np.float32), rng.normal(size=(3, 16)).astype(np.float32)
    scores = cosine_similarity(queries, corpus)
    brute = np.array([[q @ c / np.linalg.norm(q) / np.linalg.norm(c) for c in corpus] for q in queries])
    assert np.allclose(scores, brute, atol=1e-5)
    indices, best = top_k(queries, corpus, k=4)
    assert indices.shape == best.shape == (3, 4)
    assert np.array_equal(indices, np.argsort(-brute, axis=1)[:, :4])
    assert np.all(np.diff(best, axis=1) <= 0)
    assert top_k(queries, corpus, k=500)[0].shape == (3, 50)
    with pytest.raises(ValueError, match="k must be at least 1"):
        top_k(queries, corpus, k=0)


def test_searching_real_sentences_finds_the_related_one(embedder: Embedder) -> None:
    corpus = embedder.embed(TEXTS).vectors
    indices, _ = top_k(embedder.embed("where did the cat sit").vectors, corpus, k=2)
    assert set(indices[0]) == {0, 1}
