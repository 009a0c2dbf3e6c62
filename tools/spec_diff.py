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
  allowed) breaks readers for the same reason. In a request, added values are compatible. `const` is a
  one-value enum judged the same way, and reported by its name.
- Assertions that narrow a value without changing its type are judged by the same two directions: in a
  request one added or tightened breaks (a request that was valid is refused) and one removed or loosened is
  compatible; in a response the opposite (a value the old contract excluded may now arrive). They are the
  numeric bounds (`minimum`/`exclusiveMinimum` merged into one lower bound, `maximum`/`exclusiveMaximum` into
  one upper bound; 3.1's numbers and 3.0's booleans both read; on an integer field `exclusiveMinimum: 0` is
  `minimum: 1`, so respelling is no change), `minLength`/`maxLength`, `minItems`/`maxItems`,
  `minProperties`/`maxProperties`, `uniqueItems` and `multipleOf` (a new step that divides the old one
  loosens, a multiple of it tightens, anything else changes). `pattern` and `format` cannot be ordered:
  added narrows, removed widens, and changed breaks both ways (a reader parsing `date-time` fails on `date`).
- `default` is a promise both ways: in a request it says what an omitted field means, in a response what an
  absent key stands for (readers fill it in). Changed or removed, it breaks in either direction; added, it
  documents what was left open and is compatible.
- `additionalProperties`, from closed (`false`) through a schema to any key (`true` or absent): closing a
  request object refuses keys that were accepted (breaking); opening a response object breaks readers that
  refuse unknown keys (a validator holding responses to the old contract, code treating the object as
  complete), and the generated model changes shape. The reverse directions are compatible. A schema for the
  other keys' values is compared as a field named `*` (`metadata.*`). A named field added to a closed
  response object stays compatible: it is announced in the contract, and the generated models ignore keys
  they do not know.
- `oneOf`/`anyOf` members, known by the component they refer to (an inline member by its type, whose change
  the type change already reports): a request member removed breaks, one added is compatible; a response
  member added breaks (the generated union raises `TypeError` on a value no member reads), one removed is
  compatible. `oneOf` refuses a value two members match, so `anyOf` -> `oneOf` narrows and the reverse
  widens. A `discriminator` property added, removed or renamed breaks both ways (every payload is told apart
  differently), as does a mapping entry removed or repointed; an entry added breaks readers only.
- `readOnly`/`writeOnly`: a request field becoming readOnly is no longer taken from requests, a response field
  becoming writeOnly is no longer sent: both break; the other directions are compatible. `deprecated` (on a
  field, a parameter or an operation) breaks nobody yet but is reported on its own line, so users hear of it.
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
it), and `{type: 'null'}`, `type: [x, 'null']` or a null enum value make a node nullable. In `allOf` the
narrower of two values of an assertion counts, and a `default` beside a `$ref` or an `allOf` overrides the
referenced schema's. In `anyOf`/`oneOf` an assertion holds where every member it applies to declares it, the
loosest value counting: `maxItems` applies to arrays only, so `anyOf: [string, {type: array, maxItems: 256}]`
limits every array sent. The same rules apply to parameters' and response headers' schemas. A field path reads
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
import math
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Literal

import codegen  # tools/codegen.py: the one place the generator runs (tools/ is on sys.path when run as a script)
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_NAME = "openapi.yaml"
PACKAGE = "embedkit_generated"
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

NUMERIC = frozenset({"number", "integer"})
# Assertion keywords whose values are ordered, with whether a larger value narrows what is valid. `lower` and
# `upper` are the numeric bounds, each merged from the inclusive and the exclusive keyword (see `Bound`).
ORDERED: dict[str, bool] = {
    "lower": True,
    "upper": False,
    "minLength": True,
    "maxLength": False,
    "minItems": True,
    "maxItems": False,
    "minProperties": True,
    "maxProperties": False,
}
# The JSON types an assertion constrains: a value of any other type passes it, so in `anyOf` a keyword on the
# string variant still holds for every string the union accepts. Keywords not listed apply to any value.
SCOPES: dict[str, frozenset[str]] = {
    "lower": NUMERIC,
    "upper": NUMERIC,
    "multipleOf": NUMERIC,
    "minLength": frozenset({"string"}),
    "maxLength": frozenset({"string"}),
    "pattern": frozenset({"string"}),
    "minItems": frozenset({"array"}),
    "maxItems": frozenset({"array"}),
    "uniqueItems": frozenset({"array"}),
    "minProperties": frozenset({"object"}),
    "maxProperties": frozenset({"object"}),
}
COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
FLAGS = ("uniqueItems", "readOnly", "writeOnly", "deprecated")  # kept only when true: false is the default


@dataclass(frozen=True)
class Bound:
    """A numeric bound: `minimum`/`maximum` or the exclusive form (3.1's number, or 3.0's boolean beside one)."""

    value: float
    exclusive: bool
    text: str  # as the contract spells it, for the report

    def order(self, lower: bool, integer: bool) -> tuple[float, int]:
        """Orders bounds of one side: the larger lower bound, or the smaller upper bound, is the tighter.

        For an integer field an exclusive bound is the inclusive one next to it (`exclusiveMinimum: 0` is
        `minimum: 1`), so spelling one as the other is no change.
        """
        if integer:
            if lower:
                return (math.floor(self.value) + 1 if self.exclusive else math.ceil(self.value), 0)
            return (math.ceil(self.value) - 1 if self.exclusive else math.floor(self.value), 0)
        return (self.value, (1 if lower else -1) if self.exclusive else 0)


@dataclass
class Node:
    """A schema reduced to what a client depends on; empty `types` means any JSON type."""

    types: frozenset[str] = frozenset()
    nullable: bool = False
    enum: frozenset[str] | None = None  # JSON-encoded values; None means not restricted
    properties: dict[str, tuple[Node, bool]] = field(default_factory=dict)  # name -> (node, required)
    items: Node | None = None
    owner: str | None = None  # the named schema this node comes from
    const: bool = False  # `enum` comes from `const` (reported by that name)
    keywords: dict[str, Any] = field(default_factory=dict)  # the other assertions and annotations, see `_keywords`
    additional: Node | bool = True  # additionalProperties: True any key (or absent), False none, else a schema
    variants: tuple[str, ...] | None = None  # anyOf/oneOf members: component names, or `inline <type>`
    union: str | None = None  # `anyOf` or `oneOf`, the keyword `variants` come from
    # Every name in `required`, defined here or not: in an `allOf`, one part may require what another defines.
    required_names: frozenset[str] = frozenset()

    @property
    def unconstrained(self) -> bool:
        """True for a node that says nothing of structure (a description, a default): neutral in `allOf`.

        Its keywords still count: a `default` beside an `allOf: [$ref]` is the field's default.
        """
        return not self.types and self.enum is None and not self.properties and self.items is None

    @property
    def empty(self) -> bool:
        """True for a node that constrains nothing at all (`{}`, `true`): an additionalProperties that allows any."""
        return (
            self.unconstrained
            and not self.nullable
            and not self.keywords
            and self.additional is True
            and self.variants is None
        )


@dataclass(frozen=True)
class FieldInfo:
    """One field of a flattened schema."""

    types: frozenset[str]
    nullable: bool
    required: bool
    enum: frozenset[str] | None
    owner: str | None  # the named schema that declares the field
    const: bool = False
    keywords: Mapping[str, Any] = field(default_factory=dict)
    additional: Literal["true", "false", "schema"] = "true"
    variants: tuple[str, ...] = ()  # a value that is no union is its own single variant
    union: str | None = None


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
                union = _either([self.node(variant, stack) for variant in schema[keyword]])
                if union.variants is not None:
                    union.union = keyword
                parts.append(union)
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
        additional: Node | bool = True
        raw = schema.get("additionalProperties", True)
        if raw is False:
            additional = False
        elif isinstance(raw, Mapping):
            extra = self.node(raw, stack)
            additional = True if extra.empty else extra
        if (properties or "additionalProperties" in schema) and not types:
            types = {"object"}
        if items is not None and not types:
            types = {"array"}
        keywords = _keywords(schema, integer=types == {"integer"})
        if types == set() and nullable:  # `{type: 'null'}` alone: nothing but null
            return Node(types=frozenset({"null"}), nullable=True, keywords=keywords)
        const = "const" in schema
        return Node(
            frozenset(types), nullable, enum, properties, items, None, const, keywords, additional,
            required_names=frozenset(required),
        )  # fmt: skip

    def fields(self, schema: Any) -> dict[str, FieldInfo]:
        """Every field of a schema by path (`""` is the value itself), at any depth."""
        found: dict[str, FieldInfo] = {}
        _flatten(self.node(schema), "", True, None, found, 0)
        return found


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _keywords(schema: Mapping[str, Any], integer: bool) -> dict[str, Any]:
    """The assertions and annotations of one schema object, normalized so that equal means the same.

    A keyword at its default (`minLength: 0`, `uniqueItems: false`) is left out: it says nothing. The two
    spellings of each numeric bound become one `Bound`, the tighter when both are given (`exclusiveMinimum: 0`
    beside `minimum: 256`).
    """
    found: dict[str, Any] = {}
    for keyword, plain, strict in (("lower", "minimum", "exclusiveMinimum"), ("upper", "maximum", "exclusiveMaximum")):
        bounds = []
        if _number(schema.get(plain)):
            value = schema[plain]
            if schema.get(strict) is True:  # 3.0: the boolean makes the plain bound exclusive
                bounds.append(Bound(value, True, f"{plain}: {_json(value)}, {strict}: true"))
            else:
                bounds.append(Bound(value, False, f"{plain}: {_json(value)}"))
        if _number(schema.get(strict)):
            bounds.append(Bound(schema[strict], True, f"{strict}: {_json(schema[strict])}"))
        if bounds:
            found[keyword] = bounds[-1] if len(bounds) == 1 else _narrower(keyword, bounds[0], bounds[1], integer)
    for keyword in COUNTS:
        value = schema.get(keyword)
        if _number(value) and not (keyword.startswith("min") and value == 0):
            found[keyword] = value
    if _number(schema.get("multipleOf")) and schema["multipleOf"] > 0:
        found["multipleOf"] = schema["multipleOf"]
    for keyword in ("pattern", "format"):
        if isinstance(schema.get(keyword), str):
            found[keyword] = schema[keyword]
    for keyword in FLAGS:
        if schema.get(keyword) is True:
            found[keyword] = True
    if "default" in schema:
        found["default"] = _json(schema["default"])
    discriminator = schema.get("discriminator")
    if isinstance(discriminator, Mapping) and isinstance(discriminator.get("propertyName"), str):
        mapping = discriminator.get("mapping") if isinstance(discriminator.get("mapping"), Mapping) else {}
        entries = tuple(sorted((str(k), str(v).rsplit("/", 1)[-1]) for k, v in (mapping or {}).items()))
        found["discriminator"] = (discriminator["propertyName"], entries)
    return found


def _order(keyword: str, value: Any, integer: bool) -> tuple[float, int]:
    if isinstance(value, Bound):
        return value.order(keyword == "lower", integer)
    return (value, 0)


def _narrower(keyword: str, a: Any, b: Any, integer: bool) -> Any:
    """Of two values of one ordered keyword, the one that accepts less (the first when they are equal)."""
    larger_narrows = ORDERED[keyword]
    first, second = _order(keyword, a, integer), _order(keyword, b, integer)
    return b if (second > first if larger_narrows else second < first) else a


def _looser(keyword: str, a: Any, b: Any, integer: bool) -> Any:
    """Of two values of one ordered keyword, the one that accepts more."""
    return a if _narrower(keyword, a, b, integer) is b else b


def _lcm(a: float, b: float) -> float:
    """The smallest number both `a` and `b` divide (exact for decimals such as 0.01)."""
    x, y = Fraction(str(a)), Fraction(str(b))
    result = Fraction(math.lcm(x.numerator, y.numerator), math.gcd(x.denominator, y.denominator))
    return int(result) if result.denominator == 1 else float(result)


def _all_keywords(parts: list[Node], integer: bool) -> dict[str, Any]:
    """allOf: every part's keywords hold at once, so of two values the narrower counts.

    `default` and `discriminator` come from the first part declaring them: the schema's own keywords come first,
    and a default written beside `allOf: [$ref]` overrides the referenced schema's. Of two different patterns
    or formats the first is compared (a contract rarely stacks them).
    """
    result: dict[str, Any] = {}
    for part in parts:
        for keyword, value in part.keywords.items():
            if keyword not in result:
                result[keyword] = value
            elif keyword in ORDERED:
                result[keyword] = _narrower(keyword, result[keyword], value, integer)
            elif keyword == "multipleOf":
                result[keyword] = _lcm(result[keyword], value)
    return result


def _any_keywords(variants: list[Node]) -> dict[str, Any]:
    """anyOf/oneOf: a keyword holds only if every variant it applies to declares it; then the looser value counts.

    A keyword limited to some types (`maxItems` to arrays) is judged on the variants of those types only: in
    `anyOf: [string, {type: array, maxItems: 256}]` every array is limited, whatever the string variant says.
    Other keywords, and unordered ones, are kept when every variant applying has the same value.
    """
    result: dict[str, Any] = {}
    for keyword in dict.fromkeys(k for v in variants for k in v.keywords):
        scope = SCOPES.get(keyword)
        relevant = [v for v in variants if scope is None or not v.types or v.types & scope]
        values = [v.keywords.get(keyword) for v in relevant]
        if not values or any(value is None for value in values):
            continue
        if keyword in ORDERED:
            integer = all(v.types == {"integer"} for v in relevant)
            loosest = values[0]
            for value in values[1:]:
                loosest = _looser(keyword, loosest, value, integer)
            result[keyword] = loosest
        elif all(value == values[0] for value in values):
            result[keyword] = values[0]
    return result


def _both(parts: list[Node]) -> Node:
    """allOf: every part holds at once."""
    constrained = [part for part in parts if not part.unconstrained]
    if not constrained:
        owners = [part.owner for part in parts if part.owner]
        result = Node(owner=owners[0] if len(owners) == 1 else None)
    else:
        result = constrained[0]
    for part in constrained[1:]:
        typed = [n for n in (result, part) if n.types]
        types = frozenset.intersection(*(n.types for n in typed)) if typed else frozenset()
        nullable = all(n.nullable for n in typed) if typed else result.nullable or part.nullable
        enums = [n.enum for n in (result, part) if n.enum is not None]
        enum = frozenset.intersection(*enums) if enums else None
        const = enum is not None and len(enum) <= 1 and (result.const or part.const)
        properties = dict(result.properties)
        for name, (sub, required) in part.properties.items():
            if name in properties:
                properties[name] = (_both([properties[name][0], sub]), required or properties[name][1])
            else:
                properties[name] = (sub, required)
        items_parts = [n.items for n in (result, part) if n.items is not None]
        items = _both(items_parts) if items_parts else None
        owner = result.owner if result.owner == part.owner else None
        schemas = [n.additional for n in (result, part) if isinstance(n.additional, Node)]
        closed = result.additional is False or part.additional is False
        additional: Node | bool = False if closed else schemas[0] if schemas else True
        result = Node(types, nullable, enum, properties, items, owner, const, {}, additional)
    unions = [part for part in parts if part.variants is not None]
    required_names = frozenset().union(*(part.required_names for part in parts))
    properties = {
        name: (sub, required or name in required_names) for name, (sub, required) in result.properties.items()
    }
    return replace(
        result,
        properties=properties,
        required_names=required_names,
        keywords=_all_keywords(parts, integer=result.types == {"integer"}),
        variants=unions[0].variants if unions else None,
        union=unions[0].union if unions else None,
    )


def _variant_label(node: Node) -> str:
    """How a union member is known: the component it refers to, else its type."""
    return node.owner or f"inline {_types(node.types)}"


def _either(variants: list[Node]) -> Node:
    """anyOf/oneOf: any one variant holds. A null-only variant makes the result nullable."""
    nullable = any(v.nullable for v in variants)
    real = [v for v in variants if v.types != frozenset({"null"})]
    if not real:
        return Node(types=frozenset({"null"}), nullable=True)
    if len(real) == 1:  # `anyOf: [X, {type: 'null'}]`: X made nullable, not a union
        return replace(real[0], nullable=nullable)
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
    open_to = [v.additional for v in real if not v.types or "object" in v.types]
    schemas = [a for a in open_to if isinstance(a, Node)]
    additional: Node | bool = True if not open_to or True in open_to else schemas[0] if schemas else False
    labels = tuple(sorted(_variant_label(v) for v in real))
    return Node(types, nullable, enum, properties, items, owner, False, _any_keywords(real), additional, labels)


def _flatten(node: Node, path: str, required: bool, owner: str | None, out: dict[str, FieldInfo], depth: int) -> None:
    additional: Literal["true", "false", "schema"] = (
        "schema" if isinstance(node.additional, Node) else "true" if node.additional else "false"
    )
    variants = node.variants if node.variants is not None else (_variant_label(node),)
    out[path] = FieldInfo(
        node.types,
        node.nullable,
        required,
        node.enum,
        owner,
        const=node.const,
        keywords=node.keywords,
        additional=additional,
        variants=variants,
        union=node.union,
    )
    if depth >= MAX_DEPTH:
        return
    for name, (sub, sub_required) in node.properties.items():
        _flatten(sub, f"{path}.{name}" if path else name, sub_required, node.owner, out, depth + 1)
    if node.items is not None:
        _flatten(node.items, f"{path}[]", True, node.owner, out, depth + 1)
    if isinstance(node.additional, Node):  # the value of any other key: `metadata.*`
        _flatten(node.additional, f"{path}.*" if path else "*", False, node.owner, out, depth + 1)


# --------------------------------------------------------------------------------------------- fields

Effect = Literal["narrowed", "widened", "changed"]


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


def _extra(path: str) -> bool:
    """Whether `path` is an additionalProperties schema (`metadata.*`): its coming and going is reported as such."""
    return path == "*" or path.endswith(".*")


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
        if _parent_missing(path, new) or _extra(path):  # report only the outermost field removed
            continue
        out.add("field-removed", True, f"{subject(path, old[path])} removed", location)
    for path in [p for p in new if p not in old]:
        if _parent_missing(path, old) or _extra(path):
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
        _compare_enum(was, now, request, name, location, out)
        _compare_variants(was, now, request, name, location, out)
        if "object" in was.types and "object" in now.types:
            _compare_additional(was.additional, now.additional, request, name, location, out)
        _compare_keywords(was, now, request, name, location, out)


def _judge(effect: Effect, request: bool) -> bool:
    """Whether a change breaks: narrowing breaks senders, widening breaks readers, a change of meaning breaks both."""
    return effect == "changed" or (effect == "narrowed") == request


def _compare_enum(was: FieldInfo, now: FieldInfo, request: bool, name: str, location: str, out: Changes) -> None:
    before, after = was.enum, now.enum
    if before == after:
        return
    if was.const or now.const:  # said with the keyword the contract uses: `const` is a one-value enum

        def spelled(info: FieldInfo) -> str:
            values = sorted(info.enum or ())
            return f"`const: {values[0]}`" if info.const and values else f"`enum: [{', '.join(values)}]`"

        if after is None:
            out.add("const-removed", not request, f"{name} no longer has {spelled(was)}", location)
        elif before is None:
            out.add("const-added", request, f"{name} is now restricted to {spelled(now)}", location)
        else:
            breaking = bool(before - after) if request else bool(after - before)
            out.add("const-changed", breaking, f"{name} changed from {spelled(was)} to {spelled(now)}", location)
        return
    if before is not None and after is None:
        out.add("enum-removed", not request, f"{name} is no longer restricted to [{_values(before)}]", location)
    elif before is None and after is not None:
        out.add("enum-added", request, f"{name} is now restricted to [{_values(after)}]", location)
    elif before is not None and after is not None:
        if after - before:
            out.add("enum-values-added", not request, f"{name} enum values added: {_values(after - before)}", location)
        if before - after:
            out.add("enum-values-removed", request, f"{name} enum values removed: {_values(before - after)}", location)


def _compare_variants(was: FieldInfo, now: FieldInfo, request: bool, name: str, location: str, out: Changes) -> None:
    """Union members by name: a request may gain members, a response may lose them.

    A member is known by the component it refers to; an inline member by its type, and when the field's types
    changed the type change already says it, so inline members are then left out.
    """
    if was.union is None and now.union is None:
        return
    keyword = now.union or was.union
    if was.union and now.union and was.union != now.union:
        # oneOf refuses a value matching two members where anyOf took it: narrower to send, wider to read.
        effect: Effect = "narrowed" if now.union == "oneOf" else "widened"
        message = f"{name} changed from `{was.union}` to `{now.union}`"
        out.add("union-changed", _judge(effect, request), message, location)
    before, after = Counter(was.variants), Counter(now.variants)

    def shown(label: str) -> str:
        return f"({label})" if label.startswith("inline ") else f"`{label}`"

    for label in before - after:
        if not (label.startswith("inline ") and was.types != now.types):
            out.add("variant-removed", request, f"{name} `{keyword}` variant {shown(label)} removed", location)
    for label in after - before:
        if not (label.startswith("inline ") and was.types != now.types):
            why = "" if request else " (an old client cannot read a value of it)"
            out.add("variant-added", not request, f"{name} `{keyword}` variant {shown(label)} added{why}", location)


def _compare_additional(was: str, now: str, request: bool, name: str, location: str, out: Changes) -> None:
    """additionalProperties, from closed (`false`) through a schema to any key (`true` or absent).

    Closing a request object refuses keys that were accepted. Opening a response object lets the server send
    keys a careful reader refuses: a validator holding it to the old contract, code that treats the object as
    complete; the generated models also change shape (they gain `additional_properties`).
    """
    if was == now:
        return
    rank = {"false": 0, "schema": 1, "true": 2}
    effect: Effect = "narrowed" if rank[now] < rank[was] else "widened"
    spelled = {"false": "`false`", "schema": "a schema", "true": "`true`"}
    breaking = _judge(effect, request)
    why = ""
    if breaking:
        why = " (keys that were accepted are refused)" if request else " (a reader that refuses unknown keys fails)"
    message = f"{name} `additionalProperties` changed from {spelled[was]} to {spelled[now]}{why}"
    out.add("additional-properties-changed", breaking, message, location)


def _spell(keyword: str, value: Any) -> str:
    return value.text if isinstance(value, Bound) else f"{keyword}: {_json(value)}"


def _compare_keywords(was: FieldInfo, now: FieldInfo, request: bool, name: str, location: str, out: Changes) -> None:
    """Assertions by direction (narrowed breaks a request, widened a response); annotations by their own rules."""
    integer = was.types == now.types == {"integer"}
    for keyword in dict.fromkeys([*was.keywords, *now.keywords]):
        before, after = was.keywords.get(keyword), now.keywords.get(keyword)
        if before == after:
            continue
        if keyword == "default":
            _compare_default(before, after, request, name, location, out)
        elif keyword == "discriminator":
            _compare_discriminator(before, after, request, name, location, out)
        elif keyword in ("readOnly", "writeOnly", "deprecated"):
            _compare_flag(keyword, after is not None, request, name, location, out)
        elif before is None:
            out.add("constraint-added", request, f"{name} now has `{_spell(keyword, after)}`", location)
        elif after is None:
            out.add("constraint-removed", not request, f"{name} no longer has `{_spell(keyword, before)}`", location)
        else:
            _compare_values(keyword, before, after, integer, request, name, location, out)


def _compare_values(
    keyword: str, before: Any, after: Any, integer: bool, request: bool, name: str, location: str, out: Changes
) -> None:
    """One assertion present on both sides with different values."""
    effect: Effect = "changed"
    if keyword in ORDERED:
        first, second = _order(keyword, before, integer), _order(keyword, after, integer)
        if first == second:  # the same bound spelled another way (`exclusiveMinimum: 0` for `minimum: 1`)
            return
        effect = "narrowed" if (second > first) == ORDERED[keyword] else "widened"
    elif keyword == "multipleOf":
        x, y = Fraction(str(before)), Fraction(str(after))
        if (x / y).denominator == 1:  # every multiple of the old step is one of the new: more is accepted
            effect = "widened"
        elif (y / x).denominator == 1:
            effect = "narrowed"
    verb = {"narrowed": "tightened", "widened": "loosened", "changed": "changed"}[effect]
    if isinstance(before, Bound):
        side = "lower" if keyword == "lower" else "upper"
        message = f"{name} {side} bound {verb} from `{before.text}` to `{after.text}`"
    else:
        message = f"{name} `{keyword}` {verb} from {_json(before)} to {_json(after)}"
    out.add(f"constraint-{verb}", _judge(effect, request), message, location)


def _compare_default(
    before: str | None, after: str | None, request: bool, name: str, location: str, out: Changes
) -> None:
    """A default is a promise both ways: what an omitted request field means, what an absent response key is.

    Changed or removed, it breaks whoever relied on it; added, it documents what was left open.
    """
    if before is None:
        out.add("default-added", False, f"{name} now has `default: {after}`", location)
        return
    if after is None:
        why = (
            "what an omitted field means is no longer documented"
            if request
            else "a reader can no longer fill in an absent key from the contract"
        )
        out.add("default-removed", True, f"{name} no longer has `default: {before}` ({why})", location)
        return
    why = (
        "an omitted field now means another value"
        if request
        else "a reader filling in the documented default for an absent key now gets another value"
    )
    out.add("default-changed", True, f"{name} `default` changed from {before} to {after} ({why})", location)


def _compare_flag(keyword: str, now_set: bool, request: bool, name: str, location: str, out: Changes) -> None:
    """readOnly, writeOnly and deprecated: each reported on its own line.

    A request field becoming readOnly is no longer taken from requests; a response field becoming writeOnly is
    no longer sent. Deprecation breaks nobody yet, but a user must hear of it. The reverse changes are compatible.
    """
    kinds = {"readOnly": "read-only-changed", "writeOnly": "write-only-changed", "deprecated": "deprecated-changed"}
    breaking = now_set and ((keyword == "readOnly" and request) or (keyword == "writeOnly" and not request))
    why = ""
    if breaking:
        why = " (the server no longer takes it from requests)" if request else " (the server no longer sends it)"
    state = "now" if now_set else "no longer"
    out.add(kinds[keyword], breaking, f"{name} is {state} `{keyword}`{why}", location)


def _compare_discriminator(before: Any, after: Any, request: bool, name: str, location: str, out: Changes) -> None:
    """The property naming a union's member, and its value -> member mapping.

    The property added, removed or renamed changes how every payload is told apart: breaking both ways. A
    mapping entry removed or pointed elsewhere breaks both ways too; one added widens what may be sent and
    breaks readers, which cannot map the new value.
    """
    if before is None or after is None or before[0] != after[0]:
        was = f"`{before[0]}`" if before else "none"
        now = f"`{after[0]}`" if after else "none"
        out.add("discriminator-changed", True, f"{name} `discriminator` property changed from {was} to {now}", location)
        return
    old_map, new_map = dict(before[1]), dict(after[1])
    for value in old_map:
        if value not in new_map:
            message = f"{name} `discriminator` mapping `{value}` removed (was {old_map[value]})"
            out.add("discriminator-mapping-removed", True, message, location)
        elif old_map[value] != new_map[value]:
            message = f"{name} `discriminator` mapping `{value}` changed from {old_map[value]} to {new_map[value]}"
            out.add("discriminator-mapping-changed", True, message, location)
    for value in new_map:
        if value not in old_map:
            message = f"{name} `discriminator` mapping `{value}` added ({new_map[value]})"
            out.add("discriminator-mapping-added", not request, message, location)


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


def load_yaml(source: bytes | str | IO[bytes]) -> Any:
    """YAML read with PyYAML's C parser where it has one: the contract in 0.02 s, not 0.14 s."""
    return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


@dataclass
class Contract:
    """One version of the contract and its resolver."""

    spec: Mapping[str, Any]
    resolver: Resolver

    @classmethod
    def load(cls, path: Path) -> Contract:
        """Parse a contract file; anything but a mapping with `paths` is refused by name."""
        try:
            spec = load_yaml(path.read_bytes())
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
    if bool(old_op.get("deprecated")) != bool(new_op.get("deprecated")):  # breaks nobody yet; users must hear of it
        state = "now" if new_op.get("deprecated") else "no longer"
        out.add("deprecated-changed", False, f"{label}: operation is {state} deprecated")
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
        if bool(was[key].get("deprecated")) != bool(now[key].get("deprecated")):
            state = "now" if now[key].get("deprecated") else "no longer"
            out.add("deprecated-changed", False, f"{label}: {where} parameter `{name}` is {state} deprecated")

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
