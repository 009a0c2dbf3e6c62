"""The reference server over real loopback HTTP: the contract's operations, its errors, limits and vectors."""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import assert_conforms, model_class, operations, response_schema
from embedkit_server import (
    CORTECS_MODELS,
    FINE_TUNED_MODELS,
    PROVIDERS,
    BackgroundServer,
    ServerConfig,
    compute_vector,
    count_tokens,
    truncate,
)

MISTRAL = "/v1/embeddings"
CORTECS = "/api/v1/models/serverless/embeddings"
MODELS = "/v1/models"
FINE_TUNED = next(iter(FINE_TUNED_MODELS))


def vectors(body: dict[str, Any], dtype: str = "float") -> np.ndarray:
    """Rows in index order, decoded from either encoding."""
    numpy_dtype = {"float": "<f4", "int8": "i1", "uint8": "u1", "binary": "i1", "ubinary": "u1"}[dtype]
    rows = []
    for item in sorted(body["data"], key=lambda item: item["index"]):
        value = item["embedding"]
        if isinstance(value, str):
            rows.append(np.frombuffer(base64.b64decode(value), dtype=numpy_dtype))
        else:
            rows.append(np.asarray(value, dtype=numpy_dtype))
    return np.vstack(rows)


def embed(server: Any, auth: dict[str, str], path: str = MISTRAL, **body: Any) -> httpx.Response:
    return httpx.post(server.url + path, json=body, headers=auth, timeout=30)


# --- the contract's own examples -----------------------------------------------------------------------------------


def request_examples() -> list[tuple[str, str, str, Any]]:
    found = []
    for path, method, operation in operations():
        content = operation.get("requestBody", {}).get("content", {})
        # A batch job's example names an uploaded file, which only exists after an upload: tests/test_batch.py.
        if "application/json" in content and path != "/v1/batch/jobs":
            for name, example in content["application/json"].get("examples", {}).items():
                found.append((f"{method} {path} {name}", path, method, example["value"]))
    return found


REQUEST_EXAMPLES = request_examples()


@pytest.mark.parametrize(("where", "path", "method", "body"), REQUEST_EXAMPLES, ids=[e[0] for e in REQUEST_EXAMPLES])
def test_the_contracts_example_requests_are_answered_as_the_contract_says(
    server: Any, auth: dict[str, str], where: str, path: str, method: str, body: Any
) -> None:
    response = httpx.request(method, server.url + path, json=body, headers=auth)
    assert response.status_code == 200, response.text
    answer = assert_conforms(response, path, method)
    schema_name = response_schema(path, method, "200")["$ref"].rsplit("/", 1)[1]
    model_class(schema_name).from_dict(answer)
    inputs = [body["input"]] if isinstance(body["input"], str) else body["input"]
    assert [item["index"] for item in answer["data"]] == list(range(len(inputs)))
    assert answer["usage"]["prompt_tokens"] == sum(count_tokens(text, body["model"]) for text in inputs)


def test_the_model_list_names_the_embedding_models_and_the_fine_tuned_one(server: Any, auth: dict[str, str]) -> None:
    response = httpx.get(server.url + MODELS, headers=auth)
    body = assert_conforms(response, MODELS, "GET")
    model_class("ModelList").from_dict(body)
    cards = {card["id"]: card["aliases"] for card in body["data"]}
    assert cards == {
        "mistral-embed-2312": ["mistral-embed"],
        "mistral-embed": ["mistral-embed-2312"],
        "codestral-embed-2505": ["codestral-embed"],
        "codestral-embed": ["codestral-embed-2505"],
        FINE_TUNED: [],
    }


def test_model_cards_carry_every_field_and_capability_flag_of_upstreams_schemas(
    server: Any, auth: dict[str, str], spec: dict[str, Any]
) -> None:
    """Upstream's card schemas have defaults for most fields; a server that left them out would still validate, so
    the keys are compared with the schemas' properties themselves."""
    schemas = spec["components"]["schemas"]
    flags = list(schemas["ModelCapabilities"]["properties"])
    assert len(flags) == 14
    for card in httpx.get(server.url + MODELS, headers=auth).json()["data"]:
        schema = schemas["BaseModelCard" if card["type"] == "base" else "FTModelCard"]
        # `billing_model_name` and friends are newer than the cut: only the cut's properties are asked for.
        assert set(card) == set(schema["properties"]), card["id"]
        assert list(card["capabilities"]) == flags
        if card["type"] == "base":
            assert not any(card["capabilities"].values()), "no flag is about embeddings"
            assert (card["internal"], card["deprecation_replacement_model"]) == (False, None)
        else:
            assert (card["root"], card["archived"], card["job"]) == ("open-mistral-7b", False,
                                                                      FINE_TUNED_MODELS[FINE_TUNED].job)  # fmt: skip


def test_every_models_operation_answers_as_the_contract_says(auth: dict[str, str]) -> None:
    one = "/v1/models/{model_id}"
    tuning = "/v1/fine_tuning/models/{model_id}"
    archive = "/v1/fine_tuning/models/{model_id}/archive"
    with BackgroundServer() as fresh, httpx.Client(base_url=fresh.url, headers=auth) as client:
        for model_id in ("mistral-embed-2312", "codestral-embed", FINE_TUNED):
            card = assert_conforms(client.get(f"/v1/models/{model_id}"), one, "GET")
            assert card["id"] == model_id
        assert "not found" in assert_conforms(client.get("/v1/models/unknown"), one, "GET")["message"]
        cannot_embed = client.post(MISTRAL, json={"model": FINE_TUNED, "input": "x"})
        assert (cannot_embed.status_code, cannot_embed.json()["code"]) == (400, "1500"), "a completion model"
        updated = assert_conforms(client.patch(f"/v1/fine_tuning/models/{FINE_TUNED}", json={"description": None}),
                                  tuning, "PATCH")  # fmt: skip
        assert (updated["model_type"], updated["description"]) == ("completion", None), "null clears a field"
        assert updated["name"] == FINE_TUNED_MODELS[FINE_TUNED].name, "an absent field is left alone"
        assert client.patch(f"/v1/fine_tuning/models/{FINE_TUNED}", json={"name": 3}).status_code == 422
        assert assert_conforms(client.post(f"/v1/fine_tuning/models/{FINE_TUNED}/archive"), archive, "POST") == {
            "id": FINE_TUNED, "object": "model", "archived": True,
        }  # fmt: skip
        assert client.get(f"/v1/models/{FINE_TUNED}").json()["archived"] is True
        assert assert_conforms(client.delete(f"/v1/fine_tuning/models/{FINE_TUNED}/archive"), archive, "DELETE") == {
            "id": FINE_TUNED, "object": "model", "archived": False,
        }  # fmt: skip
        for method, path, template in (
            ("DELETE", "/v1/models/mistral-embed", one),
            ("PATCH", "/v1/fine_tuning/models/codestral-embed-2505", tuning),
            ("POST", "/v1/fine_tuning/models/mistral-embed/archive", archive),
            ("DELETE", "/v1/fine_tuning/models/mistral-embed/archive", archive),
        ):
            refused = client.request(method, path, json={} if method == "PATCH" else None)
            assert refused.status_code == 400, path
            assert "is a base model" in assert_conforms(refused, template, method)["message"]
        deleted = assert_conforms(client.delete(f"/v1/models/{FINE_TUNED}"), one, "DELETE")
        assert deleted == {"id": FINE_TUNED, "object": "model", "deleted": True}
        for method, path, template in (
            ("GET", f"/v1/models/{FINE_TUNED}", one),
            ("DELETE", f"/v1/models/{FINE_TUNED}", one),
            ("PATCH", f"/v1/fine_tuning/models/{FINE_TUNED}", tuning),
            ("POST", f"/v1/fine_tuning/models/{FINE_TUNED}/archive", archive),
        ):
            gone = client.request(method, path, json={} if method == "PATCH" else None)
            assert gone.status_code == 404, path
            assert_conforms(gone, template, method)
        assert FINE_TUNED not in [card["id"] for card in client.get(MODELS).json()["data"]]
    with BackgroundServer() as other:
        assert httpx.get(f"{other.url}/v1/models/{FINE_TUNED}", headers=auth).status_code == 200, "per server"


def test_unknown_query_parameters_are_ignored_as_fastapi_ignores_them(server: Any, auth: dict[str, str]) -> None:
    for path in (MODELS, "/v1/files", "/models?tag=Embedding", "/v1/files/6e1c0a54-0b7d-4b4e-9f44-0f3b6c3b3a01"):
        separator = "&" if "?" in path else "?"
        response = httpx.get(f"{server.url}{path}{separator}no_such_filter=1&page_sise=5", headers=auth)
        assert response.status_code in (200, 404), path  # 404: the file does not exist, and that is all
        assert "no_such_filter" not in response.text
    assert httpx.get(server.url + MODELS, params={"model": "x", "extra": "y"}, headers=auth).json()["data"] == []
    embedded = httpx.post(server.url + MISTRAL + "?verbose=true", json={"model": "mistral-embed", "input": "x"},
                          headers=auth)  # fmt: skip
    assert embedded.status_code == 200


def test_a_usage_object_carries_upstreams_keys_and_the_reported_request_count(
    server: Any, auth: dict[str, str]
) -> None:
    usage = assert_conforms(embed(server, auth, model="mistral-embed", input=["a", "b"]), MISTRAL, "POST")["usage"]
    assert usage["completion_tokens"] == 0
    assert usage["prompt_audio_seconds"] is None
    assert usage["request_count"] == 1
    assert usage["total_tokens"] == usage["prompt_tokens"] > 0


# --- auth, routing and body errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-key"}, {"Authorization": "Basic ZGV2LXRva2Vu"}, {"Authorization": "Bearer"}],
    ids=["missing", "wrong key", "wrong scheme", "empty"],
)
def test_requests_without_a_valid_key_get_401_without_echoing_it(server: Any, headers: dict[str, str]) -> None:
    response = httpx.post(server.url + MISTRAL, json={"model": "mistral-embed", "input": "x"}, headers=headers)
    assert response.status_code == 401
    assert_conforms(response, MISTRAL, "POST")
    assert "not-the-key" not in response.text


def test_a_server_accepts_exactly_its_configured_keys() -> None:
    with BackgroundServer(ServerConfig(tokens=("key-one", "key-two"))) as custom:
        for key, status in [("key-one", 200), ("key-two", 200), ("dev-token", 401)]:
            response = httpx.get(custom.url + MODELS, headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == status, key


def test_the_config_repr_hides_the_keys() -> None:
    assert "secret-key" not in repr(ServerConfig(tokens=("secret-key",)))


def test_unparseable_json_is_a_400(server: Any, auth: dict[str, str]) -> None:
    response = httpx.post(server.url + MISTRAL, content=b'{"model": "mistral-embed", "input": ', headers=auth)
    assert response.status_code == 400
    assert "not valid JSON" in assert_conforms(response, MISTRAL, "POST")["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"model": "mistral-embed", "input": ["ok", "\\ud800x"]}', "lone UTF-16 surrogate"),
        (b'{"model": "mistral-embed", "input": "x", "output_dimension": NaN}', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
    ids=["lone surrogate", "NaN", "not UTF-8"],
)
def test_json_that_is_not_json_text_is_a_400(server: Any, auth: dict[str, str], raw: bytes, message: str) -> None:
    response = httpx.post(server.url + MISTRAL, content=raw, headers=auth)
    assert response.status_code == 400
    assert message in assert_conforms(response, MISTRAL, "POST")["message"]


@pytest.mark.parametrize("where", ["top", "input", "metadata"])
@pytest.mark.parametrize("depth", [300, 2000, 100_000])
def test_deeply_nested_json_gets_a_documented_4xx_never_a_500(
    server: Any, auth: dict[str, str], where: str, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    raw = {
        "top": nested,
        "input": '{"model": "mistral-embed", "input": ' + nested + "}",
        "metadata": '{"model": "mistral-embed", "input": "x", "metadata": {"a": ' + nested + "}}",
    }[where]
    headers = {**auth, "content-type": "application/json"}
    response = httpx.post(server.url + MISTRAL, content=raw.encode(), headers=headers, timeout=30)
    # Free-form metadata nested 300 deep is still valid JSON the service accepts; everything else here is refused.
    valid = where == "metadata" and depth == 300
    assert response.status_code == 200 if valid else response.status_code in (400, 422), response.text[:300]
    assert_conforms(response, MISTRAL, "POST")
    if not valid:
        assert len(response.content) < 4096  # the offending value is summarised, not echoed whole


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 200),
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("application/vnd.api+json", 200),
        ("text/plain", 422),
        ("application/x-www-form-urlencoded", 422),
        ("multipart/form-data; boundary=x", 422),
    ],
)
def test_a_body_is_read_as_json_only_when_its_content_type_says_so(
    server: Any, auth: dict[str, str], content_type: str | None, status: int
) -> None:
    headers = dict(auth) if content_type is None else {**auth, "content-type": content_type}
    request = httpx.Request("POST", server.url + MISTRAL, content=b'{"model": "mistral-embed", "input": "x"}')
    request.headers.update(headers)
    if content_type is None:
        request.headers.pop("content-type", None)
    response = httpx.Client().send(request)
    assert response.status_code == status, response.text
    body = assert_conforms(response, MISTRAL, "POST")
    if status == 422:
        assert body["detail"][0]["loc"] == ["body"]
        assert body["detail"][0]["type"] == "model_attributes_type"


def test_integers_beyond_64_bits_are_read_as_json_allows(server: Any, auth: dict[str, str]) -> None:
    response = embed(server, auth, model="codestral-embed", input="x", output_dimension=2**70)
    assert response.status_code == 400
    assert "output_dimension must be at most 3072" in response.json()["message"]


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(auth: dict[str, str]) -> None:
    with BackgroundServer(ServerConfig(max_body_bytes=4096)) as small:
        response = httpx.post(small.url + MISTRAL, json={"model": "mistral-embed", "input": "x" * 5000}, headers=auth)
        assert response.status_code == 413
        assert_conforms(response, MISTRAL, "POST")
        assert httpx.post(small.url + MISTRAL, json={"model": "mistral-embed", "input": "x"}, headers=auth).is_success


def test_unknown_routes_are_404_and_wrong_methods_405_with_allow(server: Any, auth: dict[str, str]) -> None:
    missing = httpx.get(server.url + "/v1/embedding", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["object"] == "error"
    wrong = httpx.put(server.url + MISTRAL, headers=auth)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert httpx.post(server.url + MODELS, headers=auth).headers["allow"] == "GET"


def test_an_invalid_body_gets_422_listing_every_problem_where_it_is(server: Any, auth: dict[str, str]) -> None:
    response = embed(server, auth, model=5, input=["fine", 3], output_dimension=0, output_dtype="f16", extra=True)
    assert response.status_code == 422
    detail = assert_conforms(response, MISTRAL, "POST")["detail"]
    assert {tuple(item["loc"]): item["type"] for item in detail} == {
        ("body", "model"): "string_type",
        ("body", "input", 1): "string_type",
        ("body", "output_dimension"): "exclusiveMinimum",
        ("body", "output_dtype"): "enum",
        ("body", "extra"): "extra_forbidden",
    }
    missing = embed(server, auth, input="x").json()["detail"]
    assert missing == [{"loc": ["body", "model"], "msg": "Field required", "type": "missing", "input": {"input": "x"}}]


def test_cortecs_lets_unknown_keys_through_as_its_contract_says(server: Any, auth: dict[str, str]) -> None:
    response = embed(server, auth, CORTECS, model="mistral-embed", input="x", enable_model_fallback=True)
    assert response.status_code == 200


# --- limits like the real service -------------------------------------------------------------------------------


def test_limits_allow_exactly_their_maximum(server: Any, auth: dict[str, str]) -> None:
    assert embed(server, auth, model="mistral-embed", input=["a"] * 512).status_code == 200
    # mistral-embed's tokenizer gives a digit a token each, and a leading "▁" one more.
    assert count_tokens("1" * 8191) == 8192
    assert embed(server, auth, model="mistral-embed", input=["1" * 8191, "2" * 8191]).status_code == 200


@pytest.mark.parametrize(
    ("inputs", "message", "code"),
    [
        (["a"] * 513, "Too many inputs in request, split into more batches.", "3210"),
        (["1" * 8191, "2" * 8191, "z"], "Too many tokens overall, split into more batches.", "3210"),
        (["fine", "1" * 8192], "Too many tokens in input 1. Max is 8192 got 8193", None),
    ],
    ids=["inputs", "batch tokens", "input tokens"],
)
def test_requests_over_a_limit_get_the_400_the_real_service_sends(
    server: Any, auth: dict[str, str], inputs: list[str], message: str, code: str | None
) -> None:
    response = embed(server, auth, model="mistral-embed", input=inputs)
    assert response.status_code == 400
    body = assert_conforms(response, MISTRAL, "POST")
    assert (body["message"], body["code"]) == (message, code)


def test_the_older_token_limit_wording_comes_in_turn(auth: dict[str, str]) -> None:
    with BackgroundServer(ServerConfig(error_style="rotate")) as rotating:
        inputs = ["1" * 8191, "2" * 8191, "z"]
        bodies = [embed(rotating, auth, model="mistral-embed", input=inputs).json() for _ in range(2)]
    assert [body["message"] for body in bodies] == [
        "Too many tokens overall, split into more batches.",
        "Too many tokens in batch. Max is 16384 got 16385",
    ]


def test_tokens_are_counted_by_each_models_tokenizer_without_special_tokens() -> None:
    texts = ["", "a", "abcd", "é" * 4, "日本語", "Hello world", "1" * 10]
    # mistral-embed: v1 SentencePiece ("▁" leads; digits split; CJK by character or byte fallback).
    assert [count_tokens(t) for t in texts] == [1, 1, 2, 4, 4, 2, 11]
    # codestral-embed: Tekken (byte-level BPE, no leading "▁").
    assert [count_tokens(t, "codestral-embed") for t in texts] == [1, 1, 2, 4, 2, 2, 10]
    assert count_tokens("日本語", "codestral-embed-2505") == 2, "a versioned id counts as its alias"


# --- vectors ----------------------------------------------------------------------------------------------------

TEXTS = ["The cat sat on the mat.", "A cat was sitting on a mat.", "Quarterly revenue grew by ten percent.", "déjà vu"]


def test_vectors_are_deterministic_across_batches_orders_and_processes(server: Any, auth: dict[str, str]) -> None:
    forward = vectors(embed(server, auth, model="mistral-embed", input=TEXTS).json())
    backward = vectors(embed(server, auth, model="mistral-embed", input=TEXTS[::-1]).json())[::-1]
    alone = np.vstack([vectors(embed(server, auth, model="mistral-embed", input=t).json()) for t in TEXTS])
    assert np.array_equal(forward, backward)
    assert np.array_equal(forward, alone)
    program = (
        "import base64, sys; from embedkit_server import compute_vector; "
        "sys.stdout.write(base64.b64encode(compute_vector('mistral-embed', 1024, sys.argv[1]).tobytes()).decode())"
    )
    other_process = subprocess.run(
        [sys.executable, "-c", program, TEXTS[0]],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "7"},
    ).stdout
    assert np.array_equal(np.frombuffer(base64.b64decode(other_process), "<f4"), forward[0])


def _plain_densify(vectors: np.ndarray) -> np.ndarray:
    """`_densify_many` as written first: butterflies on neighbouring pairs of each block, then the DCT row by row."""
    from embedkit_server._embeddings import _dct_matrix

    count, size = vectors.shape
    block = 1
    while block < 1024 and size % (block * 2) == 0:
        block *= 2
    rows, half = size // block, 1
    mixed = vectors.reshape(count, rows, block)
    while half < block:
        pairs = mixed.reshape(count, rows, -1, 2, half)
        mixed = np.stack((pairs[:, :, :, 0] + pairs[:, :, :, 1], pairs[:, :, :, 0] - pairs[:, :, :, 1]), axis=3)
        half *= 2
    mixed = mixed.reshape(count, rows, block) / np.sqrt(block)
    if rows > 1:
        mixed = np.stack([_dct_matrix(rows) @ one for one in mixed])
    return mixed.reshape(count, size)


def _plain_float16_rounding(row: np.ndarray) -> np.ndarray:
    """`to_float16_precision` of one row as written first: a stable argsort of the helpful flips' gains."""
    near = row.astype(np.float16).astype(np.float64)
    away = np.nextafter(near.astype(np.float16), np.where(row > near, np.inf, -np.inf).astype(np.float16))
    other = np.where(row == near, near, away.astype(np.float64))
    error = float(np.dot(near, near)) - 1.0
    gains = other**2 - near**2
    helpful = np.flatnonzero(np.sign(gains) == -np.sign(error)) if error else np.zeros(0, np.intp)
    if len(helpful):
        order = helpful[np.argsort(np.abs(gains[helpful]), kind="stable")]
        costs = np.abs(np.concatenate(([error], error + np.cumsum(gains[order]))))
        flips = int(np.argmin(costs))
        near[order[:flips]] = other[order[:flips]]
    return near.astype(np.float32)


@pytest.mark.parametrize("size", [1, 7, 12, 100, 1024, 1536, 3072])
def test_the_fast_transforms_give_the_values_of_the_plain_ones_bit_for_bit(size: int) -> None:
    # The server's butterflies run on a transposed copy, and its rounding sorts integer keys: both are there for
    # speed (a 100,000-text batch job is bound by them), and a vector must not change by a bit for it.
    from embedkit_server._embeddings import _densify_many, to_float16_precision

    generator = np.random.default_rng(size)
    sparse = generator.standard_normal((40, size)) * (generator.random((40, size)) < 0.05)
    sparse[:, 0] += 1.0  # no all-zero row
    dense = _densify_many(sparse)
    assert np.array_equal(dense, _plain_densify(sparse))
    unit = dense / np.linalg.norm(dense, axis=1, keepdims=True)
    fast = to_float16_precision(unit)
    plain = np.vstack([_plain_float16_rounding(row) for row in unit])
    assert np.array_equal(fast.view(np.uint32), plain.view(np.uint32))


def test_a_flips_gain_leaves_the_low_bits_its_sort_key_gives_the_column_free() -> None:
    from embedkit_server._embeddings import _COLUMN_BITS

    # Every finite float16 and its neighbours on both sides: the difference of their squares, in float64.
    values = np.arange(0x10000, dtype=np.uint16).view(np.float16)
    values = values[np.isfinite(values)]
    for direction in (np.float16(np.inf), np.float16(-np.inf)):
        with np.errstate(over="ignore"):  # the largest float16's neighbour away from zero is infinite
            neighbours = np.nextafter(values, direction)
        finite = np.isfinite(neighbours)
        near, other = values[finite].astype(np.float64), neighbours[finite].astype(np.float64)
        bits = np.abs(other**2 - near**2).view(np.int64)
        assert not (bits & ((1 << _COLUMN_BITS) - 1)).any()


def test_vectors_are_unit_length_and_texts_sharing_words_are_closer(server: Any, auth: dict[str, str]) -> None:
    matrix = vectors(embed(server, auth, model="mistral-embed", input=TEXTS).json())
    assert matrix.shape == (4, 1024)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    assert (matrix != 0).mean() > 0.9, "vectors are dense, like real embeddings"
    similar, unrelated = float(matrix[0] @ matrix[1]), float(matrix[0] @ matrix[2])
    assert similar > 0.3 > abs(unrelated)


def test_models_differ_and_have_their_dimensions(server: Any, auth: dict[str, str]) -> None:
    mistral = vectors(embed(server, auth, model="mistral-embed", input="x").json())
    codestral = vectors(embed(server, auth, model="codestral-embed", input="x").json())
    assert mistral.shape == (1, 1024)
    assert codestral.shape == (1, 1536)
    for name, model in CORTECS_MODELS.items():
        body = embed(server, auth, CORTECS, model=name, input="x").json()
        assert vectors(body).shape == (1, model.default_dimension)
    # The same model name gives the same vector on both services.
    assert np.array_equal(vectors(embed(server, auth, CORTECS, model="mistral-embed", input="x").json()), mistral)


@pytest.mark.parametrize("dimension", [8, 256, 1536, 3072])
def test_codestral_dimensions_are_the_leading_components_renormalised(
    server: Any, auth: dict[str, str], dimension: int
) -> None:
    served = vectors(embed(server, auth, model="codestral-embed", input=TEXTS[0], output_dimension=dimension).json())
    expected = truncate(compute_vector("codestral-embed", 3072, TEXTS[0]), dimension)
    assert served.shape == (1, dimension)
    assert np.allclose(served[0], expected, atol=1e-7)


def test_a_whole_float_dimension_is_an_integer_as_json_schema_says(server: Any, auth: dict[str, str]) -> None:
    served = embed(server, auth, model="codestral-embed", input="x", output_dimension=256.0)
    assert served.status_code == 200
    assert vectors(served.json()).shape == (1, 256)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "codestral-embed", "output_dimension": 3073}, "output_dimension must be at most 3072"),
        ({"model": "mistral-embed", "output_dimension": 512}, "does not support output_dimension"),
        ({"model": "mistral-embedding"}, "Invalid model: mistral-embedding"),
    ],
)
def test_unserviceable_requests_get_a_400_saying_why(
    server: Any, auth: dict[str, str], body: dict[str, Any], message: str
) -> None:
    response = embed(server, auth, input="x", **body)
    assert response.status_code == 400
    assert message in assert_conforms(response, MISTRAL, "POST")["message"]


def test_unknown_cortecs_model_is_a_400(server: Any, auth: dict[str, str]) -> None:
    response = embed(server, auth, CORTECS, model="nope", input="x")
    assert response.status_code == 400
    assert "Invalid model" in assert_conforms(response, CORTECS, "POST")["message"]


DTYPE_WIDTH = {"float": 1.0, "int8": 1.0, "uint8": 1.0, "binary": 1 / 8, "ubinary": 1 / 8}


@pytest.mark.parametrize("dtype", list(DTYPE_WIDTH))
def test_dtypes_have_their_width_and_base64_carries_the_same_values(
    gateway: Any, auth: dict[str, str], dtype: str
) -> None:
    server = gateway
    common = {"model": "codestral-embed", "input": TEXTS, "output_dimension": 256, "output_dtype": dtype}
    as_json = embed(server, auth, **common, encoding_format="float").json()
    as_base64 = embed(server, auth, **common, encoding_format="base64").json()
    assert all(isinstance(item["embedding"], str) for item in as_base64["data"])
    json_rows, base64_rows = vectors(as_json, dtype), vectors(as_base64, dtype)
    assert json_rows.shape == base64_rows.shape == (4, int(256 * DTYPE_WIDTH[dtype]))
    assert np.array_equal(json_rows, base64_rows)
    floats = truncate(compute_vector("codestral-embed", 3072, TEXTS[0]), 256)
    if dtype in ("int8", "uint8"):
        signed = json_rows[0].astype(np.int16) - (128 if dtype == "uint8" else 0)
        assert np.abs(signed).max() == 127
        assert np.allclose(signed / 127 * np.abs(floats).max(), floats, atol=np.abs(floats).max() / 127)
    if dtype in ("binary", "ubinary"):
        unsigned = json_rows[0].astype(np.int16) + (128 if dtype == "binary" else 0)
        assert np.array_equal(np.unpackbits(unsigned.astype(np.uint8)).astype(bool), floats > 0)


def test_base64_floats_are_little_endian_float32(gateway: Any, auth: dict[str, str]) -> None:
    body = embed(gateway, auth, model="mistral-embed", input="x", encoding_format="base64").json()
    raw = base64.b64decode(body["data"][0]["embedding"])
    assert len(raw) == 1024 * 4
    assert np.array_equal(np.frombuffer(raw, "<f4"), compute_vector("mistral-embed", 1024, "x"))


# --- cortecs routing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routing", "provider"),
    [
        ({}, "deepinfra"),
        ({"eu_native": True}, "nebius"),
        ({"preference": "speed"}, "deepinfra"),
        ({"preference": "cost"}, "deepinfra"),
        ({"preference": "speed", "eu_native": True}, "nebius"),
        ({"preference": "speed", "allow_quantization": False}, "scaleway"),
        ({"preference": "cost", "allow_quantization": False, "eu_native": True}, "ionos"),
        ({"allowed_providers": ["ionos", "scaleway"]}, "scaleway"),
        (
            {"allowed_providers": None, "eu_native": None, "allow_quantization": None, "preference": "speed"},
            "deepinfra",
        ),
    ],
)
def test_cortecs_picks_the_provider_the_routing_fields_call_for(
    server: Any, auth: dict[str, str], routing: dict[str, Any], provider: str
) -> None:
    response = embed(server, auth, CORTECS, model="bge-m3", input="x", **routing)
    body = assert_conforms(response, CORTECS, "POST")
    assert body["provider"] == provider
    assert body["id"].startswith("cmpl_")
    assert body["created"] > 1_700_000_000


def test_cortecs_says_when_no_provider_fits(server: Any, auth: dict[str, str]) -> None:
    response = embed(server, auth, CORTECS, model="mistral-embed", input="x", allowed_providers=["deepinfra"])
    assert response.status_code == 400
    assert "No provider of mistral-embed satisfies" in assert_conforms(response, CORTECS, "POST")["message"]


def test_every_provider_is_reachable_by_some_routing() -> None:
    from embedkit_server._catalogue import SERVED_BY

    assert {name for names in SERVED_BY.values() for name in names} == set(PROVIDERS)


def test_wait_until_idle_returns_only_once_a_slow_request_has_been_counted(auth: dict[str, str]) -> None:
    with BackgroundServer(ServerConfig(latency_ms=400)) as slow:
        body = {"model": "mistral-embed", "input": ["one", "two"]}
        worker = threading.Thread(target=httpx.post, args=(slow.url + MISTRAL,), kwargs={"json": body, "headers": auth})
        worker.start()
        deadline = time.monotonic() + 10
        while not slow.app.in_flight:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        with pytest.raises(TimeoutError, match="still busy"):
            slow.wait_until_idle(timeout=0.05)
        slow.wait_until_idle()
        assert (slow.app.requests, slow.app.in_flight, slow.app.inputs_embedded) == (1, 0, 2)
        worker.join()
