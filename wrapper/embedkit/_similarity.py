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
