"""Issue 11 item 1: float JSON decoded straight into the output matrix, with every check of the general path.

The fast path (simdjson, one typed buffer per array) must give exactly the vectors of the base64 path, and on any
body give the same vectors or the same error as the general path (orjson + numpy) it falls back to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from embedkit import APIConnectionError, Embedder, ResponseValidationError
from embedkit import _decode as decode
from embedkit._batching import Batch
from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig
from embedkit_server._embeddings import FloatFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hardening import mutated_bodies

TEXTS = [f"float path text {i}: about topic {i % 7}" for i in range(300)]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str, str]]:
    """A gateway that honours base64, and two servers that answer floats whatever is asked (as Mistral is reported
    to): printed as Mistral prints them (float16-precision exact decimals, the default), and in float32's shortest
    form."""
    with (
        BackgroundServer(ServerConfig(honour_base64=True)) as gateway,
        BackgroundServer() as floats,
        BackgroundServer(ServerConfig(float_format="shortest")) as shortest,
    ):
        yield gateway.url, floats.url, shortest.url


def embed(url: str, **options: Any) -> Any:
    with Embedder.mistral(base_url=url, api_key=DEV_TOKEN, batch_size=64, progress=False) as embedder:
        return embedder.embed(TEXTS, **options)


@pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson is not installed")
@pytest.mark.parametrize("float_format", ["mistral", "shortest"])
@pytest.mark.parametrize(
    "options",
    [{}, {"output_dtype": "int8"}, {"output_dtype": "uint8"}, {"output_dtype": "binary"}, {"output_dtype": "ubinary"},
     {"model": "codestral-embed", "output_dimension": 256}],
)  # fmt: skip
def test_float_answers_give_exactly_the_vectors_of_base64_answers(
    servers: tuple[str, str, str], options: Any, float_format: FloatFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, mistral, shortest = servers
    floats = mistral if float_format == "mistral" else shortest
    taken = []
    fast = decode._float_arrays_into

    def watched(*args: Any) -> Any:
        decoded = fast(*args)
        taken.append(decoded is not None)
        return decoded

    monkeypatch.setattr(decode, "_float_arrays_into", watched)
    encoded, plain = embed(gateway, **options), embed(floats, **options)
    assert taken == [True] * 5  # every float answer went the fast way (and no base64 answer tried it)
    assert encoded.encodings == {"base64": 5}
    assert plain.encodings == {"float": 5}
    assert plain.vectors.dtype == encoded.vectors.dtype
    assert np.array_equal(plain.vectors, encoded.vectors)


def decode_both(body: bytes, rows: int, dtype: np.dtype[Any], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the fast path and the general path each make of `body`: (vectors, meta) or the error's message."""
    outcomes = []
    for parser in (decode.simdjson, None):
        monkeypatch.setattr(decode, "simdjson", parser)
        matrix = decode.OutputMatrix(rows, dtype, None)
        try:
            decoded = decode.decode_into(body, Batch(0, rows), matrix)
        except ResponseValidationError as error:
            outcomes.append(("error", str(error), error.index))
        else:
            rows_out = None if decoded.rows is None else decoded.rows.copy()
            outcomes.append(("ok", rows_out, decoded.model, decoded.usage, decoded.provider, decoded.encoding))
    return outcomes


def same(first: Any, second: Any) -> bool:
    if first[0] != second[0]:
        return False
    if first[0] == "error":
        return bool(first == second)
    rows_equal = (first[1] is None and second[1] is None) or np.array_equal(first[1], second[1])
    return rows_equal and first[2:] == second[2:]


@pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson is not installed")
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(case=mutated_bodies())
def test_any_mutated_float_body_gets_the_general_paths_verdict(monkeypatch: pytest.MonkeyPatch, case: Any) -> None:
    body, dtype = case
    raw = json.dumps(body).encode()
    fast, general = decode_both(raw, 3, np.dtype("<f4" if dtype == "float" else "i1"), monkeypatch)
    assert same(fast, general), (fast, general)


def body(embeddings: list[Any], **extra: Any) -> bytes:
    data = [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(embeddings)]
    return json.dumps({"object": "list", "model": "m", "data": data, "usage": {"prompt_tokens": 2}, **extra}).encode()


HOSTILE = [
    (body([[0.5, 0.25], [float("nan"), 0.5]]), "<f4", "input 1 has a wrong value at position 0|input 1 holds NaN"),
    (body([[0.5, float("inf")], [0.5, 0.5]]), "<f4", "input 0"),
    (body([[0.5, 0.25], [1e39, 0.5]]), "<f4", "input 1 holds NaN or infinity"),
    (body([[0.5, 0.25], [1e400, 0.5]]).replace(b"Infinity", b"1e400"), "<f4", "input 1 holds NaN or infinity"),
    (body([[0.5, None], [0.5, 0.25]]), "<f4", "input 0 has a wrong value at position 1: is null"),
    (body([[0.5, 0.25], [True, 0.25]]), "<f4", "input 1 has a wrong value at position 0: is a boolean"),
    (body([[0.5, "0.5"], [0.5, 0.25]]), "<f4", "input 0 has a wrong value at position 1: is a string"),
    (body([[], []]), "<f4", "input 0 is empty"),
    # Nested arrays: simdjson's buffers would flatten them, so the fast path must not take them.
    (body([[[0.5], [0.25]], [0.5, 0.25]]), "<f4", "input 0 has a wrong value at position 0: is list"),
    (body([[[0.5, 0.25]], [0.5, 0.25]]), "<f4", "input 0 has 1 values, others 2|input 1 has 2 values"),
    (body([[0.5, 0.25], [0.5]]), "<f4", "input 1 has 1 values, others 2"),
    (body([[1, 300], [1, 2]]), "i1", "input 0 .* outside int8's range -128..127"),
    (body([[1, 2], [1, 2.5]]), "i1", "input 1 .* is not an integer"),
    (body([[1, 2], [1, 2**70]]), "i1", "input 1 .* outside int8's range"),
    (body([[0.5, 0.25], [0.5, 0.25]]).replace(b'"index": 1', b'"index": 0'), "<f4", "index 0 is missing, repeated"),
    (body([[0.5, 0.25], [0.5, 0.25]]).replace(b'"index": 1', b'"index": true'), "<f4", "index True is missing"),
    (body([[0.5, 0.25], [0.5, 0.25]]).replace(b'"index": 1', b'"index": 1.0'), "<f4", "index 1.0 is missing"),
    (body([[0.5, 0.25]]), "<f4", "sent 2 inputs .*received 1 embeddings"),
]


@pytest.mark.parametrize(("raw", "dtype", "message"), HOSTILE)
def test_every_hostile_float_body_is_refused_the_same_way_by_both_paths(
    raw: bytes, dtype: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = decode_both(raw, 2, np.dtype(dtype), monkeypatch)
    for outcome in outcomes:
        assert outcome[0] == "error", outcome
        assert __import__("re").search(message, outcome[1]), outcome
    assert outcomes[0] == outcomes[1]


def test_a_duplicated_key_is_read_as_the_general_path_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Parsers differ on which of two equal keys wins; the fast path leaves such a body to the general one.
    raw = body([[0.5, 0.25], [0.75, 1.0]]).replace(b'"index": 1', b'"index": 0, "index": 1')
    fast, general = decode_both(raw, 2, np.dtype("<f4"), monkeypatch)
    assert same(fast, general)
    assert fast[0] == "ok"


@pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson is not installed")
def test_a_plain_float_body_takes_the_fast_path_and_reads_usage_model_and_provider() -> None:
    raw = body([[0.5, 0.25], [1, -2]], provider="scaleway")
    matrix = decode.OutputMatrix(2, np.dtype("<f4"), None)
    decoded = decode._float_arrays_into(raw, Batch(0, 2), matrix)
    assert decoded is not None
    assert decoded.rows is not None
    assert decoded.rows.tolist() == [[0.5, 0.25], [1.0, -2.0]]
    assert (decoded.model, decoded.provider, decoded.usage.prompt_tokens) == ("m", "scaleway", 2)
    # The parser is reusable afterwards (no view of its document outlived the call).
    assert decode._float_arrays_into(raw, Batch(0, 2), decode.OutputMatrix(2, np.dtype("<f4"), None)) is not None


# --- issue 22: the bodies Mistral really sends (float16-precision values as exact decimals, ~19 bytes each) ---------


def mistral_body(rows: int = 3, width: int = 1024, tag: str = "") -> bytes:
    """A compact answer as the reference server prints it by default, for `rows` texts."""
    from embedkit_server._embeddings import compute_vectors, encode

    vectors = compute_vectors("mistral-embed", width, [f"mistral-shaped {tag}{i}" for i in range(rows)])
    items = b",".join(
        b'{"object":"embedding","embedding":%s,"index":%d}' % (encode(vector, "float"), i)
        for i, vector in enumerate(vectors)
    )
    return b'{"id":"embd-1","object":"list","model":"mistral-embed","data":[%s],"usage":{"prompt_tokens":9}}' % items


def test_mistral_shaped_floats_are_float16_values_printed_exactly_and_take_the_fast_path() -> None:
    raw = mistral_body(4)
    # Exact decimals (about 19 bytes a value with its comma), not float32's shortest forms (about 13).
    assert len(raw) / (4 * 1024) > 17
    matrix = decode.OutputMatrix(4, np.dtype("<f4"), None)
    decoded = decode._float_arrays_into(raw, Batch(0, 4), matrix)
    assert decoded is not None
    assert decoded.rows is not None
    rows = decoded.rows.copy()
    assert np.array_equal(rows, rows.astype(np.float16).astype(np.float32)), "every value a float16 value"
    assert np.allclose(np.linalg.norm(rows.astype(np.float64), axis=1), 1.0, atol=1e-5)
    expected = np.array([item["embedding"] for item in json.loads(raw)["data"]], dtype=np.float32)
    assert np.array_equal(rows, expected)


def decode_both_or_damaged(body: bytes, rows: int, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`decode_both` for float rows, where a body that is not JSON at all is an outcome too (called damaged)."""
    outcomes: list[Any] = []
    for parser in (decode.simdjson, None):
        monkeypatch.setattr(decode, "simdjson", parser)
        try:
            decoded = decode.decode_into(body, Batch(0, rows), decode.OutputMatrix(rows, np.dtype("<f4"), None))
        except ResponseValidationError as error:
            outcomes.append(("error", str(error), error.index))
        except APIConnectionError as error:
            outcomes.append(("damaged", str(error)))
        else:
            rows_out = None if decoded.rows is None else decoded.rows.copy()
            outcomes.append(("ok", rows_out, decoded.model, decoded.usage, decoded.provider, decoded.encoding))
    return outcomes


# Replacements for one value of a Mistral-shaped body: what a hostile or broken service might send instead.
HOSTILE_VALUES = [
    b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"3.5e38", b"null", b"true", b"false", b'"0.5"',
    b"[0.5]", b"[]", b"{}", b"0.5,0.25", b"", b"01.5", b".5", b"5.", b"+0.5", b"0x10", b"1e", b"-", b"--0.5",
    b"0.5.5", b"1E5", b"-0.0", b"0", b"18446744073709551616", b"1e-400", b"0.0165863037109375e0",
]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda value: value.decode() or "empty")
def test_a_hostile_value_in_a_mistral_shaped_body_gets_the_general_paths_verdict(
    value: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = mistral_body(3, 64, "hostile")
    start = raw.index(b'"embedding":[', raw.index(b'"index":0')) + len(b'"embedding":[')
    start = raw.index(b",", start) + 1  # the second value of the second vector
    end = raw.index(b",", start)
    fast, general = decode_both_or_damaged(raw[:start] + value + raw[end:], 3, monkeypatch)
    if fast[0] == "ok" or general[0] == "ok":
        assert same(fast, general), (fast, general)
    else:
        assert fast == general


@pytest.mark.parametrize(
    "mutation",
    ["drop a value", "add a value", "nest an array", "string vector", "swap indices", "repeat an index", "no usage"],
)
def test_a_hostile_mistral_shaped_body_is_refused_or_read_the_same_way_by_both_paths(
    mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = mistral_body(3, 32, "shape")
    head, _, rest = raw.partition(b'"embedding":[')
    if mutation == "drop a value":
        rest = rest[rest.index(b",") + 1 :]
    elif mutation == "add a value":
        rest = b"0.5," + rest
    elif mutation == "nest an array":
        rest = b"[0.5]," + rest[rest.index(b",") + 1 :]
    elif mutation == "string vector":
        rest = b'"0.5"],"index":9,"x":[' + rest
    raw = head + b'"embedding":[' + rest
    if mutation == "swap indices":
        raw = raw.replace(b'"index":0', b'"index":X').replace(b'"index":1', b'"index":0').replace(b"X", b"1")
    elif mutation == "repeat an index":
        raw = raw.replace(b'"index":1', b'"index":0')
    elif mutation == "no usage":
        raw = raw.replace(b',"usage":{"prompt_tokens":9}', b"")
    fast, general = decode_both_or_damaged(raw, 3, monkeypatch)
    assert same(fast, general) if fast[0] == "ok" else fast == general, (fast, general)
    if mutation in ("drop a value", "add a value", "nest an array", "string vector", "repeat an index"):
        assert fast[0] in ("error", "damaged"), fast


@pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson is not installed")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from([*HOSTILE_VALUES, b",", b"]", b"[", b'"', b"}", b" "])),
        min_size=1,
        max_size=3,
    )
)
def test_any_mistral_shaped_body_with_random_edits_gets_the_general_paths_verdict(
    monkeypatch: pytest.MonkeyPatch, edits: list[tuple[int, bytes]]
) -> None:
    raw = MISTRAL_SMALL
    for position, value in edits:
        at = position % (len(raw) + 1)
        raw = raw[:at] + value + raw[at + 1 :]
    fast, general = decode_both_or_damaged(raw, 3, monkeypatch)
    assert same(fast, general) if fast[0] == "ok" else fast == general, (fast, general)


MISTRAL_SMALL = mistral_body(3, 16, "random")


def test_the_float_format_is_named_and_checked() -> None:
    from embedkit_server._cli import _parser

    with pytest.raises(ValueError, match="float_format must be one of mistral, shortest, not 'fixed'"):
        ServerConfig(float_format="fixed")  # type: ignore[arg-type]
    assert ServerConfig().float_format == "mistral"
    assert _parser().parse_args(["--float-format", "shortest"]).float_format == "shortest"


def test_float16_precision_vectors_stay_unit_length_even_for_texts_of_few_features() -> None:
    # Rounded to the nearest float16 alone, "hello world" (few features, few distinct magnitudes, all rounded the
    # same way) had a norm of 1.00013; the rounding that keeps the norm holds it within about 1e-6.
    from embedkit_server._embeddings import compute_vectors, truncate

    texts = ["hello world", "x", "?!", "the cat", "déjà vu", "a b c d e f g"]
    for model, width in (("mistral-embed", 1024), ("codestral-embed", 3072)):
        vectors = compute_vectors(model, width, texts)
        assert np.array_equal(vectors, vectors.astype(np.float16).astype(np.float32))
        assert np.abs(np.linalg.norm(vectors.astype(np.float64), axis=1) - 1).max() < 5e-6
    shorter = truncate(compute_vectors("codestral-embed", 3072, ["hello world"])[0], 256)
    assert np.array_equal(shorter, shorter.astype(np.float16).astype(np.float32))
    assert abs(np.linalg.norm(shorter.astype(np.float64)) - 1) < 5e-6


# --- issue 22: what the float path's client costs besides decoding ---------------------------------------------------


def test_a_plain_http_client_never_loads_the_tls_certificates_and_an_https_one_loads_them_once(
    monkeypatch: pytest.MonkeyPatch, servers: tuple[str, str, str]
) -> None:
    """Loading the system's CA certificates cost 20-30 ms of CPU per client, a tenth of the float scenario's floor:
    a client of a plain-http service (a local gateway) makes no TLS context; one of an https service makes it at
    its first request, with the environment's settings (`SSL_CERT_FILE`), as httpx would, and keeps it."""
    import httpx
    from embedkit._http import new_sync_client

    made: list[bool] = []
    create = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs.get("trust_env", True))
        return create(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    _, floats, _ = servers
    assert embed(floats).vectors.shape == (len(TEXTS), 1024)
    assert made == []
    with new_sync_client(httpx.Timeout(5), httpx.Limits()) as client:
        for _ in range(2):  # nothing listens at port 9: the connection is refused after the context is made
            with pytest.raises(httpx.ConnectError):
                client.get("https://127.0.0.1:9/")
        assert client.get(f"{floats}/v1/models").status_code in (200, 401)
    assert made == [True]
