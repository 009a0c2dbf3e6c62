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
from embedkit import Embedder, ResponseValidationError
from embedkit import _decode as decode
from embedkit._batching import Batch
from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig
from hypothesis import HealthCheck, given, settings
from test_hardening import mutated_bodies

TEXTS = [f"float path text {i}: about topic {i % 7}" for i in range(300)]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """A gateway that honours base64, and a server that answers floats whatever is asked (as Mistral is reported to)."""
    with BackgroundServer(ServerConfig(honour_base64=True)) as gateway, BackgroundServer() as floats:
        yield gateway.url, floats.url


def embed(url: str, **options: Any) -> Any:
    with Embedder.mistral(base_url=url, api_key=DEV_TOKEN, batch_size=64, progress=False) as embedder:
        return embedder.embed(TEXTS, **options)


@pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson is not installed")
@pytest.mark.parametrize(
    "options",
    [{}, {"output_dtype": "int8"}, {"output_dtype": "uint8"}, {"output_dtype": "binary"}, {"output_dtype": "ubinary"},
     {"model": "codestral-embed", "output_dimension": 256}],
)  # fmt: skip
def test_float_answers_give_exactly_the_vectors_of_base64_answers(
    servers: tuple[str, str], options: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, floats = servers
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
