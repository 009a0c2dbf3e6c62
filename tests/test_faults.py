"""Fault injection: seeded, reproducible, visible to clients as real failures, and harmless to what succeeds."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import numpy as np
import pytest
from embedkit_server import FAULT_KINDS, BackgroundServer, FaultPlan, ServerConfig

REQUESTS = 60
# One TLS context for the clients below: httpx builds one per client otherwise, loading every CA certificate
# (30-40 ms each, though these clients only speak plain HTTP to loopback).
TLS = ssl.create_default_context()
BODY = {"model": "mistral-embed", "input": ["fault injection", "keeps vectors intact"]}


def outcomes(plan: FaultPlan, auth: dict[str, str]) -> tuple[list[str], list[str | None], list[Any]]:
    """What a client saw for each of REQUESTS sequential requests, the server's draws, and the bodies of successes."""
    seen, successes = [], []
    with BackgroundServer(ServerConfig(faults=plan)) as server:
        for _ in range(REQUESTS):
            # A fresh connection each time: a dropped one must not decide the fate of the next request.
            with httpx.Client(base_url=server.url, headers=auth, timeout=10, verify=TLS) as client:
                try:
                    response = client.post("/v1/embeddings", json=BODY)
                except httpx.RemoteProtocolError:
                    seen.append("dropped")
                    continue
            try:
                body = response.json()
            except json.JSONDecodeError:
                seen.append(f"{response.status_code} broken json")
                continue
            seen.append(str(response.status_code))
            if response.status_code == 200:
                successes.append(body)
            elif response.status_code in (429, 503):
                assert int(response.headers["retry-after"]) >= 1
                assert response.headers["retry-after-ms"] == str(plan.retry_after_ms)
        draws = list(server.app.config.faults.recent)
    return seen, draws, successes


def plan(seed: int) -> FaultPlan:
    return FaultPlan(rate=0.5, seed=seed, slow_ms=50, retry_after_ms=10)


@pytest.mark.slow
def test_a_fixed_seed_gives_the_same_fault_sequence_twice(auth: dict[str, str]) -> None:
    first_seen, first_draws, _ = outcomes(plan(7), auth)
    second_seen, second_draws, _ = outcomes(plan(7), auth)
    _, other_draws, _ = outcomes(plan(8), auth)

    assert first_draws == second_draws
    assert first_seen == second_seen
    assert other_draws != first_draws
    assert len(first_draws) == REQUESTS
    # Every kind occurred, and each looked to the client like what it imitates.
    assert set(first_draws) == {None, *FAULT_KINDS}
    expected = {None: "200", "slow": "200", "429": "429", "500": "500", "503": "503",
                "drop": "dropped", "truncate": "200 broken json"}  # fmt: skip
    assert first_seen == [expected[draw] for draw in first_draws]


@pytest.mark.slow
def test_faults_never_change_a_successful_response(auth: dict[str, str]) -> None:
    _, _, clean = outcomes(FaultPlan(), auth)
    _, draws, faulty = outcomes(plan(3), auth)
    assert draws.count(None) + draws.count("slow") == len(faulty) > 0
    reference = [item["embedding"] for item in clean[0]["data"]]
    for body in faulty:
        assert [item["embedding"] for item in body["data"]] == reference
    assert np.asarray(reference).shape == (2, 1024)


def test_the_rate_is_the_fraction_of_requests_that_fail() -> None:
    faults = FaultPlan(rate=0.2, seed=1)
    draws = [faults.draw() for _ in range(10_000)]
    assert 0.18 < sum(d is not None for d in draws) / len(draws) < 0.22
    assert FaultPlan(rate=0.0).draw() is None


@pytest.mark.parametrize(
    "arguments",
    [{"rate": 1.5}, {"rate": -0.1}, {"rate": 0.1, "kinds": ("explode",)}, {"rate": 0.1, "kinds": ()}],
)
def test_a_plan_that_cannot_mean_anything_is_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="fault"):
        FaultPlan(**arguments)
