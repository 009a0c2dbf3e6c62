"""openapi.yaml is a valid OpenAPI 3.1 document, and every example in it is true to its own schema."""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from conftest import load_spec, operations
from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts as spec_versions
from openapi_spec_validator.versions.shortcuts import get_spec_version


def test_the_contract_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert get_spec_version(spec) == spec_versions.OPENAPIV31
    validate(spec)


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    # `$ref: '#/components/...'` resolves against the root, so the schema is rooted beside the components.
    rooted = {**schema, "components": load_spec()["components"]}
    return jsonschema.Draft202012Validator(rooted, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = load_spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _media_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, value) for every example attached to a request or response body."""
    spec = load_spec()
    bodies: list[tuple[str, dict[str, Any]]] = []
    for path, method, operation in operations():
        if "requestBody" in operation:
            bodies.append((f"{method} {path} request", _resolve(operation["requestBody"])))
        for status, response in operation["responses"].items():
            bodies.append((f"{method} {path} {status}", _resolve(response)))
    for name, response in spec["components"]["responses"].items():
        bodies.append((f"components/responses/{name}", response))
    for where, body in bodies:
        for media in body.get("content", {}).values():
            for example_name, example in media.get("examples", {}).items():
                yield f"{where} example {example_name}", media["schema"], _resolve(example)["value"]


def _schema_examples(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, value) for every `examples` entry inside a schema, at any depth."""
    if isinstance(node, dict):
        for index, value in enumerate(node.get("examples", []) if isinstance(node.get("examples"), list) else []):
            yield f"{where} examples[{index}]", node, value
        for key, child in node.items():
            if key != "examples":
                yield from _schema_examples(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _schema_examples(child, f"{where}/{index}")


ALL_EXAMPLES = list(_media_examples()) + list(
    _schema_examples(load_spec()["components"]["schemas"], "components/schemas")
)


def test_the_contract_has_examples_to_check() -> None:
    # Guards the walk below: an empty list would make the parametrized test vacuous.
    assert len(ALL_EXAMPLES) >= 15


@pytest.mark.parametrize(("where", "schema", "value"), ALL_EXAMPLES, ids=[e[0] for e in ALL_EXAMPLES])
def test_every_example_validates_against_its_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    errors = sorted(_validator(schema).iter_errors(value), key=lambda e: list(e.path))
    assert not errors, f"{where}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_base64_example_decodes_to_what_its_summary_says(spec: dict[str, Any]) -> None:
    example = spec["paths"]["/v1/embeddings"]["post"]["responses"]["200"]["content"]["application/json"]["examples"][
        "base64"
    ]
    claimed = [float(x) for x in re.search(r"\[([^\]]+)\]", example["summary"]).group(1).split(",")]
    raw = base64.b64decode(example["value"]["data"][0]["embedding"])
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == claimed


@pytest.mark.parametrize(("path", "method", "operation"), operations(), ids=[f"{m} {p}" for p, m, _ in operations()])
def test_every_operation_documents_the_errors_clients_and_fuzzers_meet(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    # 401: the fuzzer's coverage phase sends requests without credentials; 400: unparseable bodies;
    # 429 and 5xx: what a client must retry; 422 wherever there is a body to validate.
    expected = {"400", "401", "429", "500", "503"} | ({"413", "422"} if "requestBody" in operation else set())
    assert expected <= operation["responses"].keys(), (
        f"{method} {path} lacks {expected - operation['responses'].keys()}"
    )
    rate_limited = _resolve(operation["responses"]["429"])
    assert "Retry-After" in rate_limited["headers"]


def test_operation_ids_and_tags_give_readable_generated_modules(spec: dict[str, Any]) -> None:
    """Upstream's tags (its resources) name the generated packages; the overlay gives readable operation ids."""
    names = {(op["tags"][0], op["operationId"]) for _, _, op in operations()}
    assert names == {
        ("embeddings", "create_embeddings"),
        ("models", "list_models"),
        ("models", "retrieve_model"),
        ("models", "delete_model"),
        ("models", "update_model"),
        ("models", "archive_model"),
        ("models", "unarchive_model"),
        ("cortecs", "create_serverless_embeddings"),
        ("cortecs", "create_cortecs_embeddings"),
        ("cortecs", "list_cortecs_models"),
        ("files", "upload_file"),
        ("files", "list_files"),
        ("files", "retrieve_file"),
        ("files", "delete_file"),
        ("files", "download_file"),
        ("files", "get_file_signed_url"),
        ("batch", "create_batch_job"),
        ("batch", "list_batch_jobs"),
        ("batch", "get_batch_job"),
        ("batch", "delete_batch_job"),
        ("batch", "cancel_batch_job"),
    }


def _servers(spec: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """The servers an operation is sent to: its path's own, else the document's first (Mistral's)."""
    return [server["url"] for server in item.get("servers", spec["servers"][:1])]


def test_each_service_path_names_its_own_server(spec: dict[str, Any]) -> None:
    servers = {path: _servers(spec, item) for path, item in spec["paths"].items()}
    cortecs = {
        "/api/v1/models/serverless/embeddings": ["https://cortecs.ai"],
        "/embeddings": ["https://api.cortecs.ai/v1"],
        "/models": ["https://api.cortecs.ai/v1"],
    }
    assert {path: urls for path, urls in servers.items() if path in cortecs} == cortecs
    assert {
        path for path, urls in servers.items() if urls == ["https://api.mistral.ai"]
    } == servers.keys() - cortecs.keys()
    assert spec["servers"][0]["url"] == "https://api.mistral.ai"


def test_every_operation_has_its_own_url_and_cortecs_current_api_is_where_cortecs_documents_it(
    spec: dict[str, Any],
) -> None:
    """Mistral's and cortecs' current operations share a path (`/v1/embeddings`) on different hosts; written as
    path + path-level server, each operation's wire URL is still unique and cortecs' is the documented one."""
    urls = [
        (method, _servers(spec, item)[0] + path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "delete", "patch")
    ]
    assert len(urls) == len(set(urls))
    assert ("post", "https://api.cortecs.ai/v1/embeddings") in urls
    assert ("get", "https://api.cortecs.ai/v1/models") in urls
    assert ("post", "https://api.mistral.ai/v1/embeddings") in urls
    assert ("post", "https://cortecs.ai/api/v1/models/serverless/embeddings") in urls


def test_cortecs_current_request_extends_the_older_one_and_passes_provider_keys_on(spec: dict[str, Any]) -> None:
    current = spec["components"]["schemas"]["CortecsEmbeddingRequest"]
    older, added = current["allOf"]
    assert older == {"$ref": "#/components/schemas/ServerlessEmbeddingRequest"}
    assert set(added["properties"]) == {"allow_zero_data_retention", "enable_model_fallback", "fallbacks"}
    assert "additionalProperties" not in spec["components"]["schemas"]["ServerlessEmbeddingRequest"]


def test_requests_require_model_and_input_and_mistral_rejects_unknown_keys(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    mistral, cortecs = schemas["EmbeddingRequest"], schemas["ServerlessEmbeddingRequest"]
    assert set(mistral["required"]) == set(cortecs["required"]) == {"model", "input"}
    assert mistral["additionalProperties"] is False
    assert set(mistral["properties"]) == {
        "model",
        "input",
        "output_dimension",
        "output_dtype",
        "encoding_format",
        "metadata",
    }
    assert set(cortecs["properties"]) == {
        "model",
        "input",
        "preference",
        "allowed_providers",
        "eu_native",
        "allow_quantization",
        "encoding_format",
    }
