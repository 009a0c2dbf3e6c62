"""Quantized vectors made usable: packed bits unpacked, searched by Hamming distance, rescored with floats.

A `binary`/`ubinary` vector is 32 times smaller than float32 and a Hamming distance is a XOR and a bit count,
so the usual recipe is: search the whole corpus in bits, keep a few dozen candidates per query, then rescore
only those with float vectors (kept on disk, or embedded again) to get the float ranking back.

Layouts, as the reference server writes them (`server/embedkit_server/_embeddings.py`, tested against it in
`tests/test_quantized.py`). Mistral documents only that `binary`/`ubinary` pack eight components per byte; the
bit order and the offsets below follow the convention of sentence-transformers' `quantize_embeddings` (a
third-party library, not Mistral's documentation) and are not verified against api.mistral.ai:

- `ubinary`: uint8, one bit per component, 1 where the float component is > 0, packed eight to a byte in
  big-endian bit order (`numpy.packbits`): component `8*j` is the most significant bit of byte `j`. A vector of
  `d` components takes `ceil(d / 8)` bytes; padding bits are 0.
- `binary`: int8, `ubinary - 128` (an offset, not the same bytes read as signed): add 128 to get `ubinary`.
- `int8`: one signed byte per component, the float vector scaled to the byte range.
- `uint8`: `int8 + 128`, the same values offset into the unsigned range; subtract 128 to compare with `int8`.

`int8` rows (and `uint8` rows once offset back) can go straight to `top_k`/`cosine_similarity`; the packed dtypes
need the functions here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# A popcount of every byte value, for numpy versions without np.bitwise_count (added in 2.0).
_POPCOUNT = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1).astype(np.uint8)
# Bytes of XOR scratch per chunk of `hamming_distances`: bounds its memory whatever the corpus size.
_CHUNK_BYTES = 32 << 20


def _matrix(rows: np.ndarray[Any, Any], name: str) -> np.ndarray[Any, Any]:
    matrix = np.asarray(rows)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2:
        raise ValueError(f"{name}: expected one vector or a matrix of row vectors, got shape {matrix.shape}")
    return matrix


def binary_to_ubinary(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Packed rows as `ubinary` (uint8): `binary` (int8) rows get their +128 back, `ubinary` rows pass through.

    Every function here takes either packed dtype: the dtype says which one a matrix is, so no flag can be
    forgotten or wrong.
    """
    matrix = _matrix(rows, "packed rows")
    if matrix.dtype == np.uint8:
        return matrix
    if matrix.dtype == np.int8:
        return (matrix.astype(np.int16) + 128).astype(np.uint8)
    raise TypeError(f"packed rows must be int8 (binary) or uint8 (ubinary), not {matrix.dtype}")


def uint8_to_int8(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int8]]:
    """`uint8` rows offset back to `int8` (minus 128), so they compare with `int8` rows and keep their sign."""
    matrix = np.asarray(rows)
    if matrix.dtype != np.uint8:
        raise TypeError(f"uint8_to_int8 needs uint8 rows, not {matrix.dtype}")
    return (matrix.astype(np.int16) - 128).astype(np.int8)


def unpack_bits(rows: np.ndarray[Any, Any], dimension: int | None = None) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """One 0/1 byte per component of packed rows (binary or ubinary): bit i is 1 where component i was > 0.

    `dimension` drops the padding bits of a vector whose size is not a multiple of 8.
    """
    packed = binary_to_ubinary(rows)
    bits = np.unpackbits(packed, axis=1)
    if dimension is not None:
        if not 8 * packed.shape[1] - 7 <= dimension <= 8 * packed.shape[1]:
            raise ValueError(f"dimension {dimension} does not fit rows of {packed.shape[1]} packed bytes")
        bits = bits[:, :dimension]
    return bits


def pack_bits(vectors: np.ndarray[Any, Any], *, signed: bool = False) -> np.ndarray[Any, Any]:
    """Float rows quantized to packed bits the way the service does: `ubinary`, or `binary` with `signed=True`.

    For a query embedded as float against a corpus stored as bits: one float request serves both the Hamming
    search (through this) and the rescoring.
    """
    matrix = _matrix(vectors, "vectors")
    if not np.issubdtype(matrix.dtype, np.floating):
        raise TypeError(f"pack_bits needs float rows, not {matrix.dtype}")
    packed = np.packbits(matrix > 0, axis=1)
    return (packed.astype(np.int16) - 128).astype(np.int8) if signed else packed


def _popcount(values: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, Any]:
    counted = np.bitwise_count(values) if hasattr(np, "bitwise_count") else _POPCOUNT[values]
    return np.asarray(counted)


def hamming_distances(queries: np.ndarray[Any, Any], corpus: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Bits differing between every query row and every corpus row (packed, binary or ubinary): (queries, corpus).

    Computed a chunk of corpus rows at a time, so memory stays bounded for any corpus size.
    """
    left, right = binary_to_ubinary(queries), binary_to_ubinary(corpus)
    if left.shape[1] != right.shape[1]:
        raise ValueError(
            f"queries have {left.shape[1]} packed bytes per row and the corpus {right.shape[1]}: "
            "they were embedded with different output_dimension"
        )
    distances = np.empty((left.shape[0], right.shape[0]), dtype=np.int32)
    chunk = max(1, _CHUNK_BYTES // max(1, left.shape[0] * left.shape[1]))
    for start in range(0, right.shape[0], chunk):
        xor = np.bitwise_xor(left[:, None, :], right[None, start : start + chunk, :])
        distances[:, start : start + chunk] = _popcount(xor).sum(axis=2, dtype=np.int32)
    return distances


def hamming_top_k(
    queries: np.ndarray[Any, Any], corpus: np.ndarray[Any, Any], k: int = 5
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.int32]]]:
    """The `k` corpus rows nearest each query in Hamming distance: (indices, distances), nearest first.

    Ties go to the lower corpus index, so the result is the same on every run. Use a `k` of a few times the
    hits you need, then `rescore` the candidates with float vectors.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    distances = hamming_distances(queries, corpus)
    k = min(k, distances.shape[1])
    # Sort on (distance, index): a stable sort of each row keeps equal distances in index order.
    indices = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return indices, np.take_along_axis(distances, indices, axis=1)


def rescore(
    queries: np.ndarray[Any, Any],
    corpus: np.ndarray[Any, Any],
    candidates: np.ndarray[Any, Any],
    k: int | None = None,
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.float32]]]:
    """Re-rank each query's candidate rows by cosine similarity of unpacked vectors: (indices, scores), best first.

    `queries` and `corpus` are float (or int8) rows; `corpus` may be a memory-mapped matrix, of which only the
    candidate rows are read. `candidates` is one row of corpus indices per query (from `hamming_top_k`); `k`
    keeps the best `k` of them (default: all).
    """
    query_rows = _matrix(queries, "queries").astype(np.float32)
    picks = _matrix(candidates, "candidates").astype(np.intp)
    if picks.shape[0] != query_rows.shape[0]:
        raise ValueError(f"{query_rows.shape[0]} queries but {picks.shape[0]} rows of candidates")
    rows = len(corpus)
    if picks.size and (picks.min() < 0 or picks.max() >= rows):
        raise IndexError(f"candidate index out of range for a corpus of {rows} rows")
    keep = picks.shape[1] if k is None else min(k, picks.shape[1])
    if keep < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    chosen = np.asarray(corpus[picks.reshape(-1)], dtype=np.float32).reshape(*picks.shape, -1)
    if chosen.shape[2] != query_rows.shape[1]:
        raise ValueError(f"queries have {query_rows.shape[1]} components and the corpus {chosen.shape[2]}")
    query_norms = np.linalg.norm(query_rows, axis=1, keepdims=True)
    chosen_norms = np.linalg.norm(chosen, axis=2)
    dots = np.einsum("qd,qcd->qc", query_rows, chosen)
    denominator = query_norms * chosen_norms
    scores = np.divide(dots, denominator, out=np.zeros_like(dots), where=denominator > 0)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :keep]
    return np.take_along_axis(picks, order, axis=1), np.take_along_axis(scores, order, axis=1).astype(np.float32)
