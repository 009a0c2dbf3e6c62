"""Approximate nearest-neighbour search over an embeddings file: an HNSW index beside it (the `ann` extra, faiss).

Exact search (`_similarity.nearest`) reads every row for every query. Memory-mapped, that is fast enough up to
a few hundred thousand rows (docs/search.md times 100,000 rows of 1,024 floats); at millions of rows it reads
gigabytes per query. An index is a graph over the rows, built once, that a query walks in a few hundred row
comparisons. It is approximate (recall@10 0.88 on a hard synthetic set of 100,000 rows at the settings here,
1.0 on an easier one: docs/search.md), so it is used only when asked (`embedkit search --index`) or when the
file is large and an index has been built for it (`embedkit index FILE`); otherwise search stays exact.

The index is `FILE.ann` beside the embeddings file (`.npy` or `.parquet`), faiss's `IndexIDMap` over an
`IndexHNSWFlat` in faiss's own format, opened with its vectors memory-mapped (`IO_FLAG_MMAP_IFC`): opening reads
only the graph's links and ids (about 150 bytes a row), a query only the vectors it visits. Its stamp,
`FILE.ann.json`, records what it was built from: the file's size, modification time and a SHA-256 of its first
and last 64 KiB (a `.npy` header and first rows, a Parquet footer), the rows and width. A file that no longer
matches is refused (`StaleIndexError`) or, when the index was asked for, rebuilt: an index of another version
of the file would return rows by the wrong numbers.

Why faiss-cpu rather than usearch or hnswlib: docs/search.md measures the three (tools/bench_ann.py) and weighs
wheels, maintenance, size, mapping and licence. The library is imported only when an index is built or opened:
`import embedkit` and exact search never load it, and without it the error names the extra to install.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._errors import InputError
from ._extras import MissingDependencyError, require

EXTRA = "ann"
FEATURE = "approximate search (embedkit index, embedkit search --index)"
#: Appended to the embeddings file's name: `out.npy` -> `out.npy.ann` (and its stamp, `out.npy.ann.json`).
SUFFIX = ".ann"
#: The stamp's layout; a stamp of another layout is stale, whatever it says.
FORMAT = 1
#: HNSW settings, the ones docs/search.md measured: M (links per row), and the candidates kept while building
#: and while searching. More of each: better recall, slower build and query, larger index.
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 64
#: Without --index or --exact, a search uses an existing index only for files of at least this many rows: below
#: it exact search is about as fast (100,000 rows under 0.5 s warm) and exact.
AUTO_ROWS = 200_000
#: With a filter (--where), at most this many passing rows are searched exactly, which reads only them: as fast
#: as the index there, and exact. More than this, the index is asked for more candidates and they are filtered.
EXACT_FILTERED_ROWS = 100_000
#: Rows normalised and added to the index at a time, so a build never holds a second copy of the whole matrix.
BLOCK_ROWS = 16384
#: Bytes of the embeddings file hashed from each end for the stamp.
EDGE_BYTES = 64 << 10

Mode = Literal["auto", "index", "exact"]


class StaleIndexError(InputError):
    """An index was built from another version of its embeddings file (or is not an index at all).

    Its row numbers would name the wrong rows, so it is never used: rebuild it (`embedkit index FILE`, or
    `embedkit search --index`, which rebuilds), or search exactly (`--exact`).
    """


def index_path(path: str | Path) -> Path:
    """Where the index of an embeddings file lives: beside it, `.ann` appended."""
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def stamp_path(path: str | Path) -> Path:
    """Where the stamp of the index of an embeddings file lives: `FILE.ann.json`."""
    index = index_path(path)
    return index.with_name(index.name + ".json")


def source_stamp(path: str | Path) -> dict[str, Any]:
    """What identifies a version of an embeddings file, cheaply: size, time, and a hash of its two ends.

    Size and time catch a rewrite; the hash catches a copy that kept the time (cp -p, a restored backup) but not
    the content. It reads 128 KiB whatever the file's size.
    """
    with open(path, "rb") as handle:
        status = os.fstat(handle.fileno())
        digest = hashlib.sha256(handle.read(EDGE_BYTES))
        if status.st_size > EDGE_BYTES:
            handle.seek(max(EDGE_BYTES, status.st_size - EDGE_BYTES))
            digest.update(handle.read(EDGE_BYTES))
    return {"source_size": status.st_size, "source_mtime_ns": status.st_mtime_ns, "source_edges": digest.hexdigest()}


def _faiss() -> Any:
    # The `ann` extra: exact search, and `import embedkit`, never need it.
    return require("faiss", extra=EXTRA, feature=FEATURE)


def _read_stamp(path: str) -> dict[str, Any] | None:
    with contextlib.suppress(OSError, ValueError):
        stamp = json.loads(stamp_path(path).read_bytes())
        if isinstance(stamp, dict):
            return stamp
    return None


def index_state(path: str) -> Literal["missing", "stale", "fresh"]:
    """Whether `path` has an index, and whether it was built from the file as it is now (faiss not needed)."""
    target = index_path(path)
    stamp = _read_stamp(path)
    if not target.exists():
        return "missing"
    if stamp is None or stamp.get("format") != FORMAT or target.stat().st_size != stamp.get("index_bytes"):
        return "stale"
    current = source_stamp(path)
    return "fresh" if all(stamp.get(name) == value for name, value in current.items()) else "stale"


def _float_matrix(path: str) -> tuple[np.ndarray[Any, Any], bool]:
    """The file's vectors, mapped, as exact search reads them; codes (int8, binary) are refused like there."""
    from ._files import _embeddings_schema, _load_npy, search_matrix

    metadata = _load_npy(path)[1] if path.lower().endswith(".npy") else _embeddings_schema(path)[1]
    dtype = metadata.get("output_dtype") or "float"
    matrix, unit = search_matrix(path) if dtype == "float" else (np.empty((0, 0), np.int8), False)
    if dtype != "float" or matrix.dtype.kind != "f":
        raise InputError(f"{path} holds {dtype if dtype != 'float' else matrix.dtype} codes, not float vectors: "
                         "an index of cosine similarity would be meaningless for them")  # fmt: skip
    return matrix, unit


@dataclass(frozen=True)
class IndexReport:
    """What a build made: the index file, the file's rows, the rows indexed (not zero or NaN), seconds, bytes."""

    path: Path
    rows: int
    indexed: int
    seconds: float
    bytes: int


def build_index(
    path: str, *, connectivity: int = CONNECTIVITY, expansion_add: int = EXPANSION_ADD, threads: int = 0
) -> IndexReport:
    """Build (or rebuild) the index of the embeddings file `path` into `FILE.ann`, with every core by default.

    Rows are added as unit vectors under their row numbers, a block at a time; a row that is zero or has a NaN
    has no direction and is left out, as exact search never scores it. The index is written beside the file
    under a temporary name and renamed into place, its stamp last (the old stamp removed first), so that a
    reader never takes a half-written index, or a new index with an old stamp, as fresh.
    """
    from ._files import _replace_atomically, _temporary_name
    from ._similarity import normalize

    faiss = _faiss()
    # Stamped before reading: a file that changes during the build leaves an index that is stale, never one
    # that looks fresh for rows it has not seen.
    source = source_stamp(path)
    started = time.perf_counter()
    matrix, unit = _float_matrix(path)
    rows, width = matrix.shape
    if threads:
        faiss.omp_set_num_threads(threads)
    graph = faiss.IndexHNSWFlat(width, connectivity, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = expansion_add
    # Row numbers as ids: rows left out (zero, NaN) leave gaps, which a bare HNSW index (ids 0..n-1) cannot.
    index = faiss.IndexIDMap(graph)
    for start in range(0, rows, BLOCK_ROWS):
        block = np.asarray(matrix[start : start + BLOCK_ROWS], dtype=np.float32)
        with np.errstate(invalid="ignore"):
            block = block if unit else normalize(block)
        valid = np.isfinite(block).all(axis=1) & block.any(axis=1)
        if valid.any():
            keys = np.arange(start, start + len(block), dtype=np.int64)[valid]
            index.add_with_ids(np.ascontiguousarray(block[valid]), keys)
    target, stamp = index_path(path), stamp_path(path)
    stamp.unlink(missing_ok=True)
    temporary = _temporary_name(target, "partial")
    try:
        faiss.write_index(index, str(temporary))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    size = target.stat().st_size
    described = {**source, "format": FORMAT, "library": "faiss-cpu", "library_version": _version(),
                 "rows": rows, "width": width, "indexed": int(index.ntotal), "index_bytes": size,
                 "connectivity": connectivity, "expansion_add": expansion_add}  # fmt: skip
    _replace_atomically(stamp, json.dumps(described, indent=1).encode())
    return IndexReport(target, rows, int(index.ntotal), time.perf_counter() - started, size)


def _version() -> str:
    # Imported here: importlib.metadata costs exact search (which imports this module) 50 ms of start-up.
    import importlib.metadata

    try:
        return importlib.metadata.version("faiss-cpu")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class AnnIndex:
    """The index of an embeddings file, opened memory-mapped for search; `open_index` makes one."""

    def __init__(self, index: Any, graph: Any, path: Path, rows: int, indexed: int) -> None:
        self._index = index
        self._graph = graph  # the HNSW index inside the id map: where the search expansion is set
        self.path = path
        self.rows = rows
        self.indexed = indexed

    def nearest(
        self,
        query: np.ndarray[Any, Any],
        corpus: np.ndarray[Any, Any],
        k: int = 5,
        *,
        unit: bool = False,
        rows: np.ndarray[Any, Any] | None = None,
        exclude: int | None = None,
    ) -> tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.float32]]]:
        """Like `_similarity.nearest` (same arguments, same results' form), through the index: approximately.

        The candidates the index finds are scored again from `corpus` (the file's own rows, the ones the index
        was built from), so every score is the exact cosine similarity (to float32 rounding) and hits are
        ordered as exact search orders them (score, then row number); only which rows come back is approximate.

        A filter (`rows`, from --where): when at most `EXACT_FILTERED_ROWS` rows pass, they are searched
        exactly (reading only them is as fast, and exact). Otherwise the index is over-fetched: asked for
        k / (share of rows passing) x 2 candidates, which are filtered; should fewer than k pass, the search
        falls back to exact over the passing rows. `exclude` (the query's own row, for --id) costs one more
        candidate.
        """
        from ._similarity import nearest

        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if rows is not None and len(rows) <= EXACT_FILTERED_ROWS:
            return nearest(query, corpus, k, unit=unit, rows=rows, exclude=exclude)
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        length = float(np.linalg.norm(vector))
        if not np.isfinite(length) or length == 0:
            raise InputError("the query vector is zero or not finite: it has no cosine similarity with anything")
        vector = vector / length
        wanted = k + (exclude is not None)
        fetch = wanted if rows is None else math.ceil(wanted * 2 * self.indexed / max(len(rows), 1))
        fetch = max(1, min(fetch, self.indexed))
        # HNSW keeps `expansion_search` candidates while it walks; fewer than it returns would cut the results.
        self._graph.hnsw.efSearch = max(EXPANSION_SEARCH, fetch)
        found = np.asarray(self._index.search(vector[None], fetch)[1][0], dtype=np.intp)
        keys = np.sort(found[found >= 0])  # -1: fewer rows found than asked for
        if exclude is not None:
            keys = keys[keys != exclude]
        if rows is not None:
            keys = keys[np.isin(keys, rows)]
            if len(keys) < k:
                return nearest(query, corpus, k, unit=unit, rows=rows, exclude=exclude)
        block = np.asarray(corpus[keys], dtype=np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = block @ vector
            if not unit:
                scores = scores / np.sqrt(np.einsum("ij,ij->i", block, block))
        valid = np.isfinite(scores)
        keys, scores = keys[valid], scores[valid]
        order = np.lexsort((keys, -scores))[:k]
        return keys[order].astype(np.intp), scores[order].astype(np.float32)


def open_index(path: str) -> AnnIndex:
    """The index of the embeddings file `path`, mapped; `StaleIndexError` when it is not of the file as it is now.

    An absent index is an `InputError` saying how to build one; the missing extra a `MissingDependencyError`.
    """
    faiss = _faiss()
    target = index_path(path)
    state = index_state(path)
    if state == "missing":
        raise InputError(f"{path} has no index ({target.name}): build one with `embedkit index {path}`")
    if state == "stale":
        raise StaleIndexError(
            f"{target} was not built from {path} as it is now (its size, time or contents differ, or the index "
            f"was replaced): rebuild it with `embedkit index {path}` (or search with --index, which rebuilds it), "
            "or search with --exact"
        )
    stamp = _read_stamp(path) or {}
    # The vectors mapped, not read: opening costs the graph's links only, and the page cache is shared.
    flags = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)
    try:
        index = faiss.read_index(str(target), flags)
        graph = faiss.downcast_index(index.index)
        graph.hnsw  # noqa: B018 - an IndexIDMap over something other than HNSW is not ours
    except (RuntimeError, AttributeError, OSError) as error:
        raise StaleIndexError(f"{target} is not a readable index ({str(error)[:200]}): rebuild it with `embedkit "
                              f"index {path}`") from None  # fmt: skip
    if index.d != stamp.get("width") or index.ntotal != stamp.get("indexed"):
        raise StaleIndexError(f"{target} is not the index its stamp describes: rebuild it with `embedkit index {path}`")
    return AnnIndex(index, graph, target, int(stamp.get("rows", 0)), int(index.ntotal))


def index_for_search(path: str, mode: Mode, rows: int, *, say: Callable[[str], None]) -> AnnIndex | None:
    """The index a search of `path` (`rows` rows) should use, or None for exact search; `say` gets notes.

    - "exact" (--exact): None, always.
    - "index" (--index): the index, built if missing and rebuilt if stale (saying so); without the extra, a
      `MissingDependencyError` naming `embedkit[ann]`, before anything is built or any query is paid for.
    - "auto" (neither): the index only when one exists beside the file and the file has at least `AUTO_ROWS`
      rows; a stale one is refused (`StaleIndexError`: rebuilding takes minutes at that size, so it is not
      done unasked, and quietly ignoring it would make the search slow without saying why). Without the extra,
      exact search, with a note.
    """
    if mode == "exact":
        return None
    if mode == "auto":
        if rows < AUTO_ROWS or not index_path(path).exists():
            return None
        try:
            _faiss()
        except MissingDependencyError as error:
            say(f"{index_path(path).name} not used, exact search instead: {error}")
            return None
        index = open_index(path)
        say(f"approximate search through {index.path.name} ({rows} rows; --exact for exact search)")
        return index
    _faiss()
    state = index_state(path)
    if state != "fresh":
        # Said first: at millions of rows a build takes minutes, and a silent command looks hung.
        say(f"{'building' if state == 'missing' else 'rebuilding'} {index_path(path).name} over {rows} rows")
        report = build_index(path)
        what = "built" if state == "missing" else "rebuilt"
        why = "" if state == "missing" else " (the file changed since it was built)"
        say(f"{what} {report.path.name}{why}: {report.indexed} of {report.rows} rows in {report.seconds:.1f} s, "
            f"{report.bytes / 1e6:.1f} MB")  # fmt: skip
    return open_index(path)
