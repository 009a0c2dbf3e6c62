"""The rate-limit scenario of `make bench` runs end to end and reports every client and target (tiny: no timing or
rate is judged here, only that embedkit is never refused nor fails at the server's own limit)."""

from __future__ import annotations

import bench_ratelimit
import pytest


@pytest.mark.slow
def test_the_rate_limit_scenario_reports_every_client_and_target() -> None:
    report = "\n".join(bench_ratelimit.scenario(texts=1024, seconds=4))
    for client in ("embedkit, 4 processes", "embedkit, Dask LocalCluster", "openai, 4 processes",
                   "mistralai, 4 processes"):  # fmt: skip
        assert f"| {client}" in report, client
    targets = report.split("### Rate-limit targets")[1]
    assert targets.count("| yes |") + targets.count("| no |") == 6
    assert report.count("answered 429 | 0.0% | yes |") == 2  # embedkit, paced at the server's limit, is never refused
    assert report.count("0 failures | 0 | yes |") == 2
    assert "SQLite file" in report
