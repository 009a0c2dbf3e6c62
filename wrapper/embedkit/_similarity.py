"""The two things people do with vectors right after embedding: compare them, and find the nearest ones."""

from __future__ import annotations

from typing import Any

import numpy as np


def normalize(vectors: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray[Any, np.dtype[np.float32]] = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return unit


def cosine_similarity(queries: np.ndarray[Any, Any], corpus: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Cosine similarity of every query row with every corpus row: shape (queries, corpus)."""
    return normalize(queries) @ normalize(corpus).T


def top_k(
    queries: np.ndarray[Any, Any], corpus: np.ndarray[Any, Any], k: int = 5
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.float32]]]:
    """The `k` most similar corpus rows per query: (indices, scores), best first, each of shape (queries, k)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    scores = cosine_similarity(queries, corpus)
    k = min(k, scores.shape[1])
    # argpartition finds the k best in linear time; only those k are then sorted.
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
    indices = np.take_along_axis(best, order, axis=1)
    return indices, np.take_along_axis(scores, indices, axis=1)


#: Rows scored at a time by `nearest`: a block's scores and norms stay small, whatever the corpus's size.
BLOCK_ROWS = 32768


def nearest(
    query: np.ndarray[Any, Any],
    corpus: np.ndarray[Any, Any],
    k: int = 5,
    *,
    unit: bool = False,
    rows: np.ndarray[Any, Any] | None = None,
    exclude: int | None = None,
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.float32]]]:
    """The `k` corpus rows most similar to one query vector: (indices, cosine scores), best first.

    Made for a corpus that is memory-mapped rather than loaded (see `_files.search_matrix`): it is read a block
    of rows at a time and never copied whole. `unit` says its rows are already unit length (no norms needed).
    `rows` limits the search to those row indices (a filter); `exclude` leaves one row out (the query's own).
    A row with no direction (all zeros) or with NaN values has no cosine with anything: it is never returned,
    so fewer than `k` results may come back. A query like that is an `InputError`.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    from ._errors import InputError

    vector = np.asarray(query, dtype=np.float32).reshape(-1)
    length = float(np.linalg.norm(vector))
    if not np.isfinite(length) or length == 0:
        raise InputError("the query vector is zero or not finite: it has no cosine similarity with anything")
    vector = vector / length
    count = corpus.shape[0] if rows is None else len(rows)
    best_index: list[np.ndarray[Any, Any]] = []
    best_score: list[np.ndarray[Any, Any]] = []
    for start in range(0, count, BLOCK_ROWS):
        chosen = None if rows is None else np.asarray(rows[start : start + BLOCK_ROWS], dtype=np.intp)
        block = np.asarray(corpus[start : start + BLOCK_ROWS] if chosen is None else corpus[chosen], np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = block @ vector
            if not unit:
                scores = scores / np.sqrt(np.einsum("ij,ij->i", block, block))
        indices = np.arange(start, start + len(block)) if chosen is None else chosen
        valid = np.isfinite(scores)
        if unit:
            # A unit matrix holds its rows without a direction as zeros (see `_files.search_matrix`); a zero score
            # may still be a real row at a right angle, so those rows (and only those) are looked at.
            zero = np.flatnonzero(scores == 0)
            valid[zero] = block[zero].any(axis=1)
        if exclude is not None:
            valid &= indices != exclude
        scores, indices = scores[valid], indices[valid]
        if len(scores) > k:
            keep = np.argpartition(-scores, k - 1)[:k]
            scores, indices = scores[keep], indices[keep]
        best_index.append(indices)
        best_score.append(scores)
    if not best_index:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
    indices, scores = np.concatenate(best_index), np.concatenate(best_score)
    order = np.lexsort((indices, -scores))[:k]
    return indices[order].astype(np.intp), scores[order].astype(np.float32)
