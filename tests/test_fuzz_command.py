"""`make fuzz` (tools/fuzz.py) against a deployment: it reports failures, writes JUnit, and never shows the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import ROOT, operations
from embedkit_server import BackgroundServer, FaultPlan, ServerConfig

SECRET = "sk-fuzz-0123456789abcdef"


def run_fuzz(url: str, report: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "fuzz.py"), "--url", url, "--max-examples", "5", "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "FUZZ_TOKEN": SECRET},
        check=False,
    )


@pytest.mark.parametrize(
    ("faults", "healthy"),
    [(FaultPlan(), True), (FaultPlan(rate=1.0, kinds=("500",)), False)],
    ids=["healthy deployment", "deployment answering 500"],
)
def test_fuzzing_a_deployment_reports_the_outcome_without_the_key(
    tmp_path: Path, faults: FaultPlan, healthy: bool
) -> None:
    report = tmp_path / "junit.xml"
    with BackgroundServer(ServerConfig(tokens=(SECRET,), faults=faults)) as deployment:
        finished = run_fuzz(deployment.url, report)

    output = finished.stdout + finished.stderr
    assert (finished.returncode == 0) is healthy, output[-3000:]
    suite = ElementTree.parse(report).getroot()
    assert int(suite.get("tests")) == len(operations())  # one test case per operation of the contract
    assert (int(suite.get("failures")) == 0) is healthy
    assert SECRET not in output
    assert SECRET not in report.read_text()
