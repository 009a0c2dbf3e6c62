"""The generated models read every body the contract allows, unchanged, and refuse the ones it forbids.

What `from_dict` raises on a body the contract forbids (see generator-templates/README.md):
- `KeyError` naming the key, when a required key is missing;
- `TypeError` naming the field, when a value has the wrong JSON type or is outside a string enum;
- `ValueError`, when a constant is wrong (`object` is not `"list"`) or a date-time cannot be parsed.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema
import pytest
import schemathesis
from conftest import SEEDS_DIR, load_spec, model_class, object_schema_names, operations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

# 150 generated bodies per schema: the contract has grown to about 30 object schemas (files and batch jobs), and the
# exhaustive negative tests below (every value replaced by every JSON type) do not depend on this number.
ROUND_TRIP_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def same_json(before: Any, after: Any) -> bool:
    """Equal as JSON values; a date-time may come back in another ISO spelling of the same instant."""
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(same_json(before[k], after[k]) for k in before)
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(same_json(b, a) for b, a in zip(before, after, strict=True))
    if isinstance(before, str) and isinstance(after, str) and before != after:
        try:
            return datetime.fromisoformat(before) == datetime.fromisoformat(after)
        except ValueError:
            return False
    if isinstance(before, bool) or isinstance(after, bool):
        return before is after
    # JSON has one number type: 3.0 and 3 are the same value (an integer, to JSON Schema).
    return before == after and (isinstance(before, int | float) == isinstance(after, int | float))


def round_trip(schema_name: str, body: Any) -> Any:
    return model_class(schema_name).from_dict(body).to_dict()


# --- property-based round trips --------------------------------------------------------------------------------

REQUEST_BODIES = [
    (path, method, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1])
    for path, method, operation in operations()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]
# Multipart bodies hold bytes (`format: binary`), which JSON cannot: their models are checked by
# test_multipart_bodies_carry_the_file_and_the_fields instead of a JSON round trip.
# Mistral's upload form is written inline in its operation (no component), so only referenced forms are named here.
MULTIPART_SCHEMAS = {
    operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    for _, _, operation in operations()
    if "$ref" in operation.get("requestBody", {}).get("content", {}).get("multipart/form-data", {}).get("schema", {})
}
JSON_OBJECT_SCHEMAS = [name for name in object_schema_names() if name not in MULTIPART_SCHEMAS]


@pytest.mark.parametrize(
    ("path", "method", "schema_name"), REQUEST_BODIES, ids=[f"{m} {p}" for p, m, _ in REQUEST_BODIES]
)
def test_request_bodies_generated_from_the_operation_round_trip(path: str, method: str, schema_name: str) -> None:
    operation = schemathesis.openapi.from_dict(copy.deepcopy(load_spec()))[path][method]
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)

    @ROUND_TRIP_SETTINGS
    @given(case=strategy)
    def check(case: Any) -> None:
        after = round_trip(schema_name, case.body)
        assert same_json(case.body, after), f"{case.body!r} came back as {after!r}"

    check()


@cache
def component_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """A strategy of bodies for every object component schema.

    schemathesis generates bodies for operations only, so each component becomes the request body of an
    operation of a scratch document that shares the contract's components.
    """
    document = copy.deepcopy(load_spec())
    names = JSON_OBJECT_SCHEMAS
    document["paths"] = {
        f"/components/{name}": {
            "post": {
                "operationId": f"body_{name}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                },
                "responses": {"200": {"description": "unused"}},
            }
        }
        for name in names
    }
    schema = schemathesis.openapi.from_dict(document)
    return {
        name: schema[f"/components/{name}"]["POST"]
        .as_strategy(generation_mode=GenerationMode.POSITIVE)
        .map(lambda case: case.body)
        for name in names
    }


@pytest.mark.parametrize("schema_name", JSON_OBJECT_SCHEMAS)
@pytest.mark.slow
def test_component_bodies_round_trip(schema_name: str) -> None:
    strategy = component_strategies()[schema_name]

    @ROUND_TRIP_SETTINGS
    @given(body=strategy)
    def check(body: Any) -> None:
        after = round_trip(schema_name, body)
        assert same_json(body, after), f"{body!r} came back as {after!r}"

    check()


def test_every_response_schema_has_a_round_trip() -> None:
    # Response bodies are covered by the component test only if each is a named object schema.
    response_schemas = set()
    for _, _, operation in operations():
        for response in operation["responses"].values():
            ref = response.get("$ref")
            resolved = load_spec()["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else response
            if "application/json" not in resolved["content"]:
                continue  # a download: bytes, not a JSON body
            schema = resolved["content"]["application/json"]["schema"]
            # A body reported in several shapes is an `anyOf` of named models, each covered; a model card is a
            # `oneOf` of upstream's base and fine-tuned cards.
            for alternative in schema.get("anyOf", schema.get("oneOf", [schema])):
                response_schemas.add(alternative["$ref"].rsplit("/", 1)[1])
    assert response_schemas == {
        "EmbeddingResponse",
        "ServerlessEmbeddingResponse",
        "ModelList",
        "BaseModelCard",
        "FTModelCard",
        "DeleteModelResponse",
        "CompletionFineTunedModel",
        "ClassifierFineTunedModel",
        "ArchiveModelResponse",
        "UnarchiveModelResponse",
        "CortecsModelList",
        "ErrorResponse",
        "DetailError",
        "HTTPValidationError",
        "LegacyValidationError",
        "CreateFileResponse",
        "GetFileResponse",
        "ListFilesResponse",
        "DeleteFileResponse",
        "GetSignedUrlResponse",
        "BatchJob",
        "ListBatchJobsResponse",
        "DeleteBatchJobResponse",
    }
    assert response_schemas <= set(object_schema_names())


# --- the reference pages' bodies ---------------------------------------------------------------------------------


def seed_examples() -> list[tuple[str, str, Any]]:
    """(where, schema name, body) for every example the contract marks as taken from a reference page."""
    found = []
    for path, method, operation in operations():
        media = []
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            media.append(("request", operation["requestBody"]["content"]["application/json"]))
        if "application/json" in operation["responses"]["200"]["content"]:
            media.append(("200", operation["responses"]["200"]["content"]["application/json"]))
        for where, content in media:
            if "seed" in content.get("examples", {}):
                name = content["schema"]["$ref"].rsplit("/", 1)[1]
                found.append((f"{method} {path} {where}", name, content["examples"]["seed"]["value"]))
    return found


SEEDS = seed_examples()


def test_both_reference_pages_contribute_a_request_and_a_response() -> None:
    assert {name for _, name, _ in SEEDS} == {
        "EmbeddingRequest",
        "EmbeddingResponse",
        "ServerlessEmbeddingRequest",
        "ServerlessEmbeddingResponse",
    }


@pytest.mark.parametrize(("where", "schema_name", "body"), SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_bodies_parse_into_the_generated_models(where: str, schema_name: str, body: Any) -> None:
    model = model_class(schema_name).from_dict(body)
    assert type(model).__name__ == schema_name
    assert same_json(body, model.to_dict())


def json_objects_in(text: str) -> Iterator[dict[str, Any]]:
    """Every top-level JSON object written out in a page of text."""
    decoder = json.JSONDecoder()
    position = 0
    while (start := text.find("{", position)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(value, dict):
            yield value
        position = end


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the reference pages live in ../shared/seeds, beside the checkout")
def test_the_contracts_seed_examples_are_the_reference_pages_bodies() -> None:
    page_bodies = [body for page in sorted(SEEDS_DIR.glob("*.txt")) for body in json_objects_in(page.read_text())]
    assert len(page_bodies) >= 4
    for where, _, body in SEEDS:
        assert body in page_bodies, f"{where}: the contract's seed example is not a body of the reference pages"


# --- bodies the contract forbids ---------------------------------------------------------------------------------

WRONG_VALUES = [None, True, 7, 2.5, "text", [], {}]


def _date_time_checker() -> jsonschema.FormatChecker:
    """date-time as the generated models read it (a format constrains strings only)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _readable(value: object) -> bool:
        return not isinstance(value, str) or isinstance(datetime.fromisoformat(value), datetime)

    return checker


def _is_valid(schema_name: str, body: Any) -> bool:
    rooted = {"$ref": f"#/components/schemas/{schema_name}", "components": load_spec()["components"]}
    return jsonschema.Draft202012Validator(rooted, format_checker=_date_time_checker()).is_valid(body)


def _locations(node: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside a JSON document, root excluded."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        yield (*trail, key)
        yield from _locations(child, (*trail, key))


def _replaced(body: Any, location: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(body)
    parent = changed
    for key in location[:-1]:
        parent = parent[key]
    parent[location[-1]] = value
    return changed


def _without(body: Any, location: tuple[Any, ...]) -> Any:
    changed = copy.deepcopy(body)
    parent = changed
    for key in location[:-1]:
        parent = parent[key]
    del parent[location[-1]]
    return changed


def contract_examples() -> list[tuple[str, str, Any]]:
    """(where, schema name, body) for every body example in the contract: the starting points to break."""
    found = []
    spec = load_spec()
    contents = [(f"{m} {p} request", o["requestBody"]["content"]) for p, m, o in operations() if "requestBody" in o]
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            if "content" in response:
                contents.append((f"{method} {path} {status}", response["content"]))
    contents += [(f"responses/{n}", r["content"]) for n, r in spec["components"]["responses"].items()]
    for where, content in contents:
        if "application/json" not in content:
            continue  # multipart uploads and downloads carry bytes
        media = content["application/json"]
        schema = media["schema"]
        # A body documented in several shapes (`anyOf` of models) is tested as the model its example is.
        variants = schema.get("anyOf", schema.get("oneOf", [schema]))
        names = [ref["$ref"].rsplit("/", 1)[1] for ref in variants if "$ref" in ref]
        if not names:
            continue  # an inline schema has no component model to test its examples with
        for example_name, example in media.get("examples", {}).items():
            name = next((n for n in names if _is_valid(n, example["value"])), names[0])
            found.append((f"{where} {example_name}", name, example["value"]))
    return found


EXAMPLES = contract_examples()


@pytest.mark.parametrize(("where", "schema_name", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_a_value_of_the_wrong_type_anywhere_is_refused(where: str, schema_name: str, body: Any) -> None:
    """Replace each value, at every depth, by each JSON type: what the contract forbids, from_dict refuses."""
    assert _is_valid(schema_name, body)
    refused = accepted = 0
    for location in _locations(body):
        for wrong in WRONG_VALUES:
            changed = _replaced(body, location, wrong)
            if _is_valid(schema_name, changed):
                assert same_json(changed, round_trip(schema_name, changed)), f"{location}={wrong!r} not kept"
                accepted += 1
                continue
            # {} in place of an object is an object missing its required keys: KeyError.
            with pytest.raises((TypeError, ValueError, KeyError)) as caught:
                model_class(schema_name).from_dict(changed)
            message = str(caught.value)
            assert message, f"{location}={wrong!r}: {type(caught.value).__name__} without a message"
            if isinstance(location[-1], str) and caught.type is TypeError and "Unexpected value" not in message:
                assert re.match(rf"^{re.escape(str(location[-1]))}\b", message), (location, message)
            refused += 1
    assert refused > 0


@pytest.mark.parametrize(("where", "schema_name", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_a_missing_required_key_anywhere_is_refused_with_key_error(where: str, schema_name: str, body: Any) -> None:
    refused = 0
    for location in _locations(body):
        if isinstance(location[-1], int):
            continue
        changed = _without(body, location)
        if _is_valid(schema_name, changed):
            assert same_json(changed, round_trip(schema_name, changed))
            continue
        with pytest.raises(KeyError, match=re.escape(repr(location[-1]))):
            model_class(schema_name).from_dict(changed)
        refused += 1
    assert refused > 0


def test_multipart_bodies_carry_the_file_and_the_fields() -> None:
    from embedkit_generated.models import UploadFileMultiPartBodyParams as Upload
    from embedkit_generated.types import File

    assert set() == MULTIPART_SCHEMAS, "Mistral writes its upload form inline in the operation"
    payload = File(payload=io.BytesIO(b'{"custom_id": "0"}'), file_name="in.jsonl")
    upload = Upload(file=payload, purpose="batch", expiry=2, visibility="user")
    parts = dict(upload.to_multipart())
    assert parts["file"][0] == "in.jsonl"
    assert parts["purpose"] == (None, b"batch", "text/plain")
    assert parts["visibility"] == (None, b"user", "text/plain"), "an enum value, not a JSON object"
    assert parts["expiry"] == (None, b"2", "text/plain")
    assert dict(Upload(file=payload).to_multipart())["visibility"] == (None, b"workspace", "text/plain")
    with pytest.raises(TypeError, match="Unexpected value 'training'"):
        Upload.from_dict({"file": b"x", "purpose": "training"})


def test_wrong_values_inside_arrays_name_what_was_expected() -> None:
    from embedkit_generated.models import EmbeddingRequest, EmbeddingResponse

    with pytest.raises(TypeError, match="expected string, got int"):
        EmbeddingRequest.from_dict({"model": "mistral-embed", "input": ["fine", 5]})
    with pytest.raises(TypeError, match=r"^input: expected list\[str\] \| str, got int$"):
        EmbeddingRequest.from_dict({"model": "mistral-embed", "input": 5})
    body = {
        "id": "e",
        "object": "list",
        "model": "m",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5, "0.25"]}],
    }
    with pytest.raises(TypeError, match=r"^embedding: expected list\[float\] \| str, got list$"):
        EmbeddingResponse.from_dict(body)
