"""tools/spec_diff.py: every class of contract change, classified on small synthetic contracts, and one real change.

Each case edits a copy of a minimal OpenAPI 3.1 contract and asserts the exact category (breaking or compatible),
the kind and the message naming what changed, and that nothing else was reported for it.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import spec_diff
import yaml
from conftest import ROOT

Spec = dict[str, Any]


def base() -> Spec:
    """A small contract exercising $ref, allOf, anyOf/oneOf, arrays, enums, nullables, params, servers, security."""
    error = {"description": "bad", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "things", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/v1/things": {
                "post": {
                    "operationId": "create_thing",
                    "parameters": [
                        {"name": "dry_run", "in": "query", "required": False, "schema": {"type": "boolean"}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingRequest"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"x-request-id": {"schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                        },
                        "400": error,
                    },
                },
            },
            "/v1/others": {"get": {"operationId": "list_others", "responses": {"200": {"description": "ok"}}}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Color": {"type": "string", "enum": ["red", "green"]},
                "Shade": {"type": "string", "enum": ["light", "dark"]},
                "Options": {"type": "object", "properties": {"depth": {"type": "integer"}}},
                "ThingRequest": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "size": {"type": "integer"},
                        "color": {"$ref": "#/components/schemas/Color"},
                        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "options": {"description": "wrapped", "allOf": [{"$ref": "#/components/schemas/Options"}]},
                    },
                },
                "Tag": {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}}},
                "PartA": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                "PartB": {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}},
                "Thing": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "count": {"type": "number"},
                        "shade": {"$ref": "#/components/schemas/Shade"},
                        "score": {"type": ["number", "null"]},
                        "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                        "part": {
                            "oneOf": [{"$ref": "#/components/schemas/PartA"}, {"$ref": "#/components/schemas/PartB"}]
                        },
                    },
                },
                "Error": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
            },
        },
    }


def schemas(spec: Spec) -> dict[str, Any]:
    return spec["components"]["schemas"]  # type: ignore[no-any-return]


def props(spec: Spec, name: str) -> dict[str, Any]:
    return schemas(spec)[name]["properties"]  # type: ignore[no-any-return]


def post(spec: Spec) -> dict[str, Any]:
    return spec["paths"]["/v1/things"]["post"]  # type: ignore[no-any-return]


def write(tmp_path: Path, name: str, spec: Spec) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def changes(tmp_path: Path, edit: Callable[[Spec], None], old: Spec | None = None) -> list[spec_diff.Change]:
    before = old if old is not None else base()
    after = copy.deepcopy(before)
    edit(after)
    report = spec_diff.diff(write(tmp_path, "old.yaml", before), write(tmp_path, "new.yaml", after), generated=False)
    return list(report.contract)


# (id, edit, kind, breaking, message); each edit must produce exactly this one change.
CASES: list[tuple[str, Callable[[Spec], None], str, bool, str]] = [
    # operations
    (
        "operation removed",
        lambda s: s["paths"].pop("/v1/others"),
        "operation-removed",
        True,
        "operation GET /v1/others (list_others) removed",
    ),
    (
        "operation added",
        lambda s: s["paths"]["/v1/things"].update(
            delete={"operationId": "delete_things", "responses": {"204": {"description": "gone"}}}
        ),
        "operation-added",
        False,
        "operation DELETE /v1/things (delete_things) added",
    ),
    (
        "operationId changed",
        lambda s: s["paths"]["/v1/others"]["get"].update(operationId="get_others"),
        "operation-id-changed",
        True,
        "GET /v1/others: operationId changed from list_others to get_others",
    ),
    # request fields, at any depth through $ref and allOf
    (
        "optional request field added",
        lambda s: props(s, "ThingRequest").update(weight={"type": "integer"}),
        "field-added",
        False,
        "request field `weight` [ThingRequest] added (integer)",
    ),
    (
        "required request field added",
        lambda s: (
            props(s, "ThingRequest").update(weight={"type": "integer"}),
            schemas(s)["ThingRequest"]["required"].append("weight"),
        ),
        "field-added",
        True,
        "request field `weight` [ThingRequest] added (required integer)",
    ),
    (
        "request field removed",
        lambda s: props(s, "ThingRequest").pop("size"),
        "field-removed",
        True,
        "request field `size` [ThingRequest] removed",
    ),
    (
        "nested request field removed through allOf",
        lambda s: props(s, "Options").pop("depth"),
        "field-removed",
        True,
        "request field `options.depth` [Options] removed",
    ),
    # response fields, through arrays and oneOf
    (
        "response field added",
        lambda s: props(s, "Thing").update(created={"type": "integer"}),
        "field-added",
        False,
        "response field `created` [Thing] added (integer)",
    ),
    (
        "response field removed in array items",
        lambda s: (props(s, "Tag").pop("label"), schemas(s)["Tag"].pop("required")),
        "field-removed",
        True,
        "response field `tags[].label` [Tag] removed",
    ),
    (
        "response field added in a oneOf variant",
        lambda s: props(s, "PartB").update(extra={"type": "boolean"}),
        "field-added",
        False,
        "response field `part.extra` [PartA | PartB] added (boolean)",
    ),
    # required flips
    (
        "request field becomes required",
        lambda s: schemas(s)["ThingRequest"]["required"].append("size"),
        "required-changed",
        True,
        "request field `size` [ThingRequest] is now required",
    ),
    (
        "request field no longer required",
        lambda s: schemas(s)["ThingRequest"].update(required=[]),
        "required-changed",
        False,
        "request field `name` [ThingRequest] is no longer required",
    ),
    (
        "response field no longer required",
        lambda s: schemas(s)["Thing"].update(required=["name"]),
        "required-changed",
        True,
        "response field `id` [Thing] is no longer required",
    ),
    (
        "response field becomes required",
        lambda s: schemas(s)["Thing"]["required"].append("shade"),
        "required-changed",
        False,
        "response field `shade` [Thing] is now required",
    ),
    # enums
    (
        "request enum value added",
        lambda s: schemas(s)["Color"]["enum"].append("blue"),
        "enum-values-added",
        False,
        'request field `color` [ThingRequest] enum values added: "blue"',
    ),
    (
        "request enum value removed",
        lambda s: schemas(s)["Color"]["enum"].remove("green"),
        "enum-values-removed",
        True,
        'request field `color` [ThingRequest] enum values removed: "green"',
    ),
    (
        "response enum value added",
        lambda s: schemas(s)["Shade"]["enum"].append("medium"),
        "enum-values-added",
        True,
        'response field `shade` [Thing] enum values added: "medium"',
    ),
    (
        "response enum value removed",
        lambda s: schemas(s)["Shade"]["enum"].remove("dark"),
        "enum-values-removed",
        False,
        'response field `shade` [Thing] enum values removed: "dark"',
    ),
    (
        "response enum dropped",
        lambda s: schemas(s)["Shade"].pop("enum"),
        "enum-removed",
        True,
        'response field `shade` [Thing] is no longer restricted to ["dark", "light"]',
    ),
    (
        "request enum introduced",
        lambda s: props(s, "ThingRequest")["name"].update(enum=["a", "b"]),
        "enum-added",
        True,
        'request field `name` [ThingRequest] is now restricted to ["a", "b"]',
    ),
    # types
    (
        "request type widened",
        lambda s: props(s, "ThingRequest")["size"].update(type="number"),
        "type-changed",
        False,
        "request field `size` [ThingRequest] type changed from integer to number",
    ),
    (
        "request type changed",
        lambda s: props(s, "ThingRequest")["size"].update(type="string"),
        "type-changed",
        True,
        "request field `size` [ThingRequest] type changed from integer to string",
    ),
    (
        "response type narrowed",
        lambda s: props(s, "Thing")["count"].update(type="integer"),
        "type-changed",
        False,
        "response field `count` [Thing] type changed from number to integer",
    ),
    (
        "response type widened through anyOf",
        lambda s: props(s, "Thing").update(id={"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        "type-changed",
        True,
        "response field `id` [Thing] type changed from string to integer|string",
    ),
    # nullable, both spellings
    (
        "request field no longer nullable",
        lambda s: props(s, "ThingRequest").update(note={"type": "string"}),
        "nullable-changed",
        True,
        "request field `note` [ThingRequest] is no longer nullable",
    ),
    (
        "request field becomes nullable (type list)",
        lambda s: props(s, "ThingRequest")["size"].update(type=["integer", "null"]),
        "nullable-changed",
        False,
        "request field `size` [ThingRequest] is now nullable",
    ),
    (
        "response field becomes nullable (anyOf)",
        lambda s: props(s, "Thing").update(name={"anyOf": [{"type": "string"}, {"type": "null"}]}),
        "nullable-changed",
        True,
        "response field `name` [Thing] is now nullable",
    ),
    (
        "response field no longer nullable",
        lambda s: props(s, "Thing")["score"].update(type="number"),
        "nullable-changed",
        False,
        "response field `score` [Thing] is no longer nullable",
    ),
    # statuses, headers, media types, request body
    (
        "response status removed",
        lambda s: post(s)["responses"].pop("400"),
        "status-removed",
        True,
        "POST /v1/things (create_thing): response 400 removed",
    ),
    (
        "response status added",
        lambda s: post(s)["responses"].update({"429": {"description": "slow down"}}),
        "status-added",
        False,
        "POST /v1/things (create_thing): response 429 added",
    ),
    (
        "response header removed",
        lambda s: post(s)["responses"]["200"].pop("headers"),
        "header-removed",
        True,
        "response header `x-request-id` removed",
    ),
    (
        "request media type removed",
        lambda s: post(s)["requestBody"].update(content={}),
        "media-type-removed",
        True,
        "create_thing: request media type application/json removed",
    ),
    (
        "request body no longer required",
        lambda s: post(s)["requestBody"].update(required=False),
        "request-body-required-changed",
        False,
        "POST /v1/things (create_thing): request body is no longer required",
    ),
    # parameters
    (
        "parameter removed",
        lambda s: post(s).pop("parameters"),
        "parameter-removed",
        True,
        "POST /v1/things (create_thing): query parameter `dry_run` removed",
    ),
    (
        "optional parameter added",
        lambda s: post(s)["parameters"].append({"name": "trace", "in": "header", "schema": {"type": "string"}}),
        "parameter-added",
        False,
        "POST /v1/things (create_thing): optional header parameter `trace` added",
    ),
    (
        "required parameter added",
        lambda s: post(s)["parameters"].append(
            {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        "parameter-added",
        True,
        "POST /v1/things (create_thing): required query parameter `tenant` added",
    ),
    (
        "parameter becomes required",
        lambda s: post(s)["parameters"][0].update(required=True),
        "parameter-required-changed",
        True,
        "POST /v1/things (create_thing): query parameter `dry_run` is now required",
    ),
    (
        "parameter type changed",
        lambda s: post(s)["parameters"][0].update(schema={"type": "string"}),
        "type-changed",
        True,
        "query parameter `dry_run` type changed from boolean to string",
    ),
    # servers at root, path and operation level
    (
        "root server removed",
        lambda s: s.update(servers=[]),
        "server-removed",
        True,
        "root: server https://api.example.com removed",
    ),
    (
        "root server added",
        lambda s: s["servers"].append({"url": "https://eu.example.com"}),
        "server-added",
        False,
        "root: server https://eu.example.com added",
    ),
    (
        "path-level server replaces the root's",
        lambda s: s["paths"]["/v1/others"].update(servers=[{"url": "https://api.example.com"}]),
        None,
        False,
        "",
    ),
    (
        "operation-level server added",
        lambda s: s["paths"]["/v1/others"]["get"].update(
            servers=[{"url": "https://api.example.com"}, {"url": "https://eu.example.com"}]
        ),
        "server-added",
        False,
        "GET /v1/others (list_others): server https://eu.example.com added",
    ),
    # security schemes and requirements
    (
        "security scheme removed",
        lambda s: (s["components"].pop("securitySchemes"), s.pop("security")),
        "security-scheme-removed",
        True,
        "security scheme `bearerAuth` removed",
    ),
    (
        "security scheme changed",
        lambda s: s["components"]["securitySchemes"]["bearerAuth"].update(scheme="basic"),
        "security-scheme-changed",
        True,
        'security scheme `bearerAuth` changed from {"scheme": "bearer", "type": "http"} to'
        ' {"scheme": "basic", "type": "http"}',
    ),
    (
        "operation accepts a second scheme",
        lambda s: (
            s["components"]["securitySchemes"].update(apiKey={"type": "apiKey", "in": "header", "name": "X-Key"}),
            post(s).update(security=[{"bearerAuth": []}, {"apiKey": []}]),
        ),
        "security-requirement-added",
        False,
        "POST /v1/things (create_thing): security requirement `apiKey` now accepted",
    ),
]


@pytest.mark.parametrize(("edit", "kind", "breaking", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_class_of_change(
    tmp_path: Path, edit: Callable[[Spec], None], kind: str | None, breaking: bool, message: str
) -> None:
    found = changes(tmp_path, edit)
    if kind is None:  # an edit that changes nothing a client depends on
        assert found == []
        return
    matching = [c for c in found if c.message == message]
    assert matching, f"no change {message!r} among {[c.message for c in found]}"
    assert (matching[0].kind, matching[0].breaking) == (kind, breaking)
    # Only the change under test (and, where the edit must, the scheme change beside a requirement change).
    others = [c for c in found if c is not matching[0] and not c.kind.startswith("security-")]
    assert others == [], [c.message for c in others]


def test_a_shared_schema_is_reported_once_with_every_place() -> None:
    spec = base()
    spec["paths"]["/v1/others"]["get"]["responses"]["400"] = copy.deepcopy(post(spec)["responses"]["400"])
    old, new = spec_diff.Contract(spec, spec_diff.Resolver(spec)), copy.deepcopy(spec)
    props(new, "Error").update(code={"type": "string"})
    found = list(spec_diff.compare_contracts(old, spec_diff.Contract(new, spec_diff.Resolver(new))))
    assert [(c.message, c.locations) for c in found] == [
        ("response field `code` [Error] added (string)", ["list_others 400", "create_thing 400"])
    ]


def test_security_requirement_added_where_anonymous_access_was_allowed(tmp_path: Path) -> None:
    old = base()
    old.pop("security")
    found = changes(tmp_path, lambda s: post(s).update(security=[{"bearerAuth": []}]), old=old)
    assert [(c.kind, c.breaking, c.message) for c in found] == [
        (
            "security-requirement-removed",
            True,
            "POST /v1/things (create_thing): security requirement `anonymous access` no longer accepted",
        ),
        (
            "security-requirement-added",
            False,
            "POST /v1/things (create_thing): security requirement `bearerAuth` now accepted",
        ),
    ]


def test_dropping_authentication_breaks_nobody(tmp_path: Path) -> None:
    found = changes(tmp_path, lambda s: s.update(security=[]))
    assert [(c.kind, c.breaking) for c in found] == [
        ("security-requirement-removed", False),
        ("security-requirement-added", False),
    ]
    assert found[1].message == "root: security requirement `anonymous access` now accepted"


def test_path_level_server_change_is_judged_per_operation(tmp_path: Path) -> None:
    found = changes(tmp_path, lambda s: s["paths"]["/v1/others"].update(servers=[{"url": "https://x.example.com"}]))
    assert [(c.kind, c.breaking, c.message) for c in found] == [
        ("server-removed", True, "GET /v1/others (list_others): server https://api.example.com removed"),
        ("server-added", False, "GET /v1/others (list_others): server https://x.example.com added"),
    ]


def test_recursive_schemas_terminate(tmp_path: Path) -> None:
    def recursive(spec: Spec) -> None:
        schemas(spec)["Tree"] = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            },
        }
        props(spec, "Thing")["tree"] = {"$ref": "#/components/schemas/Tree"}

    old = base()
    recursive(old)
    found = changes(tmp_path, lambda s: props(s, "Tree").pop("name"), old=old)
    assert [(c.breaking, c.message) for c in found] == [(True, "response field `tree.name` [Tree] removed")]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = spec_diff.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_exit_status_and_text_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(tmp_path, "old.yaml", base())
    breaking, compatible = base(), base()
    breaking["paths"].pop("/v1/others")
    props(compatible, "Thing").update(created={"type": "integer"})
    status, out, _ = run([str(old), str(write(tmp_path, "b.yaml", breaking)), "--no-generated"], capsys)
    assert status == 1
    assert "BREAKING (1)\n  - operation GET /v1/others (list_others) removed" in out
    assert out.rstrip().endswith("Result: BREAKING: existing users are affected")
    status, out, _ = run([str(old), str(write(tmp_path, "c.yaml", compatible)), "--no-generated"], capsys)
    assert status == 0
    assert "BREAKING (0)" in out
    assert "COMPATIBLE (1)\n  - response field `created` [Thing] added (integer)\n      at create_thing 200" in out
    status, out, _ = run([str(old), str(old)], capsys)  # identical: nothing to generate, nothing changed
    assert status == 0
    assert "Generated package public API" in out
    assert out.rstrip().endswith("Result: COMPATIBLE: nothing breaks")


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = base()
    schemas(new)["Shade"]["enum"].append("medium")
    status, out, _ = run(
        [str(write(tmp_path, "old.yaml", base())), str(write(tmp_path, "new.yaml", new)), "--json", "--no-generated"],
        capsys,
    )
    report = json.loads(out)
    assert status == 1
    assert report["breaking"] is True
    assert report["generated_api"] is None
    assert report["contract"]["compatible"] == []
    assert report["contract"]["breaking"] == [
        {
            "kind": "enum-values-added",
            "breaking": True,
            "message": 'response field `shade` [Thing] enum values added: "medium"',
            "locations": ["create_thing 200"],
        }
    ]


def test_cannot_compare_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, "spec.yaml", base())
    status, out, err = run([str(tmp_path / "missing.yaml"), str(spec), "--no-generated"], capsys)
    assert (status, out) == (2, "")
    assert "missing.yaml" in err
    status, out, err = run(["--base", "no-such-ref-xyz", str(spec), "--no-generated"], capsys)
    assert (status, out) == (2, "")
    assert "git show no-such-ref-xyz:openapi.yaml failed" in err
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    status, _, err = run([str(tmp_path / "list.yaml"), str(spec), "--no-generated"], capsys)
    assert status == 2
    assert "not an OpenAPI document" in err


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_the_first_real_contract_change(capsys: pytest.CaptureFixture[str]) -> None:
    """The lead's error-shapes change (the second commit touching openapi.yaml), generated API included."""
    commits = git("log", "--reverse", "--format=%H", "--", "openapi.yaml").split()
    if len(commits) < 2:
        pytest.skip("needs the repository's history (a shallow clone has only one version of openapi.yaml)")
    before_status = git("status", "--porcelain")
    status, out, err = run(["--base", commits[0], "--head", commits[1], "--json"], capsys)
    assert (status, err) == (1, "")
    report = json.loads(out)
    contract = {(c["kind"], c["message"]) for c in report["contract"]["breaking"]}
    assert ("status-removed", "POST /v1/embeddings (create_embeddings): response 404 removed") in contract
    assert (
        "enum-removed",
        'response field `data[].type` [ModelCard] is no longer restricted to ["base", "fine-tuned"]',
    ) in contract
    assert (
        "required-changed",
        "response field `message` [ErrorResponse | DetailError] is no longer required",
    ) in contract
    compatible = {c["message"] for c in report["contract"]["compatible"]}
    assert "response field `request_id` [ErrorResponse] added (string)" in compatible
    api_breaking = {c["message"] for c in report["generated_api"]["breaking"]}
    assert "module generated_client.models.model_card_type removed" in api_breaking
    assert (
        "generated_client.models.model_card.ModelCard.type_ changed from `ModelCardType | Unset` to `str | Unset`"
        " (a model the client reads)"
    ) in api_breaking
    api_compatible = {c["message"] for c in report["generated_api"]["compatible"]}
    assert "module generated_client.models.legacy_validation_error added" in api_compatible
    assert (
        "generated_client.models.error_response.ErrorResponse.request_id added (optional, `str | Unset`)"
        in api_compatible
    )
    assert report["old"] == f"{commits[0]}:openapi.yaml"
    assert report["new"] == f"{commits[1]}:openapi.yaml"
    assert git("status", "--porcelain") == before_status


def test_base_ref_against_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--base REF NEW`, as `make spec-diff` and `make generate` run it: here REF's own contract, so no change."""
    first = git("log", "--reverse", "--format=%H", "--", "openapi.yaml").split()[0]
    same = tmp_path / "openapi.yaml"
    same.write_text(git("show", f"{first}:openapi.yaml"), encoding="utf-8")
    status, out, _ = run(["--base", first, str(same), "--no-generated"], capsys)
    assert status == 0
    assert out.startswith(f"Contract changes: {first}:openapi.yaml -> {same}")
    assert "BREAKING (0)\n\nCOMPATIBLE (0)" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["only-one.yaml"], ["--head", "HEAD", "x.yaml"], ["a.yaml", "b.yaml", "c.yaml"]):
        with pytest.raises(SystemExit) as exited:
            spec_diff.main(argv)
        assert exited.value.code == 2
        assert "give OLD NEW, or --base REF NEW, or --base REF --head REF" in capsys.readouterr().err


def scan(sources: dict[str, str], tmp_path: Path) -> dict[str, spec_diff.ModuleApi]:
    """Write a tiny package of the generated client's shape and scan it as the tool scans the real one."""
    package = tmp_path / "generated_client"
    for name, source in sources.items():
        path = package / f"{name.replace('.', '/')}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return spec_diff.scan_package(package)


SYNC = "def sync(*, client: Client, body: Req, dry_run: bool | Unset = UNSET"
DETAILED = "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n"
GENERATED_OLD = {
    "__init__": "",
    "models.__init__": "__all__ = ('Req', 'Resp', 'Kind')\n",
    "models.req": "class Req:\n    name: str\n    size: int | Unset = UNSET\n",
    "models.resp": "class Resp:\n    id: str\n    kind: Kind | Unset = UNSET\n",
    "models.kind": "Kind = Literal['a', 'b']\n",
    "api.things.create": (
        SYNC + ") -> Resp | ErrorResponse | None: ...\n"
        "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n"
    ),
}


@pytest.mark.parametrize(
    ("module", "source", "kind", "breaking", "message"),
    [
        (
            "models.req",
            "class Req:\n    name: str\n    size: float | int | Unset = UNSET\n",
            "attribute-type-changed",
            False,
            "generated_client.models.req.Req.size changed from `int | Unset` to `float | int | Unset`"
            " (a model the client sends)",
        ),
        (
            "models.resp",
            "class Resp:\n    id: str | int\n    kind: Kind | Unset = UNSET\n",
            "attribute-type-changed",
            True,
            "generated_client.models.resp.Resp.id changed from `str` to `str | int` (a model the client reads)",
        ),
        (
            "models.req",
            "class Req:\n    name: str\n    size: int | Unset = UNSET\n    tag: str\n",
            "attribute-added",
            True,
            "generated_client.models.req.Req.tag added (required, `str`)",
        ),
        (
            "models.resp",
            "class Resp:\n    id: str\n    kind: Kind | Unset = UNSET\n    tag: str\n",
            "attribute-added",
            False,
            "generated_client.models.resp.Resp.tag added (required, `str`)",
        ),
        (
            "models.kind",
            "Kind = Literal['a', 'b', 'c']\n",
            "annotation-changed",
            True,
            "alias generated_client.models.kind.Kind changed from `Literal['a', 'b']` to `Literal['a', 'b', 'c']`"
            " (a model the client reads)",
        ),
        (
            "models.__init__",
            "__all__ = ('Req', 'Resp')\n",
            "export-removed",
            True,
            "generated_client.models.__all__: `Kind` removed",
        ),
        (
            "api.things.create",
            "def sync(*, client: Client, body: Req) -> Resp | ErrorResponse | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n",
            "parameter-removed",
            True,
            "generated_client.api.things.create.sync(): parameter `dry_run` removed",
        ),
        (
            "api.things.create",
            SYNC + ", trace: str = '') -> Resp | ErrorResponse | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n",
            "parameter-added",
            False,
            "generated_client.api.things.create.sync(): optional parameter `trace` added",
        ),
        (
            "api.things.create",
            SYNC + ") -> Resp | ErrorResponse | DetailError | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n",
            "return-type-changed",
            False,
            "generated_client.api.things.create.sync() returns `Resp | ErrorResponse | DetailError | None`"
            " instead of `Resp | ErrorResponse | None`",
        ),
        (
            "api.things.create",
            SYNC + ") -> Resp | ErrorResponse | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp | ErrorResponse]: ...\n",
            "return-type-changed",
            True,
            "generated_client.api.things.create.sync_detailed() returns `Response[Resp | ErrorResponse]`"
            " instead of `Response[Resp]`",
        ),
        ("models.kind", None, "module-removed", True, "module generated_client.models.kind removed"),
    ],
)
def test_generated_api_changes(
    tmp_path: Path, module: str, source: str | None, kind: str, breaking: bool, message: str
) -> None:
    """The generated-API rules on small packages of the generator's shape (the real generator runs in one test)."""
    new_sources = dict(GENERATED_OLD)
    if source is None:
        new_sources.pop(module)
    else:
        new_sources[module] = source
    old = scan(GENERATED_OLD, tmp_path / "old")
    new = scan(new_sources, tmp_path / "new")
    found = list(spec_diff.compare_generated(old, new))
    assert [(c.kind, c.breaking, c.message) for c in found] == [(kind, breaking, message)]
