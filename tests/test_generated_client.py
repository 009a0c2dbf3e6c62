"""generated_client/ is exactly the pinned generator's output for openapi.yaml, and stands on its own."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import codegen
import yaml
from conftest import ROOT, SPEC_PATH, load_spec

PACKAGE = ROOT / "generated_client" / "embedkit_generated"


def test_committed_client_matches_the_contract() -> None:
    problems = codegen.drift()
    assert not problems, "generated_client/ drifted from openapi.yaml; run `make generate`:\n" + "\n".join(problems)


def test_drift_check_names_the_file_a_contract_change_touches(tmp_path: Path) -> None:
    # The check above must be able to fail: change one field without regenerating.
    spec = load_spec()
    changed = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    changed["components"]["schemas"]["UsageInfo"]["properties"]["cached_tokens"] = {"type": "integer"}
    assert "cached_tokens" not in spec["components"]["schemas"]["UsageInfo"]["properties"]
    mutated = tmp_path / "openapi.yaml"
    mutated.write_text(yaml.safe_dump(changed, sort_keys=False), encoding="utf-8")

    problems = codegen.drift(spec=mutated)

    assert [p.splitlines()[0] for p in problems] == [
        "differs: generated_client/embedkit_generated/models/usage_info.py"
    ]
    assert "cached_tokens" in problems[0]


def test_generation_is_byte_identical_twice(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "embedkit_generated", tmp_path / "b" / "embedkit_generated"
    codegen.generate(SPEC_PATH, first)
    codegen.generate(SPEC_PATH, second)
    files_first, files_second = codegen._files(first), codegen._files(second)
    assert files_first.keys() == files_second.keys()
    assert len(files_first) > 20
    for name in files_first:
        assert files_first[name].read_bytes() == files_second[name].read_bytes(), name


def test_operations_live_where_their_tags_and_ids_say() -> None:
    from embedkit_generated.api.batch import create_batch_job, delete_batch_job
    from embedkit_generated.api.cortecs import create_serverless_embeddings
    from embedkit_generated.api.embeddings import create_embeddings
    from embedkit_generated.api.files import get_file_signed_url, upload_file
    from embedkit_generated.api.models import list_models, retrieve_model

    modules = (create_embeddings, list_models, retrieve_model, upload_file, get_file_signed_url, create_batch_job,
               delete_batch_job, create_serverless_embeddings)  # fmt: skip
    for module in modules:
        for function in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"):
            assert callable(getattr(module, function)), f"{module.__name__}.{function}"


def test_generated_package_is_typed_and_needs_only_httpx_and_attrs() -> None:
    assert (PACKAGE / "py.typed").is_file()
    allowed = set(sys.stdlib_module_names) | {"httpx", "attrs", "embedkit_generated"}
    foreign = set()
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                foreign |= {alias.name.split(".")[0] for alias in node.names} - allowed
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                foreign |= {node.module.split(".")[0]} - allowed
    assert not foreign
    declared = (ROOT / "generated_client" / "pyproject.toml").read_text(encoding="utf-8")
    assert '"httpx' in declared
    assert '"attrs' in declared
