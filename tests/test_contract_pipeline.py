"""The contract's pipeline: cut Mistral's document, merge cortecs' part, apply the overlay, report an upstream change.

No test needs the network or Mistral's own document: the upstream documents here are written for the tests, in
the shape Mistral publishes (FastAPI's titles, `anyOf` with null, operations tagged by resource, tags we do not
serve beside them).
"""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import contract

ROOT = Path(__file__).resolve().parent.parent


def upstream_document(*, bounded_timeout: bool = False) -> dict[str, Any]:
    """A small document in the shape of Mistral's: served tags, an unserved one, prose everywhere."""
    timeout: dict[str, Any] = {
        "type": "integer",
        "title": "Timeout Hours",
        "default": 24,
        "description": "The timeout in hours.",
    }
    if bounded_timeout:
        timeout |= {"minimum": 1, "maximum": 168}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Mistral AI API", "version": "1.0.0", "description": "Upstream's own words."},
        "servers": [{"url": "https://api.mistral.ai", "description": "Production server"}],
        "security": [{"ApiKey": []}],
        "tags": [
            {"name": "chat", "description": "Chat."},
            {"name": "embeddings", "description": "Embeddings."},
            {"name": "batch", "description": "Batch."},
        ],
        "paths": {
            "/v1/chat/completions": {
                "post": {
                    "operationId": "chat_completion_v1_chat_completions_post",
                    "tags": ["chat"],
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Chat"}}}},
                    "responses": {"200": {"description": "OK"}},
                }
            },
            "/v1/embeddings": {
                "post": {
                    "operationId": "embeddings_v1_embeddings_post",
                    "summary": "Embeddings",
                    "description": "Upstream's description of the operation.",
                    "tags": ["embeddings"],
                    "x-speakeasy-name-override": "create",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingRequest"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "Successful Response",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/EmbeddingResponse"},
                                    "examples": {"userExample": {"value": {"data": []}}},
                                }
                            },
                        },
                        "422": {
                            "description": "Validation Error",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                        },
                    },
                }
            },
            "/v1/batch/jobs": {
                "post": {
                    "operationId": "jobs_api_routes_batch_create_batch_job",
                    "tags": ["batch"],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/CreateBatchJobRequest"}}
                        },
                    },
                    "responses": {"200": {"description": "OK"}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "http", "scheme": "bearer"},
                "Other": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "Chat": {"type": "object", "properties": {"messages": {"type": "array", "items": {"type": "string"}}}},
                "Unused": {"type": "string"},
                "EmbeddingRequest": {
                    "type": "object",
                    "title": "EmbeddingRequest",
                    "required": ["model", "input"],
                    "properties": {
                        "model": {
                            "type": "string",
                            "title": "Model",
                            "description": "ID of the model.",
                            "example": "mistral-embed",
                        },
                        "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                        # A property *named* description: a name, not prose.
                        "description": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Description"},
                    },
                },
                "EmbeddingResponse": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Vector"}},
                        "usage": {"$ref": "#/components/schemas/UsageInfo"},
                    },
                },
                "Vector": {
                    "type": "object",
                    "properties": {"embedding": {"type": "array", "items": {"type": "number"}}},
                },
                "UsageInfo": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"prompt_tokens": {"type": "integer"}},
                },
                "Problem": {"type": "object", "properties": {"detail": {"type": "array", "items": {"type": "string"}}}},
                "CreateBatchJobRequest": {
                    "type": "object",
                    "title": "CreateBatchJobRequest",
                    "properties": {
                        "timeout_hours": timeout,
                        "model": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    },
                },
            },
        },
    }


CORTECS = {
    "openapi": "3.1.0",
    "info": {"title": "cortecs", "version": "1"},
    "servers": [{"url": "https://cortecs.ai"}],
    "tags": [{"name": "cortecs"}],
    "paths": {
        "/api/v1/models/serverless/embeddings": {
            "post": {
                "operationId": "create_serverless_embeddings",
                "tags": ["cortecs"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingRequest"}}},
                },
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingResponse"}}},
                    }
                },
            }
        }
    },
}

OVERLAY = {
    "overlay": "1.0.0",
    "info": {"title": "test", "version": "1"},
    "actions": [
        {
            "target": "$.paths['/v1/embeddings'].post",
            "description": "A readable operation id.",
            "update": {"operationId": "create_embeddings", "description": "Our words."},
        },
        {
            "target": "$.components.schemas.UsageInfo.additionalProperties",
            "description": "Real bodies have more keys.",
            "remove": True,
        },
        {
            "target": "$.components.schemas.Vector.properties.embedding",
            "description": "base64 too.",
            "remove": True,
        },
        {
            "target": "$.components.schemas.Vector.properties",
            "description": "base64 too.",
            "update": {"embedding": {"anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string"}]}},
        },
        {
            "target": "$.paths[*][*].responses",
            "description": "Every operation documents 429.",
            "update": {"429": {"description": "Too many requests"}},
        },
        {"target": "$.tags", "description": "Arrays are appended to.", "update": {"name": "extra"}},
    ],
}


def write(path: Path, document: Any) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


# --- the cut ---------------------------------------------------------------------------------------------------------


def test_the_cut_keeps_the_served_operations_and_exactly_their_reference_closure() -> None:
    cut = contract.cut(upstream_document(), source="test", sha256="0" * 64)
    assert list(cut["paths"]) == ["/v1/embeddings", "/v1/batch/jobs"], "chat is not ours"
    assert set(cut["components"]["schemas"]) == {
        "EmbeddingRequest",
        "EmbeddingResponse",
        "Vector",
        "UsageInfo",
        "Problem",
        "CreateBatchJobRequest",
    }
    assert set(cut["components"]["securitySchemes"]) == {"ApiKey"}, "only the scheme the document requires"
    assert [tag["name"] for tag in cut["tags"]] == ["embeddings", "batch"]
    assert cut["info"]["x-upstream"] == {"source": "test", "sha256": "0" * 64, "tags": list(contract.SERVED_TAGS)}


def test_the_cut_keeps_upstreams_structure_but_not_its_prose() -> None:
    cut = contract.cut(upstream_document(bounded_timeout=True), source="test", sha256="0" * 64)
    request = cut["components"]["schemas"]["EmbeddingRequest"]
    assert request["properties"]["model"] == {"type": "string", "title": "Model"}, "description and example dropped"
    assert "description" in request["properties"], "a property named description is a name, not prose"
    operation = cut["paths"]["/v1/embeddings"]["post"]
    assert "description" not in operation
    assert "summary" not in operation
    assert "x-speakeasy-name-override" not in operation
    assert operation["responses"]["200"]["description"] == "Successful Response", "OpenAPI requires it"
    assert "examples" not in operation["responses"]["200"]["content"]["application/json"]
    timeout = cut["components"]["schemas"]["CreateBatchJobRequest"]["properties"]["timeout_hours"]
    assert timeout == {"type": "integer", "title": "Timeout Hours", "default": 24, "minimum": 1, "maximum": 168}
    assert "description" not in cut["info"]


def test_the_committed_cut_records_its_upstream_source_and_hash() -> None:
    cut = contract.load_yaml(contract.MISTRAL_CUT)
    record = cut["info"]["x-upstream"]
    assert re.fullmatch(r"[0-9a-f]{64}", record["sha256"])
    assert "mistralai/platform-docs-public" in record["source"]
    assert set(cut["paths"]) >= {
        "/v1/embeddings",
        "/v1/models",
        "/v1/models/{model_id}",
        "/v1/files/{file_id}/url",
        "/v1/batch/jobs/{job_id}",
    }


# --- merge and overlay -----------------------------------------------------------------------------------------------


def build(overlay: dict[str, Any] = OVERLAY, upstream: dict[str, Any] | None = None) -> dict[str, Any]:
    cut = contract.cut(upstream or upstream_document(), source="test", sha256="0" * 64)
    return yaml.safe_load(contract.build(mistral=cut, cortecs=CORTECS, overlay=overlay))


def test_the_overlay_updates_removes_and_appends_as_the_overlay_specification_says() -> None:
    spec = build()
    embeddings = spec["paths"]["/v1/embeddings"]["post"]
    assert embeddings["operationId"] == "create_embeddings"
    assert embeddings["description"] == "Our words."
    assert "additionalProperties" not in spec["components"]["schemas"]["UsageInfo"]
    assert spec["components"]["schemas"]["Vector"]["properties"]["embedding"]["anyOf"][1] == {"type": "string"}
    for path, item in spec["paths"].items():
        for operation in item.values():
            assert operation["responses"]["429"] == {"description": "Too many requests"}, path
    assert [tag["name"] for tag in spec["tags"]] == ["embeddings", "batch", "cortecs", "extra"]
    assert "/api/v1/models/serverless/embeddings" in spec["paths"], "cortecs' part merged"
    assert [server["url"] for server in spec["servers"]] == ["https://api.mistral.ai", "https://cortecs.ai"]


def test_an_overlay_action_that_selects_nothing_fails_naming_the_action() -> None:
    overlay = copy.deepcopy(OVERLAY)
    overlay["actions"].append(
        {"target": "$.components.schemas.Gone", "description": "Upstream renamed it.", "update": {"type": "string"}}
    )
    with pytest.raises(
        contract.ContractError, match=r"overlay action 7 \(\$\.components\.schemas\.Gone\).*selects nothing"
    ):
        build(overlay)


def test_an_overlay_action_without_a_reason_is_refused() -> None:
    overlay = copy.deepcopy(OVERLAY)
    del overlay["actions"][0]["description"]
    with pytest.raises(contract.ContractError, match="no description"):
        build(overlay)


def test_an_update_that_cannot_merge_is_refused_rather_than_guessed() -> None:
    overlay = {
        "overlay": "1.0.0",
        "actions": [
            {
                "target": "$.components.schemas.UsageInfo",
                "description": "x",
                "update": {"properties": ["not", "an", "object"]},
            }
        ],
    }
    with pytest.raises(contract.ContractError, match="cannot merge a list into the dict"):
        build(overlay)


def test_a_path_defined_by_both_parts_is_refused() -> None:
    cortecs = copy.deepcopy(CORTECS)
    cortecs["paths"]["/v1/embeddings"] = cortecs["paths"]["/api/v1/models/serverless/embeddings"]
    with pytest.raises(contract.ContractError, match="both define the path '/v1/embeddings'"):
        contract.merge_parts(contract.cut(upstream_document(), source="t", sha256="0"), cortecs)


def test_a_dangling_reference_after_the_overlay_is_refused() -> None:
    overlay = {
        "overlay": "1.0.0",
        "actions": [{"target": "$.components.schemas.Problem", "description": "gone", "remove": True}],
    }
    with pytest.raises(contract.ContractError, match="dangling reference '#/components/schemas/Problem'"):
        build(overlay)


def test_the_committed_contract_is_what_its_inputs_make() -> None:
    assert contract.SPEC.read_text() == contract.build(), "run `make contract` and commit openapi.yaml"


def test_every_action_of_the_real_overlay_says_why() -> None:
    overlay = contract.load_yaml(contract.OVERLAY)
    assert overlay["overlay"].startswith("1.0")
    for action in overlay["actions"]:
        assert len(action["description"].split()) >= 2, action["target"]


# --- make upstream ---------------------------------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """contract/ and openapi.yaml in a temporary folder, made from the unbounded upstream document."""
    monkeypatch.setattr(contract, "ROOT", tmp_path)
    monkeypatch.setattr(contract, "MISTRAL_CUT", tmp_path / "mistral.yaml")
    monkeypatch.setattr(contract, "CORTECS_PART", write(tmp_path / "cortecs.yaml", CORTECS))
    monkeypatch.setattr(contract, "OVERLAY", write(tmp_path / "overlay.yaml", OVERLAY))
    monkeypatch.setattr(contract, "SPEC", tmp_path / "openapi.yaml")
    raw = yaml.safe_dump(upstream_document()).encode()
    first = contract.cut(upstream_document(), source="june", sha256=hashlib.sha256(raw).hexdigest())
    contract.MISTRAL_CUT.write_text(contract.dump_yaml(first, contract.CUT_HEADER))
    contract.SPEC.write_text(contract.build())
    return tmp_path


def test_upstream_reports_a_narrowed_request_as_breaking_and_writes_both_files(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = write(workspace / "august.yaml", upstream_document(bounded_timeout=True))
    assert contract.upstream(str(newer)) == 0
    report = capsys.readouterr().out
    upstream_part, ours = report.split("== Our contract")
    for part in (upstream_part, ours):
        assert "timeout_hours" in part, part
        assert "Result: BREAKING" in part
    cut = contract.load_yaml(contract.MISTRAL_CUT)
    assert cut["info"]["x-upstream"]["sha256"] == hashlib.sha256(newer.read_bytes()).hexdigest()
    spec = contract.load_yaml(contract.SPEC)
    assert spec["components"]["schemas"]["CreateBatchJobRequest"]["properties"]["timeout_hours"]["maximum"] == 168
    assert spec["paths"]["/v1/embeddings"]["post"]["operationId"] == "create_embeddings", "the overlay still applies"


def test_upstream_fails_clearly_and_writes_nothing_when_an_overlay_action_no_longer_applies(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = upstream_document()
    schemas = renamed["components"]["schemas"]
    schemas["EmbeddingVector"] = schemas.pop("Vector")
    schemas["EmbeddingResponse"]["properties"]["data"]["items"] = {"$ref": "#/components/schemas/EmbeddingVector"}
    before = (contract.MISTRAL_CUT.read_text(), contract.SPEC.read_text())
    assert contract.upstream(str(write(workspace / "renamed.yaml", renamed))) == 2
    error = capsys.readouterr().err
    assert "the overlay no longer applies" in error
    assert "$.components.schemas.Vector" in error
    assert (contract.MISTRAL_CUT.read_text(), contract.SPEC.read_text()) == before


def test_upstream_dry_run_reports_and_writes_nothing(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (contract.MISTRAL_CUT.read_text(), contract.SPEC.read_text())
    newer = write(workspace / "august.yaml", upstream_document(bounded_timeout=True))
    assert contract.main(["upstream", str(newer), "--dry-run"]) == 0
    assert "timeout_hours" in capsys.readouterr().out
    assert (contract.MISTRAL_CUT.read_text(), contract.SPEC.read_text()) == before


def test_check_fails_when_openapi_yaml_was_edited_by_hand(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert contract.main(["check"]) == 0
    contract.SPEC.write_text(contract.SPEC.read_text().replace("create_embeddings", "embed"))
    assert contract.main(["check"]) == 1
    assert "not what contract/ makes" in capsys.readouterr().err
