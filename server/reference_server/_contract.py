"""openapi.yaml, loaded at start-up: the routes it declares and the request-body schemas bodies are checked with.

Nothing here copies a schema: each operation's request body is validated by jsonschema-rs against the
contract's own schema (rooted beside its `components`, so `$ref`s resolve), and every problem found is
reported as an `HTTPValidationError.detail` item with the location of the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

BUNDLED_SPEC = Path(__file__).with_name("openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation of the contract, with the validator of its JSON request body (if it takes one)."""

    path: str
    method: str
    operation_id: str
    body_validator: jsonschema_rs.Validator | None

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


def _detail(error: jsonschema_rs.ValidationError) -> list[dict[str, Any]]:
    loc: list[str | int] = ["body", *error.instance_path]
    kind = error.kind
    name = kind.name
    if name == "required":
        missing = kind.as_dict().get("property")
        return [{"loc": [*loc, missing], "msg": "Field required", "type": "missing", "input": error.instance}]
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
    type_ = f"{kind.as_dict().get('types', ['value'])[0]}_type" if name == "type" else name
    return [{"loc": loc, "msg": error.message, "type": type_, "input": _small(error.instance)}]


def _small(value: Any) -> Any:
    # Echo the offending value, but not a whole 512-item batch, nor a structure nested too deeply to serialise
    # (orjson stops at 254 levels; a 422 must never become a 500).
    if isinstance(value, list | dict) and (len(value) > 8 or _depth(value) > 16):
        return f"<{type(value).__name__} of {len(value)} items>"
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
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

    @classmethod
    def load(cls, path: Path = BUNDLED_SPEC) -> Contract:
        """Read the document and compile a validator per request body."""
        with path.open(encoding="utf-8") as handle:
            spec = yaml.safe_load(handle)
        operations = {}
        for route, item in spec["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                operation = item[method]
                validator = None
                body = operation.get("requestBody")
                if body is not None:
                    schema = body["content"]["application/json"]["schema"]
                    validator = jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]})
                operations[(route, method.upper())] = Operation(
                    route, method.upper(), operation["operationId"], validator
                )
        return cls(operations)

    def methods(self, path: str) -> list[str]:
        """The methods the contract declares for `path` (empty when the path is unknown)."""
        return sorted(method for route, method in self.operations if route == path)
