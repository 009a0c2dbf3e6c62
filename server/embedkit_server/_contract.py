"""openapi.yaml, loaded at start-up: the routes it declares and the request schemas requests are checked with.

Nothing here copies a schema: each operation's request body (JSON, or the fields of a multipart form) and its
path and query parameters are validated by jsonschema-rs against the contract's own schemas (rooted beside its
`components`, so `$ref`s resolve), and every problem found is reported as an `HTTPValidationError.detail` item
with the location of the offending value (`["body", "input", 3]`, `["query", "page"]`, `["path", "file_id"]`).
Parameters arrive as text and are read as their schema's type first (FastAPI's rules, strictly: an integer is
digits, a boolean `true` or `false`, and a parameter that is not an array may be given once); a nullable
parameter (`anyOf: [X, null]`) is read as X. Query names an operation does not declare are ignored, as Mistral's
FastAPI service ignores them, with one exception the contract itself makes: an object parameter (`metadata` of
`list_batch_jobs`) is read either from its own name as a JSON object (how FastAPI reads a `Json` query value) or,
when that name is absent, from the undeclared names, which is how OpenAPI serialises an object with the default
`style: form, explode: true` (and so how the official SDKs, generated from the same document, send it). Fields
of a multipart form are read like query parameters (FastAPI's form fields are text too).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

BUNDLED_SPEC = Path(__file__).with_name("openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Parameter:
    """One path or query parameter: its name, where it goes, and the validator of its (typed) value."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    validator: jsonschema_rs.Validator
    # The schema the text is read with: the non-null alternative of a nullable one, `$ref`s resolved.
    reading: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One operation of the contract, with the validators of its request body (if it takes one) and parameters."""

    path: str
    method: str
    operation_id: str
    body_validator: jsonschema_rs.Validator | None
    # "application/json" or "multipart/form-data" (None without a body).
    media_type: str | None = None
    parameters: tuple[Parameter, ...] = field(default=())
    # A multipart form's fields: name -> the schema its text is read with.
    form_fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def parameter_problems(
        self, path_values: dict[str, str], query: list[tuple[str, str]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The parameters read as their schemas' types, and every problem found (empty when all are valid)."""
        values: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        declared = {p.name for p in self.parameters if p.location == "query"}
        for parameter in self.parameters:
            loc = [parameter.location, parameter.name]
            if parameter.location == "path":
                given = [path_values[parameter.name]] if parameter.name in path_values else []
            else:
                given = [value for name, value in query if name == parameter.name]
            value: Any
            if given:
                try:
                    value = _read_parameter(parameter.reading, given)
                except ValueError as exc:
                    problems.append({"loc": loc, "msg": str(exc), "type": "parsing", "input": _small(given[-1])})
                    continue
            elif parameter.location == "query" and parameter.reading.get("type") == "object":
                # Exploded: the undeclared names are the object's properties (a repeated name keeps its last value).
                value = {name: text for name, text in query if name not in declared}
                if not value:
                    continue
            else:
                if parameter.required:
                    problems.append({"loc": loc, "msg": "Field required", "type": "missing", "input": None})
                continue
            errors = list(parameter.validator.iter_errors(value))
            for error in errors:
                problems.append(
                    {"loc": [*loc, *error.instance_path], "msg": _message(error), "type": error.kind.name,
                     "input": _small(error.instance)}
                )  # fmt: skip
            if not errors:
                values[parameter.name] = value
        return values, problems

    def form_problems(self, fields: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A multipart form's text fields read as their schemas' types, then validated as the request body."""
        read: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        for name, text in fields.items():
            try:
                read[name] = _read_parameter(self.form_fields.get(name, {}), [text])
            except ValueError as exc:
                problems.append({"loc": ["body", name], "msg": str(exc), "type": "parsing", "input": _small(text)})
        return read, problems + self.problems(read)

    def problems(self, body: Any) -> list[dict[str, Any]]:
        """Every way `body` breaks the request schema, as `detail` items; empty when it is valid."""
        if self.body_validator is None:
            return []
        try:
            errors = list(self.body_validator.iter_errors(body))
        except ValueError as exc:
            # A value jsonschema-rs cannot represent (an integer beyond 64 bits) cannot be valid here either.
            return [{"loc": ["body"], "msg": str(exc), "type": "value_error", "input": None}]
        detail: list[dict[str, Any]] = []
        for error in errors:
            detail.extend(_detail(error))
        return detail


def _read_parameter(schema: dict[str, Any], given: list[str]) -> Any:
    """A parameter's text read as its schema's type (ValueError saying why it cannot be)."""
    kind = schema.get("type")
    if kind == "array":
        return [_read_scalar(schema.get("items", {}), text) for text in given]
    if len(given) > 1:
        raise ValueError("Input should be a single value, not repeated")
    return _read_scalar(schema, given[0])


def _read_scalar(schema: dict[str, Any], text: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]+", text):
            raise ValueError("Input should be a valid integer, unable to parse string as an integer")
        return int(text)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError("Input should be a valid boolean, `true` or `false`")
        return text == "true"
    if kind == "object":
        # FastAPI's `Json` query value: the text is a JSON document, which the schema then checks.
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise ValueError("Invalid JSON: the value should be a JSON object") from None
    return text


def _reading_schema(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """What a parameter's text is read as: `anyOf: [X, null]` read as X, `$ref`s resolved (items included)."""
    schema = _resolve(schema, {"components": components})
    branches = [b for b in schema.get("anyOf", []) if _resolve(b, {"components": components}).get("type") != "null"]
    if len(branches) == 1:
        schema = _resolve(branches[0], {"components": components})
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema = {**schema, "items": _resolve(schema["items"], {"components": components})}
    return schema


def _detail(error: jsonschema_rs.ValidationError) -> list[dict[str, Any]]:
    loc: list[str | int] = ["body", *error.instance_path]
    kind = error.kind
    name = kind.name
    if name == "required":
        missing = kind.as_dict().get("property")
        return [{"loc": [*loc, missing], "msg": "Field required", "type": "missing", "input": _small(error.instance)}]
    if name == "additionalProperties":
        return [
            {"loc": [*loc, extra], "msg": "Extra inputs are not permitted", "type": "extra_forbidden", "input": None}
            for extra in kind.as_dict().get("unexpected", [])
        ]
    if name == "anyOf":
        # When one alternative matched the value's shape and failed deeper (an array with one non-string item),
        # its errors say more than "not valid under any of the given schemas".
        deeper = [
            sub
            for alternative in getattr(kind, "context", [])
            for sub in alternative
            if len(sub.instance_path) > len(error.instance_path)
        ]
        if deeper:
            return [item for sub in deeper for item in _detail(sub)]
        # When exactly one alternative has the value's type and failed on a constraint (10,001 inline requests
        # against `maxItems`, 0 against `exclusiveMinimum`), that constraint is what the caller needs to hear.
        shaped = [
            alternative
            for alternative in getattr(kind, "context", [])
            if alternative and not any(sub.kind.name == "type" for sub in alternative)
        ]
        if len(shaped) == 1:
            return [item for sub in shaped[0] for item in _detail(sub)]
    type_ = f"{kind.as_dict().get('types', ['value'])[0]}_type" if name == "type" else name
    return [{"loc": loc, "msg": _message(error), "type": type_, "input": _small(error.instance)}]


def _message(error: jsonschema_rs.ValidationError) -> str:
    """The validator's message, with a large offending value summarised as `_small` summarises `input`.

    jsonschema-rs writes the whole value into its message ("[...] has more than 10000 items"): echoing 10,001
    inline requests back would make a 422 larger than the request.
    """
    message = str(error.message)
    if len(message) <= 300:
        return message
    summary = _small(error.instance)
    try:
        rendered = json.dumps(error.instance, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, RecursionError):
        rendered = ""
    if not isinstance(summary, str) or not rendered or rendered not in message:
        return message[:300] + "…"
    return message.replace(rendered, summary)


def _small(value: Any) -> Any:
    # Echo the offending value, but not a whole 512-item batch, nor a structure nested too deeply to serialise
    # (orjson stops at 254 levels; a 422 must never become a 500).
    if isinstance(value, list | dict):
        if len(value) > 8 or _depth(value) > 16:
            return f"<{type(value).__name__} of {len(value)} items>"
        # Small, but it may hold what orjson cannot write (an integer beyond 64 bits: `expiry` of a form).
        if isinstance(value, dict):
            return {key: _small(item) for key, item in value.items()}
        return [_small(item) for item in value]
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return str(value)  # beyond what orjson writes (found by fuzzing: `page=-2857646412242552952455168`)
    return value


def _depth(value: Any, limit: int = 17) -> int:
    """Nesting depth of a JSON value, counted no further than `limit`."""
    if limit == 0 or not isinstance(value, list | dict):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


@dataclass(frozen=True)
class Contract:
    """The operations of one OpenAPI document, by path and method."""

    operations: dict[tuple[str, str], Operation]

    def __post_init__(self) -> None:
        # Templated routes (`/v1/files/{file_id}`) as patterns; a literal route wins over a template.
        patterns = {}
        for route, _ in self.operations:
            if "{" in route:
                regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route))
                patterns[route] = re.compile(f"^{regex}$")
        object.__setattr__(self, "_patterns", patterns)

    def route(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The contract's route serving `path` and the values of its path parameters, or None."""
        if any(route == path for route, _ in self.operations):
            return path, {}
        patterns: dict[str, re.Pattern[str]] = object.__getattribute__(self, "_patterns")
        for route, pattern in patterns.items():
            match = pattern.match(path)
            if match:
                return route, match.groupdict()
        return None

    @classmethod
    def load(cls, path: Path = BUNDLED_SPEC) -> Contract:
        """The contract of the document at `path`, read once a process for each version of the file.

        Reading it took 0.2 s, and a test suite starts hundreds of in-process servers (a stateful fuzz run, one
        per scenario); a contract is immutable, so every server of the process shares it.
        """
        status = path.stat()
        return _read_contract(path.resolve(), status.st_mtime_ns, status.st_size)

    @classmethod
    def read(cls, path: Path) -> Contract:
        """Read the document and compile a validator per request body."""
        # The C parser where PyYAML has it: six times faster on the 100 kB contract.
        with path.open("rb") as handle:
            spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe
        operations = {}
        components = spec["components"]
        for route, item in spec["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                operation = item[method]
                validator, media_type, form_fields = None, None, {}
                body = operation.get("requestBody")
                if body is not None:
                    media_type = next(iter(body["content"]))
                    schema = body["content"][media_type]["schema"]
                    validator = jsonschema_rs.Draft202012Validator({**schema, "components": components})
                    if media_type == "multipart/form-data":
                        properties = _resolve(schema, spec).get("properties", {})
                        form_fields = {name: _reading_schema(sub, components) for name, sub in properties.items()}
                parameters = tuple(
                    _parameter(_resolve(definition, spec), components)
                    for definition in [*item.get("parameters", []), *operation.get("parameters", [])]
                )
                operations[(route, method.upper())] = Operation(
                    route, method.upper(), operation["operationId"], validator, media_type, parameters, form_fields
                )
        return cls(operations)

    def methods(self, path: str) -> list[str]:
        """The methods the contract declares for the route serving `path` (empty when the path is unknown)."""
        found = self.route(path)
        if found is None:
            return []
        return sorted(method for route, method in self.operations if route == found[0])


def _resolve(definition: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in definition:
        node: Any = spec
        for part in definition["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        definition = node
    return definition


def _parameter(definition: dict[str, Any], components: dict[str, Any]) -> Parameter:
    schema = _resolve(definition["schema"], {"components": components})
    # Formats (uuid, date-time) are checked: FastAPI refuses a malformed id or date with a 422 too.
    validator = jsonschema_rs.Draft202012Validator(
        {**definition["schema"], "components": components}, validate_formats=True
    )
    return Parameter(
        definition["name"], definition["in"], bool(definition.get("required")), schema, validator,
        _reading_schema(definition["schema"], components),
    )  # fmt: skip


@functools.lru_cache(maxsize=8)
def _read_contract(path: Path, mtime_ns: int, size: int) -> Contract:
    """`Contract.read`, remembered by path and by what says the file changed (its modification time and size)."""
    del mtime_ns, size  # the cache's key only
    return Contract.read(path)
