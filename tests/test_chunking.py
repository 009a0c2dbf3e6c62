"""Long documents: split by the model's tokens into overlapping chunks that each fit, with spans back into the
document, embedded one row per chunk or pooled per document (issue 21, item 4)."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from embedkit import AsyncEmbedder, Embedder, InputError
from embedkit._chunking import ChunkedResult, Chunking, chunk_records, split_text
from embedkit._files import Record
from embedkit._tokens import ByteBound, ExactCounter, counter_for
from embedkit_server import DEV_TOKEN, BackgroundServer, compute_vector


def document(words: int, seed: int = 7) -> str:
    """Prose-like text of random words, deterministic per seed, so that every stretch of it is distinct."""
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(2000)
    ]
    sentences, left = [], words
    while left > 0:
        size = min(left, rng.randint(6, 14))
        sentences.append(" ".join(rng.choice(vocabulary) for _ in range(size)).capitalize() + ".")
        left -= size
    return " ".join(sentences)


@pytest.fixture(scope="module")
def local() -> Iterator[BackgroundServer]:
    with BackgroundServer() as running:
        yield running


@pytest.fixture
def embedder(local: BackgroundServer) -> Iterator[Embedder]:
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as client:
        yield client


def test_chunks_fit_the_exact_tokenizer_overlap_and_map_back_to_the_document() -> None:
    counter = counter_for("mistral-embed", "exact")
    assert isinstance(counter, ExactCounter)
    text = document(6000)
    spans = split_text(text, counter, 300, 40)
    assert len(spans) > 10
    assert spans[0][0] == 0, "the chunks cover the document from its start"
    assert spans[-1][1] == len(text), "to its end"
    for (start, end, tokens), (next_start, _, _) in itertools.pairwise(spans):
        assert tokens == counter.count([text[start:end]])[0] <= 300, "each chunk fits, as the service counts"
        assert next_start < end, "neighbours overlap"
        assert counter.count([text[next_start:end]])[0] >= 30, "by about the overlap asked"
    assert max(tokens for _, _, tokens in spans) >= 290, "chunks are as long as they may be, not cut short"


def test_without_the_tokenizer_the_byte_bound_splits_safely() -> None:
    text = "é" * 3000 + " tail"
    spans = split_text(text, ByteBound(), 500, 50)
    exact = counter_for("mistral-embed", "exact")
    for start, end, tokens in spans:
        assert tokens <= 500
        assert len(text[start:end].encode()) + 1 == tokens
        assert exact.count([text[start:end]])[0] <= 500, "never over the limit by the real count either"
    assert "".join(text[s:e] for s, e, _ in spans[:1])
    assert spans[-1][1] == len(text)


def test_a_short_text_is_one_chunk_and_a_bad_setting_is_refused_by_name(embedder: Embedder) -> None:
    assert split_text("short", ByteBound(), 100) == [(0, 5, 6)]
    with pytest.raises(InputError, match="overlap must be at least 0 and below max_tokens"):
        Chunking(100, overlap=100)
    with pytest.raises(InputError, match="over the per-input limit of 8192"):
        embedder.embed("text", chunking=9000)
    with pytest.raises(InputError, match="chunking must be a Chunking or a number"):
        embedder.embed("text", chunking="512")  # type: ignore[typeddict-item]


def test_embed_with_chunking_gives_one_row_per_chunk_with_parent_index_and_offsets(embedder: Embedder) -> None:
    long = document(3000, seed=3)
    result = embedder.embed([long, "a short one"], chunking=Chunking(400, overlap=50))
    assert isinstance(result, ChunkedResult)
    assert not result.pooled
    assert len(result) == len(result.chunks) > 3
    assert [c.document for c in result.chunks].count(1) == 1
    assert [c.index for c in result.chunks if c.document == 0] == list(range(len(result.chunks) - 1))
    for chunk, vector in zip(result.chunks, result.vectors, strict=True):
        source = long if chunk.document == 0 else "a short one"
        assert source[chunk.start : chunk.end] == chunk.text
        assert np.allclose(vector, compute_vector("mistral-embed", 1024, chunk.text), atol=1e-6)


def test_pooling_is_the_token_weighted_mean_of_unit_chunks(embedder: Embedder) -> None:
    long = document(2500, seed=5)
    chunks = embedder.embed([long, "tiny"], chunking=Chunking(300, 30)).chunks
    pooled = embedder.embed([long, "tiny"], chunking=Chunking(300, 30, pool=True), normalize=True)
    assert pooled.vectors.shape == (2, 1024)
    assert pooled.pooled
    rows = np.vstack([compute_vector("mistral-embed", 1024, c.text) for c in chunks if c.document == 0])
    weights = np.array([c.tokens for c in chunks if c.document == 0], dtype=np.float64)
    mean = (rows / np.linalg.norm(rows, axis=1, keepdims=True) * weights[:, None]).sum(0) / weights.sum()
    assert np.allclose(pooled.vectors[0], mean / np.linalg.norm(mean), atol=1e-5)
    assert np.allclose(pooled.vectors[1], compute_vector("mistral-embed", 1024, "tiny"), atol=1e-6)
    with pytest.raises(InputError, match="pooling needs float vectors"):
        embedder.embed([long], chunking=Chunking(300, pool=True), output_dtype="int8")


def test_the_async_client_chunks_the_same_way(local: BackgroundServer, embedder: Embedder) -> None:
    long = document(1500, seed=9)

    async def go() -> ChunkedResult:
        async with AsyncEmbedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as client:
            result = await client.embed(long, chunking=200)
            assert isinstance(result, ChunkedResult)
            return result

    result = asyncio.run(go())
    same = embedder.embed(long, chunking=200)
    assert isinstance(same, ChunkedResult)
    assert result.chunks == same.chunks
    assert np.array_equal(result.vectors, same.vectors)


def test_chunk_records_carry_the_parent_its_columns_and_the_span() -> None:
    text = document(1200, seed=11)
    records = list(chunk_records([Record("doc", text, {"lang": "en"})], counter_for("mistral-embed", "exact"),
                                 Chunking(200, 20)))  # fmt: skip
    assert len(records) > 3
    for index, record in enumerate(records):
        assert record.id == f"doc#{index}"
        assert record.parent_id == "doc"
        assert record.chunk_index == index
        assert record.columns == {"lang": "en"}
        assert record.char_start is not None
        assert record.char_end is not None
        assert text[record.char_start : record.char_end] == record.text


def test_the_cli_pools_chunks_into_one_row_per_document_with_its_columns(
    local: BackgroundServer, embedder: Embedder, tmp_path: Path, capsys: pytest.CaptureFixture[str], key: None
) -> None:
    """`embed --chunk-tokens N --pool`: one row per document, its id, text and columns, the library's pooled vector.

    A window of 2 rows cuts documents' chunks across windows: a document is pooled whole all the same.
    """
    import pyarrow.parquet as pq

    documents = [document(1800, seed=21), "a short one", document(900, seed=22)]
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t, "lang": f"l{i}"}) + "\n"
                              for i, t in enumerate(documents)))  # fmt: skip
    pooled = embedder.embed(documents, chunking=Chunking(300, 30, pool=True), normalize=True).vectors
    chunks = len(embedder.embed(documents, chunking=Chunking(300, 30)).chunks)
    common = ["--base-url", local.url, "--chunk-tokens", "300", "--overlap", "30", "--pool", "--normalize"]
    status, _, err = run_cli(capsys, "embed", str(corpus), str(tmp_path / "out.parquet"), "--id-field", "id",
                             "--with-text", "--window", "2", "--batch-size", "3", *common)  # fmt: skip
    assert status == 0, err
    assert f"wrote 3 rows pooled from {chunks} chunks" in err
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column("id").to_pylist() == ["d0", "d1", "d2"]
    assert table.column("text").to_pylist() == documents
    assert table.column("lang").to_pylist() == ["l0", "l1", "l2"], "the document's columns are kept"
    assert "parent_id" not in table.column_names, "rows are documents, not chunks"
    vectors = np.array(table.column("vector").to_pylist(), dtype=np.float32)
    assert np.allclose(vectors, pooled, atol=1e-5)
    status, _, err = run_cli(capsys, "embed", str(corpus), str(tmp_path / "out.npy"), "--text-field", "text", *common)
    assert status == 0, err
    assert np.allclose(np.load(tmp_path / "out.npy"), pooled, atol=1e-5), "a .npy holds pooled rows too"


@pytest.mark.parametrize(
    ("flags", "message"),
    [([], "--pool averages a text's chunks: pass --chunk-tokens too"),
     (["--chunk-tokens", "300", "--output-dtype", "int8"], "--pool needs float vectors")],
)  # fmt: skip
def test_pool_without_chunks_or_float_vectors_is_refused_before_anything_is_sent(
    local: BackgroundServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], key: None, flags: list[str],
    message: str,
) -> None:  # fmt: skip
    corpus = tmp_path / "in.txt"
    corpus.write_text("one text\nanother\n")
    before = local.app.inputs_embedded
    status, _, err = run_cli(capsys, "embed", str(corpus), str(tmp_path / "out.npy"), "--base-url", local.url,
                             "--pool", *flags)  # fmt: skip
    assert status != 0
    assert message in err
    assert local.app.inputs_embedded == before
    assert not (tmp_path / "out.npy").exists()
