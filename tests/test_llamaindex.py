"""embedkit.llamaindex: LlamaIndex's BaseEmbedding, sync and async, against the reference server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from embedkit import Embedder, InputError
from embedkit.llamaindex import EmbedkitEmbedding
from embedkit_server import DEV_TOKEN, BackgroundServer
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import TextNode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = [json.loads(line) for line in (ROOT / "demo" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
SERVICES = {"mistral": {"model": "codestral-embed", "output_dimension": 256}, "cortecs": {"preference": "cost"}}


@pytest.mark.parametrize("service", SERVICES)
def test_every_entry_point_gives_the_embedders_vectors(server: Any, service: str) -> None:
    texts = [row["text"] for row in CORPUS[:40]]
    params: dict[str, Any] = {"base_url": server.url, "api_key": DEV_TOKEN, **SERVICES[service]}
    with Embedder(service, **params) as embedder:  # type: ignore[arg-type]
        expected = embedder.embed(texts).vectors
    model = EmbedkitEmbedding(service, **params)  # type: ignore[arg-type]
    assert isinstance(model, BaseEmbedding)
    assert model.model_name == params.get("model", "mistral-embed")

    def same(rows: Any, want: np.ndarray[Any, Any]) -> bool:
        return np.array_equal(np.asarray(rows, np.float32), want)

    assert same(model.get_text_embedding(texts[0]), expected[0])
    assert same(model.get_query_embedding(texts[1]), expected[1])
    assert same(model.get_text_embedding_batch(texts), expected)
    assert same(asyncio.run(model.aget_text_embedding(texts[2])), expected[2])
    assert same(asyncio.run(model.aget_query_embedding(texts[3])), expected[3])
    assert same(asyncio.run(model.aget_text_embedding_batch(texts)), expected)
    model.close()


def test_one_request_per_llamaindex_batch_not_per_text() -> None:
    texts = [row["text"] for row in CORPUS[:100]]
    with BackgroundServer() as server:
        model = EmbedkitEmbedding(base_url=server.url, api_key=DEV_TOKEN)
        before = server.app.requests
        assert len(model.get_text_embedding_batch(texts)) == 100
        assert server.app.requests - before == 1
        model.close()


def test_cache_serves_queries(tmp_path: Path) -> None:
    with BackgroundServer() as server:
        model = EmbedkitEmbedding(base_url=server.url, api_key=DEV_TOKEN, cache=tmp_path / "cache.sqlite")
        first = model.get_query_embedding("where is the cat?")
        sent = server.app.inputs_embedded
        assert model.get_query_embedding("where is the cat?") == first
        assert asyncio.run(model.aget_query_embedding("where is the cat?")) == first
        assert server.app.inputs_embedded == sent
        model.close()


def test_vector_store_index_retrieves_the_topic(server: Any) -> None:
    model = EmbedkitEmbedding(base_url=server.url, api_key=DEV_TOKEN)
    nodes = [TextNode(text=row["text"], id_=row["id"], metadata={"topic": row["topic"]}) for row in CORPUS]
    index = VectorStoreIndex(nodes, embed_model=model)
    hits = index.as_retriever(similarity_top_k=3).retrieve("interest rates and inflation")
    assert [hit.node.metadata["topic"] for hit in hits] == ["finance"] * 3

    async def retrieve() -> list[Any]:
        return await index.as_retriever(similarity_top_k=3).aretrieve("a bug in the server code")

    assert [hit.node.metadata["topic"] for hit in asyncio.run(retrieve())] == ["programming"] * 3
    model.close()


def test_errors_and_secrets(server: Any) -> None:
    model = EmbedkitEmbedding(base_url=server.url, api_key="sk-secret-value-123")
    for shown in (repr(model), str(model), model.model_dump_json(), json.dumps(model.to_dict(), default=str)):
        assert "sk-secret" not in shown
    model.close()
    model = EmbedkitEmbedding(base_url=server.url, api_key=DEV_TOKEN)
    with pytest.raises(InputError, match="input 1 is an empty string"):
        model.get_text_embedding_batch(["fine", ""])
    model.close()
    with pytest.raises(ValueError, match="lists of floats"):
        EmbedkitEmbedding(base_url=server.url, api_key=DEV_TOKEN, output_dtype="int8")


def test_truncate_and_progress_are_constructor_settings(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 21, items 3 and 9: the adapter could not truncate (refused as a client default) nor show progress.
    long_text = "word " * 20_000  # far over mistral-embed's 8,192 tokens
    params: dict[str, Any] = {"base_url": server.url, "api_key": DEV_TOKEN}
    with pytest.raises(InputError, match="truncate"):
        EmbedkitEmbedding("mistral", **params).get_text_embedding(long_text)
    with Embedder.mistral(**params) as embedder:
        expected = embedder.embed([long_text], truncate=True).vectors
    model = EmbedkitEmbedding("mistral", truncate=True, progress=True, batch_size=10, **params)
    texts = [long_text, *(row["text"] for row in CORPUS[:40])]
    rows = model.get_text_embedding_batch(texts)
    assert np.array_equal(np.asarray(rows[0], np.float32), expected[0])
    assert np.array_equal(np.asarray(asyncio.run(model.aget_query_embedding(long_text)), np.float32), expected[0])
    assert "41/41" in capsys.readouterr().err, "a bar on stderr, asked for"
    model.close()
