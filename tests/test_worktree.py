"""The suite keeps its artefacts out of git: what its tools write goes to ignored paths, and none of it is tracked."""

from __future__ import annotations

import shutil
import subprocess
import tomllib

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)


def git(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_schemathesis_keeps_its_crash_record_in_an_ignored_directory() -> None:
    # The record holds the schema's absolute path and the target's URL: machine-specific, never to be committed.
    with (ROOT / "schemathesis.toml").open("rb") as handle:
        directory = tomllib.load(handle)["cache"]["directory"]
    assert not directory.startswith("/"), "relative to the repository, where both the tests and `make fuzz` run"
    assert git("check-ignore", "--quiet", f"{directory}/default/crashes/manifest.json").returncode == 0
    assert git("check-ignore", "--quiet", ".schemathesis/default/cache/crashes/manifest.json").returncode == 0
    assert git("ls-files", ".schemathesis", directory).stdout == "", "no crash record is tracked"
