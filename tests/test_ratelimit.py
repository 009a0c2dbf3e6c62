"""The reference server's per-key rate limits: token buckets answering 429 as Mistral does, with Retry-After."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import assert_conforms
from embedkit_server import BackgroundServer, RateLimits, ServerConfig
from embedkit_server._ratelimit import Bucket, RateLimiter

ROUTE = "/v1/embeddings"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_starts_full_refills_continuously_and_says_how_long_to_wait() -> None:
    clock = Clock()
    bucket = Bucket(rate=10, capacity=20, clock=clock)
    assert bucket.wait_for(20) == 0
    bucket.take(20)
    assert bucket.wait_for(5) == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.wait_for(5) == 0
    clock.now += 60
    assert bucket.level <= 20
    assert bucket.wait_for(20) == 0
    # A cost over the capacity waits for a full bucket, not forever.
    bucket.take(20)
    assert bucket.wait_for(1000) == pytest.approx(2.0)


def test_keys_have_budgets_of_their_own_and_refusals_are_counted() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(requests_per_second=2, tokens_per_minute=600), clock)
    assert limiter.admit(b"a", 100) == 0
    assert limiter.admit(b"a", 100) == 0
    assert limiter.admit(b"a", 100) == pytest.approx(0.5)  # the third request of the second
    assert limiter.admit(b"b", 100) == 0  # another key is not affected
    clock.now += 1
    # 400 tokens were left, 10 came back in the second: 90 missing at 10 tokens a second.
    assert limiter.admit(b"a", 500) == pytest.approx(9.0)
    assert limiter.refused == 2
    assert limiter.tokens_served == 300


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_limits_must_be_positive_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimits(requests_per_second=value)


def post(server: Any, key: str, text: str = "hello") -> httpx.Response:
    return httpx.post(
        server.url + ROUTE, json={"model": "mistral-embed", "input": [text]}, headers={"Authorization": f"Bearer {key}"}
    )


def test_the_server_answers_429_as_mistral_does_with_retry_after_and_limit_headers() -> None:
    # One request every two seconds: the burst after the first is refused however slow this machine is.
    config = ServerConfig(tokens=("k1", "k2"), rate_limits=RateLimits(requests_per_second=0.5, tokens_per_minute=10**6))
    with BackgroundServer(config) as server:
        answers = [post(server, "k1") for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 429, 429]
        refused = answers[1]
        body = assert_conforms(refused, ROUTE, "POST")
        assert body["type"] == "rate_limited"
        assert body["code"] == "1300"
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        assert 0 < int(refused.headers["retry-after-ms"]) <= 2000
        ok = answers[0]
        assert ok.headers["x-ratelimit-limit-req-minute"] == "30"
        assert ok.headers["x-ratelimit-limit-tokens-minute"] == "1000000"
        assert int(ok.headers["x-ratelimit-tokens-query-cost"]) == ok.json()["usage"]["total_tokens"]
        assert int(ok.headers["x-ratelimit-remaining-tokens-minute"]) < 10**6
        assert post(server, "k2").status_code == 200  # another key has its own budget
        assert server.app.rate_limiter.refused == 2


def test_a_token_limit_refuses_what_would_exceed_it_and_says_when_it_would_pass() -> None:
    config = ServerConfig(rate_limits=RateLimits(tokens_per_minute=60))
    with BackgroundServer(config) as server:
        text = "word " * 40  # well over half the minute's budget, under all of it
        first = post(server, "dev-token", text)
        assert first.status_code == 200
        cost = first.json()["usage"]["total_tokens"]
        second = post(server, "dev-token", text)
        assert second.status_code == 429
        wait_ms = int(second.headers["retry-after-ms"])
        # One token a second: the second request waits for what the first spent, less what came back meanwhile.
        assert (2 * cost - 60 - 2) * 1000 <= wait_ms <= (2 * cost - 60) * 1000 + 1


def test_without_limits_no_rate_headers_are_sent(server: Any) -> None:
    answer = post(server, "dev-token")
    assert answer.status_code == 200
    assert not [name for name in answer.headers if name.startswith("x-ratelimit")]


def test_without_request_headers_the_limit_shows_only_as_429s_with_a_whole_second_retry_after() -> None:
    # The service Mistral's documented headers describe: token headers only; its requests/s only by its 429s.
    limits = RateLimits(requests_per_second=0.5, tokens_per_minute=10**6, request_headers=False)
    with BackgroundServer(ServerConfig(tokens=("k1",), rate_limits=limits)) as server:
        answers = [post(server, "k1") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 429]
    for answer in answers:
        assert not [name for name in answer.headers if name.startswith("x-ratelimit") and "-req-" in name]
        assert answer.headers["x-ratelimit-limit-tokens-minute"] == "1000000"
    refused = answers[1]
    assert refused.headers["retry-after"] == "2"
    assert "retry-after-ms" not in refused.headers


def test_the_no_request_headers_flag_reaches_the_limits() -> None:
    from embedkit_server._cli import _parser

    assert _parser("reference-server").parse_args(["--no-request-headers"]).no_request_headers
    assert not _parser("reference-server").parse_args([]).no_request_headers
