"""The part of `Embedder` and `AsyncEmbedder` that does not depend on how requests are sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

import httpx

from ._cache import EmbeddingCache
from ._concurrency import DEFAULT_CONCURRENCY
from ._core import Call, Settings
from ._decode import parse_json
from ._errors import APIConnectionError, InputError, ResponseValidationError
from ._guard import Guard, attempt_limit
from ._options import CALL_FIELDS, EMBED_FIELDS, EmbedOptions, check_options
from ._policy import Outcome, RetryPolicy, Step, after_error_status
from ._ratebudget import RateBudget
from ._security import APIKey
from ._services import ServiceName

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
        max_concurrency: int | None = DEFAULT_CONCURRENCY,
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
        key = wrap_key(api_key)
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

    def _new_http(self, limits: httpx.Limits) -> HttpClient:
        raise NotImplementedError

    @classmethod
    def mistral(cls, **kwargs: Any) -> Self:
        """A client for Mistral AI (`https://api.mistral.ai`; key from `MISTRAL_API_KEY`)."""
        kwargs["api_key"] = wrap_key(kwargs.get("api_key"))  # masked at once: this frame's locals are printable
        return cls("mistral", **kwargs)

    @classmethod
    def cortecs(cls, **kwargs: Any) -> Self:
        """A client for cortecs.ai serverless embeddings (`https://cortecs.ai`; key from `CORTECS_API_KEY`)."""
        kwargs["api_key"] = wrap_key(kwargs.get("api_key"))
        return cls("cortecs", **kwargs)

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
        checked = check_options(options, allowed=EMBED_FIELDS)
        request_fields = {k: v for k, v in checked.items() if k not in CALL_FIELDS}
        return Call.start(
            self._settings,
            texts,
            request_fields,
            normalize=checked.get("normalize", False),
            truncate=checked.get("truncate", False),
            progress=checked.get("progress"),
            deadline=checked.get("deadline"),
        )

    def _close_cache(self) -> None:
        if self._owns_cache and self._settings.cache is not None:
            self._settings.cache.close()

    def _models_request(self) -> dict[str, Any]:
        request = self._settings.service.models_request()
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
    return APIKey(api_key)


def models_answer(response: httpx.Response, key: APIKey) -> Outcome | list[str]:
    """What an answer to `GET /v1/models` means: the ids, or what the policy says (a size refusal fails here)."""
    if response.status_code != 200:
        outcome = after_error_status(response, key)
        return Outcome(Step.FAIL, outcome.error) if outcome.step is Step.SPLIT else outcome
    try:
        return model_ids(parse_json(response.content))
    except APIConnectionError as damaged:
        return Outcome(Step.RETRY, damaged)


def model_ids(payload: object) -> list[str]:
    """The ids of a `GET /v1/models` answer, read tolerantly.

    A card may carry fields or values (a new `type`) this version does not know; only `id` is needed, so the
    generated `ModelCard` (whose enums are closed) is not used here.
    """
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ResponseValidationError("the models answer has no `data` array")
    ids = []
    for position, card in enumerate(data):
        identifier = card.get("id") if isinstance(card, dict) else None
        if not isinstance(identifier, str) or not identifier:
            raise ResponseValidationError(f"model card {position} has no string `id`")
        ids.append(identifier)
    return ids
