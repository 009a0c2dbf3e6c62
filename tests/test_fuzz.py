"""schemathesis fuzzes every operation of openapi.yaml against the reference server over loopback HTTP.

Every check is on, with positive and negative data, up to 300 generated cases per operation plus the coverage
phase's boundary cases (settings in schemathesis.toml). Valid requests must be served (see fuzz_hooks), invalid
ones rejected with a documented status, and every response must match the contract.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from conftest import SPEC_PATH, auth_for
from fuzz_hooks import map_case

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_path(SPEC_PATH)
schema.hook(map_case)


@schema.parametrize()
def test_every_operation_withstands_fuzzing_with_every_check(case: Any, server: Any, auth: dict[str, str]) -> None:
    case.call_and_validate(base_url=server.url, headers=auth_for(case, auth), timeout=30)
