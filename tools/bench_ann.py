"""Approximate nearest-neighbour libraries compared for `embedkit[ann]` (issue 21): usearch, faiss-cpu, hnswlib.

Search over millions of rows needs an index: exact search reads every row per query. This script measures the
candidates on the same data with the same graph settings, so the choice rests on figures rather than claims:

- data: N random-but-clustered float32 vectors of width d (centres drawn at random, each row a centre plus
  noise, rows scaled to unit length, so inner product is cosine), like embeddings of a corpus with topics; the
  queries are more rows drawn the same way, not in the corpus;
- each library that imports builds an HNSW graph (the same connectivity M, expansion at build and at search)
  over the rows with every core, in its own process with a time limit (a library over it is reported as such,
  never waited for);
- figures: build seconds, the index's size on disk, seconds to save it and open it again (mapped where the library
  can), median milliseconds per single query on one thread (the CLI searches one query at a time), and recall@k
  against exact brute force over the same queries; the exact search's own time per query is the first row.

It installs nothing: a library that does not import is listed as missing. `pip install usearch faiss-cpu hnswlib`
(hnswlib has no wheels: it builds from source, which needs a C++ compiler).

    python tools/bench_ann.py [--rows 100000] [--dim 1024] [--queries 200] [--k 10] [--timeout 900]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: The candidates: a name in the table, the module to import, the distribution whose version is reported.
LIBRARIES = {"usearch": ("usearch.index", "usearch"), "faiss-cpu": ("faiss", "faiss-cpu"),
             "hnswlib": ("hnswlib", "hnswlib")}  # fmt: skip


def clustered(
    rows: int, centres: np.ndarray[Any, Any], rng: np.random.Generator, spread: float
) -> np.ndarray[Any, Any]:
    """Unit rows around random centres, each a centre plus noise.

    Nearer real embeddings than uniform noise, where every neighbour is about as far as every other and recall
    figures mean little.
    """
    clusters, dim = centres.shape
    out = np.empty((rows, dim), np.float32)
    for start in range(0, rows, 8192):  # in blocks: the noise of 100,000 x 1,024 at once would be another 800 MB
        size = min(8192, rows - start)
        noise = spread * rng.standard_normal((size, dim)).astype(np.float32)
        block = centres[rng.integers(0, clusters, size)] + noise
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact(corpus: np.ndarray[Any, Any], queries: np.ndarray[Any, Any], k: int) -> np.ndarray[Any, Any]:
    """The true top k of each query by inner product (the rows are unit length: cosine), best first."""
    scores = queries @ corpus.T
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1)
    return np.take_along_axis(best, order, axis=1)


# --- one library, in its own process: build, save, open, query ------------------------------------------------------


def _build(name: str, corpus: np.ndarray[Any, Any], settings: dict[str, Any]) -> Any:
    module = importlib.import_module(LIBRARIES[name][0])
    rows, dim = corpus.shape
    threads = os.cpu_count() or 1
    if name == "usearch":
        index = module.Index(ndim=dim, metric="ip", dtype="f32", connectivity=settings["m"],
                             expansion_add=settings["ef_add"])  # fmt: skip
        index.add(np.arange(rows, dtype=np.uint64), corpus, threads=threads)
        return index
    if name == "faiss-cpu":
        module.omp_set_num_threads(threads)
        index = module.IndexHNSWFlat(dim, settings["m"], module.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings["ef_add"]
        index.add(np.ascontiguousarray(corpus))
        return index
    index = module.Index(space="ip", dim=dim)
    index.init_index(max_elements=rows, ef_construction=settings["ef_add"], M=settings["m"])
    index.add_items(corpus, np.arange(rows), num_threads=threads)
    return index


def _save_and_open(name: str, index: Any, path: Path, dim: int) -> tuple[Any, str]:
    """Save `index` to `path` and open it again as a search would: mapped when the library can map it."""
    module = importlib.import_module(LIBRARIES[name][0])
    if name == "usearch":
        index.save(str(path))
        return module.Index.restore(str(path), view=True), "mapped (view=True)"
    if name == "faiss-cpu":
        module.write_index(index, str(path))
        opened = module.read_index(str(path), module.IO_FLAG_MMAP)
        module.omp_set_num_threads(1)
        return opened, "IO_FLAG_MMAP"
    index.save_index(str(path))
    opened = module.Index(space="ip", dim=dim)
    opened.load_index(str(path))
    opened.set_num_threads(1)
    return opened, "read into memory"


def _set_ef(name: str, index: Any, ef: int) -> None:
    if name == "usearch":
        index.expansion_search = ef
    elif name == "faiss-cpu":
        index.hnsw.efSearch = ef
    else:
        index.set_ef(ef)


def _query(name: str, index: Any, query: np.ndarray[Any, Any], k: int) -> np.ndarray[Any, Any]:
    if name == "usearch":
        return np.asarray(index.search(query, k, threads=1).keys, dtype=np.int64)
    if name == "faiss-cpu":
        return np.asarray(index.search(query[None], k)[1][0], dtype=np.int64)
    return np.asarray(index.knn_query(query, k=k)[0][0], dtype=np.int64)


def child(name: str, folder: Path, settings: dict[str, Any], k: int) -> dict[str, Any]:
    """Build, save, open and query one library's index over the folder's data; figures and the hits found."""
    corpus = np.load(folder / "corpus.npy", mmap_mode="r")
    queries = np.load(folder / "queries.npy")
    started = time.perf_counter()
    index = _build(name, corpus, settings)
    built = time.perf_counter() - started
    path = folder / f"{name}.index"
    del corpus
    started = time.perf_counter()
    opened, how = _save_and_open(name, index, path, queries.shape[1])
    del index
    opening = time.perf_counter() - started
    searches = []
    for ef in settings["ef_search"]:
        _set_ef(name, opened, ef)
        for query in queries[:20]:  # untimed: the pages of the mapped index the queries visit, into the page cache
            _query(name, opened, query, k)
        found, times = [], []
        for query in queries:
            started = time.perf_counter()
            found.append(_query(name, opened, query, k).tolist())
            times.append(time.perf_counter() - started)
        searches.append({"ef": ef, "query_ms": statistics.median(times) * 1000, "found": found})
    return {"build_s": built, "save_and_open_s": opening, "opened": how, "size_bytes": path.stat().st_size,
            "searches": searches}  # fmt: skip


# --- the parent: data, exact answers, one process per library, the table ----------------------------------------------


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(LIBRARIES[name][1])
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _imports(name: str) -> bool:
    probe = [sys.executable, "-c", f"import {LIBRARIES[name][0]}"]
    done = subprocess.run(probe, capture_output=True, timeout=120, check=False)  # noqa: S603 - our own interpreter
    return done.returncode == 0


def recall(found: list[list[int]], truth: np.ndarray[Any, Any]) -> float:
    """The share of the true top k found, over every query."""
    return float(
        np.mean([len(set(hits) & set(row.tolist())) / truth.shape[1] for hits, row in zip(found, truth, strict=True)])
    )


def main(argv: list[str] | None = None) -> int:
    """Compare the libraries that import; print the machine, the settings, the command and a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="N, the corpus rows; default: %(default)s")
    parser.add_argument("--dim", type=int, default=1024, help="d, their width; default: %(default)s")
    parser.add_argument("--queries", type=int, default=200, help="queries, not in the corpus; default: %(default)s")
    parser.add_argument("--k", type=int, default=10, help="recall@k; default: %(default)s")
    parser.add_argument("--clusters", type=int, default=10_000, help="centres the rows gather around")
    parser.add_argument("--spread", type=float, default=1.0, help="noise around a centre, per dimension (centre: 1)")
    parser.add_argument("--m", type=int, default=16, help="HNSW connectivity (M) for every library")
    parser.add_argument("--ef-add", type=int, default=128, help="HNSW expansion while building (efConstruction)")
    parser.add_argument("--ef-search", default="16,64", help="HNSW expansions while searching (ef), comma-separated")
    parser.add_argument("--timeout", type=float, default=900, help="seconds each library may take, all included")
    parser.add_argument("--only", help="comma-separated libraries to run (default: every one that imports)")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = {"m": args.m, "ef_add": args.ef_add, "ef_search": [int(ef) for ef in args.ef_search.split(",")]}
    if args.child:
        print(json.dumps(child(args.child, args.folder, settings, args.k)))
        return 0
    names = [n.strip() for n in args.only.split(",")] if args.only else list(LIBRARIES)
    unknown = [n for n in names if n not in LIBRARIES]
    if unknown:
        parser.error(f"unknown libraries {unknown}; choose from {', '.join(LIBRARIES)}")
    given = list(argv if argv is not None else sys.argv[1:])
    load_before = os.getloadavg()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench_ann.") as scratch:
        folder = Path(scratch)
        centres = rng.standard_normal((args.clusters, args.dim)).astype(np.float32)
        corpus = clustered(args.rows, centres, rng, args.spread)
        queries = clustered(args.queries, centres, rng, args.spread)  # the same topics, rows of their own
        np.save(folder / "corpus.npy", corpus)
        np.save(folder / "queries.npy", queries)
        truth = exact(corpus, queries, args.k)
        times = []
        for query in queries[:50]:
            started = time.perf_counter()
            np.argpartition(-(corpus @ query), args.k)[: args.k]
            times.append(time.perf_counter() - started)
        del corpus
        header = "| library | version | build s | index MB | save + open s (how) | ef | query ms | recall@{k} |"
        lines = [header.format(k=args.k), "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
                 f"| exact (numpy, in memory) | {np.__version__} | - | - | - | - | "
                 f"{statistics.median(times) * 1000:.2f} | 1.000 |"]  # fmt: skip
        for name in names:
            if not _imports(name):
                lines.append(f"| {name} | not installed | - | - | - | - | - | - |")
                continue
            command = [sys.executable, __file__, "--child", name, "--folder", str(folder), "--k", str(args.k),
                       "--m", str(args.m), "--ef-add", str(args.ef_add),
                       "--ef-search", args.ef_search]  # fmt: skip
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)  # noqa: S603
            except subprocess.TimeoutExpired:
                lines.append(f"| {name} | {_version(name)} | over {args.timeout:g} s | - | - | - | - | - |")
                continue
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                lines.append(f"| {name} | {_version(name)} | failed | - | - | - | - | - |")
                continue
            got = json.loads(done.stdout.splitlines()[-1])
            lines += [
                f"| {name} | {_version(name)} | {got['build_s']:.1f} | {got['size_bytes'] / 1e6:.0f} | "
                f"{got['save_and_open_s']:.2f} ({got['opened']}) | {search['ef']} | {search['query_ms']:.2f} | "
                f"{recall(search['found'], truth):.3f} |"
                for search in got["searches"]
            ]
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; load average "
        f"{load_before[0]:.1f} at the start, {load[0]:.1f} at the end (other processes share the cores)"
    )
    print(f"data: {args.rows} x {args.dim} float32 unit rows around {args.clusters} centres (spread {args.spread}); "
          f"{args.queries} queries; HNSW M={args.m}, ef_add={args.ef_add}, ef_search={args.ef_search}; build on "
          "every core, queries on one")  # fmt: skip
    print(f"reproduce: python tools/bench_ann.py {' '.join(given)}".rstrip())
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
