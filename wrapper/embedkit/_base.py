"""The part of `Embedder` and `AsyncEmbedder` that does not depend on how requests are sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar

import httpx

from ._batching import check_texts, fit
from ._cache import EmbeddingCache, text_key
from ._core import Call, Settings, cache_namespace, refuse_unordered
from ._decode import parse_json
from ._errors import APIConnectionError, InputError, ModelNotFoundError, UnsupportedError
from ._guard import Guard, attempt_limit
from ._models import ModelInfo, read_model, read_models
from ._options import CALL_FIELDS, EMBED_FIELDS, EmbedOptions, call_fields, check_options
from ._policy import Outcome, RetryPolicy, Step, after_error_status
from ._pricing import Estimate, Price, mistral_price
from ._ratebudget import RateBudget
from ._result import EmbeddingResult
from ._security import APIKey, scrub_strings, wrap
from ._services import ServiceName
from ._transport import Transport

if TYPE_CHECKING:
    from ._chunking import ChunkPlan

__all__ = ["BaseEmbedder", "EmbedOptions"]

HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


class BaseEmbedder(Generic[HttpClient]):
    """Settings, construction and per-call planning, shared by the sync and async clients."""

    def __init__(
        self,
        service: ServiceName = "mistral",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_concurrency: int | None = None,
        max_retries: int = 5,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout | None = None,
        batch_size: int = 512,
        max_batch_tokens: int = 16384,
        max_input_tokens: int = 8192,
        progress: bool | None = None,
        http_client: HttpClient | None = None,
        allow_insecure_http: bool = False,
        cache: EmbeddingCache | str | Path | None = None,
        requests_per_second: float | None = None,
        tokens_per_minute: float | None = None,
        rate_budget: RateBudget | str | Path | None = None,
        **options: Any,
    ) -> None:
        # The key is wrapped (masked repr) and the bare string dropped at once, so no frame of this call holds it
        # in a local that a traceback recorder could print.
        try:
            key = wrap_key(api_key)
        finally:
            del api_key
        if http_client is not None and not isinstance(http_client, httpx.Client | httpx.AsyncClient):
            raise InputError(
                f"http_client must be an httpx client, got {type(http_client).__name__}", argument="http_client"
            )
        self._owns_cache = isinstance(cache, str | Path)
        if isinstance(cache, str | Path):
            cache = EmbeddingCache(cache)
        self._settings = Settings.resolve(
            service,
            api_key=key,
            base_url=base_url,
            allow_insecure_http=allow_insecure_http,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
            retry=retry,
            timeout=timeout,
            batch_size=batch_size,
            max_batch_tokens=max_batch_tokens,
            max_input_tokens=max_input_tokens,
            progress=progress,
            options=options,
            cache=cache,
            requests_per_second=requests_per_second,
            tokens_per_minute=tokens_per_minute,
            rate_budget=rate_budget,
        )
        # Around every request: the rate budget this client shares, and the watchdog bounding each attempt.
        self._guard = Guard(self._settings.budget, attempt_limit(self._settings.timeout))
        self._owns_http = http_client is None
        # Requests in flight, for every call of this client (so an adaptive limit carries what it learnt over).
        self._limit = self._settings.concurrency_limit()
        # One pool sized to the most requests in flight: a connection per worker, reused across batches.
        concurrency = self._limit.maximum
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._http: HttpClient = http_client if http_client is not None else self._new_http(limits)
        # Every request of this client, whatever its route, goes through this one transport (see _transport.py).
        self._transport: Transport[HttpClient] = Transport(self._http, self._guard, self._limit, self._settings.retry)

    def _new_http(self, limits: httpx.Limits) -> HttpClient:
        raise NotImplementedError

    @classmethod
    def mistral(cls, **kwargs: Any) -> Self:
        """A client for Mistral AI (`https://api.mistral.ai`; key from `MISTRAL_API_KEY`)."""
        kwargs["api_key"] = wrap_key(kwargs.pop("api_key", None))  # masked at once: this frame's locals are printable
        return cls("mistral", **kwargs)

    @classmethod
    def cortecs(cls, *, api: Literal["current", "serverless"] = "current", **kwargs: Any) -> Self:
        """A client for cortecs.ai (key from `CORTECS_API_KEY`).

        `api="current"`: cortecs' current API (`https://api.cortecs.ai/v1`, or `CORTECS_BASE_URL`), with zero
        data retention, model fallback and a models route with pricing. `api="serverless"`: the older route
        (`https://cortecs.ai/api/v1/models/serverless/embeddings`, or `CORTECS_SERVERLESS_BASE_URL`), for
        deployments that have only it. Both give the same vectors for the same model and routing.
        """
        kwargs["api_key"] = wrap_key(kwargs.pop("api_key", None))
        if api not in ("current", "serverless"):
            raise InputError(f"api must be 'current' or 'serverless', got {api!r}", argument="api")
        return cls("cortecs" if api == "current" else "cortecs-serverless", **kwargs)

    def __repr__(self) -> str:
        settings = getattr(self, "_settings", None)
        if settings is None:  # a constructor that failed (a traceback recorder may still print `self`)
            return f"{type(self).__name__}(<not constructed>)"
        return f"{type(self).__name__}({settings.service.name!r}, base_url={settings.base_url!r}, model={self.model!r})"

    @property
    def model(self) -> str:
        """The model used when a call does not name one."""
        return self._settings.options.model or self._settings.service.default_model

    def _start(self, texts: str | Iterable[str], options: EmbedOptions | Mapping[str, Any]) -> Call:
        checked = check_options(options, allowed=EMBED_FIELDS, suggest=call_fields(self._settings.service.options))
        request_fields = {k: v for k, v in checked.items() if k not in CALL_FIELDS}
        return Call.start(
            self._settings,
            texts,
            request_fields,
            normalize=checked.get("normalize", self._settings.normalize),
            truncate=checked.get("truncate", self._settings.truncate),
            progress=checked.get("progress"),
            deadline=checked.get("deadline"),
        )

    def _chunk_plan(self, texts: str | Iterable[str], chunking: Any, options: Mapping[str, Any]) -> ChunkPlan:
        """The chunks of `texts` (see `_chunking`), split with the tokenizer of the model the call embeds with.

        A chunk over the per-input limit could never be sent, so such a setting is refused before anything is.
        """
        from ._chunking import Chunking, ChunkPlan

        setting = Chunking.of(chunking)
        model = options.get("model") or self.model
        limits = self._settings.limits.for_model(model)
        if setting.max_tokens > limits.max_input_tokens:
            raise InputError(
                f"chunking max_tokens {setting.max_tokens} is over the per-input limit of {limits.max_input_tokens} "
                "tokens: chunks that long could not be sent",
                argument="chunking",
            )
        return ChunkPlan.make(texts, setting, limits.counter)

    # Prices read from the service's models route (cortecs), by model id; filled by `models()` and `estimate()`.
    _prices: dict[str, Price] | None = None
    # A price per 1M tokens in the service's currency that replaces the table's and the route's (the CLI's
    # --price-per-million).
    _price_override: float | None = None

    def _remember(self, models: list[ModelInfo]) -> list[ModelInfo]:
        # A service echoing the key in a model's id, description or providers does not get it into what we return.
        models = [scrub_strings(model, self._settings.key) for model in models]
        self._prices = {**(self._prices or {}), **{m.id: m.price for m in models if m.price is not None}}
        return models

    def _needs_prices(self, override: float | None) -> bool:
        """Whether pricing needs the models route first (cortecs' current API, not asked before, no override)."""
        return (
            override is None
            and self._price_override is None
            and self._prices is None
            and self._settings.service.name == "cortecs"
        )

    def _price(self, model: str, *, batch: bool = False, override: float | None = None) -> Price | None:
        """The price of `model` on this client's service: the override, Mistral's table, or cortecs' route."""
        service = self._settings.service
        override = override if override is not None else self._price_override
        if batch and service.name != "mistral":
            raise UnsupportedError(f"the batch API is Mistral's; {service.name} has none to price")
        if service.name == "mistral":
            return mistral_price(model, batch=batch, override=override)
        if override is not None:
            return Price(override, "EUR", "your price")
        return (self._prices or {}).get(model)

    def _priced(self, result: EmbeddingResult) -> EmbeddingResult:
        """`result` with what it cost, when the price of the model that served it is known without a request."""
        known = self._settings.service.name != "cortecs" or self._prices or self._price_override is not None
        price = self._price(result.model) if known else None
        return dataclasses.replace(result, cost=price.of(result.usage.total_tokens)) if price is not None else result

    def _count(self, texts: str | Iterable[str], options: Mapping[str, Any], *, batch: bool) -> Estimate:
        """Tokens that embedding `texts` with `options` would send (cache hits excluded), not yet priced.

        The same checks and counts as `embed` (inputs, options, truncation), so the estimate is of what would
        be sent. Counted with Mistral's tokenizers: exact for Mistral's models with the tokenizer extra, an
        approximation for other cortecs models (whose tokenizers are their own), an upper bound without it.
        """
        if batch and self._settings.service.name != "mistral":  # refused before anything is counted or sent
            raise UnsupportedError(f"the batch API is Mistral's; {self._settings.service.name} has none to price")
        checked = check_options(
            options, allowed=EMBED_FIELDS, where="estimate()", suggest=call_fields(self._settings.service.options)
        )
        request = self._settings.options.merged({k: v for k, v in checked.items() if k not in CALL_FIELDS})
        self._settings.service.check(request)
        model = request.model or self._settings.service.default_model
        limits = self._settings.limits.for_model(model)
        truncate = checked.get("truncate", self._settings.truncate)
        inputs = fit(check_texts(refuse_unordered(texts)), limits, truncate=truncate)
        pending, cache = inputs, self._settings.cache
        if cache is not None and inputs:
            found = cache.get_many(cache_namespace(self._settings, request), [text_key(t) for t in inputs])
            pending = [text for text in inputs if text_key(text) not in found]
        # Identical texts are sent once (see `Call.start`), so they are counted once.
        counts = limits.count(list(dict.fromkeys(pending)))
        counts.make_exact()  # an estimate is priced: exact wherever the tokenizer is available
        tokens = sum(counts.values)
        exact = counts.exact and model.startswith(("mistral-embed", "codestral-embed"))
        return Estimate(model, len(inputs), len(inputs) - len(pending), tokens, exact, batch, None)

    def _estimated(self, counted: Estimate, override: float | None) -> Estimate:
        price = self._price(counted.model, batch=counted.batch, override=override)
        return dataclasses.replace(counted, cost=price.of(counted.tokens) if price is not None else None)

    def _close_cache(self) -> None:
        if self._owns_cache and self._settings.cache is not None:
            self._settings.cache.close()

    def _models_answer(self, response: httpx.Response) -> Outcome | list[ModelInfo]:
        """What an answer to the models route means: the cards, or what the policy says."""
        if response.status_code != 200:
            outcome = after_error_status(response, self._settings.key)
            return Outcome(Step.FAIL, outcome.error) if outcome.step is Step.SPLIT else outcome
        try:
            return self._remember(read_models(parse_json(response.content), self._settings.service.name))
        except APIConnectionError as damaged:
            return Outcome(Step.RETRY, damaged)

    def _model_answer(self, response: httpx.Response) -> Outcome | ModelInfo:
        """What an answer to the one-model route means: the card, or what the policy says.

        A 404 on this route means the id is unknown (the contract says so), so it is a `ModelNotFoundError`
        (still a `NotFoundError`) whatever the body's wording.
        """
        if response.status_code != 200:
            outcome = after_error_status(response, self._settings.key)
            error = outcome.error
            if response.status_code == 404 and error is not None and not isinstance(error, ModelNotFoundError):
                fields = {name: getattr(error, name) for name in ("status", "request_id", "body", "code", "type")}
                error = ModelNotFoundError(error.message, **fields)
            return Outcome(Step.FAIL if outcome.step is Step.SPLIT else outcome.step, error, outcome.asked_wait)
        try:
            model = read_model(parse_json(response.content), self._settings.service.name)
        except APIConnectionError as damaged:
            return Outcome(Step.RETRY, damaged)
        return self._remember([model])[0]

    def _model_request(self, model_id: str) -> dict[str, Any]:
        return self._prepared(self._settings.service.model_request(model_id))

    def _models_request(self) -> dict[str, Any]:
        return self._prepared(self._settings.service.models_request())

    def _prepared(self, request: dict[str, Any]) -> dict[str, Any]:
        """A request of the generated client's builder, made ready to send: full URL, user agent, the key's auth."""
        request["url"] = self._settings.base_url + request["url"]
        request["headers"] = {**request.get("headers", {}), "User-Agent": "embedkit"}
        request["auth"] = self._settings.auth
        return request


def wrap_key(api_key: Any) -> APIKey | None:
    """The caller's key, masked; None when not given (the environment is read later)."""
    if api_key is None or isinstance(api_key, APIKey):
        return api_key
    if not isinstance(api_key, str):
        raise InputError(f"api_key must be a string, got {type(api_key).__name__}", argument="api_key")
    try:
        return wrap(api_key)
    finally:
        del api_key  # a malformed key's traceback finds it in no frame of embedkit's
