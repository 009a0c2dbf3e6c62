"""embedkit.langchain: LangChain's own standard embeddings tests, both services, against the reference server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from embedkit import Embedder, EmbeddingCache, InputError
from embedkit.langchain import EmbedkitEmbeddings
from embedkit_server import DEV_TOKEN, BackgroundServer, FaultPlan, ServerConfig
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

ROOT = Path(__file__).resolve().parent.parent
CORPUS = [json.loads(line) for line in (ROOT / "demo" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
SERVICES = {"mistral": {"model": "mistral-embed"}, "cortecs": {"preference": "speed", "eu_native": True}}


class _AgainstTheServer:
    """Points the standard tests' `model` fixture at the session's reference server."""

    service = "mistral"

    @pytest.fixture(autouse=True)
    def _server_url(self, server: Any) -> None:
        self.url = server.url

    @property
    def embeddings_class(self) -> type[EmbedkitEmbeddings]:
        return EmbedkitEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"service": self.service, "base_url": self.url, "api_key": DEV_TOKEN, **SERVICES[self.service]}


class TestMistralUnit(_AgainstTheServer, EmbeddingsUnitTests):
    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"MISTRAL_API_KEY": DEV_TOKEN, "MISTRAL_BASE_URL": "http://127.0.0.1:9/"},
            {"model": "codestral-embed"},
            {"base_url": "http://127.0.0.1:9", "model": "codestral-embed"},
        )


class TestCortecsUnit(_AgainstTheServer, EmbeddingsUnitTests):
    service = "cortecs"

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"CORTECS_API_KEY": DEV_TOKEN, "CORTECS_BASE_URL": "http://127.0.0.1:9"},
            {"service": "cortecs"},
            {"base_url": "http://127.0.0.1:9", "model": "mistral-embed"},
        )


class TestMistralIntegration(_AgainstTheServer, EmbeddingsIntegrationTests):
    pass


class TestCortecsIntegration(_AgainstTheServer, EmbeddingsIntegrationTests):
    service = "cortecs"


@pytest.mark.parametrize("service", SERVICES)
def test_vectors_are_the_embedders(server: Any, service: str) -> None:
    texts = [row["text"] for row in CORPUS[:50]]
    params = {"base_url": server.url, "api_key": DEV_TOKEN, **SERVICES[service]}
    with EmbedkitEmbeddings(service, **params) as embeddings, Embedder(service, **params) as embedder:  # type: ignore[arg-type]
        expected = embedder.embed(texts).vectors
        assert np.array_equal(np.asarray(embeddings.embed_documents(texts), np.float32), expected)
        assert np.array_equal(np.asarray(embeddings.embed_query(texts[3]), np.float32), expected[3])
        assert np.array_equal(np.asarray(asyncio.run(embeddings.aembed_documents(texts)), np.float32), expected)
        assert np.array_equal(np.asarray(asyncio.run(embeddings.aembed_query(texts[7])), np.float32), expected[7])
        assert embeddings.embed_documents([]) == []


def test_in_memory_vector_store_finds_the_topic(server: Any) -> None:
    embeddings = EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN, batch_size=32)
    with embeddings:
        store = InMemoryVectorStore.from_texts(
            [row["text"] for row in CORPUS], embeddings, metadatas=[{"topic": row["topic"]} for row in CORPUS]
        )
        hits = store.similarity_search("boiling pasta in salted water", k=3)
        assert [hit.metadata["topic"] for hit in hits] == ["cooking"] * 3
        assert "pasta" in hits[0].page_content

        async def search() -> list[Any]:
            return await store.asimilarity_search("telescope pictures of a galaxy", k=3)

        assert [hit.metadata["topic"] for hit in asyncio.run(search())] == ["astronomy"] * 3


def test_batches_by_the_embedders_limits(tmp_path: Path) -> None:
    with BackgroundServer() as server, EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN, batch_size=16) as e:
        before = server.app.requests
        assert len(e.embed_documents([row["text"] for row in CORPUS[:100]])) == 100
        assert server.app.requests - before == 7  # ceil(100 / 16), not one request per text


def test_cache_serves_queries_and_documents_sync_and_async(tmp_path: Path) -> None:
    with BackgroundServer() as server:
        params = {"base_url": server.url, "api_key": DEV_TOKEN, "cache": tmp_path / "cache.sqlite"}
        with EmbedkitEmbeddings(**params) as embeddings:  # type: ignore[arg-type]
            first = embeddings.embed_query("where is the cat?")
            embeddings.embed_documents(["a", "b"])
            sent = server.app.inputs_embedded
            assert embeddings.embed_query("where is the cat?") == first
            assert asyncio.run(embeddings.aembed_query("where is the cat?")) == first
            embeddings.embed_documents(["b", "a"])
            asyncio.run(embeddings.aembed_documents(["a", "b"]))
            assert server.app.inputs_embedded == sent  # nothing sent again
        # A new object on the same file: the cache outlives the process that wrote it.
        with EmbedkitEmbeddings(**params) as again:  # type: ignore[arg-type]
            assert again.embed_query("where is the cat?") == first
            assert server.app.inputs_embedded == sent
        # A cache passed in is its owner's: closing the embeddings leaves it open for the next user.
        shared = EmbeddingCache(tmp_path / "shared.sqlite")
        with EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN, cache=shared) as borrowed:
            vector = borrowed.embed_query("x")
        sent = server.app.inputs_embedded
        with EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN, cache=shared) as borrowed:
            assert borrowed.embed_query("x") == vector
        assert server.app.inputs_embedded == sent
        shared.close()


def test_retries_through_faults() -> None:
    faults = FaultPlan(rate=0.4, seed=3, kinds=("429", "500", "503", "drop", "truncate"), retry_after_ms=5)
    texts = [row["text"] for row in CORPUS[:64]]
    with BackgroundServer(ServerConfig(faults=faults)) as flaky, BackgroundServer() as clean:
        with EmbedkitEmbeddings(base_url=clean.url, api_key=DEV_TOKEN) as reference:
            expected = reference.embed_documents(texts)
        with EmbedkitEmbeddings(base_url=flaky.url, api_key=DEV_TOKEN, batch_size=8, max_retries=10) as embeddings:
            assert embeddings.embed_documents(texts) == expected
            assert asyncio.run(embeddings.aembed_documents(texts)) == expected
        assert any(kind is not None for kind in faults.recent)


def test_async_client_survives_several_event_loops(server: Any) -> None:
    with EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN) as embeddings:
        first = asyncio.run(embeddings.aembed_query("one"))
        assert asyncio.run(embeddings.aembed_query("one")) == first


def test_errors_are_embedkits_and_name_the_input(server: Any) -> None:
    with EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN) as embeddings:
        with pytest.raises(InputError, match="input 1 is an empty string") as raised:
            embeddings.embed_documents(["fine", ""])
        assert raised.value.index == 1
    with pytest.raises(ValueError, match="lists of floats"):
        EmbedkitEmbeddings(base_url=server.url, api_key=DEV_TOKEN, output_dtype="binary")


def test_key_never_shows(server: Any) -> None:
    embeddings = EmbedkitEmbeddings(base_url=server.url, api_key="sk-secret-value-123")
    assert "sk-secret" not in repr(embeddings)
    assert "sk-secret" not in repr(vars(embeddings))
    embeddings.close()


def test_truncate_and_progress_are_constructor_settings(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 21, items 3 and 9: a text over the input limit failed (truncate was refused as a default), and the
    # adapter's progress was always off.
    long_text = "word " * 20_000  # far over mistral-embed's 8,192 tokens
    params: dict[str, Any] = {"base_url": server.url, "api_key": DEV_TOKEN}
    with EmbedkitEmbeddings("mistral", **params) as strict, pytest.raises(InputError, match="truncate"):
        strict.embed_documents([long_text])
    with Embedder.mistral(**params) as embedder:
        expected = embedder.embed([long_text], truncate=True).vectors
    texts = [long_text, *(row["text"] for row in CORPUS[:40])]
    with EmbedkitEmbeddings("mistral", truncate=True, progress=True, batch_size=10, **params) as embeddings:
        rows = embeddings.embed_documents(texts)
        assert np.array_equal(np.asarray(rows[0], np.float32), expected[0])
        assert len(rows) == 41
        assert np.array_equal(np.asarray(asyncio.run(embeddings.aembed_query(long_text)), np.float32), expected[0])
    assert "41/41" in capsys.readouterr().err, "a bar on stderr, asked for"
