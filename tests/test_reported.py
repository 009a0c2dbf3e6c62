"""Bodies the real services were reported to send (tests/fixtures/reported/), against everything that reads them.

Each recorded body must fit the contract, parse with the generated client into the documented model without
losing a key, and give embedkit's user the right typed error with the service's own message and code (or, for a
200, exactly the vectors it carries). The reference server must produce every one of those shapes too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import embedkit
import httpx
import numpy as np
import pytest
from conftest import assert_conforms, model_class
from embedkit_generated import Client
from embedkit_generated.api.cortecs import create_serverless_embeddings
from embedkit_generated.api.embeddings import create_embeddings
from embedkit_generated.api.models import list_models
from embedkit_generated.models import EmbeddingRequest, ServerlessEmbeddingRequest
from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig
from replay import Answer, ReplayServer

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "reported").glob("*.json"))
# Long enough that scrubbing it from messages (the client masks an echoed key) leaves the services words whole.
KEY = "test-key-7f3a9c"
PATHS = {
    "create_embeddings": ("/v1/embeddings", "POST"),
    "create_serverless_embeddings": ("/api/v1/models/serverless/embeddings", "POST"),
    "list_models": ("/v1/models", "GET"),
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def replay(fixture: dict[str, Any]) -> ReplayServer:
    return ReplayServer(lambda method, path, body: Answer(fixture["status"], fixture["body"], fixture["headers"]))


def test_every_fixture_names_its_source_and_date() -> None:
    assert len(FIXTURES) >= 17
    for path in FIXTURES:
        fixture = load(path)
        assert fixture["source"], path.name
        assert fixture["reported"], path.name
        assert fixture["operation"] in PATHS, path.name


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_the_contract_documents_every_reported_body(path: Path) -> None:
    fixture = load(path)
    route, method = PATHS[fixture["operation"]]
    with replay(fixture) as server:
        response = httpx.request(method, server.url + route, json=fixture.get("request"))
    assert_conforms(response, route, method)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_the_generated_client_parses_every_reported_body_without_losing_a_key(path: Path) -> None:
    fixture = load(path)
    with replay(fixture) as server:
        client = Client(base_url=server.url, timeout=httpx.Timeout(10))
        operation = fixture["operation"]
        if operation == "list_models":
            response = list_models.sync_detailed(client=client)
        elif operation == "create_embeddings":
            request = fixture.get("request", {"model": "mistral-embed", "input": "x"})
            response = create_embeddings.sync_detailed(client=client, body=EmbeddingRequest.from_dict(request))
        else:
            request = fixture.get("request", {"model": "mistral-embed", "input": "x"})
            body = ServerlessEmbeddingRequest.from_dict(request)
            response = create_serverless_embeddings.sync_detailed(client=client, body=body)
    assert int(response.status_code) == fixture["status"]
    assert type(response.parsed) is model_class(fixture["expect"]["model"])
    assert response.parsed.to_dict() == fixture["body"]


ERRORS = [path for path in FIXTURES if load(path)["status"] >= 400]


def call(client: embedkit.Embedder, operation: str) -> None:
    if operation == "list_models":
        client.list_models()
    else:
        client.embed("only one input, so nothing can be split")


@pytest.mark.parametrize("path", ERRORS, ids=[p.stem for p in ERRORS])
def test_embedkit_raises_the_typed_error_with_the_services_message_and_code(path: Path) -> None:
    fixture = load(path)
    expect = fixture["expect"]
    with (
        replay(fixture) as server,
        embedkit.Embedder.mistral(base_url=server.url, api_key=KEY, max_retries=0) as client,
    ):
        # A limit refusal of one input alone cannot be split: it names the input, and chains the service's error.
        expected = embedkit.InputTooLongError if expect.get("split") else embedkit.APIStatusError
        with pytest.raises(expected) as caught:
            call(client, fixture["operation"])
    error = caught.value.__cause__ if expect.get("split") else caught.value
    assert type(error) is getattr(embedkit, expect["error"]), repr(error)
    assert isinstance(error, embedkit.APIStatusError)
    assert error.status == fixture["status"]
    assert error.message == expect["message"]
    assert error.code == expect.get("code")
    if "request_id" in expect:
        assert error.request_id == expect["request_id"]
    if "details" in expect:
        assert isinstance(error, embedkit.InvalidRequestError)
        assert len(error.details) == expect["details"]
        assert all({"loc", "msg", "type"} <= item.keys() for item in error.details)


SPLITS = [path for path in ERRORS if load(path)["expect"].get("split")]


@pytest.mark.parametrize("path", SPLITS, ids=[p.stem for p in SPLITS])
def test_every_reported_limit_error_makes_embedkit_split_and_resend(path: Path) -> None:
    """The service refuses any batch of more than one input with the reported body; single inputs are served."""
    fixture = load(path)

    def answer(method: str, route: str, body: Any) -> Answer:
        if len(body["input"]) > 1:
            return Answer(fixture["status"], fixture["body"])
        data = [{"object": "embedding", "index": 0, "embedding": [float(len(body["input"][0])), 1.0]}]
        return Answer(200, {"id": "e", "object": "list", "model": "m", "data": data, "usage": {"prompt_tokens": 1}})

    texts = ["a", "bb", "ccc", "dddd"]
    with ReplayServer(answer) as server, embedkit.Embedder.mistral(base_url=server.url, api_key=KEY) as client:
        result = client.embed(texts)
    assert np.array_equal(result.vectors, [[1, 1], [2, 1], [3, 1], [4, 1]])
    assert len(server.requests) == 1 + 2 + 4  # the whole batch, its halves, then each input alone


SUCCESSES = [path for path in FIXTURES if load(path)["status"] == 200]


@pytest.mark.parametrize("path", SUCCESSES, ids=[p.stem for p in SUCCESSES])
def test_embedkit_returns_exactly_the_vectors_of_every_reported_answer(path: Path) -> None:
    fixture = load(path)
    request = fixture["request"]
    service = "cortecs-serverless" if fixture["operation"] == "create_serverless_embeddings" else "mistral"
    options = {"encoding_format": request["encoding_format"]} if "encoding_format" in request else {}
    with replay(fixture) as server, embedkit.Embedder(service, base_url=server.url, api_key=KEY) as client:
        result = client.embed(request["input"], model=request["model"], **options)
    assert np.array_equal(result.vectors, np.asarray(fixture["expect"]["vectors"], dtype=np.float32))
    assert result.vectors.dtype == np.float32
    assert result.encodings == {fixture["expect"]["encoding"]: 1}
    if "provider" in fixture["expect"]:
        assert result.providers == (fixture["expect"]["provider"],)


# --- the reference server produces every reported shape ----------------------------------------------------------


def shape(body: Any) -> Any:
    """The keys and value types of a JSON body, lists taken as a whole: what must match between server and report."""
    if isinstance(body, dict):
        return {key: shape(value) for key, value in body.items()}
    return type(body).__name__


def reported_shapes(status: int) -> set[str]:
    found = set()
    for path in ERRORS:
        fixture = load(path)
        if fixture["status"] == status:
            found.add(json.dumps(shape(fixture["body"]), sort_keys=True))
    return found


def test_the_reference_server_answers_every_reported_error_shape_in_turn() -> None:
    config = ServerConfig(error_style="rotate")
    auth = {"Authorization": f"Bearer {DEV_TOKEN}"}
    route = "/v1/embeddings"
    with BackgroundServer(config) as server:
        bodies: dict[int, set[str]] = {401: set(), 422: set()}
        for _ in range(6):
            response = httpx.post(server.url + route, json={"model": "mistral-embed", "input": "x"})
            bodies[401].add(json.dumps(shape(assert_conforms(response, route, "POST")), sort_keys=True))
            invalid = {"model": "mistral-embed", "input": [1, 2], "store": False}
            response = httpx.post(server.url + route, json=invalid, headers=auth)
            bodies[422].add(json.dumps(shape(assert_conforms(response, route, "POST")), sort_keys=True))
    assert bodies[401] == reported_shapes(401)
    assert bodies[422] == reported_shapes(422)


def test_the_reference_server_rate_limits_in_every_reported_shape() -> None:
    from embedkit_server import FaultPlan

    config = ServerConfig(error_style="rotate", faults=FaultPlan(rate=1.0, kinds=("429",)))
    with BackgroundServer(config) as server:
        found = set()
        for _ in range(4):
            response = httpx.post(
                server.url + "/v1/embeddings",
                json={"model": "mistral-embed", "input": "x"},
                headers={"Authorization": f"Bearer {DEV_TOKEN}"},
            )
            assert response.status_code == 429
            assert float(response.headers["retry-after"]) > 0
            found.add(json.dumps(shape(assert_conforms(response, "/v1/embeddings", "POST")), sort_keys=True))
    # The newest rate_limited body (with raw_status_code) and the bare one; the 2026-02 body is the newest minus a key.
    assert len(found) == 2
    assert found <= reported_shapes(429)


def test_the_reference_server_refuses_an_unknown_model_as_reported(server: Any) -> None:
    response = httpx.post(
        server.url + "/v1/embeddings",
        json={"model": "mistral-medium-3.5", "input": "x"},
        headers={"Authorization": f"Bearer {DEV_TOKEN}"},
    )
    reported = load(Path(__file__).parent / "fixtures" / "reported" / "400-invalid-model-2026-04.json")
    assert response.status_code == 400
    assert response.json() == reported["body"]
