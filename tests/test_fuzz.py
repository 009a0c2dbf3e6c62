"""schemathesis fuzzes every operation of openapi.yaml against the reference server over loopback HTTP.

Every check is on, with positive and negative data, up to 300 generated cases per operation plus the coverage
phase's boundary cases (settings in schemathesis.toml). Valid requests must be served (see fuzz_hooks), invalid
ones rejected with a documented status, and every response must match the contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conftest import SPEC_PATH, auth_for
from embedkit_server import BackgroundServer
from fuzz_hooks import filter_case, map_case

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_path(SPEC_PATH)
schema.hook(map_case)
schema.hook(filter_case)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Any]:
    """A server of the fuzzer's own.

    Its cases delete, rename and archive the models, files and jobs they find, which the session's server must
    keep for the tests that share it.
    """
    with BackgroundServer() as running:
        yield running


@schema.parametrize()
def test_every_operation_withstands_fuzzing_with_every_check(case: Any, fuzzed: Any, auth: dict[str, str]) -> None:
    case.call_and_validate(base_url=fuzzed.url, headers=auth_for(case, auth), timeout=30)
