"""Search: vectors mapped rather than copied, rows without a direction never scored, files embedkit did not write
refused by name, and the CLI's --json, --id and --where (issue 21, items 5 and 7; issue 23, "Low" and "CLI")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli as run
from embedkit import InputError
from embedkit._files import ParquetOutput, Record, load_embeddings, search_matrix
from embedkit._similarity import nearest, top_k


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def write_embeddings(path: Path, vectors: np.ndarray, columns: dict[str, list[str]] | None = None) -> None:
    output = ParquetOutput(str(path), with_text=True, metadata={"model": "mistral-embed"},
                           columns=dict.fromkeys(columns or {}, pa.string()))  # fmt: skip
    records = [Record(str(i), f"text {i}", {k: v[i] for k, v in (columns or {}).items()}) for i in range(len(vectors))]
    output.write(records, vectors)
    output.finish()


def test_nearest_agrees_with_brute_force_across_blocks_with_filters_and_exclusions() -> None:
    rng = np.random.default_rng(4)
    corpus = rng.standard_normal((70_000, 16)).astype(np.float32)
    query = rng.standard_normal(16).astype(np.float32)
    indices, scores = nearest(query, corpus, k=7)
    expected_indices, expected_scores = top_k(query[None], corpus, k=7)
    assert indices.tolist() == expected_indices[0].tolist()
    assert np.allclose(scores, expected_scores[0], atol=1e-5)
    assert nearest(query, unit(corpus), k=7, unit=True)[0].tolist() == indices.tolist()
    rows = np.arange(0, 70_000, 3)
    filtered, _ = nearest(query, corpus, k=5, rows=rows)
    assert all(i % 3 == 0 for i in filtered)
    assert indices[0] not in nearest(query, corpus, k=5, exclude=int(indices[0]))[0]


def test_nan_and_zero_rows_are_never_scored_and_a_zero_query_is_refused() -> None:
    # Before: `search` printed scores of nan (and of 0 for a zero row) among the results.
    corpus = np.eye(4, dtype=np.float32)
    corpus[1] = np.nan
    corpus[2] = 0
    indices, scores = nearest(np.ones(4, np.float32), corpus, k=4)
    assert sorted(indices.tolist()) == [0, 3]
    assert np.isfinite(scores).all()
    with pytest.raises(InputError, match="zero or not finite"):
        nearest(np.zeros(4, np.float32), corpus)


def test_a_parquet_file_is_searched_from_a_mapped_copy_made_once_and_remade_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    vectors = np.random.default_rng(1).standard_normal((3000, 8)).astype(np.float32)
    vectors[5] = np.nan
    write_embeddings(path, vectors)
    # What a search killed while writing the copy left (its writer's pid is gone): removed by the next one.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f".e.parquet.search.npy.{int(gone.stdout)}-0123456789ab.partial"
    left.write_bytes(b"x" * 4096)
    matrix, is_unit = search_matrix(str(path))
    assert not left.exists()
    assert is_unit
    assert isinstance(matrix, np.memmap)
    assert np.allclose(matrix[:5], unit(vectors[:5]), atol=1e-6)
    assert not matrix[5].any(), "a NaN row maps to zeros"
    made = (tmp_path / "e.parquet.search.npy").stat().st_mtime_ns
    again, _ = search_matrix(str(path))
    assert (tmp_path / "e.parquet.search.npy").stat().st_mtime_ns == made, "the second search maps the same file"
    assert np.array_equal(again, matrix)
    write_embeddings(path, vectors[:10] * -1)
    os.utime(path, ns=(1, 1))
    changed, _ = search_matrix(str(path))
    assert changed.shape == (10, 8)
    assert np.allclose(changed[0], -unit(vectors[:1])[0], atol=1e-6)


def test_a_parquet_file_embedkit_did_not_write_is_a_typed_error(tmp_path: Path) -> None:
    # Before: a KeyError (or an ArrowInvalid) traceback from `search`.
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"name": ["a"], "value": [1.0]}), foreign)
    with pytest.raises(InputError, match="is not a file `embedkit embed` wrote: it needs an id column"):
        load_embeddings(str(foreign))
    with pytest.raises(InputError, match="is not a file `embedkit embed` wrote"):
        search_matrix(str(foreign))
    garbage = tmp_path / "garbage.parquet"
    garbage.write_text("not parquet at all")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        load_embeddings(str(garbage))


def test_load_embeddings_gives_the_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    write_embeddings(path, np.eye(3, dtype=np.float32), {"lang": ["en", "fr", "de"]})
    stored = load_embeddings(str(path), vectors=False)
    assert stored.columns["lang"] == ["en", "fr", "de"]
    assert stored.texts == ["text 0", "text 1", "text 2"]
    assert stored.vectors.shape == (3, 0)
    assert json.loads(json.dumps(stored.metadata)) == {"model": "mistral-embed"}


# --- the CLI: a 50,000-token document embedded in chunks, metadata kept, found by a sentence from its middle -----


def test_a_50000_token_document_embeds_in_chunks_keeps_its_metadata_and_is_found_by_a_sentence_from_its_middle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], server: object, key: None
) -> None:
    from embedkit._tokens import counter_for
    from test_chunking import document

    url = server.url  # type: ignore[attr-defined]
    long = document(20_000, seed=21)
    assert counter_for("mistral-embed", "exact").count([long])[0] >= 50_000
    rows = [{"doc": "long", "body": long, "author": "ada", "lang": "en"}] + [
        {"doc": f"other-{i}", "body": document(300, seed=100 + i), "author": "bob", "lang": "fr"} for i in range(5)
    ]
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    output = tmp_path / "out.parquet"
    status, _, err = run(capsys, "embed", str(source), str(output), "--text-field", "body", "--id-field", "doc",
                         "--chunk-tokens", "512", "--overlap", "64", "--with-text", "--base-url", url)  # fmt: skip
    assert status == 0, err
    table = pq.read_table(output)
    assert {"author", "lang", "parent_id", "chunk_index", "char_start", "char_end"} <= set(table.column_names)
    parents = table.column("parent_id").to_pylist()
    assert parents.count("long") >= 50_000 // 512
    assert set(parents) == {r["doc"] for r in rows}
    middle = len(long) // 2
    start = long.index(". ", middle) + 2
    sentence = long[start : long.index(".", start) + 1]
    status, out, err = run(capsys, "search", str(output), sentence, "--json", "-k", "3", "--base-url", url)
    assert status == 0, err
    hits = json.loads(out)
    best = hits[0]
    assert best["parent_id"] == "long"
    assert best["author"] == "ada"
    assert best["lang"] == "en"
    assert best["char_start"] <= start < best["char_end"]
    assert sentence in best["text"]
    assert best["score"] > hits[-1]["score"]
    # --where filters before ranking; --id gives a row's neighbours, never the row itself.
    status, out, _ = run(capsys, "search", str(output), sentence, "--json", "--where", "lang=fr", "--base-url", url)
    assert status == 0
    assert {hit["lang"] for hit in json.loads(out)} == {"fr"}
    status, out, err = run(capsys, "search", str(output), "--id", best["id"], "--json", "-k", "2")
    assert status == 0, err
    assert best["id"] not in [hit["id"] for hit in json.loads(out)]
    assert len(json.loads(out)) == 2
    status, _, err = run(capsys, "search", str(output), "--id", "nope")
    assert status == 1
    assert "has no row with id 'nope'" in err
    status, _, err = run(capsys, "search", str(output), "x", "--where", "colour=red", "--base-url", url)
    assert status == 1
    assert "--where colour=red: no column 'colour'" in err


def test_search_skips_nan_and_zero_rows_and_refuses_a_foreign_parquet_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: None
) -> None:
    path = tmp_path / "e.parquet"
    vectors = np.eye(4, dtype=np.float32)
    vectors[1] = np.nan
    vectors[2] = 0
    write_embeddings(path, vectors)
    status, out, err = run(capsys, "search", str(path), "--id", "0", "-k", "5")
    assert status == 0, err
    assert [line.split()[2] for line in out.splitlines()] == ["3"], "only row 3 has a direction besides the query"
    assert "nan" not in out
    status, _, err = run(capsys, "search", str(path), "--id", "1")
    assert status == 1
    assert "is zero or not finite" in err
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"name": ["a"]}), foreign)
    status, _, err = run(capsys, "search", str(foreign), "query")
    assert status == 1
    assert "is not a file `embedkit embed` wrote" in err
    assert "Traceback" not in err
