"""Shared access to the contract: every test reads openapi.yaml itself, never a copy of its schemas."""

from __future__ import annotations

import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"

# tools/ holds repository scripts, not an installed package.
sys.path.insert(0, str(ROOT / "tools"))


@cache
def load_spec() -> dict[str, Any]:
    """The contract as plain data (parsed once per session; callers must not mutate it)."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, METHOD, operation) for every operation in the contract."""
    found = []
    for path, item in load_spec()["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((path, method.upper(), operation))
    return found


def object_schema_names() -> list[str]:
    """Component schemas that become attrs models (objects, and `allOf` compositions of them); unions and enums
    become type aliases."""
    return [
        name
        for name, schema in load_spec()["components"]["schemas"].items()
        if schema.get("type") == "object" or "allOf" in schema
    ]


def model_class(schema_name: str) -> Any:
    """The generated attrs class for a component schema."""
    import embedkit_generated.models as models

    return getattr(models, schema_name)


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    """The JSON schema of an operation's response body for a status (resolving a shared `components/responses`)."""
    response = load_spec()["paths"][path][method.lower()]["responses"][status]
    if "$ref" in response:
        response = load_spec()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def assert_conforms(response: httpx.Response, path: str, method: str) -> Any:
    """The status is documented for the operation and the body validates against its schema."""
    documented = load_spec()["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, f"{response.status_code} is not documented for {method} {path}"
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    schema = {**response_schema(path, method, str(response.status_code)), "components": load_spec()["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    return body


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test has its own node id, and tests marked `slow` run first (a stable sort: otherwise in file order).

    `make test` spreads the suite over workers (pytest-xdist), which take tests in collection order: started
    first, the minute-long end-to-end runs overlap the many short tests instead of leaving one worker busy with
    a long test at the end while the other waits. Every worker sorts the same collection the same way, as xdist
    requires.

    xdist tells tests apart by node id alone. schemathesis names each operation's test after it
    (`test_x[POST /v1/embeddings]`) but gives them all the function's node id, so xdist would run one operation
    and drop the rest without a word; the node id takes the unique name instead, and a duplicate left stops the run.
    """
    counts = Counter(item.nodeid for item in items)
    for item in items:
        module, _, function = item.nodeid.rpartition("::")
        if counts[item.nodeid] > 1 and item.name != function:
            # pytest 9 keeps the id structured (`_pytest.nodeid.NodeId`): parsed from the string, as pytest does.
            item._id = type(item._id).parse(f"{module}::{item.name}")
    duplicates = [nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1]
    if duplicates:
        raise pytest.UsageError(f"tests share a node id, so pytest-xdist would run only one of each: {duplicates}")
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture(scope="session")
def server() -> Any:
    """The reference server with its defaults, on a free loopback port for the whole session."""
    from embedkit_server import BackgroundServer

    with BackgroundServer() as running:
        yield running


@pytest.fixture(scope="session")
def gateway() -> Any:
    """A reference server that honours `encoding_format: base64` on every route, like an OpenAI-compatible gateway."""
    from embedkit_server import BackgroundServer, ServerConfig

    with BackgroundServer(ServerConfig(honour_base64=True)) as running:
        yield running


@pytest.fixture(scope="session")
def auth() -> dict[str, str]:
    from embedkit_server import DEV_TOKEN

    return {"Authorization": f"Bearer {DEV_TOKEN}"}


def auth_for(case: Any, auth: dict[str, str]) -> dict[str, str]:
    """The headers a fuzzed case is sent with: the key, unless the case was generated without it on purpose.

    A case whose headers violate the contract by lacking the required Authorization must reach the server that
    way: adding the key back made it a valid request, which the server rightly accepted and the negative-data
    check then reported (seen in the stateful run, where a link also replaced the mutated body).
    """
    from schemathesis.core.parameters import ParameterLocation

    generated = {name.lower() for name in case.headers or {}}
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    if negative_headers and "authorization" not in generated:
        return {}
    return auth


@pytest.fixture(autouse=True)
def _each_test_meets_services_afresh() -> Any:
    """Forget the rate budgets this process learned: a later test's server may get an earlier one's port.

    Budgets are shared per key and URL, as they should be for one service; in a test session two servers can have
    the same URL one after the other, and a pause or a slow pace learned from the first must not slow the second.
    """
    yield
    from embedkit import _ratebudget

    with _ratebudget._REGISTRY_LOCK:
        _ratebudget._REGISTRY.clear()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference server's development key as MISTRAL_API_KEY, and no MISTRAL_BASE_URL, for in-process CLI runs."""
    from embedkit_server import DEV_TOKEN

    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    monkeypatch.delenv("MISTRAL_BASE_URL", raising=False)


def run_cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """`embedkit ARGUMENTS` run in this process: its exit status, standard output and standard error."""
    from embedkit import _cli

    try:
        status = _cli.main(list(arguments))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err
