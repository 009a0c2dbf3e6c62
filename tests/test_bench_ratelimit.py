"""The rate-limit scenarios of `make bench` run end to end and report every client and target.

Tiny runs, and only the report's shape is judged: every client and every target named, each target with a verdict.
Whether the targets hold is `make bench`'s to report (a loaded machine may miss a rate target; that is a
measurement, not a failure of this test).
"""

from __future__ import annotations

import bench_ratelimit
import pytest


@pytest.mark.slow
def test_the_rate_limit_scenario_reports_every_client_and_target() -> None:
    report = "\n".join(bench_ratelimit.scenario(texts=1024, seconds=4, request_texts=0))
    for client in ("embedkit, 4 processes", "embedkit, Dask LocalCluster", "openai, 4 processes",
                   "mistralai, 4 processes"):  # fmt: skip
        assert f"| {client}" in report, client
    targets = report.split("### Rate-limit targets")[1]
    assert targets.count("| yes |") + targets.count("| no |") == 6
    for what in ("achieved ≥ 95% of L", "≤ 1% of requests answered 429", "0 failures"):
        assert targets.count(what) == 2, what
    assert "SQLite file" in report


@pytest.mark.slow
def test_the_learned_rate_scenario_reports_every_client_and_target() -> None:
    report = "\n".join(bench_ratelimit.scenario_requests(texts=1100, limits=(2.0,), timeout=30))
    assert "| 2/s | embedkit (defaults) |" in report
    # The service that tells its request limit only by 429s (`--no-request-headers`), reported beside it.
    assert "| 2/s | embedkit (defaults), 429s only, no request header |" in report
    if bench_ratelimit.installed("langchain_mistralai"):
        assert "| 2/s | langchain-mistralai MistralAIEmbeddings |" in report
    else:
        assert "langchain-mistralai is not installed here" in report
    targets = report.split("### Learned-rate targets")[1]
    assert targets.count("| yes |") + targets.count("| no |") == 6
    for what in ("0 failures", "achieved ≥ 90% of the limit", "≤ 5% of requests answered 429"):
        assert f"embedkit (defaults) at 2 request/s: {what}" in targets, what
        assert f"embedkit (defaults), 429s only, no request header at 2 request/s: {what}" in targets, what


def test_the_learned_rate_scenario_takes_its_batching_and_clients_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The parsing only (no run): `--request-batch-size` and `--request-limits` reach the scenario.
    calls: list[tuple[object, ...]] = []

    def scenario_requests(texts: int, limits: tuple[float, ...], *, batch_size: int, sdks: bool) -> list[str]:
        calls.append((texts, limits, batch_size, sdks))
        return []

    monkeypatch.setattr(bench_ratelimit, "scenario_requests", scenario_requests)
    bench_ratelimit.main(["--texts", "0", "--request-texts", "20000", "--request-batch-size", "20",
                          "--request-limits", "1,2", "--no-sdks"])  # fmt: skip
    assert calls == [(20000, (1.0, 2.0), 20, False)]
