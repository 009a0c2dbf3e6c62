"""cortecs' current API (pricing, providers, zero data retention, model fallback) on the reference server and
through embedkit, and what a job costs: estimates, costs on results and jobs, `embedkit estimate`, --max-cost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, assert_conforms
from conftest import run_cli as run
from embedkit import (
    Embedder,
    EmbeddingCache,
    InputError,
    InvalidRequestError,
    ModelNotFoundError,
    NotFoundError,
    UnknownOptionError,
    UnsupportedError,
)
from embedkit._pricing import PRICES_PER_MILLION
from embedkit_server import DEV_TOKEN, BackgroundServer
from embedkit_server import _catalogue as catalogue

TEXTS = ["The cat sat on the mat.", "A dog slept in the sun.", "Revenue grew, said the bank.", "Rain again."]
DEMO = ROOT / "demo" / "corpus.jsonl"


@pytest.fixture(scope="module")
def local() -> Iterator[BackgroundServer]:
    with BackgroundServer() as server:
        yield server


@pytest.fixture
def cortecs(local: BackgroundServer) -> Iterator[Embedder]:
    with Embedder.cortecs(base_url=local.url, api_key=DEV_TOKEN) as embedder:
        yield embedder


@pytest.fixture
def mistral(local: BackgroundServer) -> Iterator[Embedder]:
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as embedder:
        yield embedder


def _post(server: BackgroundServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/embeddings", json=body, headers={"Authorization": f"Bearer {DEV_TOKEN}"})


# --- the reference server ---------------------------------------------------------------------------------------


def test_the_models_route_prices_each_model_at_its_cheapest_provider(local: BackgroundServer) -> None:
    headers = {"Authorization": f"Bearer {DEV_TOKEN}"}
    answer = httpx.get(f"{local.url}/models", params={"tag": "Embedding"}, headers=headers)
    body = assert_conforms(answer, "/models", "get")
    cards = {card["id"]: card for card in body["data"]}
    assert set(cards) == set(catalogue.CORTECS_MODELS)
    for name, card in cards.items():
        cheapest = min(catalogue.PROVIDERS[p].price_per_million_tokens for p in catalogue.SERVED_BY[name])
        assert card["pricing"] == {"input_token": cheapest, "output_token": 0.0, "currency": "EUR"}
        assert [p["name"] for p in card["providers"]] == list(catalogue.SERVED_BY[name])
    # cortecs' default tag is Instruct (chat models): no embedding model without the tag.
    assert httpx.get(f"{local.url}/models", headers=headers).json()["data"] == []
    usd = httpx.get(f"{local.url}/models", params={"tag": "Embedding", "currency": "USD"}, headers=headers).json()
    assert usd["data"][0]["pricing"]["currency"] == "USD"
    assert usd["data"][0]["pricing"]["input_token"] == pytest.approx(
        cards["mistral-embed"]["pricing"]["input_token"] * 1.08
    )
    refused = httpx.get(f"{local.url}/models", params={"currency": "XYZ"}, headers=headers)
    assert refused.status_code == 400
    assert "Unsupported currency: XYZ" in refused.json()["message"]


def test_zero_data_retention_routes_only_to_providers_that_keep_no_data(local: BackgroundServer) -> None:
    for model in catalogue.CORTECS_MODELS:
        answer = _post(local, {"model": model, "input": ["x"], "allow_zero_data_retention": True})
        body = assert_conforms(answer, "/embeddings", "post")
        assert catalogue.PROVIDERS[body["provider"]].zero_data_retention, (model, body["provider"])
    # mistral-embed's providers: only scaleway keeps no data; without it, no provider is left.
    refused = _post(local, {"model": "mistral-embed", "input": ["x"], "allow_zero_data_retention": True,
                            "allowed_providers": ["mistral"]})  # fmt: skip
    assert refused.status_code == 400
    assert "allow_zero_data_retention=True" in refused.json()["message"]


def test_model_fallback_serves_the_first_servable_fallback_and_names_it(local: BackgroundServer) -> None:
    unservable = {"model": "mistral-embed", "input": ["x", "y"], "allowed_providers": ["mistral", "ionos"],
                  "allow_zero_data_retention": True}  # fmt: skip
    served = _post(local, {**unservable, "enable_model_fallback": True, "fallbacks": ["nope", "bge-m3"]})
    body = assert_conforms(served, "/embeddings", "post")
    assert (body["model"], body["provider"]) == ("bge-m3", "ionos")
    without = _post(local, {**unservable, "fallbacks": ["bge-m3"]})
    assert without.status_code == 400
    assert "fallbacks are used only with enable_model_fallback: true" in without.json()["message"]
    nothing = _post(local, {**unservable, "enable_model_fallback": True, "fallbacks": ["nope"]})
    assert nothing.status_code == 400
    assert "nope: not a model" in nothing.json()["message"]
    # Extra provider parameters are passed on (accepted), and a servable model is served as asked.
    plain = _post(local, {"model": "bge-m3", "input": "x", "enable_model_fallback": True, "fallbacks": ["x"],
                          "dimensions": 3})  # fmt: skip
    assert assert_conforms(plain, "/embeddings", "post")["model"] == "bge-m3"


# --- the wrapper --------------------------------------------------------------------------------------------------


def test_cortecs_uses_the_current_api_by_default_and_the_older_route_on_request(local: BackgroundServer) -> None:
    with Embedder.cortecs(base_url=local.url, api_key=DEV_TOKEN) as current:
        result = current.embed(TEXTS, allow_zero_data_retention=True)
        assert all(catalogue.PROVIDERS[p].zero_data_retention for p in result.providers)
        with pytest.raises(InvalidRequestError, match="allow_zero_data_retention=True"):
            current.embed(TEXTS, allow_zero_data_retention=True, allowed_providers=["mistral"])
    with Embedder.cortecs(api="serverless", base_url=local.url, api_key=DEV_TOKEN) as older:
        assert (older.embed(TEXTS).vectors == result.vectors).all()
        with pytest.raises(UnknownOptionError, match="service 'cortecs'"):
            older.embed(TEXTS, allow_zero_data_retention=True)
        with pytest.raises(UnsupportedError):
            older.list_models()
    with pytest.raises(InputError, match="api must be"):
        Embedder.cortecs(api="newest", base_url=local.url, api_key=DEV_TOKEN)  # type: ignore[arg-type]


def test_model_fallback_through_the_wrapper_names_the_model_and_is_not_cached(
    local: BackgroundServer, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"allowed_providers": ["mistral", "ionos"], "allow_zero_data_retention": True}
    with Embedder.cortecs(base_url=local.url, api_key=DEV_TOKEN, cache=tmp_path / "c.sqlite") as embedder:
        result = embedder.embed(TEXTS, enable_model_fallback=True, fallbacks=["bge-m3"], **options)
        assert (result.model, result.providers) == ("bge-m3", ("ionos",))
        assert len(EmbeddingCache(tmp_path / "c.sqlite")) == 0  # another model's vectors, not the asked one's
        with pytest.raises(InputError, match="only with enable_model_fallback=True"):
            embedder.embed(TEXTS, fallbacks=["bge-m3"], **options)
        with pytest.raises(InputError, match=r"fallbacks\[0\] must be a non-empty model name"):
            embedder.embed(TEXTS, enable_model_fallback=True, fallbacks=[""], **options)


def test_models_lists_prices_for_both_services(cortecs: Embedder, mistral: Embedder) -> None:
    cards = {card.id: card for card in cortecs.models()}
    assert cards["bge-m3"].price is not None
    assert cards["bge-m3"].price.currency == "EUR"
    assert cards["bge-m3"].price.per_million == catalogue.model_price("bge-m3")
    assert cards["bge-m3"].providers == catalogue.SERVED_BY["bge-m3"]
    assert cortecs.list_models() == list(cards)
    mistral_cards = {card.id: card for card in mistral.models()}
    assert mistral_cards["mistral-embed-2312"].price is not None
    assert mistral_cards["mistral-embed-2312"].price.per_million == PRICES_PER_MILLION["mistral-embed"]
    assert mistral.list_models() == list(mistral_cards)


def test_one_model_is_its_card_in_the_list_for_both_services(local: BackgroundServer, cortecs: Embedder,
                                                                mistral: Embedder) -> None:  # fmt: skip
    """Mistral answers one card from its own route; cortecs has none, so its card comes from its list."""
    for embedder in (cortecs, mistral):
        cards = embedder.models()
        for card in cards:
            before = local.app.requests
            assert embedder.model_info(card.id) == card
            assert local.app.requests == before + 1, "one request: the one-model route, or cortecs' list"
        with pytest.raises(ModelNotFoundError) as caught:
            embedder.model_info("no-such-embed")
        assert isinstance(caught.value, NotFoundError)
        # Mistral's route answers 404; cortecs' list holds no such card (no status of its own).
        assert caught.value.status == (404 if embedder is mistral else None)
    with Embedder.cortecs(api="serverless", base_url=local.url, api_key=DEV_TOKEN) as serverless:
        before = local.app.requests
        with pytest.raises(UnsupportedError, match="cortecs-serverless has no models route"):
            serverless.model_info("bge-m3")
        assert local.app.requests == before


def test_an_estimate_counts_what_the_service_bills_and_the_result_costs_the_same(mistral: Embedder) -> None:
    estimate = mistral.estimate(TEXTS)
    result = mistral.embed(TEXTS)
    assert estimate.exact
    assert estimate.tokens == result.usage.total_tokens
    assert estimate.cost is not None
    assert result.cost is not None
    assert result.cost.amount == pytest.approx(estimate.cost.amount)
    assert estimate.cost.amount == pytest.approx(estimate.tokens * PRICES_PER_MILLION["mistral-embed"] / 1e6)
    assert (estimate.cost.currency, result.cost.currency) == ("USD", "USD")
    batch = mistral.estimate(TEXTS, batch=True)
    assert batch.cost is not None
    assert batch.cost.amount == pytest.approx(estimate.cost.amount / 2)
    assert mistral.estimate(TEXTS, price_per_million=2.0).cost.amount == pytest.approx(estimate.tokens * 2e-6)  # type: ignore[union-attr]


def test_a_cortecs_estimate_reads_its_price_from_the_models_route(cortecs: Embedder) -> None:
    estimate = cortecs.estimate(TEXTS, model="bge-m3")
    assert estimate.cost is not None
    assert estimate.cost.currency == "EUR"
    assert estimate.cost.amount == pytest.approx(estimate.tokens * catalogue.model_price("bge-m3") / 1e6)
    assert not estimate.exact  # bge-m3 has its own tokenizer; Mistral's only approximates it
    result = cortecs.embed(TEXTS, model="bge-m3")
    assert result.cost is not None
    assert result.cost.currency == "EUR"
    with pytest.raises(UnsupportedError, match="batch API is Mistral's"):
        cortecs.estimate(TEXTS, batch=True)


def test_cached_texts_are_not_counted(local: BackgroundServer, tmp_path: Path) -> None:
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN, cache=tmp_path / "c.sqlite") as embedder:
        embedder.embed(TEXTS[:2])
        estimate = embedder.estimate(TEXTS)
        assert estimate.tokens == embedder.estimate(TEXTS[2:]).tokens
    assert (estimate.texts, estimate.cached) == (4, 2)


# --- the CLI ------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    monkeypatch.setenv("CORTECS_API_KEY", DEV_TOKEN)


def test_embedkit_estimate_prices_the_demo_corpus(local: BackgroundServer, capsys: pytest.CaptureFixture[str]) -> None:
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as embedder:
        texts = [line.split('"text": "', 1)[1].rsplit('"', 1)[0] for line in DEMO.read_text().splitlines()]
        billed = embedder.embed(texts).usage.total_tokens  # what the server counts for the corpus
    status, out, _ = run(capsys, "estimate", str(DEMO), "--base-url", local.url)
    assert status == 0
    assert f"300 texts, {billed} tokens to send (counted exactly)" in out
    assert f"{billed * PRICES_PER_MILLION['mistral-embed'] / 1e6:.6g} USD" in out
    status, out, _ = run(capsys, "estimate", str(DEMO), "--base-url", local.url, "--service", "cortecs")
    assert status == 0
    assert f"{billed * catalogue.model_price('mistral-embed') / 1e6:.6g} EUR" in out
    status, out, _ = run(capsys, "models", "-l", "--base-url", local.url, "--service", "cortecs")
    assert status == 0
    assert "bge-m3  0.01 EUR per 1M tokens  providers: scaleway, nebius, ionos, deepinfra" in out


def test_a_job_over_its_max_cost_does_not_start(
    local: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out.npy"
    embedded = local.app.inputs_embedded
    for service in ("mistral", "cortecs"):
        status, _, err = run(capsys, "embed", str(DEMO), str(output), "--base-url", local.url, "--service", service,
                             "--max-cost", "0.0001")  # fmt: skip
        assert status == 1
        assert "CostLimitError: the job is estimated at" in err
        assert "over --max-cost 0.0001" in err
    assert local.app.inputs_embedded == embedded  # the server received no embedding request
    assert list(tmp_path.iterdir()) == []  # no output, no cache left behind
    status, _, err = run(capsys, "embed", str(DEMO), str(output), "--base-url", local.url, "--max-cost", "1")
    assert status == 0
    assert "cost 0.000" in err
    assert "USD" in err
    assert local.app.inputs_embedded == embedded + 300


def test_a_job_from_standard_input_stops_before_the_call_that_would_pass_its_max_cost(
    local: BackgroundServer, tmp_path: Path
) -> None:
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    texts = [f"text number {i} about nothing much" for i in range(12)]
    arguments = [sys.executable, "-m", "embedkit", "embed", "-", str(output), "--base-url", local.url, "--window", "2",
                 "--batch-size", "2", "--max-concurrency", "1", "--price-per-million", "100000"]  # fmt: skip
    env = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN}
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as embedder:
        per_call = embedder.estimate(texts[:2], price_per_million=100000).cost
    assert per_call is not None
    limit = per_call.amount * 3.5  # about three calls of two texts
    done = subprocess.run([*arguments, "--max-cost", str(limit)], input="\n".join(texts), env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "the next call (records" in done.stderr
    assert "are in the cache" in done.stderr
    assert not output.exists()
    kept = len(EmbeddingCache(cache))
    assert 2 <= kept < len(texts)
    assert kept % 2 == 0
