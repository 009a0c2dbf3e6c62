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
    # At 1 request/s: the free tier as reported runs there too. A short time limit: a client that has not finished
    # by then is reported killed (MistralAIEmbeddings, under 429s), and only the report's shape is judged.
    report = "\n".join(bench_ratelimit.scenario_requests(texts=1100, limits=(1.0,), timeout=15))
    assert "| 1/s | embedkit (defaults) |" in report
    # The service that tells its request limit only by 429s (`--no-request-headers`), reported beside it.
    assert "| 1/s | embedkit (defaults), 429s only, no request header |" in report
    assert "| 1/s | embedkit (defaults), the free tier as reported: 429s only, 500,000 tokens/min |" in report
    if bench_ratelimit.installed("langchain_mistralai"):
        assert "| 1/s | langchain-mistralai MistralAIEmbeddings |" in report
    else:
        assert "langchain-mistralai is not installed here" in report
    targets = report.split("### Learned-rate targets")[1]
    assert targets.count("| yes |") + targets.count("| no |") == 9
    for what in ("0 failures", "achieved ≥ 90% of the limit", "≤ 5% of requests answered 429"):
        for client in ("embedkit (defaults)", "embedkit (defaults), 429s only, no request header",
                       "embedkit (defaults), the free tier as reported: 429s only, 500,000 tokens/min"):  # fmt: skip
            assert f"{client} at 1 request/s: {what}" in targets, (client, what)


def test_a_token_limit_that_binds_first_is_the_limit_a_run_is_judged_by() -> None:
    # 10 requests of 11,000 tokens against 1 request/s and 500,000 tokens/min: the tokens allow 0.76 requests/s.
    run = bench_ratelimit.RateRun("r", 1.0, 10, 0, 12.0, 0, tokens_limit=500_000, tokens=110_000)
    assert run.binding() == pytest.approx(500_000 / 60 / 11_000)
    assert run.ratio() == pytest.approx(9 / 12.0 / run.binding())
    # A token limit that does not bind leaves the request limit the judge.
    assert bench_ratelimit.RateRun("r", 1.0, 10, 0, 9.5, 0, tokens_limit=10**8, tokens=110_000).binding() == 1.0
    assert bench_ratelimit.RateRun("r", 2.0, 10, 0, 9.5, 0).ratio() == pytest.approx(9 / 9.5 / 2.0)


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
