"""LangChain's `Embeddings` interface on top of embedkit (`pip install 'embedkit[langchain]'`).

    from langchain_core.vectorstores import InMemoryVectorStore
    from embedkit.langchain import EmbedkitEmbeddings

    embeddings = EmbedkitEmbeddings("mistral", cache="embeddings.sqlite")  # key from MISTRAL_API_KEY
    store = InMemoryVectorStore.from_texts(texts, embeddings)
    store.similarity_search("a question", k=3)

Everything the embedkit clients do comes along: batches by input count and estimated tokens, bounded
concurrency, retries on 429/5xx/connection failures with `Retry-After` honoured, base64 decoding, typed errors
naming the bad input, both services (Mistral and cortecs.ai with its routing options), and an optional SQLite
cache that serves queries as well as documents, so a repeated query costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._extras import raise_missing_extra

try:
    from langchain_core.embeddings import Embeddings
except ModuleNotFoundError as error:
    raise_missing_extra(error, extra="langchain", feature="embedkit.langchain")

from ._cache import EmbeddingCache
from ._client import Embedder
from ._framework import FrameworkClients
from ._services import ServiceName

__all__ = ["EmbedkitEmbeddings"]


class EmbedkitEmbeddings(Embeddings):
    """LangChain `Embeddings` served by an embedkit `Embedder` (sync) and `AsyncEmbedder` (async).

    `service` is "mistral" or "cortecs"; every other keyword goes to the embedkit client: `api_key` (else
    `MISTRAL_API_KEY` / `CORTECS_API_KEY`), `base_url`, `model`, `max_concurrency`, `max_retries`, `timeout`,
    `batch_size`, `max_batch_tokens`, and the request options of the service (`output_dimension`,
    `preference`, `allowed_providers`, `eu_native`, ...). `cache` (a path or an `EmbeddingCache`) serves the
    sync and async paths, queries included. `normalize=True` returns unit-length vectors; `truncate=True` cuts a
    text over the model's input limit instead of failing (LangChain's splitters rarely count Mistral's tokens);
    `progress=True` shows a bar that moves at each batch of a call of several batches. LangChain wants lists
    of floats, so only `output_dtype="float"` is accepted; for quantized vectors use `Embedder` and
    `embedkit.hamming_top_k`. Close it (`close()`, `await aclose()`, or `with`) to release connections and cache.
    """

    def __init__(
        self,
        service: ServiceName = "mistral",
        *,
        cache: EmbeddingCache | str | Path | None = None,
        normalize: bool = False,
        truncate: bool = False,
        progress: bool = False,
        **settings: Any,
    ) -> None:
        self._clients = FrameworkClients(
            service, cache=cache, normalize=normalize, settings={**settings, "truncate": truncate, "progress": progress}
        )

    def __repr__(self) -> str:
        return f"EmbedkitEmbeddings({self.embedder!r})"

    @property
    def embedder(self) -> Embedder:
        """The sync embedkit client, for what LangChain's interface does not cover (quantized dtypes, usage)."""
        return self._clients.embedder

    @property
    def model(self) -> str:
        """The model used to embed."""
        return self._clients.model

    @property
    def base_url(self) -> str:
        """Where requests go."""
        return self._clients.base_url

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents in as few requests as the limits allow; row i embeds `texts[i]`."""
        return self._clients.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (served by the cache too, when there is one)."""
        return self._clients.embed([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """`embed_documents` on the running event loop, with no thread in between."""
        return await self._clients.aembed(texts)

    async def aembed_query(self, text: str) -> list[float]:
        """`embed_query` on the running event loop."""
        return (await self._clients.aembed([text]))[0]

    def close(self) -> None:
        """Close the sync client, and the cache if it was opened from a path."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop too."""
        await self._clients.aclose()

    def __enter__(self) -> EmbedkitEmbeddings:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> EmbedkitEmbeddings:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
