"""`make bench` runs end to end and reports every client and target (at a tiny scale: no timing is judged here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_the_benchmark_runs_and_reports_every_client_and_target(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), "--texts", "512", "--repeat", "1", "--latency-texts", "256",
         "--latency-ms", "20", "--memory-texts", "1024", "--float-texts", "256", "--concurrency-texts", "256",
         "--latencies", "0,20", "--concurrency-repeat", "1", "--ratelimit-texts", "0", "--upload-mb", "4",
         "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = (tmp_path / "bench.md").read_text()
    assert "Same vectors from every client: True" in report
    for client in ("naive floor", "embedkit (defaults)", "embedkit (float JSON)", "openai SDK", "mistralai SDK"):
        assert f"| {client}" in report, client
    for client in ("embedkit (float JSON, defaults)", "fixed 32", "adaptive / best", "0 ms", "20 ms"):
        assert client in report, client
    # 6 base64-path targets, 4 float-path ones, 1 per latency above 0, 2 for the instant server, 2 for start-up.
    # ... 1 for the server's memory under concurrent uploads, and 1 for the Parquet job's memory against the .npy's.
    assert report.count("| yes |") + report.count("| no |") == 6 + 4 + 1 + 2 + 2 + 1 + 1
    assert "Parquet job peak RSS" in report
    assert "`embedkit --version`" in report
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
