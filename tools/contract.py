"""Derive openapi.yaml from its three inputs, and re-cut Mistral's own OpenAPI document when it changes.

The contract is not written by hand any more; it is made from:

- `contract/mistral.yaml`: the cut of Mistral's published OpenAPI document that this project serves. Every
  operation tagged embeddings, models, files or batch, with the closure of everything it `$ref`s, exactly as
  upstream has it (names, types, enums, limits, defaults, formats, titles) less upstream's prose and examples
  (`description`, `summary`, `example(s)`, `x-` extensions): our words are in the overlay. The upstream source
  and the sha256 of the document it was cut from are recorded in its `info.x-upstream`.
- `contract/cortecs.yaml`: cortecs.ai's operations, written from cortecs' own API pages. It may `$ref` the shared
  schemas of the Mistral cut (the bodies are OpenAI-compatible on both services).
- `contract/overlay.yaml`: an OpenAPI Overlay 1.0 document. Each action is one place where this contract knowingly
  differs from upstream (a field the service really sends that upstream forgets, an error status clients meet,
  a readable operation id), and its `description` says why. Targets are RFC 9535 JSONPath, evaluated by the
  `jsonpath-rfc9535` library. An action whose target selects nothing is an error: upstream changed under it and
  someone has to decide what the difference has become.

`openapi.yaml` = overlay(merge(mistral cut, cortecs part)). Commands:

- `contract.py build` writes openapi.yaml; `contract.py check` exits 1 when the committed file is not what the
  inputs make (`make check-generated` runs it beside the generated client's drift check).
- `contract.py upstream SPEC` (a path or an http(s) URL; `make upstream SPEC=...`) re-cuts a new upstream document,
  applies the overlay, prints the change report of the upstream cut (old → new) and of our contract (old → new),
  and writes both files. It exits 2, writing nothing, when an overlay action no longer applies; otherwise 0 (the
  report says what breaks, and `make generate` follows).

Update semantics (the Overlay specification's merge, as 1.1 states it): objects merge recursively, arrays are
appended to, anything else is replaced; updating an array target appends the value. `remove: true` deletes every
selected node. Replacing a node wholesale is a `remove` followed by an `update` of its parent.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonpath_rfc9535
import spec_diff  # tools/spec_diff.py (tools/ is on sys.path when run as a script)
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DIR = ROOT / "contract"
MISTRAL_CUT = CONTRACT_DIR / "mistral.yaml"
CORTECS_PART = CONTRACT_DIR / "cortecs.yaml"
OVERLAY = CONTRACT_DIR / "overlay.yaml"
SPEC = ROOT / "openapi.yaml"

# The operations we serve, by upstream tag.
SERVED_TAGS = ("embeddings", "models", "files", "batch")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Upstream's words, not its structure: our own descriptions come from the overlay.
PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "externalDocs"})
# Keys whose value maps names to things: a child named "description" there is a name (a property called
# `description`), not prose.
NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "schemas",
        "responses",
        "parameters",
        "headers",
        "content",
        "paths",
        "mapping",
        "securitySchemes",
        "requestBodies",
        "links",
        "callbacks",
        "encoding",
        "variables",
        "dependentSchemas",
    }
)
HEADER = (
    "# Derived by tools/contract.py from contract/mistral.yaml (Mistral's published document, cut),\n"
    "# contract/cortecs.yaml and contract/overlay.yaml. Do not edit: change an input, then `make contract`.\n"
)
CUT_HEADER = (
    "# The cut of Mistral's published OpenAPI document that this project serves, made by `make upstream`\n"
    "# (tools/contract.py): upstream's structure, without upstream's prose. Do not edit by hand.\n"
)


class ContractError(Exception):
    """The contract cannot be made from its inputs (an overlay action that no longer applies, a name clash)."""


def load_yaml(path: Path) -> Any:
    """Read YAML with the C loader where there is one (the upstream document is a megabyte)."""
    with path.open("rb") as handle:
        return spec_diff.load_yaml(handle)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing multi-line strings as literal blocks so that descriptions read as written."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        # A literal block cannot hold trailing spaces on a line; they carry no meaning in a description.
        text = "\n".join(line.rstrip() for line in data.split("\n"))
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(document: Any, header: str = "") -> str:
    """One deterministic YAML rendering (key order kept, multi-line strings as blocks) for every derived file."""
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
    return header + text


# ----------------------------------------------------------------------------------------------------------
# The cut


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _pointer(document: Mapping[str, Any], ref: str) -> tuple[str, ...]:
    if not ref.startswith("#/"):
        raise ContractError(f"only local references are supported, found {ref!r}")
    parts = tuple(part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/"))
    node: Any = document
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            raise ContractError(f"dangling reference {ref!r}")
        node = node[part]
    return parts


def strip_prose(node: Any, *, names: bool = False, response: bool = False) -> Any:
    """Upstream's node without its prose: `description`/`summary`/examples and `x-` extensions dropped.

    A Response Object keeps its `description`, which OpenAPI requires (upstream's are one-word labels: "OK").
    """
    if isinstance(node, dict):
        if names:
            return {key: strip_prose(value, response=response) for key, value in node.items()}
        return {
            key: strip_prose(value, names=key in NAME_MAPS, response=key == "responses")
            for key, value in node.items()
            if (key not in PROSE_KEYS or (response and key == "description")) and not str(key).startswith("x-")
        }
    if isinstance(node, list):
        return [strip_prose(value) for value in node]
    return node


def cut(upstream: Mapping[str, Any], *, source: str, sha256: str) -> dict[str, Any]:
    """The part of `upstream` this project serves: the tagged operations and the closure of their `$ref`s."""
    paths: dict[str, Any] = {}
    for path, item in upstream.get("paths", {}).items():
        kept = {
            method: operation
            for method, operation in item.items()
            if method in METHODS and set(operation.get("tags", ())) & set(SERVED_TAGS)
        }
        if kept:
            shared = {key: value for key, value in item.items() if key not in METHODS}
            paths[path] = {**shared, **kept}
    if not paths:
        raise ContractError(f"the upstream document has no operation tagged {', '.join(SERVED_TAGS)}")
    security = upstream.get("security", [])
    wanted = {f"#/components/securitySchemes/{name}" for requirement in security for name in requirement}
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict):
                for requirement in operation.get("security", []):
                    wanted |= {f"#/components/securitySchemes/{name}" for name in requirement}
    wanted |= set(_refs(paths))
    seen: set[str] = set()
    components: dict[str, dict[str, Any]] = {}
    while wanted:
        ref = wanted.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = _pointer(upstream, ref)
        if len(parts) != 3 or parts[0] != "components":
            raise ContractError(f"a reference outside components: {ref!r}")
        node = upstream["components"][parts[1]][parts[2]]
        components.setdefault(parts[1], {})[parts[2]] = node
        wanted |= set(_refs(node)) - seen
    used_tags = {
        tag for item in paths.values() for op in item.values() if isinstance(op, dict) for tag in op.get("tags", ())
    }
    info = {key: value for key, value in upstream.get("info", {}).items() if key in ("title", "version")}
    info["x-upstream"] = {"source": source, "sha256": sha256, "tags": list(SERVED_TAGS)}
    document: dict[str, Any] = {"openapi": upstream.get("openapi", "3.1.0"), "info": info}
    if "servers" in upstream:
        document["servers"] = [{"url": server["url"]} for server in upstream["servers"]]
    if security:
        document["security"] = security
    document["tags"] = [{"name": tag["name"]} for tag in upstream.get("tags", []) if tag.get("name") in used_tags]
    document["paths"] = strip_prose(paths, names=True)
    document["components"] = {
        kind: strip_prose(dict(sorted(entries.items())), names=True, response=kind == "responses")
        for kind, entries in sorted(components.items())
    }
    return document


# ----------------------------------------------------------------------------------------------------------
# Merge and overlay


def merge_parts(mistral: Mapping[str, Any], cortecs: Mapping[str, Any]) -> dict[str, Any]:
    """One document from the cut and cortecs' part; a path or component defined twice is an error."""
    document = copy.deepcopy(dict(mistral))
    for path, item in cortecs.get("paths", {}).items():
        if path in document.setdefault("paths", {}):
            raise ContractError(f"cortecs' part and the Mistral cut both define the path {path!r}")
        document["paths"][path] = copy.deepcopy(item)
    for kind, entries in cortecs.get("components", {}).items():
        target = document.setdefault("components", {}).setdefault(kind, {})
        for name, node in entries.items():
            if name in target and target[name] != node:
                raise ContractError(f"cortecs' part redefines components.{kind}.{name} of the Mistral cut")
            target[name] = copy.deepcopy(node)
    servers = document.setdefault("servers", [])
    for server in cortecs.get("servers", []):
        if all(server.get("url") != known.get("url") for known in servers):
            servers.append(copy.deepcopy(server))
    tags = document.setdefault("tags", [])
    for tag in cortecs.get("tags", []):
        if all(tag.get("name") != known.get("name") for known in tags):
            tags.append(copy.deepcopy(tag))
    return document


def _merge(target: Any, update: Any, where: str) -> Any:
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            target[key] = _merge(target[key], value, f"{where}.{key}") if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list) and isinstance(update, list):
        target.extend(copy.deepcopy(update))
        return target
    if isinstance(target, (dict, list)) or isinstance(update, (dict, list)):
        raise ContractError(f"cannot merge a {type(update).__name__} into the {type(target).__name__} at {where}")
    return copy.deepcopy(update)


def _parent(document: Any, location: tuple[str | int, ...]) -> Any:
    node = document
    for part in location[:-1]:
        node = node[part]
    return node


def apply_overlay(document: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`document` with every action of `overlay` applied in order; an action selecting nothing is an error."""
    version = str(overlay.get("overlay", ""))
    if not version.startswith("1."):
        raise ContractError(f"not an Overlay 1.x document (overlay: {version!r})")
    for number, action in enumerate(overlay.get("actions", []), start=1):
        target = action.get("target")
        label = f"overlay action {number} ({target}): {str(action.get('description', '')).splitlines()[0:1]}"
        if not action.get("description"):
            raise ContractError(f"overlay action {number} ({target}) has no description: every difference says why")
        try:
            nodes = list(jsonpath_rfc9535.find(target, document))
        except jsonpath_rfc9535.JSONPathError as error:
            raise ContractError(f"{label}: not a JSONPath query: {error}") from error
        if not nodes:
            raise ContractError(f"{label}: the target selects nothing (upstream changed under it?)")
        if action.get("remove"):
            # Deepest and last first, so removing one node never shifts the location of another.
            for node in sorted(nodes, key=lambda found: (len(found.location), found.location), reverse=True):
                parent = _parent(document, node.location)
                del parent[node.location[-1]]
            continue
        if "update" not in action:
            raise ContractError(f"{label}: neither update nor remove")
        for node in nodes:
            where = node.path()
            if isinstance(node.value, list):
                node.value.append(copy.deepcopy(action["update"]))
            elif isinstance(node.value, dict):
                _merge(node.value, action["update"], where)
            else:
                raise ContractError(f"{label}: the target at {where} is a {type(node.value).__name__}, not an object")
    return document


def build(
    mistral: Mapping[str, Any] | None = None,
    cortecs: Mapping[str, Any] | None = None,
    overlay: Mapping[str, Any] | None = None,
) -> str:
    """The text of openapi.yaml made from the three inputs (the committed ones unless given)."""
    document = merge_parts(
        mistral if mistral is not None else load_yaml(MISTRAL_CUT),
        cortecs if cortecs is not None else load_yaml(CORTECS_PART),
    )
    document = apply_overlay(document, overlay if overlay is not None else load_yaml(OVERLAY))
    _check_refs(document)
    return dump_yaml(document, HEADER)


def _check_refs(document: Mapping[str, Any]) -> None:
    for ref in set(_refs(document)):
        _pointer(document, ref)


# ----------------------------------------------------------------------------------------------------------
# Commands


def read_upstream(spec: str) -> tuple[bytes, str]:
    """The bytes of an upstream document and the label recorded as its source."""
    if spec.startswith(("http://", "https://")):
        import httpx  # only this command needs the network

        response = httpx.get(spec, follow_redirects=True, timeout=60.0)
        response.raise_for_status()
        return response.content, spec
    path = Path(spec)
    return path.read_bytes(), str(path)


def upstream(spec: str, *, source: str | None = None, write: bool = True) -> int:
    """Re-cut `spec`, rebuild the contract, report both changes; 2 (nothing written) if the overlay fails."""
    raw, label = read_upstream(spec)
    document = spec_diff.load_yaml(raw)
    if not isinstance(document, dict) or "paths" not in document:
        print(f"{spec}: not an OpenAPI document", file=sys.stderr)
        return 2
    new_cut = cut(document, source=source or label, sha256=hashlib.sha256(raw).hexdigest())
    try:
        new_spec = build(mistral=new_cut)
    except ContractError as error:
        print(f"the overlay no longer applies to {spec}; nothing written.\n{error}", file=sys.stderr)
        return 2
    cut_text = dump_yaml(new_cut, CUT_HEADER)
    with tempfile.TemporaryDirectory(prefix="upstream-") as scratch:
        old_cut_path, new_cut_path = Path(scratch) / "old-cut.yaml", Path(scratch) / "new-cut.yaml"
        new_spec_path = Path(scratch) / "openapi.yaml"
        old_cut_path.write_text(MISTRAL_CUT.read_text() if MISTRAL_CUT.exists() else "openapi: 3.1.0\npaths: {}\n")
        new_cut_path.write_text(cut_text)
        new_spec_path.write_text(new_spec)
        old_cut = load_yaml(MISTRAL_CUT) if MISTRAL_CUT.exists() else {}
        old_source = old_cut.get("info", {}).get("x-upstream", {}).get("source", "nothing")
        print("== Upstream: the cut of Mistral's document that we serve, old -> new ==")
        upstream_names = (f"contract/mistral.yaml (cut of {old_source})", f"the cut of {source or label}")
        print(spec_diff.render(spec_diff.diff(old_cut_path, new_cut_path, generated=False, names=upstream_names)))
        print("== Our contract: openapi.yaml old -> new (with the generated client's API) ==")
        ours = ("openapi.yaml (committed)", "openapi.yaml (from the new cut)")
        print(spec_diff.render(spec_diff.diff(SPEC, new_spec_path, generated=True, names=ours)))
    if write:
        MISTRAL_CUT.write_text(cut_text)
        SPEC.write_text(new_spec)
        print(f"wrote {MISTRAL_CUT.relative_to(ROOT)} and {SPEC.relative_to(ROOT)}; now `make generate`")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry for `make contract`, `make check-generated` and `make upstream`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="write openapi.yaml from contract/")
    commands.add_parser("check", help="exit 1 if openapi.yaml is not what contract/ makes")
    recut = commands.add_parser("upstream", help="re-cut a new upstream document and rebuild openapi.yaml")
    recut.add_argument("spec", help="a path or an http(s) URL of Mistral's OpenAPI document")
    recut.add_argument("--source", help="what to record as the cut's source (default: SPEC as given)")
    recut.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    args = parser.parse_args(argv)
    try:
        if args.command == "upstream":
            return upstream(args.spec, source=args.source, write=not args.dry_run)
        text = build()
    except ContractError as error:
        print(f"cannot make openapi.yaml: {error}", file=sys.stderr)
        return 2
    if args.command == "build":
        SPEC.write_text(text)
        print(f"wrote {SPEC.relative_to(ROOT)} from contract/")
        return 0
    if SPEC.read_text() != text:
        print(
            "openapi.yaml is not what contract/ makes (edit contract/, then `make contract` and commit)",
            file=sys.stderr,
        )
        return 1
    print("openapi.yaml matches contract/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
