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
    assert "module embedkit_generated.models.model_card_type removed" in api_breaking
    assert (
        "embedkit_generated.models.model_card.ModelCard.type_ changed from `ModelCardType | Unset` to `str | Unset`"
        " (a model the client reads)"
    ) in api_breaking
    api_compatible = {c["message"] for c in report["generated_api"]["compatible"]}
    assert "module embedkit_generated.models.legacy_validation_error added" in api_compatible
    assert (
        "embedkit_generated.models.error_response.ErrorResponse.request_id added (optional, `str | Unset`)"
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
    package = tmp_path / "embedkit_generated"
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
            "embedkit_generated.models.req.Req.size changed from `int | Unset` to `float | int | Unset`"
            " (a model the client sends)",
        ),
        (
            "models.resp",
            "class Resp:\n    id: str | int\n    kind: Kind | Unset = UNSET\n",
            "attribute-type-changed",
            True,
            "embedkit_generated.models.resp.Resp.id changed from `str` to `str | int` (a model the client reads)",
        ),
        (
            "models.req",
            "class Req:\n    name: str\n    size: int | Unset = UNSET\n    tag: str\n",
            "attribute-added",
            True,
            "embedkit_generated.models.req.Req.tag added (required, `str`)",
        ),
        (
            "models.resp",
            "class Resp:\n    id: str\n    kind: Kind | Unset = UNSET\n    tag: str\n",
            "attribute-added",
            False,
            "embedkit_generated.models.resp.Resp.tag added (required, `str`)",
        ),
        (
            "models.kind",
            "Kind = Literal['a', 'b', 'c']\n",
            "annotation-changed",
            True,
            "alias embedkit_generated.models.kind.Kind changed from `Literal['a', 'b']` to `Literal['a', 'b', 'c']`"
            " (a model the client reads)",
        ),
        (
            "models.__init__",
            "__all__ = ('Req', 'Resp')\n",
            "export-removed",
            True,
            "embedkit_generated.models.__all__: `Kind` removed",
        ),
        (
            "api.things.create",
            "def sync(*, client: Client, body: Req) -> Resp | ErrorResponse | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n",
            "parameter-removed",
            True,
            "embedkit_generated.api.things.create.sync(): parameter `dry_run` removed",
        ),
        (
            "api.things.create",
            SYNC + ", trace: str = '') -> Resp | ErrorResponse | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n",
            "parameter-added",
            False,
            "embedkit_generated.api.things.create.sync(): optional parameter `trace` added",
        ),
        (
            "api.things.create",
            SYNC + ") -> Resp | ErrorResponse | DetailError | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp]: ...\n",
            "return-type-changed",
            False,
            "embedkit_generated.api.things.create.sync() returns `Resp | ErrorResponse | DetailError | None`"
            " instead of `Resp | ErrorResponse | None`",
        ),
        (
            "api.things.create",
            SYNC + ") -> Resp | ErrorResponse | None: ...\n"
            "def sync_detailed(*, client: Client, body: Req) -> Response[Resp | ErrorResponse]: ...\n",
            "return-type-changed",
            True,
            "embedkit_generated.api.things.create.sync_detailed() returns `Response[Resp | ErrorResponse]`"
            " instead of `Response[Resp]`",
        ),
        ("models.kind", None, "module-removed", True, "module embedkit_generated.models.kind removed"),
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


# --------------------------------------------------------------------------------------------- narrowing
# Issue 19, point 4: the keywords that narrow or widen a value without changing its type.


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def clone(spec: Spec, name: str, as_name: str) -> dict[str, str]:
    """Copy schema `name` as `as_name` (a new union member of the same shape) and return a `$ref` to the copy."""
    schemas(spec)[as_name] = copy.deepcopy(schemas(spec)[name])
    return ref(as_name)


def constrained() -> Spec:
    """base() with the keywords the narrowing rules read: bounds, lengths, patterns, formats, defaults, unions."""
    spec = base()
    shape = {"type": "object", "required": ["shape"], "properties": {"shape": {"type": "string"}}}
    schemas(spec).update(
        Circle=copy.deepcopy(shape),
        Square=copy.deepcopy(shape),
        Oval=copy.deepcopy(shape),
        PartC={"type": "object", "properties": {"a": {"type": "string"}}},
    )
    request = props(spec, "ThingRequest")
    request["name"].update(pattern="^[a-z]+$", maxLength=64)
    request["size"].update(default=1, minimum=0, maximum=100)
    request.update(
        labels={"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 5},
        step={"type": "number", "multipleOf": 0.5},
        when={"type": "string", "format": "date-time"},
        kind={"const": "thing"},
        shape={
            "oneOf": [ref("Circle"), ref("Square"), ref("Oval")],
            "discriminator": {
                "propertyName": "shape",
                "mapping": {"circle": "#/components/schemas/Circle", "square": "#/components/schemas/Square"},
            },
        },
        extra={"type": "object", "additionalProperties": {"type": "string"}},
    )
    thing = schemas(spec)["Thing"]
    thing["additionalProperties"] = False
    response = props(spec, "Thing")
    response["id"].update(pattern="^t_[0-9]+$")
    response["count"].update(minimum=0, maximum=1, default=0)
    response["tags"].update(maxItems=10)
    response["part"] = {
        "oneOf": [ref("PartA"), ref("PartB"), ref("PartC")],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"a": "#/components/schemas/PartA", "b": "#/components/schemas/PartB"},
        },
    }
    response.update(created_at={"type": "string", "format": "date-time"}, kind={"const": "thing"})
    post(spec)["parameters"].append({"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}})
    return spec


REQ = "request field `{}` [ThingRequest]"
RESP = "response field `{}` [Thing]"

# (id, edit, kind, breaking, message) on constrained(); each edit must produce exactly this one change.
NARROWING_CASES: list[tuple[str, Callable[[Spec], None], str | None, bool, str]] = [
    # default: a promise both ways
    (
        "request default changed",
        lambda s: props(s, "ThingRequest")["size"].update(default=2),
        "default-changed",
        True,
        REQ.format("size") + " `default` changed from 1 to 2 (an omitted field now means another value)",
    ),
    (
        "request default removed",
        lambda s: props(s, "ThingRequest")["size"].pop("default"),
        "default-removed",
        True,
        REQ.format("size") + " no longer has `default: 1` (what an omitted field means is no longer documented)",
    ),
    (
        "request default added",
        lambda s: props(s, "ThingRequest")["step"].update(default=1.5),
        "default-added",
        False,
        REQ.format("step") + " now has `default: 1.5`",
    ),
    (
        "response default changed",
        lambda s: props(s, "Thing")["count"].update(default=0.5),
        "default-changed",
        True,
        RESP.format("count") + " `default` changed from 0 to 0.5"
        " (a reader filling in the documented default for an absent key now gets another value)",
    ),
    (
        "response default added",
        lambda s: props(s, "Thing")["name"].update(default="x"),
        "default-added",
        False,
        RESP.format("name") + ' now has `default: "x"`',
    ),
    # numeric bounds, both spellings of exclusive
    (
        "request minimum added",
        lambda s: props(s, "ThingRequest")["step"].update(minimum=0),
        "constraint-added",
        True,
        REQ.format("step") + " now has `minimum: 0`",
    ),
    (
        "request maximum tightened",
        lambda s: props(s, "ThingRequest")["size"].update(maximum=50),
        "constraint-tightened",
        True,
        REQ.format("size") + " upper bound tightened from `maximum: 100` to `maximum: 50`",
    ),
    (
        "request maximum loosened",
        lambda s: props(s, "ThingRequest")["size"].update(maximum=200),
        "constraint-loosened",
        False,
        REQ.format("size") + " upper bound loosened from `maximum: 100` to `maximum: 200`",
    ),
    (
        "request minimum removed",
        lambda s: props(s, "ThingRequest")["size"].pop("minimum"),
        "constraint-removed",
        False,
        REQ.format("size") + " no longer has `minimum: 0`",
    ),
    (
        "request maximum made exclusive (3.1 number)",
        lambda s: props(s, "ThingRequest")["size"].update(
            exclusiveMaximum=props(s, "ThingRequest")["size"].pop("maximum")
        ),
        "constraint-tightened",
        True,
        REQ.format("size") + " upper bound tightened from `maximum: 100` to `exclusiveMaximum: 100`",
    ),
    (
        "request minimum made exclusive (3.0 boolean)",
        lambda s: props(s, "ThingRequest")["size"].update(exclusiveMinimum=True),
        "constraint-tightened",
        True,
        REQ.format("size") + " lower bound tightened from `minimum: 0` to `minimum: 0, exclusiveMinimum: true`",
    ),
    (
        "integer bound respelled",
        lambda s: props(s, "ThingRequest")["size"].update(
            exclusiveMinimum=props(s, "ThingRequest")["size"].pop("minimum") - 1
        ),
        None,
        False,
        "",
    ),
    (
        "response maximum loosened",
        lambda s: props(s, "Thing")["count"].update(maximum=2),
        "constraint-loosened",
        True,
        RESP.format("count") + " upper bound loosened from `maximum: 1` to `maximum: 2`",
    ),
    (
        "response minimum removed",
        lambda s: props(s, "Thing")["count"].pop("minimum"),
        "constraint-removed",
        True,
        RESP.format("count") + " no longer has `minimum: 0`",
    ),
    (
        "response maximum tightened",
        lambda s: props(s, "Thing")["count"].update(maximum=0.5),
        "constraint-tightened",
        False,
        RESP.format("count") + " upper bound tightened from `maximum: 1` to `maximum: 0.5`",
    ),
    (
        "response minimum added on a nullable field",
        lambda s: props(s, "Thing")["score"].update(minimum=0),
        "constraint-added",
        False,
        RESP.format("score") + " now has `minimum: 0`",
    ),
    (
        "query parameter maximum tightened",
        lambda s: post(s)["parameters"][1]["schema"].update(maximum=10),
        "constraint-tightened",
        True,
        "query parameter `limit` upper bound tightened from `maximum: 100` to `maximum: 10`",
    ),
    # lengths and item counts, at any depth
    (
        "request maxLength tightened",
        lambda s: props(s, "ThingRequest")["name"].update(maxLength=32),
        "constraint-tightened",
        True,
        REQ.format("name") + " `maxLength` tightened from 64 to 32",
    ),
    (
        "request minLength added",
        lambda s: props(s, "ThingRequest")["name"].update(minLength=1),
        "constraint-added",
        True,
        REQ.format("name") + " now has `minLength: 1`",
    ),
    (
        "request maxLength removed",
        lambda s: props(s, "ThingRequest")["name"].pop("maxLength"),
        "constraint-removed",
        False,
        REQ.format("name") + " no longer has `maxLength: 64`",
    ),
    (
        "request array items maxLength tightened",
        lambda s: props(s, "ThingRequest")["labels"]["items"].update(maxLength=5),
        "constraint-tightened",
        True,
        "request field `labels[]` `maxLength` tightened from 10 to 5",
    ),
    (
        "request maxItems tightened",
        lambda s: props(s, "ThingRequest")["labels"].update(maxItems=3),
        "constraint-tightened",
        True,
        REQ.format("labels") + " `maxItems` tightened from 5 to 3",
    ),
    (
        "request minItems added",
        lambda s: props(s, "ThingRequest")["labels"].update(minItems=1),
        "constraint-added",
        True,
        REQ.format("labels") + " now has `minItems: 1`",
    ),
    (
        "request maxItems removed",
        lambda s: props(s, "ThingRequest")["labels"].pop("maxItems"),
        "constraint-removed",
        False,
        REQ.format("labels") + " no longer has `maxItems: 5`",
    ),
    (
        "response maxItems loosened",
        lambda s: props(s, "Thing")["tags"].update(maxItems=20),
        "constraint-loosened",
        True,
        RESP.format("tags") + " `maxItems` loosened from 10 to 20",
    ),
    (
        "response maxItems tightened",
        lambda s: props(s, "Thing")["tags"].update(maxItems=5),
        "constraint-tightened",
        False,
        RESP.format("tags") + " `maxItems` tightened from 10 to 5",
    ),
    (
        "response maxItems removed",
        lambda s: props(s, "Thing")["tags"].pop("maxItems"),
        "constraint-removed",
        True,
        RESP.format("tags") + " no longer has `maxItems: 10`",
    ),
    (
        "response minLength added in array items",
        lambda s: props(s, "Tag")["label"].update(minLength=1),
        "constraint-added",
        False,
        "response field `tags[].label` [Tag] now has `minLength: 1`",
    ),
    # pattern
    (
        "request pattern added in an anyOf",
        lambda s: props(s, "ThingRequest")["note"]["anyOf"][0].update(pattern="^x"),
        "constraint-added",
        True,
        REQ.format("note") + ' now has `pattern: "^x"`',
    ),
    (
        "request pattern changed",
        lambda s: props(s, "ThingRequest")["name"].update(pattern="^[a-z0-9]+$"),
        "constraint-changed",
        True,
        REQ.format("name") + ' `pattern` changed from "^[a-z]+$" to "^[a-z0-9]+$"',
    ),
    (
        "request pattern removed",
        lambda s: props(s, "ThingRequest")["name"].pop("pattern"),
        "constraint-removed",
        False,
        REQ.format("name") + ' no longer has `pattern: "^[a-z]+$"`',
    ),
    (
        "response pattern removed",
        lambda s: props(s, "Thing")["id"].pop("pattern"),
        "constraint-removed",
        True,
        RESP.format("id") + ' no longer has `pattern: "^t_[0-9]+$"`',
    ),
    (
        "response pattern changed",
        lambda s: props(s, "Thing")["id"].update(pattern="^t_[0-9a-f]+$"),
        "constraint-changed",
        True,
        RESP.format("id") + ' `pattern` changed from "^t_[0-9]+$" to "^t_[0-9a-f]+$"',
    ),
    (
        "response pattern added",
        lambda s: props(s, "Thing")["name"].update(pattern="^[A-Z]"),
        "constraint-added",
        False,
        RESP.format("name") + ' now has `pattern: "^[A-Z]"`',
    ),
    (
        "response header pattern added",
        lambda s: post(s)["responses"]["200"]["headers"]["x-request-id"]["schema"].update(pattern="^req_"),
        "constraint-added",
        False,
        'response header `x-request-id` now has `pattern: "^req_"`',
    ),
    # uniqueItems, multipleOf
    (
        "request uniqueItems added",
        lambda s: props(s, "ThingRequest")["labels"].update(uniqueItems=True),
        "constraint-added",
        True,
        REQ.format("labels") + " now has `uniqueItems: true`",
    ),
    (
        "response uniqueItems added",
        lambda s: props(s, "Thing")["tags"].update(uniqueItems=True),
        "constraint-added",
        False,
        RESP.format("tags") + " now has `uniqueItems: true`",
    ),
    (
        "request multipleOf tightened",
        lambda s: props(s, "ThingRequest")["step"].update(multipleOf=1),
        "constraint-tightened",
        True,
        REQ.format("step") + " `multipleOf` tightened from 0.5 to 1",
    ),
    (
        "request multipleOf loosened",
        lambda s: props(s, "ThingRequest")["step"].update(multipleOf=0.25),
        "constraint-loosened",
        False,
        REQ.format("step") + " `multipleOf` loosened from 0.5 to 0.25",
    ),
    (
        "request multipleOf changed",
        lambda s: props(s, "ThingRequest")["step"].update(multipleOf=0.3),
        "constraint-changed",
        True,
        REQ.format("step") + " `multipleOf` changed from 0.5 to 0.3",
    ),
    (
        "response multipleOf added",
        lambda s: props(s, "Thing")["count"].update(multipleOf=0.1),
        "constraint-added",
        False,
        RESP.format("count") + " now has `multipleOf: 0.1`",
    ),
    # format
    (
        "request format added",
        lambda s: props(s, "ThingRequest")["name"].update(format="email"),
        "constraint-added",
        True,
        REQ.format("name") + ' now has `format: "email"`',
    ),
    (
        "request format changed",
        lambda s: props(s, "ThingRequest")["when"].update(format="date"),
        "constraint-changed",
        True,
        REQ.format("when") + ' `format` changed from "date-time" to "date"',
    ),
    (
        "request format removed",
        lambda s: props(s, "ThingRequest")["when"].pop("format"),
        "constraint-removed",
        False,
        REQ.format("when") + ' no longer has `format: "date-time"`',
    ),
    (
        "response format removed",
        lambda s: props(s, "Thing")["created_at"].pop("format"),
        "constraint-removed",
        True,
        RESP.format("created_at") + ' no longer has `format: "date-time"`',
    ),
    (
        "response format added",
        lambda s: props(s, "Thing")["id"].update(format="uuid"),
        "constraint-added",
        False,
        RESP.format("id") + ' now has `format: "uuid"`',
    ),
    # const, the one-value enum
    (
        "request const changed",
        lambda s: props(s, "ThingRequest")["kind"].update(const="other"),
        "const-changed",
        True,
        REQ.format("kind") + ' changed from `const: "thing"` to `const: "other"`',
    ),
    (
        "request const widened to an enum",
        lambda s: props(s, "ThingRequest").update(kind={"enum": ["thing", "other"]}),
        "const-changed",
        False,
        REQ.format("kind") + ' changed from `const: "thing"` to `enum: ["other", "thing"]`',
    ),
    (
        "request const added",
        lambda s: props(s, "ThingRequest")["name"].update(const="x"),
        "const-added",
        True,
        REQ.format("name") + ' is now restricted to `const: "x"`',
    ),
    (
        "response const widened to an enum",
        lambda s: props(s, "Thing").update(kind={"enum": ["thing", "other"]}),
        "const-changed",
        True,
        RESP.format("kind") + ' changed from `const: "thing"` to `enum: ["other", "thing"]`',
    ),
    (
        "response const removed",
        lambda s: props(s, "Thing")["kind"].pop("const"),
        "const-removed",
        True,
        RESP.format("kind") + ' no longer has `const: "thing"`',
    ),
    # additionalProperties
    (
        "request body closed",
        lambda s: schemas(s)["ThingRequest"].update(additionalProperties=False),
        "additional-properties-changed",
        True,
        "request body `additionalProperties` changed from `true` to `false` (keys that were accepted are refused)",
    ),
    (
        "request object closed from a schema",
        lambda s: props(s, "ThingRequest")["extra"].update(additionalProperties=False),
        "additional-properties-changed",
        True,
        REQ.format("extra") + " `additionalProperties` changed from a schema to `false`"
        " (keys that were accepted are refused)",
    ),
    (
        "request object opened",
        lambda s: props(s, "ThingRequest")["extra"].update(additionalProperties=True),
        "additional-properties-changed",
        False,
        REQ.format("extra") + " `additionalProperties` changed from a schema to `true`",
    ),
    (
        "request additionalProperties schema narrowed",
        lambda s: props(s, "ThingRequest")["extra"]["additionalProperties"].update(maxLength=3),
        "constraint-added",
        True,
        "request field `extra.*` now has `maxLength: 3`",
    ),
    (
        "response body opened",
        lambda s: schemas(s)["Thing"].pop("additionalProperties"),
        "additional-properties-changed",
        True,
        "response body `additionalProperties` changed from `false` to `true`"
        " (a reader that refuses unknown keys fails)",
    ),
    (
        "response object closed",
        lambda s: schemas(s)["Tag"].update(additionalProperties=False),
        "additional-properties-changed",
        False,
        "response field `tags[]` `additionalProperties` changed from `true` to `false`",
    ),
    # oneOf/anyOf members
    (
        "request variant removed",
        lambda s: props(s, "ThingRequest")["shape"]["oneOf"].pop(),
        "variant-removed",
        True,
        REQ.format("shape") + " `oneOf` variant `Oval` removed",
    ),
    (
        "request variant added",
        lambda s: props(s, "ThingRequest")["shape"]["oneOf"].append(clone(s, "Oval", "Hexagon")),
        "variant-added",
        False,
        REQ.format("shape") + " `oneOf` variant `Hexagon` added",
    ),
    (
        "response variant added",
        lambda s: props(s, "Thing")["part"]["oneOf"].append(clone(s, "PartC", "PartD")),
        "variant-added",
        True,
        RESP.format("part") + " `oneOf` variant `PartD` added (an old client cannot read a value of it)",
    ),
    (
        "response variant removed",
        lambda s: props(s, "Thing")["part"]["oneOf"].pop(),
        "variant-removed",
        False,
        RESP.format("part") + " `oneOf` variant `PartC` removed",
    ),
    (
        "response oneOf loosened to anyOf",
        lambda s: props(s, "Thing")["part"].update(anyOf=props(s, "Thing")["part"].pop("oneOf")),
        "union-changed",
        True,
        RESP.format("part") + " changed from `oneOf` to `anyOf`",
    ),
    # discriminator
    (
        "request discriminator property changed",
        lambda s: props(s, "ThingRequest")["shape"]["discriminator"].update(propertyName="form"),
        "discriminator-changed",
        True,
        REQ.format("shape") + " `discriminator` property changed from `shape` to `form`",
    ),
    (
        "request discriminator mapping added",
        lambda s: props(s, "ThingRequest")["shape"]["discriminator"]["mapping"].update(
            oval="#/components/schemas/Oval"
        ),
        "discriminator-mapping-added",
        False,
        REQ.format("shape") + " `discriminator` mapping `oval` added (Oval)",
    ),
    (
        "request discriminator mapping changed",
        lambda s: props(s, "ThingRequest")["shape"]["discriminator"]["mapping"].update(
            circle="#/components/schemas/Oval"
        ),
        "discriminator-mapping-changed",
        True,
        REQ.format("shape") + " `discriminator` mapping `circle` changed from Circle to Oval",
    ),
    (
        "response discriminator mapping added",
        lambda s: props(s, "Thing")["part"]["discriminator"]["mapping"].update(c="#/components/schemas/PartC"),
        "discriminator-mapping-added",
        True,
        RESP.format("part") + " `discriminator` mapping `c` added (PartC)",
    ),
    (
        "response discriminator mapping removed",
        lambda s: props(s, "Thing")["part"]["discriminator"]["mapping"].pop("b"),
        "discriminator-mapping-removed",
        True,
        RESP.format("part") + " `discriminator` mapping `b` removed (was PartB)",
    ),
    # readOnly, writeOnly, deprecated
    (
        "request field becomes readOnly",
        lambda s: props(s, "ThingRequest")["size"].update(readOnly=True),
        "read-only-changed",
        True,
        REQ.format("size") + " is now `readOnly` (the server no longer takes it from requests)",
    ),
    (
        "response field becomes readOnly",
        lambda s: props(s, "Thing")["id"].update(readOnly=True),
        "read-only-changed",
        False,
        RESP.format("id") + " is now `readOnly`",
    ),
    (
        "response field becomes writeOnly",
        lambda s: props(s, "Thing")["count"].update(writeOnly=True),
        "write-only-changed",
        True,
        RESP.format("count") + " is now `writeOnly` (the server no longer sends it)",
    ),
    (
        "request field becomes writeOnly",
        lambda s: props(s, "ThingRequest")["step"].update(writeOnly=True),
        "write-only-changed",
        False,
        REQ.format("step") + " is now `writeOnly`",
    ),
    (
        "request field deprecated",
        lambda s: props(s, "ThingRequest")["size"].update(deprecated=True),
        "deprecated-changed",
        False,
        REQ.format("size") + " is now `deprecated`",
    ),
    (
        "response field deprecated",
        lambda s: props(s, "Thing")["count"].update(deprecated=True),
        "deprecated-changed",
        False,
        RESP.format("count") + " is now `deprecated`",
    ),
    (
        "parameter deprecated",
        lambda s: post(s)["parameters"][0].update(deprecated=True),
        "deprecated-changed",
        False,
        "POST /v1/things (create_thing): query parameter `dry_run` is now deprecated",
    ),
    (
        "operation deprecated",
        lambda s: post(s).update(deprecated=True),
        "deprecated-changed",
        False,
        "POST /v1/things (create_thing): operation is now deprecated",
    ),
]


@pytest.mark.parametrize(
    ("edit", "kind", "breaking", "message"), [c[1:] for c in NARROWING_CASES], ids=[c[0] for c in NARROWING_CASES]
)
def test_each_class_of_narrowing(
    tmp_path: Path, edit: Callable[[Spec], None], kind: str | None, breaking: bool, message: str
) -> None:
    found = changes(tmp_path, edit, old=constrained())
    if kind is None:  # the same constraint spelled another way
        assert found == []
        return
    assert [(c.kind, c.breaking, c.message) for c in found] == [(kind, breaking, message)]


def batch_contract(timeout_hours: dict[str, Any]) -> Spec:
    """base() with Mistral's batch-job create request, its `timeout_hours` as given."""
    spec = base()
    schemas(spec)["CreateBatchJobRequest"] = {
        "type": "object",
        "required": ["model"],
        "properties": {"model": {"type": "string"}, "timeout_hours": timeout_hours},
    }
    spec["paths"]["/v1/batch/jobs"] = {
        "post": {
            "operationId": "create_batch_job",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("CreateBatchJobRequest")}},
            },
            "responses": {"200": {"description": "ok"}},
        }
    }
    return spec


def test_timeout_hours_gaining_bounds_breaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Mistral's June -> August 2026 documents: `timeout_hours` gained `minimum: 1, maximum: 168`.

    The report said "COMPATIBLE: nothing breaks", though a request with `timeout_hours: 500` became invalid.
    """
    june = write(tmp_path, "june.yaml", batch_contract({"type": "integer", "default": 24}))
    august = write(
        tmp_path, "august.yaml", batch_contract({"type": "integer", "default": 24, "minimum": 1, "maximum": 168})
    )
    field = "request field `timeout_hours` [CreateBatchJobRequest]"
    report = spec_diff.diff(june, august, generated=False)
    assert [(c.kind, c.breaking, c.message, c.locations) for c in report.contract] == [
        ("constraint-added", True, f"{field} now has `minimum: 1`", ["create_batch_job"]),
        ("constraint-added", True, f"{field} now has `maximum: 168`", ["create_batch_job"]),
    ]
    status, out, _ = run([str(june), str(august), "--no-generated"], capsys)
    assert status == 1
    assert f"BREAKING (2)\n  - {field} now has `minimum: 1`\n      at create_batch_job\n" in out
    # The reverse, bounds dropped, accepts every request that was valid: compatible.
    report = spec_diff.diff(august, june, generated=False)
    assert [(c.kind, c.breaking, c.message) for c in report.contract] == [
        ("constraint-removed", False, f"{field} no longer has `minimum: 1`"),
        ("constraint-removed", False, f"{field} no longer has `maximum: 168`"),
    ]
    status, out, _ = run([str(august), str(june), "--no-generated"], capsys)
    assert status == 0
    assert out.rstrip().endswith("Result: COMPATIBLE: nothing breaks")


def test_a_constraint_on_a_shared_schema_is_reported_once(tmp_path: Path) -> None:
    spec = base()
    spec["paths"]["/v1/others"]["get"]["responses"]["400"] = copy.deepcopy(post(spec)["responses"]["400"])
    found = changes(tmp_path, lambda s: props(s, "Error")["message"].update(maxLength=200), old=spec)
    assert [(c.kind, c.breaking, c.message, c.locations) for c in found] == [
        (
            "constraint-added",
            False,
            "response field `message` [Error] now has `maxLength: 200`",
            ["list_others 400", "create_thing 400"],
        )
    ]


def test_deprecation_is_its_own_line_beside_a_breaking_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = constrained()
    props(new, "ThingRequest")["size"].update(deprecated=True, maximum=50)
    old = write(tmp_path, "old.yaml", constrained())
    status, out, _ = run([str(old), str(write(tmp_path, "new.yaml", new)), "--no-generated", "--json"], capsys)
    report = json.loads(out)
    assert status == 1
    assert [c["message"] for c in report["contract"]["breaking"]] == [
        REQ.format("size") + " upper bound tightened from `maximum: 100` to `maximum: 50`"
    ]
    assert [c["message"] for c in report["contract"]["compatible"]] == [REQ.format("size") + " is now `deprecated`"]


# --------------------------------------------------------------------------------------------- the real contract
# openapi.yaml is being restructured: the targets are found by following the embeddings operation's request
# schema through $ref, allOf, anyOf and oneOf, never by a fixed path into components.


def deref(spec: Spec, obj: Any) -> Any:
    """The object a local `$ref` chain ends at (the same dict as in `spec`, so edits land in the contract)."""
    for _ in range(32):
        if not isinstance(obj, dict) or "$ref" not in obj:
            return obj
        target: Any = spec
        for part in str(obj["$ref"])[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        obj = target
    raise AssertionError("a $ref chain does not end")


def reachable(spec: Spec, schema: Any, items: bool = False) -> list[dict[str, Any]]:
    """Every schema object a value of `schema` is checked against: itself, its $ref targets, its allOf/anyOf/oneOf
    parts (and, with `items`, its arrays' items), each once; the raw objects, so a `default` beside a `$ref` counts.
    """
    found: list[dict[str, Any]] = []
    pending = [schema]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, dict) or any(current is seen for seen in found):
            continue
        found.append(current)
        if "$ref" in current:
            pending.append(deref(spec, current))
        for keyword in ("allOf", "anyOf", "oneOf"):
            pending += current.get(keyword, [])
        if items and "items" in current:
            pending.append(current["items"])
    return found


def of_type(node: dict[str, Any], name: str) -> bool:
    declared = node.get("type")
    return declared == name or (isinstance(declared, list) and name in declared)


def embeddings_request(spec: Spec) -> Any:
    item = deref(spec, spec["paths"]["/v1/embeddings"])
    body = deref(spec, item["post"]["requestBody"])
    return body["content"]["application/json"]["schema"]


def request_property(spec: Spec, name: str) -> Any:
    """The schema of the embeddings request's property `name`, wherever the request schema declares it."""
    for node in reachable(spec, embeddings_request(spec)):
        if name in node.get("properties", {}):
            return node["properties"][name]
    raise AssertionError(f"the embeddings request has no property {name!r}")


def update(spec: Spec, field: str, kind: str, items: bool = False, **keywords: Any) -> None:
    """Set `keywords` on every node of type `kind` reached from the request field (at least one must exist)."""
    nodes = [n for n in reachable(spec, request_property(spec, field), items) if of_type(n, kind)]
    assert nodes, f"no {kind} node under the embeddings request's {field!r}"
    for node in nodes:
        node.update(keywords)


def change_default(spec: Spec, field: str, value: Any) -> None:
    """Change the field's default wherever the contract keeps it: beside the $ref, in an allOf part, in the enum."""
    holders = [n for n in reachable(spec, request_property(spec, field)) if "default" in n]
    assert holders, f"the embeddings request's {field!r} has no default"
    for holder in holders:
        assert holder["default"] != value
        holder["default"] = value


REAL_EDITS: list[tuple[str, Callable[[Spec], None], str, str]] = [
    # (id, edit, field, keyword): the message must name both
    ("maxItems on the input array", lambda s: update(s, "input", "array", maxItems=256), "input", "maxItems"),
    ("minItems on the input array", lambda s: update(s, "input", "array", minItems=2), "input", "minItems"),
    (
        "minimum on output_dimension",
        lambda s: update(s, "output_dimension", "integer", minimum=256),
        "output_dimension",
        "minimum",
    ),
    (
        "maximum on output_dimension",
        lambda s: update(s, "output_dimension", "integer", maximum=512),
        "output_dimension",
        "maximum",
    ),
    (
        "maxLength on the input strings",
        lambda s: update(s, "input", "string", items=True, maxLength=100),
        "input",
        "maxLength",
    ),
    ("pattern on model", lambda s: update(s, "model", "string", pattern="^[a-z0-9-]+$"), "model", "pattern"),
    ("encoding_format default", lambda s: change_default(s, "encoding_format", "base64"), "encoding_format", "default"),
]


@pytest.mark.parametrize(("edit", "field", "keyword"), [e[1:] for e in REAL_EDITS], ids=[e[0] for e in REAL_EDITS])
def test_narrowing_the_real_embeddings_request_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[Spec], None], field: str, keyword: str
) -> None:
    """Each of issue 19's seven edits to openapi.yaml printed "COMPATIBLE: nothing breaks" before."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    old = write(tmp_path, "old.yaml", spec)
    changed = copy.deepcopy(spec)
    edit(changed)
    new = write(tmp_path, "new.yaml", changed)
    report = spec_diff.diff(old, new, generated=False)
    assert report.breaking
    named = [c for c in report.contract if f"request field `{field}" in c.message and f"`{keyword}" in c.message]
    assert named, [c.message for c in report.contract]
    assert [c.message for c in named if not c.breaking] == []
    status, out, _ = run([str(old), str(new), "--no-generated"], capsys)
    assert status == 1
    assert out.rstrip().endswith("Result: BREAKING: existing users are affected")


def test_allof_part_requiring_what_another_part_defines(tmp_path: Path) -> None:
    """Mistral's `EmbeddingResponse` is `allOf: [ResponseBase, {properties: {data}, required: [id, ..., data]}]`:
    `id` is defined by one part and required by the other, and is required all the same."""

    def split_thing(spec: Spec, required: list[str]) -> None:
        properties = dict(props(spec, "Thing"))
        tags = properties.pop("tags")
        schemas(spec)["ThingBase"] = {"type": "object", "properties": properties}
        schemas(spec)["Thing"] = {
            "allOf": [ref("ThingBase"), {"type": "object", "properties": {"tags": tags}, "required": required}]
        }

    old = base()
    split_thing(old, ["id", "name"])
    same = changes(tmp_path, lambda spec: None, old=old)
    assert same == []
    found = changes(tmp_path, lambda spec: schemas(spec)["Thing"]["allOf"][1].update(required=["name"]), old=old)
    assert [(c.breaking, c.message) for c in found] == [(True, "response field `id` [Thing] is no longer required")]
