"""Exact token counts only where they change a decision: a call of short texts never loads the tokenizer, and
every decision (too long, where to cut, where a batch ends, what a tokens/min budget spends) is still exact."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from embedkit import AsyncEmbedder, BatchLimits, Embedder, InputTooLongError
from embedkit._batching import fit, plan
from embedkit._ratebudget import LocalBackend, RateBudget, RateLimits
from embedkit._tokens import ByteBound, ExactCounter, TokenCounts, counter_for
from embedkit_server import DEV_TOKEN, BackgroundServer, ServerConfig
from embedkit_server._ratelimit import RateLimits as ServerLimits
from hypothesis import given, settings
from hypothesis import strategies as st

MODELS = ["mistral-embed", "codestral-embed"]
# Prose: the bound (UTF-8 bytes + 1) is 3 to 4 times the exact count, so bound and exact decisions differ.
SENTENCE = "the cat sat on the mat. "


def exact(model: str) -> ExactCounter:
    counter = counter_for(model, "exact")
    assert isinstance(counter, ExactCounter)
    return counter


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer() as running:
        yield running


@pytest.fixture(autouse=True)
def _auto(monkeypatch: pytest.MonkeyPatch) -> None:
    # "auto" is what is tested here: the environment must not turn it into another choice.
    monkeypatch.delenv("EMBEDKIT_TOKENIZER", raising=False)
    monkeypatch.delenv("EMBEDKIT_TOKENS_PER_MINUTE", raising=False)


# --- short texts never load the tokenizer -------------------------------------------------------------------------

CHILD = """
import asyncio, json, sys
from embedkit import AsyncEmbedder, Embedder, _tokens

url = sys.argv[1]
texts = [f"short text {i}: a sentence about topic {i % 101}" for i in range(1000)]

def loaded():
    return {"counters": sorted("/".join(key) for key in _tokens._COUNTERS),
            "mistral_common": "mistral_common" in sys.modules}

async def run_async():
    async with AsyncEmbedder.mistral(base_url=url, api_key="dev-token", batch_size=128, progress=False) as client:
        await client.embed(texts[:300], model="codestral-embed")

with Embedder.mistral(base_url=url, api_key="dev-token", batch_size=128, requests_per_second=1000,
                      progress=False) as client:
    rows = client.embed(texts).vectors.shape[0]
    client.embed(texts, truncate=True)
    asyncio.run(run_async())
    short = loaded()
    # The control: an input whose bound is over the per-input limit is counted exactly, so this loads v1.
    client.embed(["hello world " * 3000], truncate=True)
    print(json.dumps({"rows": rows, "short": short, "long": loaded()}))
"""


def test_a_call_of_short_texts_does_not_load_the_tokenizer(server: BackgroundServer) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EMBEDKIT_")}
    finished = subprocess.run(
        [sys.executable, "-c", CHILD, server.url], capture_output=True, text=True, env=environment, timeout=120,
        check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout)
    assert report["rows"] == 1000
    assert report["short"] == {"counters": [], "mistral_common": False}
    assert report["long"] == {"counters": ["exact/v1"], "mistral_common": True}


def test_no_exact_counter_is_made_for_short_texts_in_this_process(
    server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []

    class Watched(ExactCounter):
        def __init__(self, family: str, max_cached: int = 1 << 16) -> None:
            made.append(family)
            super().__init__(family, max_cached)

    monkeypatch.setattr("embedkit._tokens._COUNTERS", {})
    monkeypatch.setattr("embedkit._tokens.ExactCounter", Watched)
    texts = [f"{SENTENCE * 2}{i}" for i in range(600)]  # ~51 bytes: batches of 128 are far under 16,384 tokens

    async def run() -> int:
        async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=128, progress=False) as e:
            return len((await e.embed(texts)).vectors)

    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=128, progress=False) as embedder:
        assert len(embedder.embed(texts).vectors) == 600
    assert asyncio.run(run()) == 600
    assert made == []
    # A full batch of 512 would be cut by the bound (512 x ~52 > 16,384): that decision needs the tokenizer.
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        before = server.app.requests
        embedder.embed(texts)
        assert server.app.requests - before == 2  # 512 + 88 inputs: as full as the input count allows
    assert made == ["v1"]


# --- long texts: exact decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_an_over_long_input_is_named_with_its_exact_count(server: BackgroundServer, model: str) -> None:
    text = "hello world " * 6000  # 72,001 bytes; v1 18,001 tokens, Tekken 12,001
    tokens = exact(model).count([text])[0]
    assert 8192 < tokens < len(text.encode()) + 1
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        before = server.app.requests
        with pytest.raises(InputTooLongError, match=f"input 1 has {tokens} tokens, over the limit of 8192") as raised:
            embedder.embed(["ok", text], model=model)
        assert server.app.requests == before, "refused before anything is sent"
    assert raised.value.index == 1


@pytest.mark.parametrize("model", MODELS)
def test_an_input_over_the_limit_by_its_bound_only_is_sent_whole(server: BackgroundServer, model: str) -> None:
    text = SENTENCE * 1000  # 24,000 bytes, 7,001 tokens in both families
    assert exact(model).count([text])[0] <= 8192 < ByteBound().count([text])[0]
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        plain = embedder.embed([text], model=model)
        truncated = embedder.embed([text], model=model, truncate=True)
    assert plain.usage.prompt_tokens == truncated.usage.prompt_tokens == exact(model).count([text])[0]


@pytest.mark.parametrize("model", MODELS)
def test_truncation_cuts_at_the_exact_limit(server: BackgroundServer, model: str) -> None:
    text = "hello world " * 6000
    counter = exact(model)
    cut = counter.cut(text, 8192)
    assert 8100 < counter.count([cut])[0] <= 8192, "the exact cut keeps almost the whole budget"
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        result = embedder.embed(["ok", text], model=model, truncate=True)
    # What the server billed is what it counted in what it was sent: "ok" and the exactly cut text.
    assert result.usage.prompt_tokens == counter.count(["ok"])[0] + counter.count([cut])[0]
    assert fit(["ok", text], BatchLimits(model=model), truncate=True) == ["ok", cut]


@pytest.mark.parametrize("model", MODELS)
def test_a_batch_over_the_budget_by_its_bounds_only_is_one_request(
    server: BackgroundServer, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"{i}: " + SENTENCE * 12 for i in range(100)]  # ~294 bytes, ~90 tokens each
    bounds, counts = ByteBound().count(texts), exact(model).count(texts)
    assert sum(counts) <= 16384 < sum(bounds)
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        before = server.app.requests
        result = embedder.embed(texts, model=model)
        assert server.app.requests - before == 1
        assert result.usage.prompt_tokens == sum(counts)
    # The control: planned by the bound alone, the same texts take two requests.
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        monkeypatch.setenv("EMBEDKIT_TOKENIZER", "estimate")
        before = server.app.requests
        embedder.embed(texts, model=model)
        assert server.app.requests - before == 2


def test_batches_of_long_texts_are_cut_where_exact_counts_cut(server: BackgroundServer) -> None:
    texts = [f"{i}: " + SENTENCE * 200 for i in range(9)]  # ~4,800 bytes, ~1,400 tokens each
    counts = exact("mistral-embed").count(texts)
    limits = BatchLimits(max_tokens=4096, max_input_tokens=4096)
    expected = list(plan(texts, BatchLimits(max_tokens=4096, max_input_tokens=4096, tokenizer="exact")))
    assert sum(counts[:2]) <= 4096 < sum(counts[:3])
    assert min(ByteBound().count(texts)) > 4096
    assert [len(batch) for batch in expected] == [2, 2, 2, 2, 1]  # by the bound alone: 9 requests
    assert list(plan(texts, limits)) == expected
    with Embedder.mistral(
        base_url=server.url, api_key=DEV_TOKEN, max_batch_tokens=4096, max_input_tokens=4096, progress=False
    ) as embedder:
        before = server.app.requests
        embedder.embed(texts)
        assert server.app.requests - before == len(expected)


# --- lazy decisions are exact decisions ---------------------------------------------------------------------------


def pool(seed: int = 3) -> list[str]:
    """Texts of every kind the two counts disagree on: prose, CJK, emoji, digits, whitespace; short and long."""
    rng = random.Random(seed)
    words = ["the", "of", "and", "embedding", "vector", "model", "token", "batch", "Paris", "2026", "latency"]
    kinds = [
        lambda n: " ".join(rng.choice(words) for _ in range(n)),
        lambda n: "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(n)),
        lambda n: "😀🚀👍🏽"[rng.randrange(3)] * n,
        lambda n: "".join(rng.choice("0123456789") for _ in range(n)),
        lambda n: "\n" * n + "end",
    ]
    return [rng.choice(kinds)(rng.choice([1, 5, 30, 200, 900])) for _ in range(120)]


POOL = pool()


@pytest.mark.parametrize("model", MODELS)
@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(POOL) - 1), max_size=60),
    max_inputs=st.integers(1, 40),
    max_tokens=st.integers(1, 4000),
    per_input=st.integers(1, 4000),
    truncate=st.booleans(),
    spent=st.booleans(),
)
def test_lazy_plans_are_the_exact_plans(
    model: str, picks: list[int], max_inputs: int, max_tokens: int, per_input: int, truncate: bool, spent: bool
) -> None:
    texts = [POOL[i] for i in picks]
    per_input = min(per_input, max_tokens)
    lazy = BatchLimits(max_inputs=max_inputs, max_tokens=max_tokens, max_input_tokens=per_input, model=model)
    eager = BatchLimits(max_inputs, max_tokens, per_input, model=model, tokenizer="exact")
    refused: InputTooLongError | None = None
    try:
        expected = fit(texts, eager, truncate=truncate)
    except InputTooLongError as error:
        refused = error
    if refused is not None:
        with pytest.raises(InputTooLongError) as raised:
            fit(texts, lazy, truncate=truncate)
        assert (str(raised.value), raised.value.index) == (str(refused), refused.index)
        return
    fitted = fit(texts, lazy, truncate=truncate)
    assert fitted == expected
    counts = lazy.count(fitted)
    if spent:
        counts.make_exact()
    assert list(plan(fitted, lazy, counts)) == list(plan(fitted, eager))
    # Whatever was left a bound is never below the exact count; what was counted is the exact count.
    truth = exact(model).count(fitted)
    for index, (value, real) in enumerate(zip(counts.values, truth, strict=True)):
        assert value == real if counts.is_exact(index) else value >= real
    assert counts.exact or not spent


def test_the_counts_object_by_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["hello world", "日本語"]
    bound, real = ByteBound().count(texts), exact("mistral-embed").count(texts)
    lazy = TokenCounts(texts, "mistral-embed")
    assert (lazy.mode, lazy.values, lazy.exact, lazy.refinable) == ("lazy", bound, False, True)
    lazy.make_exact([1])
    assert (lazy.values, lazy.is_exact(0), lazy.is_exact(1)) == ([bound[0], real[1]], False, True)
    lazy.make_exact()
    assert (lazy.values, lazy.exact, lazy.refinable) == (real, True, False)
    eager = TokenCounts(texts, "mistral-embed", "exact")
    assert (eager.values, eager.exact, eager.is_exact(0)) == (real, True, True)
    estimate = TokenCounts(texts, "mistral-embed", "estimate")
    estimate.make_exact()
    assert (estimate.values, estimate.exact, estimate.refinable, estimate.counter) == (bound, False, False, ByteBound())
    monkeypatch.setenv("EMBEDKIT_TOKENIZER", "estimate")
    assert TokenCounts(texts, "mistral-embed").mode == "estimate"
    monkeypatch.setenv("EMBEDKIT_TOKENIZER", "exact")
    assert TokenCounts(texts, "mistral-embed").mode == "exact"
    monkeypatch.delenv("EMBEDKIT_TOKENIZER")
    monkeypatch.setattr("embedkit._tokens.exact_available", lambda: False)
    assert TokenCounts(texts, "mistral-embed").mode == "estimate"
    with pytest.raises(ImportError, match=r"embedkit\[tokenizer\]"):
        TokenCounts(texts, "mistral-embed", "exact")


# --- a tokens/min budget spends exact counts ----------------------------------------------------------------------


class RecordingBudget(RateBudget):
    """A real budget (a local back end) that also notes what each request reserves."""

    def __init__(self, limits: RateLimits) -> None:
        super().__init__(limits, LocalBackend(limits))
        self.reserved: list[int] = []

    def acquire(self, tokens: int | Callable[[], int], **kwargs: Any) -> bool:
        # The guard passes a function where the count may change while it waits: note what it last reserved.
        cost = tokens if callable(tokens) else (lambda: tokens)
        spent: list[int] = []

        def recorded() -> int:
            spent.append(cost())
            return spent[-1]

        admitted = super().acquire(recorded, **kwargs)
        self.reserved.append(spent[-1])
        return admitted


@pytest.mark.parametrize("model", MODELS)
def test_a_tokens_per_minute_budget_reserves_exact_counts(server: BackgroundServer, model: str) -> None:
    texts = [f"{i}: " + SENTENCE * 3 for i in range(40)]
    counts = exact(model).count(texts)
    budget = RecordingBudget(RateLimits(tokens_per_minute=60_000_000))
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=8, max_concurrency=1,
                          rate_budget=budget, progress=False) as embedder:  # fmt: skip
        result = embedder.embed(texts, model=model)
    assert budget.reserved == [sum(counts[i : i + 8]) for i in range(0, 40, 8)]
    assert sum(budget.reserved) == result.usage.prompt_tokens
    # The control: a budget of requests/s only has no use for token counts, so they stay bounds there.
    requests_only = RecordingBudget(RateLimits(requests_per_second=10_000))
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=8, max_concurrency=1,
                          rate_budget=requests_only, progress=False) as embedder:  # fmt: skip
        embedder.embed(texts, model=model)
    assert requests_only.reserved == [sum(ByteBound().count(texts[i : i + 8])) for i in range(0, 40, 8)]


@pytest.mark.parametrize("model", MODELS)
def test_a_tokens_per_minute_limit_learned_from_the_service_reserves_exact_counts(model: str) -> None:
    # No limit given: the service's x-ratelimit-limit-tokens-minute is learned from the first answer, and every
    # request after it reserves its exact count, not the batcher's bound (3x here). Reserving the bound paced a
    # free-tier job of full batches (1 request/s, 500,000 tokens/min) at 0.8 of its token limit.
    texts = [f"{i}: " + SENTENCE * 3 for i in range(40)]
    counts, bounds = exact(model).count(texts), ByteBound().count(texts)
    budget = RecordingBudget(RateLimits())
    limited = ServerConfig(rate_limits=ServerLimits(tokens_per_minute=60_000_000))
    with (
        BackgroundServer(limited) as server,
        Embedder.mistral(
            base_url=server.url, api_key=DEV_TOKEN, batch_size=8, max_concurrency=1, rate_budget=budget, progress=False
        ) as embedder,
    ):
        result = embedder.embed(texts, model=model)
    assert budget.reserved[0] == sum(bounds[:8]), "the first request, before any limit is known: the bound"
    assert budget.reserved[1:] == [sum(counts[i : i + 8]) for i in range(8, 40, 8)]
    assert sum(counts) == result.usage.prompt_tokens
