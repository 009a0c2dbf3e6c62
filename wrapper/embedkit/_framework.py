"""The embedkit clients behind a framework adapter (LangChain, LlamaIndex): one sync client, one async per loop.

Frameworks call both `embed_documents` and `aembed_documents` on one object, and their users call
`asyncio.run()` more than once; an `httpx.AsyncClient`'s connections belong to the event loop that opened
them, so the async client is made per running loop. Both share one cache, so a text embedded on either path
is never paid for twice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ._async_client import AsyncEmbedder
from ._cache import EmbeddingCache
from ._client import Embedder
from ._services import ServiceName


class FrameworkClients:
    """An `Embedder`, an `AsyncEmbedder` for the running loop, a shared cache, and rows as lists of floats."""

    def __init__(
        self,
        service: ServiceName,
        *,
        cache: EmbeddingCache | str | Path | None,
        normalize: bool,
        settings: dict[str, Any],
    ) -> None:
        dtype = settings.get("output_dtype", "float")
        if dtype != "float":
            raise ValueError(
                f"output_dtype={dtype!r}: framework embeddings are lists of floats; embed quantized vectors with "
                "embedkit.Embedder and search them with embedkit.hamming_top_k"
            )
        self._owns_cache = isinstance(cache, str | Path)
        self._cache = EmbeddingCache(cache) if isinstance(cache, str | Path) else cache
        self._normalize = normalize
        # Off unless asked (`progress=True`): a framework embeds in calls of its own, often one text at a time.
        self._progress = settings.pop("progress", False)
        # Built now so that a missing key or a bad option fails at construction, not at the first embedding.
        self.embedder = Embedder(service, cache=self._cache, progress=self._progress, **settings)
        self._service = service
        # The key is kept only inside the clients (masked); an injected httpx.Client serves the sync client alone.
        self._async_settings = {k: v for k, v in settings.items() if k not in ("api_key", "http_client")}
        self._async: tuple[asyncio.AbstractEventLoop, AsyncEmbedder] | None = None

    @property
    def model(self) -> str:
        """The model used to embed (the client's default, else the service's)."""
        return self.embedder.model

    @property
    def base_url(self) -> str:
        """Where requests go."""
        return self.embedder._settings.base_url

    def _async_embedder(self) -> AsyncEmbedder:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            client = AsyncEmbedder(
                self._service,
                api_key=self.embedder._settings.key.reveal(),
                cache=self._cache,
                progress=self._progress,
                **self._async_settings,
            )
            self._async = (loop, client)
        return self._async[1]

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Rows of `texts`, in order, as lists of floats (none requested for an empty list)."""
        if not texts:
            return []
        rows: list[list[float]] = self.embedder.embed(texts, normalize=self._normalize).vectors.tolist()
        return rows

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        """`embed` on the running event loop, with no thread in between."""
        if not texts:
            return []
        result = await self._async_embedder().embed(texts, normalize=self._normalize)
        rows: list[list[float]] = result.vectors.tolist()
        return rows

    def close(self) -> None:
        """Close the sync client, and the cache if it was opened here (an async client left open dies with its loop)."""
        self.embedder.close()
        self._async = None
        if self._owns_cache and self._cache is not None:
            self._cache.close()

    async def aclose(self) -> None:
        """Close the running loop's async client, then everything `close` closes."""
        if self._async is not None and self._async[0] is asyncio.get_running_loop():
            await self._async[1].aclose()
        self.close()
