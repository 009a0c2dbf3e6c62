"""The part of `Embedder` and `AsyncEmbedder` that does not depend on how requests are sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, Literal, Self, TypedDict, TypeVar

import httpx

from ._cache import EmbeddingCache
from ._core import Call, Settings
from ._retry import RetryPolicy
from ._services import ServiceName

HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


class EmbedOptions(TypedDict, total=False):
    """Per-call options of `embed`; request fields default to the client's, then to the service's.

    Request fields: `model`; Mistral `output_dimension`, `output_dtype`; cortecs `preference`,
    `allowed_providers`, `eu_native`, `allow_quantization`; both `encoding_format` (base64 unless set).
    Call behaviour: `normalize` (unit-length float rows), `truncate` (cut over-long inputs instead of raising),
    `progress` (force the progress bar on or off).
    """

    model: str
    output_dimension: int
    output_dtype: Literal["float", "int8", "uint8", "binary", "ubinary"]
    encoding_format: Literal["float", "base64"]
    preference: Literal["speed", "cost", "balanced"]
    allowed_providers: Sequence[str]
    eu_native: bool
    allow_quantization: bool
    normalize: bool
    truncate: bool
    progress: bool


class BaseEmbedder(Generic[HttpClient]):
    """Settings, construction and per-call planning, shared by the sync and async clients."""

    def __init__(
        self,
        service: ServiceName = "mistral",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_concurrency: int = 8,
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
        **options: Any,
    ) -> None:
        self._owns_cache = isinstance(cache, str | Path)
        if isinstance(cache, str | Path):
            cache = EmbeddingCache(cache)
        self._settings = Settings.resolve(
            service,
            api_key=api_key,
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
        )
        self._owns_http = http_client is None
        # One pool sized to the concurrency: a connection per worker, reused across batches.
        limits = httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency)
        self._http: HttpClient = http_client if http_client is not None else self._new_http(limits)

    def _new_http(self, limits: httpx.Limits) -> HttpClient:
        raise NotImplementedError

    @classmethod
    def mistral(cls, **kwargs: Any) -> Self:
        """A client for Mistral AI (`https://api.mistral.ai`; key from `MISTRAL_API_KEY`)."""
        return cls("mistral", **kwargs)

    @classmethod
    def cortecs(cls, **kwargs: Any) -> Self:
        """A client for cortecs.ai serverless embeddings (`https://cortecs.ai`; key from `CORTECS_API_KEY`)."""
        return cls("cortecs", **kwargs)

    def __repr__(self) -> str:
        settings = self._settings
        return f"{type(self).__name__}({settings.service.name!r}, base_url={settings.base_url!r}, model={self.model!r})"

    @property
    def model(self) -> str:
        """The model used when a call does not name one."""
        return self._settings.options.model or self._settings.service.default_model

    def _start(self, texts: str | Iterable[str], options: EmbedOptions) -> Call:
        request_fields = {k: v for k, v in options.items() if k not in ("normalize", "truncate", "progress")}
        return Call.start(
            self._settings,
            texts,
            request_fields,
            normalize=options.get("normalize", False),
            truncate=options.get("truncate", False),
            progress=options.get("progress"),
        )

    def _close_cache(self) -> None:
        if self._owns_cache and self._settings.cache is not None:
            self._settings.cache.close()

    def _models_request(self) -> dict[str, Any]:
        request = self._settings.service.models_request()
        request["url"] = self._settings.base_url + request["url"]
        request["headers"] = self._settings.headers()
        return request
