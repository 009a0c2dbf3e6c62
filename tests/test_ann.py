"""Approximate search (issue 21, "an approximate index behind an extra"): an index beside the file finds what exact
search finds, a changed file makes its index stale (refused or rebuilt, never used), the missing extra is named,
and the CLI's --json, --id and --where answer through the index as they do without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from conftest import run_cli as run
from embedkit import InputError, MissingDependencyError, _ann
from embedkit._ann import StaleIndexError, build_index, index_for_search, index_path, index_state, open_index
from embedkit._files import NpyOutput, ParquetOutput, Record, search_matrix
from embedkit._similarity import nearest


def clustered(rows: int, dim: int = 64, seed: int = 7) -> np.ndarray:
    """Unit rows around 30 centres: neighbours that mean something, unlike uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 30, rows)] + 0.8 * rng.standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def write_npy(path: Path, vectors: np.ndarray) -> None:
    output = NpyOutput(str(path), metadata={"service": "mistral", "model": "mistral-embed"})
    output.write([Record(str(i), "") for i in range(len(vectors))], vectors)
    output.finish()


def write_parquet(path: Path, vectors: np.ndarray) -> None:
    import pyarrow as pa

    output = ParquetOutput(str(path), with_text=True, metadata={"model": "mistral-embed"},
                           columns={"lang": pa.string()})  # fmt: skip
    langs = ["en" if i % 4 == 0 else "fr" for i in range(len(vectors))]
    output.write([Record(str(i), f"text {i}", {"lang": langs[i]}) for i in range(len(vectors))], vectors)
    output.finish()


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return len(set(found.tolist()) & set(truth.tolist())) / len(truth)


@pytest.mark.parametrize("suffix", [".npy", ".parquet"])
def test_the_index_finds_the_exact_top_hits_with_exact_scores(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"e{suffix}"
    vectors = clustered(3000)
    vectors[17] = 0  # rows without a direction are never indexed, as exact search never scores them
    vectors[18] = np.nan
    (write_npy if suffix == ".npy" else write_parquet)(path, vectors)
    report = build_index(str(path))
    assert report.path == index_path(path) == tmp_path / f"e{suffix}.ann"
    assert (report.rows, report.indexed) == (3000, 2998)
    index = open_index(str(path))
    matrix, unit = search_matrix(str(path))
    queries = clustered(40, seed=8)
    recalls = []
    for query in queries:
        indices, scores = index.nearest(query, matrix, k=10, unit=unit)
        exact_indices, exact_scores = nearest(query, matrix, k=10, unit=unit)
        recalls.append(recall(indices, exact_indices))
        assert not {17, 18} & set(indices.tolist())
        # Candidates are scored again from the file's rows: the same scores exact search gives, best first.
        assert np.allclose(scores, [float(matrix[i] @ query) for i in indices], atol=1e-5)
        assert list(scores) == sorted(scores, reverse=True)
        if indices[0] == exact_indices[0]:
            assert scores[0] == pytest.approx(exact_scores[0], abs=1e-6)
    assert np.mean(recalls) >= 0.9, recalls


def test_where_over_fetches_and_filters_or_falls_back_to_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "e.npy"
    vectors = clustered(3000)
    write_npy(path, vectors)
    build_index(str(path))
    index = open_index(str(path))
    query = clustered(1, seed=9)[0]
    # Few rows pass: searched exactly (only they are read), so the answer is exact.
    few = np.arange(0, 3000, 50)
    assert (
        index.nearest(query, vectors, k=5, rows=few)[0].tolist() == nearest(query, vectors, k=5, rows=few)[0].tolist()
    )
    # Many rows pass: the index is over-fetched and its candidates filtered.
    monkeypatch.setattr(_ann, "EXACT_FILTERED_ROWS", 0)
    many = np.arange(0, 3000, 4)
    found, _ = index.nearest(query, vectors, k=10, rows=many, exclude=int(many[0]))
    assert all(i % 4 == 0 for i in found)
    assert int(many[0]) not in found
    assert recall(found, nearest(query, vectors, k=10, rows=many, exclude=int(many[0]))[0]) >= 0.9
    # So few pass that the over-fetched candidates hold fewer than k of them: exact over the passing rows.
    rare = np.array([5, 1500, 2999])
    assert sorted(index.nearest(query, vectors, k=10, rows=rare)[0].tolist()) == [5, 1500, 2999]


def test_a_changed_file_makes_its_index_stale_refused_unasked_and_rebuilt_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "e.npy"
    write_npy(path, clustered(500))
    build_index(str(path))
    assert index_state(str(path)) == "fresh"
    before = path.stat()
    # Same shape, same size, the old time put back (cp -p, a restored backup): the hash of its ends still tells.
    write_npy(path, clustered(500, seed=99))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert index_state(str(path)) == "stale"
    with pytest.raises(StaleIndexError, match=r"e\.npy\.ann was not built from .*embedkit index"):
        open_index(str(path))
    assert isinstance(StaleIndexError("x"), InputError)
    notes: list[str] = []
    with pytest.raises(StaleIndexError):  # unasked (a large file with an index beside it): refused, not rebuilt
        index_for_search(str(path), "auto", _ann.AUTO_ROWS, say=notes.append)
    index = index_for_search(str(path), "index", 500, say=notes.append)  # asked for: rebuilt
    assert index is not None
    assert notes
    assert notes[-1].startswith("rebuilt e.npy.ann")
    assert index_state(str(path)) == "fresh"
    # An index replaced by something else (here cut short) is stale too.
    target = index_path(path)
    target.write_bytes(target.read_bytes()[:1000])
    assert index_state(str(path)) == "stale"
    assert index_for_search(str(path), "exact", 10**9, say=notes.append) is None
    assert index_for_search(str(path), "auto", 10, say=notes.append) is None, "small files are searched exactly"


def test_without_the_extra_a_typed_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "e.npy"
    write_npy(path, clustered(300))
    build_index(str(path))
    # As on an install without the extra: the import fails.
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'embedkit\[ann\]'"):
        build_index(str(path))
    with pytest.raises(MissingDependencyError, match=r"embedkit\[ann\]"):
        open_index(str(path))
    status, out, err = run(capsys, "search", str(path), "--id", "3", "--index")
    assert status == 1
    assert "MissingDependencyError" in err
    assert "pip install 'embedkit[ann]'" in err
    assert "Traceback" not in err
    status, _, err = run(capsys, "index", str(path), "--rebuild")
    assert status == 1
    assert "embedkit[ann]" in err
    # Not asked for: an index beside a large file is passed over with a note, and the search is exact.
    monkeypatch.setattr(_ann, "AUTO_ROWS", 10)
    status, out, err = run(capsys, "search", str(path), "--id", "3", "-k", "3")
    assert status == 0, err
    assert "exact search instead" in err
    assert len(out.splitlines()) == 3


def test_import_embedkit_and_exact_search_modules_leave_faiss_unloaded() -> None:
    probe = "import sys, embedkit, embedkit._ann, embedkit._cli\nprint('faiss' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == "False"


def same(hits: list[dict[str, object]], others: list[dict[str, object]]) -> bool:
    """The same hits, fields and order; scores equal to float32 rounding."""

    def fields(hit: dict[str, object]) -> dict[str, object]:
        return {name: value for name, value in hit.items() if name != "score"}

    return [fields(h) for h in hits] == [fields(h) for h in others] and all(
        abs(float(h["score"]) - float(o["score"])) <= 1e-5
        for h, o in zip(hits, others, strict=True)  # type: ignore[arg-type]
    )


# --- the CLI, end to end against the reference server: embed, index, search with --json, --id, --where ------------


def test_cli_index_and_search_through_it_match_exact_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], server: object, key: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.url  # type: ignore[attr-defined]
    topics = ["cats and kittens", "stock markets", "mountain hiking", "baking bread", "football matches"]
    rows = [{"doc": f"d{i}", "text": f"A note on {topics[i % 5]}, number {i}.", "lang": "en" if i % 2 else "fr"}
            for i in range(120)]  # fmt: skip
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    output = tmp_path / "out.parquet"
    status, _, err = run(capsys, "embed", str(source), str(output), "--id-field", "doc", "--with-text",
                         "--base-url", url)  # fmt: skip
    assert status == 0, err
    status, out, err = run(capsys, "index", str(output))
    assert status == 0, err
    assert out.startswith(f"indexed 120 of 120 rows into {output}.ann in ")
    status, out, _ = run(capsys, "index", str(output))
    assert "is up to date" in out

    def search(*arguments: str) -> list[dict[str, object]]:
        status, out, err = run(capsys, "search", str(output), *arguments, "--json", "--base-url", url)
        assert status == 0, err
        return json.loads(out)

    for arguments in (("stock markets",), ("--id", "d7"), ("baking bread", "--where", "lang=en")):
        approximate, exact = search(*arguments, "--index"), search(*arguments, "--exact")
        # 120 rows: the graph is exact. Every field the same; scores to float32 rounding (summed in another order).
        assert same(approximate, exact), arguments
    hits = search("baking bread", "--where", "lang=en", "-k", "3", "--index")
    assert [hit["rank"] for hit in hits] == [1, 2, 3]
    assert {hit["lang"] for hit in hits} == {"en"}
    assert {"rank", "score", "id", "text", "lang"} <= set(hits[0])
    # Unasked, a file at or over AUTO_ROWS with an index is searched through it, saying so.
    monkeypatch.setattr(_ann, "AUTO_ROWS", 100)
    status, out, err = run(capsys, "search", str(output), "--id", "d7", "--json")
    assert status == 0, err
    assert "approximate search through out.parquet.ann" in err
    assert same(json.loads(out), search("--id", "d7", "--exact"))
    # The file changes: unasked, the stale index is refused by name; --index rebuilds it; --exact ignores it.
    status, _, err = run(capsys, "embed", str(source), str(output), "--id-field", "doc", "--base-url", url,
                         "--overwrite")  # fmt: skip
    assert status == 0, err
    status, _, err = run(capsys, "search", str(output), "--id", "d7")
    assert status == 1
    assert "StaleIndexError" in err
    assert "embedkit index" in err
    status, out, err = run(capsys, "search", str(output), "--id", "d7", "--index")
    assert status == 0, err
    assert "rebuilt out.parquet.ann" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and "partial" in p.name]


def test_the_cli_quotes_the_library_s_settings(capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI imports nothing heavy for --help, so it copies these; they must stay equal.
    from embedkit import _cli

    parser = _cli._parser()
    index = parser._subparsers._group_actions[0].choices["index"]  # type: ignore[union-attr]
    defaults = {action.dest: action.default for action in index._actions}
    assert (defaults["connectivity"], defaults["expansion_add"]) == (_ann.CONNECTIVITY, _ann.EXPANSION_ADD)
    assert f"{_ann.AUTO_ROWS:,} rows" in _cli.INDEX_DESCRIPTION
    status, out, _ = run(capsys, "search", "--help")
    assert status == 0
    assert f"{_ann.AUTO_ROWS:,} rows" in " ".join(out.split())
