"""What a change of openapi.yaml breaks, for users of the generated client and of the wrapper.

`tools/spec_diff.py OLD NEW` compares two versions of the contract (paths; `--base REF` takes OLD from
`git show REF:openapi.yaml`, `--head REF` NEW likewise) and prints every change, each classified BREAKING or
COMPATIBLE, then what changed in the public API of the package the generator makes from each (modules,
classes, attributes, function signatures). It exits 1 when anything breaks, 0 when nothing does, 2 when it
cannot compare (unreadable file, unknown git ref, generator failure). `--json` prints it as one JSON object.

One module, not a package: the contract walk, the classification rules and the generated-API scan are read
together whenever a rule is questioned ("why is this breaking?"), every caller (`make spec-diff`, `make
generate`, the tests) uses the whole of it, and `tools/` holds scripts, not libraries. The generator runs only through
`codegen.generate`, the one place it is invoked.

Classification: who is hurt. Everything is judged from the client's side of the wire, in two directions.

- A request is what the client sends: the server must still accept every request that was valid before.
  Removing a field, parameter, enum value or type, making something required or no longer nullable, or
  narrowing a type breaks; the opposite widens what is accepted and is compatible.
- A response is what the client reads: every response the new server may send must still be readable by
  code written against the old contract. Removing a field, making one optional or nullable, widening a type,
  or adding an enum value breaks; the opposite is compatible.
- Enum values added to a response are BREAKING because enums here are closed: the generated models check
  each value against the enum (`check_<enum>` raises `TypeError` on an unknown value, see generator-templates/),
  so an old client cannot read a body carrying the new value. Dropping the enum altogether (any string
  allowed) breaks readers for the same reason. In a request, added values are compatible.
- Operations: one removed (by method and path), or its operationId changed (the generated module is named
  after it), breaks; one added is compatible. A documented response status removed breaks (the client no
  longer parses a body the server may still send, and code handling that status loses its case, as with an
  unknown model answered 400 instead of 404); one added is compatible (the client returned `None` or raised
  `UnexpectedStatus` for it before). A media type or response header removed breaks; one added is compatible.
- Servers (root, path and operation level): a URL removed breaks whoever is configured with it, one added is
  compatible. A path or operation that declares its own servers in either version is judged on its effective
  list; the root list is judged once.
- Security: a scheme removed or redefined breaks; one added is compatible. A requirement alternative no
  longer accepted (including anonymous access) breaks; a newly accepted one is compatible.

Fields are compared at any depth: `$ref` is followed (cycles stop), `allOf` merges its parts, `anyOf`/`oneOf`
merges its variants (a field exists if any variant has it, is required only if every object variant requires
it), and `{type: 'null'}`, `type: [x, 'null']` or a null enum value make a node nullable. A field path reads
`data[].embedding` (`[]` is an array's items); the schema defining the field is named in brackets, and the
same change reached from several places is reported once with every place listed.

Generated API: both contracts are generated into temporary folders and `generated_client/**/*.py` scanned
with `ast`. Modules, public classes, module functions, `Literal` aliases and `__all__` entries removed break,
added are compatible. A function parameter removed or a required one added breaks; an optional one added is
compatible; a parameter's annotation may only widen. A return annotation may narrow; it may also gain members
when it was already a union (callers of `sync` already narrow it with `isinstance`). For attrs fields and
`Literal` aliases, whether a model is sent (reached from a `body` parameter), read (reached from a return
annotation), or both decides: sent-only may widen, read-only may narrow, anything else breaks. A required
field added breaks a model that is sent (its constructor changes).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import codegen  # tools/codegen.py: the one place the generator runs (tools/ is on sys.path when run as a script)
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_NAME = "openapi.yaml"
PACKAGE = "generated_client"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_DEPTH = 32  # deeper than any real contract; stops runaway recursion on pathological schemas

Direction = Literal["request", "response"]


class SpecDiffError(Exception):
    """The comparison cannot be made (unreadable contract, unknown git ref, generator failure)."""


# --------------------------------------------------------------------------------------------- findings


@dataclass
class Change:
    """One classified change; `locations` lists every place the same change was reached from."""

    kind: str
    breaking: bool
    message: str
    locations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {"kind": self.kind, "breaking": self.breaking, "message": self.message, "locations": self.locations}


class Changes:
    """Changes in the order found, the same (kind, message) merged so a shared schema is reported once."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, bool, str], Change] = {}

    def add(self, kind: str, breaking: bool, message: str, location: str | None = None) -> None:
        """Record a change (or one more place it was reached from)."""
        change = self._items.setdefault((kind, breaking, message), Change(kind, breaking, message))
        if location and location not in change.locations:
            change.locations.append(location)

    def __iter__(self) -> Iterator[Change]:
        return iter(self._items.values())

    @property
    def breaking(self) -> list[Change]:
        """The changes that break an existing user."""
        return [change for change in self if change.breaking]

    @property
    def compatible(self) -> list[Change]:
        """The changes an existing user can ignore."""
        return [change for change in self if not change.breaking]


@dataclass
class Report:
    """The whole comparison; `generated` is None when the generated-API scan was skipped."""

    old: str
    new: str
    contract: Changes
    generated: Changes | None

    @property
    def breaking(self) -> bool:
        """True when any change, in the contract or the generated API, breaks an existing user."""
        return bool(self.contract.breaking) or bool(self.generated and self.generated.breaking)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""

        def section(changes: Changes) -> dict[str, Any]:
            return {
                "breaking": [c.as_dict() for c in changes.breaking],
                "compatible": [c.as_dict() for c in changes.compatible],
            }

        return {
            "old": self.old,
            "new": self.new,
            "breaking": self.breaking,
            "contract": section(self.contract),
            "generated_api": None if self.generated is None else section(self.generated),
        }


# --------------------------------------------------------------------------------------------- schemas


@dataclass
class Node:
    """A schema reduced to what a client depends on; empty `types` means any JSON type."""

    types: frozenset[str] = frozenset()
    nullable: bool = False
    enum: frozenset[str] | None = None  # JSON-encoded values; None means not restricted
    properties: dict[str, tuple[Node, bool]] = field(default_factory=dict)  # name -> (node, required)
    items: Node | None = None
    owner: str | None = None  # the named schema this node comes from

    @property
    def unconstrained(self) -> bool:
        """True for a node that says nothing (a description, a default): neutral in `allOf`."""
        return not self.types and self.enum is None and not self.properties and self.items is None


@dataclass(frozen=True)
class FieldInfo:
    """One field of a flattened schema."""

    types: frozenset[str]
    nullable: bool
    required: bool
    enum: frozenset[str] | None
    owner: str | None  # the named schema that declares the field


class Resolver:
    """Follows local `$ref`s in one contract."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def resolve(self, obj: Any) -> tuple[Any, str | None]:
        """The object a `$ref` points at (following chains) and the name of the last component reached."""
        name = None
        for _ in range(MAX_DEPTH):
            if not isinstance(obj, Mapping) or "$ref" not in obj:
                return obj, name
            ref = str(obj["$ref"])
            if not ref.startswith("#/"):
                raise SpecDiffError(f"only local $ref is supported, got {ref!r}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    raise SpecDiffError(f"$ref {ref!r} points at nothing")
                target = target[part]
            siblings = {k: v for k, v in obj.items() if k != "$ref"}
            obj = {**target, **siblings} if siblings and isinstance(target, Mapping) else target
            name = ref.rsplit("/", 1)[-1]
        raise SpecDiffError("a $ref chain does not end")

    def node(self, schema: Any, stack: tuple[str, ...] = ()) -> Node:
        """Reduce a schema to a Node, following refs; a ref already being expanded stops the recursion."""
        if isinstance(schema, bool) or not isinstance(schema, Mapping):
            return Node()
        owner = None
        if "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in stack or len(stack) >= MAX_DEPTH:
                return Node(owner=ref.rsplit("/", 1)[-1])
            stack = (*stack, ref)
            schema, owner = self.resolve(schema)
            if not isinstance(schema, Mapping):
                return Node(owner=owner)
        own = self._own(schema, stack)
        parts = [own] + [self.node(part, stack) for part in schema.get("allOf", [])]
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                parts.append(_either([self.node(variant, stack) for variant in schema[keyword]]))
        result = _both(parts)
        if owner is not None:
            result.owner = owner
        return result

    def _own(self, schema: Mapping[str, Any], stack: tuple[str, ...]) -> Node:
        declared = schema.get("type")
        types: set[str] = (
            set(declared) if isinstance(declared, list) else ({declared} if isinstance(declared, str) else set())
        )
        nullable = "null" in types or schema.get("nullable") is True  # `nullable` is 3.0's spelling
        types.discard("null")
        enum: frozenset[str] | None = None
        if "const" in schema:
            enum = frozenset({_json(schema["const"])})
        elif isinstance(schema.get("enum"), list):
            values = schema["enum"]
            nullable = nullable or None in values
            enum = frozenset(_json(value) for value in values if value is not None)
        required = set(schema.get("required", []))
        properties = {
            name: (self.node(sub, stack), name in required) for name, sub in schema.get("properties", {}).items()
        }
        items = self.node(schema["items"], stack) if "items" in schema else None
        if (properties or "additionalProperties" in schema) and not types:
            types = {"object"}
        if items is not None and not types:
            types = {"array"}
        if types == set() and nullable:  # `{type: 'null'}` alone: nothing but null
            return Node(types=frozenset({"null"}), nullable=True)
        return Node(frozenset(types), nullable, enum, properties, items)

    def fields(self, schema: Any) -> dict[str, FieldInfo]:
        """Every field of a schema by path (`""` is the value itself), at any depth."""
        found: dict[str, FieldInfo] = {}
        _flatten(self.node(schema), "", True, None, found, 0)
        return found


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _both(parts: list[Node]) -> Node:
    """allOf: every part holds at once."""
    constrained = [part for part in parts if not part.unconstrained]
    if not constrained:
        owners = [part.owner for part in parts if part.owner]
        return Node(owner=owners[0] if len(owners) == 1 else None)
    result = constrained[0]
    for part in constrained[1:]:
        typed = [n for n in (result, part) if n.types]
        types = frozenset.intersection(*(n.types for n in typed)) if typed else frozenset()
        nullable = all(n.nullable for n in typed) if typed else result.nullable or part.nullable
        enums = [n.enum for n in (result, part) if n.enum is not None]
        enum = frozenset.intersection(*enums) if enums else None
        properties = dict(result.properties)
        for name, (sub, required) in part.properties.items():
            if name in properties:
                properties[name] = (_both([properties[name][0], sub]), required or properties[name][1])
            else:
                properties[name] = (sub, required)
        items_parts = [n.items for n in (result, part) if n.items is not None]
        items = _both(items_parts) if items_parts else None
        owner = result.owner if result.owner == part.owner else None
        result = Node(types, nullable, enum, properties, items, owner)
    return result


def _either(variants: list[Node]) -> Node:
    """anyOf/oneOf: any one variant holds. A null-only variant makes the result nullable."""
    nullable = any(v.nullable for v in variants)
    real = [v for v in variants if v.types != frozenset({"null"})]
    if not real:
        return Node(types=frozenset({"null"}), nullable=True)
    if len(real) == 1:
        only = real[0]
        return Node(only.types, nullable, only.enum, only.properties, only.items, only.owner)
    types = frozenset() if any(not v.types for v in real) else frozenset().union(*(v.types for v in real))
    enum = None if any(v.enum is None for v in real) else frozenset().union(*(v.enum or () for v in real))
    objects = [v for v in real if "object" in v.types or v.properties]
    properties: dict[str, tuple[Node, bool]] = {}
    for name in dict.fromkeys(name for v in real for name in v.properties):
        having = [v.properties[name] for v in real if name in v.properties]
        required = len(having) == len(objects) and all(req for _, req in having)
        properties[name] = (_either([sub for sub, _ in having]), required)
    items_parts = [v.items for v in real if v.items is not None]
    items = _either(items_parts) if items_parts else None
    owners = [v.owner for v in real]
    owner = " | ".join(dict.fromkeys(o for o in owners if o)) if all(owners) else None
    return Node(types, nullable, enum, properties, items, owner)


def _flatten(node: Node, path: str, required: bool, owner: str | None, out: dict[str, FieldInfo], depth: int) -> None:
    out[path] = FieldInfo(node.types, node.nullable, required, node.enum, owner)
    if depth >= MAX_DEPTH:
        return
    for name, (sub, sub_required) in node.properties.items():
        _flatten(sub, f"{path}.{name}" if path else name, sub_required, node.owner, out, depth + 1)
    if node.items is not None:
        _flatten(node.items, f"{path}[]", True, node.owner, out, depth + 1)


# --------------------------------------------------------------------------------------------- fields


def _accepts(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    """Whether every value of types `narrow` is also of types `wide` (empty = any; integer is a number)."""
    if not wide:
        return True
    if not narrow:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _types(types: frozenset[str]) -> str:
    return "|".join(sorted(types)) if types else "any"


def _values(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def compare_fields(
    old: Mapping[str, FieldInfo],
    new: Mapping[str, FieldInfo],
    direction: Direction,
    subject: Callable[[str, FieldInfo], str],
    location: str,
    out: Changes,
) -> None:
    """Classify every difference between two flattened schemas read in `direction`."""
    request = direction == "request"
    for path in [p for p in old if p not in new]:  # declaration order: stable, and reads like the schema
        if _parent_missing(path, new):  # report only the outermost field removed
            continue
        out.add("field-removed", True, f"{subject(path, old[path])} removed", location)
    for path in [p for p in new if p not in old]:
        if _parent_missing(path, old):
            continue
        info = new[path]
        breaking = request and info.required
        what = "required " if info.required and request else ""
        out.add("field-added", breaking, f"{subject(path, info)} added ({what}{_types(info.types)})", location)
    for path in [p for p in new if p in old]:
        was, now = old[path], new[path]
        name = subject(path, now)
        if was.required != now.required:
            if now.required:
                # A request field becoming required breaks senders; a response field becoming required is a promise.
                out.add("required-changed", request, f"{name} is now required", location)
            else:
                out.add("required-changed", not request, f"{name} is no longer required", location)
        if was.types != now.types:
            widened = _accepts(now.types, was.types)
            narrowed = _accepts(was.types, now.types)
            breaking = not widened if request else not narrowed
            out.add(
                "type-changed",
                breaking,
                f"{name} type changed from {_types(was.types)} to {_types(now.types)}",
                location,
            )
        if was.nullable != now.nullable:
            if now.nullable:
                out.add("nullable-changed", not request, f"{name} is now nullable", location)
            else:
                out.add("nullable-changed", request, f"{name} is no longer nullable", location)
        _compare_enum(was.enum, now.enum, request, name, location, out)


def _compare_enum(
    was: frozenset[str] | None, now: frozenset[str] | None, request: bool, name: str, location: str, out: Changes
) -> None:
    if was == now:
        return
    if was is not None and now is None:
        out.add("enum-removed", not request, f"{name} is no longer restricted to [{_values(was)}]", location)
    elif was is None and now is not None:
        out.add("enum-added", request, f"{name} is now restricted to [{_values(now)}]", location)
    elif was is not None and now is not None:
        if now - was:
            out.add("enum-values-added", not request, f"{name} enum values added: {_values(now - was)}", location)
        if was - now:
            out.add("enum-values-removed", request, f"{name} enum values removed: {_values(was - now)}", location)


def _parent_missing(path: str, other: Mapping[str, FieldInfo]) -> bool:
    parent = _parent(path)
    return parent is not None and parent not in other


def _parent(path: str) -> str | None:
    if path.endswith("[]"):
        return path[:-2]
    if "." in path:
        return path.rsplit(".", 1)[0]
    return "" if path else None


def _body_subject(direction: Direction) -> Callable[[str, FieldInfo], str]:
    def subject(path: str, info: FieldInfo) -> str:
        if not path:
            return f"{direction} body"
        return f"{direction} field `{path}`" + (f" [{info.owner}]" if info.owner else "")

    return subject


# --------------------------------------------------------------------------------------------- operations


@dataclass
class Contract:
    """One version of the contract and its resolver."""

    spec: Mapping[str, Any]
    resolver: Resolver

    @classmethod
    def load(cls, path: Path) -> Contract:
        """Parse a contract file; anything but a mapping with `paths` is refused by name."""
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise SpecDiffError(f"cannot read {path}: {error}") from error
        if not isinstance(spec, Mapping):
            raise SpecDiffError(f"{path} is not an OpenAPI document (not a mapping)")
        return cls(spec, Resolver(spec))

    def operations(self) -> dict[tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """(METHOD, path) -> (path item, operation)."""
        found = {}
        for path, item in (self.spec.get("paths") or {}).items():
            item, _ = self.resolver.resolve(item)
            for method in METHODS:
                if isinstance(item.get(method), Mapping):
                    found[(method.upper(), str(path))] = (item, item[method])
        return found

    def parameters(self, item: Mapping[str, Any], operation: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
        """Effective parameters by (in, name): the operation's override the path item's."""
        found: dict[tuple[str, str], Any] = {}
        for source in (item.get("parameters", []), operation.get("parameters", [])):
            for raw in source:
                parameter, _ = self.resolver.resolve(raw)
                found[(str(parameter.get("in")), str(parameter.get("name")))] = parameter
        return found


def _label(method: str, path: str, operation: Mapping[str, Any]) -> str:
    op_id = operation.get("operationId")
    return f"{method} {path}" + (f" ({op_id})" if op_id else "")


def _short(method: str, path: str, operation: Mapping[str, Any]) -> str:
    """An operation in a list of places: its operationId (the generated module's name), else method and path."""
    return str(operation.get("operationId") or f"{method} {path}")


def compare_contracts(old: Contract, new: Contract) -> Changes:
    """Every contract change, classified."""
    out = Changes()
    _compare_servers(old.spec.get("servers"), new.spec.get("servers"), "root", out)
    _compare_security_schemes(old, new, out)
    _compare_security(old.spec.get("security"), new.spec.get("security"), "root", out)
    old_ops, new_ops = old.operations(), new.operations()
    old_ids = {op.get("operationId"): key for key, (_, op) in old_ops.items() if op.get("operationId")}
    new_ids = {op.get("operationId"): key for key, (_, op) in new_ops.items() if op.get("operationId")}
    for key in sorted(old_ops.keys() - new_ops.keys(), key=lambda k: (k[1], k[0])):
        op = old_ops[key][1]
        moved = new_ids.get(op.get("operationId"))
        where = f" (now {moved[0]} {moved[1]})" if moved and moved not in old_ops else ""
        out.add("operation-removed", True, f"operation {_label(*key, op)} removed{where}")
    for key in sorted(new_ops.keys() - old_ops.keys(), key=lambda k: (k[1], k[0])):
        op = new_ops[key][1]
        moved = old_ids.get(op.get("operationId"))
        where = f" (was {moved[0]} {moved[1]})" if moved and moved not in new_ops else ""
        out.add("operation-added", False, f"operation {_label(*key, op)} added{where}")
    for key in sorted(old_ops.keys() & new_ops.keys(), key=lambda k: (k[1], k[0])):
        _compare_operation(old, new, key, out)
    return out


def _compare_operation(old: Contract, new: Contract, key: tuple[str, str], out: Changes) -> None:
    (old_item, old_op), (new_item, new_op) = old.operations()[key], new.operations()[key]
    label = _label(*key, new_op)
    if old_op.get("operationId") != new_op.get("operationId"):
        out.add(
            "operation-id-changed",
            True,
            f"{key[0]} {key[1]}: operationId changed from {old_op.get('operationId')} to {new_op.get('operationId')}",
        )
    if any("servers" in x for x in (old_item, old_op, new_item, new_op)):
        _compare_servers(
            old_op.get("servers", old_item.get("servers", old.spec.get("servers"))),
            new_op.get("servers", new_item.get("servers", new.spec.get("servers"))),
            label,
            out,
        )
    if "security" in old_op or "security" in new_op:
        _compare_security(
            old_op.get("security", old.spec.get("security")),
            new_op.get("security", new.spec.get("security")),
            label,
            out,
        )
    short = _short(*key, new_op)
    _compare_parameters(
        old, new, old.parameters(old_item, old_op), new.parameters(new_item, new_op), (label, short), out
    )
    _compare_request_body(old, new, old_op.get("requestBody"), new_op.get("requestBody"), (label, short), out)
    old_responses = {str(k): v for k, v in (old_op.get("responses") or {}).items()}
    new_responses = {str(k): v for k, v in (new_op.get("responses") or {}).items()}
    for status in sorted(old_responses.keys() - new_responses.keys()):
        out.add("status-removed", True, f"{label}: response {status} removed")
    for status in sorted(new_responses.keys() - old_responses.keys()):
        out.add("status-added", False, f"{label}: response {status} added")
    for status in sorted(old_responses.keys() & new_responses.keys()):
        was, _ = old.resolver.resolve(old_responses[status])
        now, _ = new.resolver.resolve(new_responses[status])
        where = f"{short} {status}"
        _compare_headers(old, new, was.get("headers") or {}, now.get("headers") or {}, where, out)
        _compare_content(old, new, was.get("content") or {}, now.get("content") or {}, "response", where, out)


def _compare_parameters(
    old: Contract,
    new: Contract,
    was: Mapping[tuple[str, str], Any],
    now: Mapping[tuple[str, str], Any],
    names: tuple[str, str],
    out: Changes,
) -> None:
    label, short = names
    for where, name in sorted(was.keys() - now.keys()):
        out.add("parameter-removed", True, f"{label}: {where} parameter `{name}` removed")
    for where, name in sorted(now.keys() - was.keys()):
        required = bool(now[(where, name)].get("required"))
        kind = "required" if required else "optional"
        out.add("parameter-added", required, f"{label}: {kind} {where} parameter `{name}` added")
    for key in sorted(was.keys() & now.keys()):
        where, name = key
        before, after = bool(was[key].get("required")), bool(now[key].get("required"))
        if before != after:
            state = "now required" if after else "no longer required"
            out.add("parameter-required-changed", after, f"{label}: {where} parameter `{name}` is {state}")

        def subject(path: str, info: FieldInfo, where: str = where, name: str = name) -> str:
            return f"{where} parameter `{name}`" + (f" field `{path}`" if path else "")

        compare_fields(
            old.resolver.fields(was[key].get("schema", {})),
            new.resolver.fields(now[key].get("schema", {})),
            "request",
            subject,
            short,
            out,
        )


def _compare_request_body(
    old: Contract, new: Contract, was: Any, now: Any, names: tuple[str, str], out: Changes
) -> None:
    label, short = names
    was = old.resolver.resolve(was)[0] if was is not None else None
    now = new.resolver.resolve(now)[0] if now is not None else None
    if was is None and now is None:
        return
    if now is None:
        out.add("request-body-removed", True, f"{label}: request body removed")
        return
    if was is None:
        required = bool(now.get("required"))
        out.add("request-body-added", required, f"{label}: {'required' if required else 'optional'} request body added")
        return
    before, after = bool(was.get("required")), bool(now.get("required"))
    if before != after:
        state = "now required" if after else "no longer required"
        out.add("request-body-required-changed", after, f"{label}: request body is {state}")
    _compare_content(old, new, was.get("content") or {}, now.get("content") or {}, "request", short, out)


def _compare_content(
    old: Contract,
    new: Contract,
    was: Mapping[str, Any],
    now: Mapping[str, Any],
    direction: Direction,
    where: str,
    out: Changes,
) -> None:
    for media in sorted(was.keys() - now.keys()):
        out.add("media-type-removed", True, f"{where}: {direction} media type {media} removed")
    for media in sorted(now.keys() - was.keys()):
        out.add("media-type-added", False, f"{where}: {direction} media type {media} added")
    for media in sorted(was.keys() & now.keys()):
        location = where if len(now) == 1 else f"{where} {media}"
        compare_fields(
            old.resolver.fields((was[media] or {}).get("schema", {})),
            new.resolver.fields((now[media] or {}).get("schema", {})),
            direction,
            _body_subject(direction),
            location,
            out,
        )


def _compare_headers(
    old: Contract, new: Contract, was: Mapping[str, Any], now: Mapping[str, Any], where: str, out: Changes
) -> None:
    before = {name.lower(): name for name in was}
    after = {name.lower(): name for name in now}
    for name in sorted(before.keys() - after.keys()):
        out.add("header-removed", True, f"response header `{before[name]}` removed", where)
    for name in sorted(after.keys() - before.keys()):
        out.add("header-added", False, f"response header `{after[name]}` added", where)
    for name in sorted(before.keys() & after.keys()):

        def subject(path: str, info: FieldInfo, name: str = after[name]) -> str:
            return f"response header `{name}`" + (f" field `{path}`" if path else "")

        compare_fields(
            old.resolver.fields(old.resolver.resolve(was[before[name]])[0].get("schema", {})),
            new.resolver.fields(new.resolver.resolve(now[after[name]])[0].get("schema", {})),
            "response",
            subject,
            where,
            out,
        )


def _server_urls(servers: Any) -> list[str]:
    return [str(server.get("url")) for server in servers or [] if isinstance(server, Mapping)]


def _compare_servers(was: Any, now: Any, where: str, out: Changes) -> None:
    before, after = _server_urls(was), _server_urls(now)
    for url in before:
        if url not in after:
            out.add("server-removed", True, f"{where}: server {url} removed")
    for url in after:
        if url not in before:
            out.add("server-added", False, f"{where}: server {url} added")


def _alternatives(requirements: Any) -> list[str]:
    """Each accepted way to authenticate, as text; none declared means anonymous access."""
    if not requirements:
        return ["anonymous access"]
    found = []
    for requirement in requirements:
        if not requirement:
            found.append("anonymous access")
            continue
        parts = [
            name + (f" (scopes: {', '.join(sorted(scopes))})" if scopes else "")
            for name, scopes in sorted(requirement.items())
        ]
        found.append(" + ".join(parts))
    return found


def _compare_security(was: Any, now: Any, where: str, out: Changes) -> None:
    before, after = _alternatives(was), _alternatives(now)
    open_now = "anonymous access" in after  # then every request is accepted, whatever credentials it carries
    for alternative in before:
        if alternative not in after:
            out.add(
                "security-requirement-removed",
                not open_now,
                f"{where}: security requirement `{alternative}` no longer accepted",
            )
    for alternative in after:
        if alternative not in before:
            out.add("security-requirement-added", False, f"{where}: security requirement `{alternative}` now accepted")


def _compare_security_schemes(old: Contract, new: Contract, out: Changes) -> None:
    def schemes(contract: Contract) -> dict[str, Any]:
        raw = (contract.spec.get("components") or {}).get("securitySchemes") or {}
        resolved = {str(name): contract.resolver.resolve(scheme)[0] for name, scheme in raw.items()}
        return {name: {k: v for k, v in s.items() if k != "description"} for name, s in resolved.items()}

    was, now = schemes(old), schemes(new)
    for name in sorted(was.keys() - now.keys()):
        out.add("security-scheme-removed", True, f"security scheme `{name}` removed")
    for name in sorted(now.keys() - was.keys()):
        out.add("security-scheme-added", False, f"security scheme `{name}` added")
    for name in sorted(was.keys() & now.keys()):
        if was[name] != now[name]:
            out.add(
                "security-scheme-changed",
                True,
                f"security scheme `{name}` changed from {_json(was[name])} to {_json(now[name])}",
            )


# --------------------------------------------------------------------------------------------- generated API


@dataclass(frozen=True)
class Parameter:
    """One parameter of a public function."""

    name: str
    annotation: str
    has_default: bool


@dataclass
class ModuleApi:
    """The public surface of one generated module."""

    classes: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)  # class -> attr -> (type, default)
    methods: dict[str, dict[str, str]] = field(default_factory=dict)  # class -> method -> signature
    functions: dict[str, tuple[list[Parameter], str]] = field(default_factory=dict)  # name -> (params, returns)
    aliases: dict[str, str] = field(default_factory=dict)  # Literal aliases: name -> annotation text
    constants: set[str] = field(default_factory=set)
    exports: set[str] = field(default_factory=set)  # __all__


def scan_package(package: Path) -> dict[str, ModuleApi]:
    """The public API of every module under `package` (a folder holding `__init__.py`), by dotted name."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if any(part.startswith("_") for part in parts):
            continue
        modules[".".join(parts)] = _scan_module(ast.parse(path.read_text(encoding="utf-8")))
    return modules


def _scan_module(tree: ast.Module) -> ModuleApi:
    api = ModuleApi()
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and not statement.name.startswith("_"):
            attrs: dict[str, tuple[str, bool]] = {}
            methods: dict[str, str] = {}
            for member in statement.body:
                if isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
                    if not member.target.id.startswith("_"):
                        attrs[member.target.id] = (ast.unparse(member.annotation), member.value is not None)
                elif isinstance(member, ast.Assign):
                    for target in member.targets:
                        if isinstance(target, ast.Name) and not target.id.startswith("_"):
                            attrs[target.id] = (ast.unparse(member.value), True)
                elif isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and not member.name.startswith("_"):
                    methods[member.name] = _signature_text(member)
            api.classes[statement.name] = attrs
            api.methods[statement.name] = methods
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and not statement.name.startswith("_"):
            api.functions[statement.name] = _signature(statement)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if not isinstance(target, ast.Name) or target.id.startswith("_"):
                    continue
                if target.id == "__all__" or target.id.startswith("_"):
                    continue
                text = ast.unparse(statement.value)
                if text.startswith("Literal["):
                    api.aliases[target.id] = text
                else:
                    api.constants.add(target.id)
            is_all = any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
            if is_all and isinstance(statement.value, ast.List | ast.Tuple):
                api.exports = {str(e.value) for e in statement.value.elts if isinstance(e, ast.Constant)}
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and not statement.target.id.startswith("_")
        ):
            api.constants.add(statement.target.id)
    return api


def _signature(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[Parameter], str]:
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [
        Parameter(a.arg, ast.unparse(a.annotation) if a.annotation else "", d is not None)
        for a, d in zip(positional, defaults, strict=True)
    ]
    params += [
        Parameter(a.arg, ast.unparse(a.annotation) if a.annotation else "", d is not None)
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    returns = ast.unparse(function.returns) if function.returns else ""
    return params, returns


def _signature_text(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    params, returns = _signature(function)
    inner = ", ".join(f"{p.name}: {p.annotation}" + (" = ..." if p.has_default else "") for p in params)
    return f"({inner}) -> {returns}"


def _members(annotation: str) -> frozenset[str]:
    """The members of a union annotation (`Response[...]` unwrapped, `Literal[...]` split into its values)."""
    text = annotation.strip()
    for wrapper in ("Response[", "Literal["):
        if text.startswith(wrapper) and text.endswith("]"):
            text = text[len(wrapper) : -1]
            separator = "," if wrapper == "Literal[" else "|"
            break
    else:
        separator = "|"
    members, depth, current = [], 0, ""
    for char in text:
        depth += 1 if char in "[(" else -1 if char in "])" else 0
        if char == separator and depth == 0:
            members.append(current.strip())
            current = ""
        else:
            current += char
    members.append(current.strip())
    return frozenset(member for member in members if member)


def _roles(modules: Mapping[str, ModuleApi]) -> dict[str, set[str]]:
    """For each model class or alias name: `sent` when reached from a `body` parameter, `read` from a return."""
    known = {name for api in modules.values() for name in (*api.classes, *api.aliases)}
    references: dict[str, set[str]] = {}
    for api in modules.values():
        for name, attrs in api.classes.items():
            references.setdefault(name, set()).update(_names(" ".join(t for t, _ in attrs.values()), known))
        for name, text in api.aliases.items():
            references.setdefault(name, set()).update(_names(text, known) - {name})
    roles: dict[str, set[str]] = {}
    pending: list[tuple[str, str]] = []
    for module, api in modules.items():
        if ".api." not in f".{module}.":
            continue
        for params, returns in api.functions.values():
            for param in params:
                if param.name != "client":
                    pending += [(name, "sent") for name in _names(param.annotation, known)]
            pending += [(name, "read") for name in _names(returns, known)]
    while pending:
        name, role = pending.pop()
        if role in roles.setdefault(name, set()):
            continue
        roles[name].add(role)
        pending += [(ref, role) for ref in references.get(name, ())]
    return roles


def _names(text: str, known: set[str]) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z_]\w*", text) if word in known}


def _annotation_change(
    before: str, after: str, role: set[str], what: str, out: Changes, kind: str = "annotation-changed"
) -> None:
    """Classify an annotation change by who uses the model: senders may widen, readers may narrow."""
    if before == after:
        return
    was, now = _members(before), _members(after)
    if was == now:
        return
    widened, narrowed = was <= now, now <= was
    if role == {"sent"}:
        breaking = not widened
    elif role == {"read"}:
        breaking = not narrowed
    else:
        breaking = True
    used = {frozenset({"sent"}): " (a model the client sends)", frozenset({"read"}): " (a model the client reads)"}
    out.add(kind, breaking, f"{what} changed from `{before}` to `{after}`" + used.get(frozenset(role), ""))


def compare_generated(old: Mapping[str, ModuleApi], new: Mapping[str, ModuleApi]) -> Changes:
    """Every change of the generated package's public API, classified."""
    out = Changes()
    old_roles, new_roles = _roles(old), _roles(new)

    def role(name: str) -> set[str]:
        return old_roles.get(name, set()) | new_roles.get(name, set())

    for module in sorted(old.keys() - new.keys()):
        out.add("module-removed", True, f"module {module} removed")
    for module in sorted(new.keys() - old.keys()):
        out.add("module-added", False, f"module {module} added")
    for module in sorted(old.keys() & new.keys()):
        was, now = old[module], new[module]
        for name in sorted(was.exports - now.exports):
            out.add("export-removed", True, f"{module}.__all__: `{name}` removed")
        for name in sorted(now.exports - was.exports):
            out.add("export-added", False, f"{module}.__all__: `{name}` added")
        for kind, before_names, after_names in (
            ("class", was.classes.keys(), now.classes.keys()),
            ("function", was.functions.keys(), now.functions.keys()),
            ("alias", was.aliases.keys(), now.aliases.keys()),
            ("constant", was.constants, now.constants),
        ):
            for name in sorted(before_names - after_names):
                out.add(f"{kind}-removed", True, f"{kind} {module}.{name} removed")
            for name in sorted(after_names - before_names):
                out.add(f"{kind}-added", False, f"{kind} {module}.{name} added")
        for name in sorted(was.classes.keys() & now.classes.keys()):
            _compare_class(module, name, was, now, role(name), out)
        for name in sorted(was.aliases.keys() & now.aliases.keys()):
            _annotation_change(was.aliases[name], now.aliases[name], role(name), f"alias {module}.{name}", out)
        for name in sorted(was.functions.keys() & now.functions.keys()):
            _compare_function(f"{module}.{name}", was.functions[name], now.functions[name], out)
    return out


def _compare_class(module: str, name: str, was: ModuleApi, now: ModuleApi, role: set[str], out: Changes) -> None:
    qualified = f"{module}.{name}"
    before, after = was.classes[name], now.classes[name]
    for attr in sorted(before.keys() - after.keys()):
        out.add("attribute-removed", True, f"{qualified}.{attr} removed")
    for attr in sorted(after.keys() - before.keys()):
        annotation, has_default = after[attr]
        # A required attribute changes the constructor: it breaks whoever builds the model (senders, or unknown).
        breaking = not has_default and role != {"read"}
        state = "optional" if has_default else "required"
        out.add("attribute-added", breaking, f"{qualified}.{attr} added ({state}, `{annotation}`)")
    for attr in sorted(before.keys() & after.keys()):
        (old_type, old_default), (new_type, new_default) = before[attr], after[attr]
        _annotation_change(old_type, new_type, role, f"{qualified}.{attr}", out, "attribute-type-changed")
        if old_default and not new_default:
            out.add("attribute-required-changed", role != {"read"}, f"{qualified}.{attr} is now required")
        elif new_default and not old_default:
            out.add("attribute-required-changed", role != {"sent"}, f"{qualified}.{attr} is now optional")
    old_methods, new_methods = was.methods[name], now.methods[name]
    for method in sorted(old_methods.keys() - new_methods.keys()):
        out.add("method-removed", True, f"{qualified}.{method}() removed")
    for method in sorted(new_methods.keys() - old_methods.keys()):
        out.add("method-added", False, f"{qualified}.{method}() added")
    for method in sorted(old_methods.keys() & new_methods.keys()):
        if old_methods[method] != new_methods[method]:
            out.add(
                "method-changed",
                True,
                f"{qualified}.{method} signature changed from {old_methods[method]} to {new_methods[method]}",
            )


def _compare_function(
    qualified: str, was: tuple[list[Parameter], str], now: tuple[list[Parameter], str], out: Changes
) -> None:
    before = {p.name: p for p in was[0]}
    after = {p.name: p for p in now[0]}
    for name in [p.name for p in was[0] if p.name not in after]:
        out.add("parameter-removed", True, f"{qualified}(): parameter `{name}` removed")
    for param in [p for p in now[0] if p.name not in before]:
        state = "optional" if param.has_default else "required"
        out.add("parameter-added", not param.has_default, f"{qualified}(): {state} parameter `{param.name}` added")
    for name in [p.name for p in was[0] if p.name in after]:
        old_param, new_param = before[name], after[name]
        if old_param.annotation != new_param.annotation:
            was_members, now_members = _members(old_param.annotation), _members(new_param.annotation)
            if was_members != now_members:
                out.add(
                    "parameter-type-changed",
                    not was_members <= now_members,
                    f"{qualified}(): parameter `{name}` changed"
                    f" from `{old_param.annotation}` to `{new_param.annotation}`",
                )
        if old_param.has_default and not new_param.has_default:
            out.add("parameter-required-changed", True, f"{qualified}(): parameter `{name}` is now required")
        elif new_param.has_default and not old_param.has_default:
            out.add("parameter-required-changed", False, f"{qualified}(): parameter `{name}` is now optional")
    if was[1] != now[1]:
        old_members, new_members = _members(was[1]), _members(now[1])
        if old_members != new_members:
            # Narrowing is safe; growing an existing union too: callers already tell its members apart.
            breaking = not (new_members <= old_members or (len(old_members) > 1 and old_members <= new_members))
            out.add("return-type-changed", breaking, f"{qualified}() returns `{now[1]}` instead of `{was[1]}`")


def generated_api(spec: Path) -> dict[str, ModuleApi]:
    """Generate `spec` into a temporary folder with the project's own generator invocation and scan it."""
    with tempfile.TemporaryDirectory(prefix="spec-diff-") as scratch:
        output = Path(scratch) / PACKAGE
        try:
            codegen.generate(spec, output)
        except (OSError, RuntimeError) as error:
            raise SpecDiffError(f"cannot generate a client from {spec}: {error}") from error
        return scan_package(output / PACKAGE)


# --------------------------------------------------------------------------------------------- CLI


def diff(old: Path, new: Path, *, generated: bool = True, names: tuple[str, str] | None = None) -> Report:
    """Compare two contract files; `generated=False` skips generating both clients (seconds each)."""
    contract = compare_contracts(Contract.load(old), Contract.load(new))
    api = None
    if generated:
        same = old.read_bytes() == new.read_bytes()  # the same contract makes the same package: skip two runs
        api = Changes() if same else compare_generated(generated_api(old), generated_api(new))
    old_name, new_name = names or (str(old), str(new))
    return Report(old_name, new_name, contract, api)


def render(report: Report) -> str:
    """The report as text: the contract's changes, then the generated API's, each BREAKING before COMPATIBLE."""
    lines = [f"Contract changes: {report.old} -> {report.new}", ""]

    def section(title: str, changes: Changes) -> None:
        lines.append(title)
        lines.append("=" * len(title))
        for heading, group in (("BREAKING", changes.breaking), ("COMPATIBLE", changes.compatible)):
            lines.append(f"{heading} ({len(group)})")
            for change in group:
                lines.append(f"  - {change.message}")
                if change.locations:
                    shown = ", ".join(change.locations[:4])
                    more = f", and {len(change.locations) - 4} more" if len(change.locations) > 4 else ""
                    lines.append(f"      at {shown}{more}")
            lines.append("")

    section("Contract (openapi.yaml)", report.contract)
    if report.generated is not None:
        section(f"Generated package public API ({PACKAGE})", report.generated)
    verdict = "BREAKING: existing users are affected" if report.breaking else "COMPATIBLE: nothing breaks"
    lines.append(f"Result: {verdict}")
    return "\n".join(lines)


def _git_show(ref: str, name: str, target: Path) -> None:
    result = subprocess.run(  # noqa: S603
        ["git", "show", f"{ref}:{name}"],  # noqa: S607  (git from PATH, as every developer runs it)
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise SpecDiffError(f"git show {ref}:{name} failed: {result.stderr.decode(errors='replace').strip()}")
    target.write_bytes(result.stdout)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: 1 when something breaks, 0 when nothing does, 2 when the comparison cannot be made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, metavar="OLD NEW", help="the two contracts, older first")
    parser.add_argument(
        "--base", metavar="REF", help=f"the older contract is `git show REF:{SPEC_NAME}` (then give NEW)"
    )
    parser.add_argument("--head", metavar="REF", help=f"the newer contract is `git show REF:{SPEC_NAME}` (with --base)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--no-generated", action="store_true", help="skip the generated-API comparison")
    args = parser.parse_args(argv)
    wanted = 2 - (args.base is not None) - (args.head is not None)
    if len(args.paths) != wanted or (args.head is not None and args.base is None):
        parser.error("give OLD NEW, or --base REF NEW, or --base REF --head REF")
    try:
        with tempfile.TemporaryDirectory(prefix="spec-diff-git-") as scratch:
            files = list(args.paths)
            names = [str(path) for path in files]
            for position, ref in ((0, args.base), (1, args.head)):
                if ref is not None:
                    target = Path(scratch) / str(position) / SPEC_NAME
                    target.parent.mkdir()
                    _git_show(ref, SPEC_NAME, target)
                    files.insert(position, target)
                    names.insert(position, f"{ref}:{SPEC_NAME}")
            report = diff(files[0], files[1], generated=not args.no_generated, names=(names[0], names[1]))
    except SpecDiffError as error:
        print(f"spec_diff: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), indent=2) if args.json else render(report))
    return 1 if report.breaking else 0


if __name__ == "__main__":
    sys.exit(main())
