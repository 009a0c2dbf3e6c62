"""LlamaIndex's `BaseEmbedding` interface on top of embedkit (`pip install 'embedkit[llamaindex]'`).

    from llama_index.core import VectorStoreIndex
    from embedkit.llamaindex import EmbedkitEmbedding

    embed_model = EmbedkitEmbedding("mistral", cache="embeddings.sqlite")  # key from MISTRAL_API_KEY
    index = VectorStoreIndex(nodes, embed_model=embed_model)
    index.as_retriever(similarity_top_k=3).retrieve("a question")

The embedkit client does the batching (by input count and estimated tokens), the bounded concurrency, the
retries and the caching (queries included); LlamaIndex's own `embed_batch_size` chunking is set to its maximum
so that it does not cut a corpus into many small calls first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._extras import raise_missing_extra

try:
    from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
    from llama_index.core.callbacks import CallbackManager
    from pydantic import PrivateAttr
except ModuleNotFoundError as error:
    raise_missing_extra(error, extra="llamaindex", feature="embedkit.llamaindex")

from ._cache import EmbeddingCache
from ._client import Embedder
from ._framework import FrameworkClients
from ._services import ServiceName

__all__ = ["EmbedkitEmbedding"]

# The largest chunk LlamaIndex accepts: embedkit splits by its own limits, so bigger chunks mean fewer calls.
LARGEST_LLAMAINDEX_BATCH = 2048


class EmbedkitEmbedding(BaseEmbedding):
    """LlamaIndex `BaseEmbedding` served by embedkit's `Embedder` (sync) and `AsyncEmbedder` (async).

    `service` is "mistral" or "cortecs"; every other keyword goes to the embedkit client (`api_key`, else
    `MISTRAL_API_KEY` / `CORTECS_API_KEY`; `base_url`, `model`, `max_concurrency`, `max_retries`, `timeout`,
    the service's request options). `cache` (a path or an `EmbeddingCache`) serves texts and queries, sync and
    async. `normalize=True` returns unit-length vectors; `truncate=True` cuts a text over the model's input limit
    instead of failing; `progress=True` shows embedkit's bar, moved at each batch of a call of several batches
    (LlamaIndex's own `show_progress` counts its chunks instead). Only `output_dtype="float"` is accepted (LlamaIndex
    wants lists of floats). Close it (`close()`, `await aclose()`) to release connections and cache.
    """

    service: str = "mistral"
    normalize: bool = False
    _clients: FrameworkClients = PrivateAttr()

    def __init__(
        self,
        service: ServiceName = "mistral",
        *,
        cache: EmbeddingCache | str | Path | None = None,
        normalize: bool = False,
        truncate: bool = False,
        progress: bool = False,
        embed_batch_size: int = LARGEST_LLAMAINDEX_BATCH,
        callback_manager: CallbackManager | None = None,
        **settings: Any,
    ) -> None:
        clients = FrameworkClients(
            service, cache=cache, normalize=normalize, settings={**settings, "truncate": truncate, "progress": progress}
        )
        # The fields LlamaIndex records and serialises: never the key, which stays masked inside the clients.
        fields: dict[str, Any] = {"model_name": clients.model, "service": service, "normalize": normalize,
                                  "embed_batch_size": embed_batch_size}  # fmt: skip
        if callback_manager is not None:
            fields["callback_manager"] = callback_manager
        super().__init__(**fields)
        self._clients = clients

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex records for this embedding class."""
        return "EmbedkitEmbedding"

    @property
    def embedder(self) -> Embedder:
        """The sync embedkit client, for what LlamaIndex's interface does not cover (quantized dtypes, usage)."""
        return self._clients.embedder

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._clients.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._clients.aembed([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._clients.embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._clients.aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._clients.embed(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self._clients.aembed(texts)

    def close(self) -> None:
        """Close the sync client, and the cache if it was opened from a path."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop too."""
        await self._clients.aclose()
