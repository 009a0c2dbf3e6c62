"""Deterministic, semantically sensible vectors, and their wire encodings, cached per text.

A vector is the feature hashing of a text's words (stop words aside), word pairs and character trigrams into
the model's full dimension, with a sign per feature, then made dense like a real embedding by an orthogonal
transform of the whole vector (random signs, a Walsh-Hadamard transform per block of 1024, a DCT across the
blocks), L2-normalised. Orthogonal transforms keep every cosine similarity, so texts that share words keep a
higher similarity than unrelated texts, and the leading components summarise all features, so a truncated
vector still does. Hashes and signs are keyed by the model name (blake2b, shake-256), so a text has the same
vector for a model in every process, order and batch, and different vectors for different models.

A shorter `output_dimension` takes the leading components of the full vector and renormalises them, the way
Matryoshka-trained models such as codestral-embed are truncated. Quantised dtypes follow FACTS.md:
`int8`/`uint8` one byte per component (scaled by the vector's largest magnitude), `binary`/`ubinary` one bit
per component (positive → 1) packed eight to a byte, big-endian bit order, `binary` being `ubinary - 128` as a
signed byte. `base64` is the standard base64 of the little-endian bytes of those values (float32 for `float`).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from functools import lru_cache
from typing import Any

import numpy as np
import orjson

WORD = re.compile(r"\w+")
WORD_WEIGHT, PAIR_WEIGHT, TRIGRAM_WEIGHT = 1.0, 0.5, 0.25
NUMPY_DTYPES = {"float": np.dtype("<f4"), "int8": np.dtype("i1"), "uint8": np.dtype("u1"),
                "binary": np.dtype("i1"), "ubinary": np.dtype("u1")}  # fmt: skip


# Words that say little about what a text is about; left out unless a text has nothing else.
_STOP_WORDS_TEXT = """
a an and are as at be by can do does for from had has have how i in is it its my of on or our should that the
their them there these this to was we were what when where which who why will with you your
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def _features(text: str) -> tuple[list[str], list[float]]:
    lowered = text.lower()
    words = [word for word in WORD.findall(lowered) if word not in STOP_WORDS] or WORD.findall(lowered)
    names: list[str] = []
    weights: list[float] = []
    for word in words:
        names.append("w" + word)
        weights.append(WORD_WEIGHT)
        padded = f"#{word}#"
        for start in range(len(padded) - 2):
            names.append("c" + padded[start : start + 3])
            weights.append(TRIGRAM_WEIGHT)
    for first, second in itertools.pairwise(words):
        names.append(f"p{first} {second}")
        weights.append(PAIR_WEIGHT)
    if not names:
        # No word characters (punctuation, symbols, empty): the raw characters are all there is.
        padded = f"#{lowered}#"
        names = ["r" + padded[start : start + 3] for start in range(max(1, len(padded) - 2))]
        weights = [TRIGRAM_WEIGHT] * len(names)
    return names, weights


def compute_vector(model: str, dimension: int, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The unit vector of `text` for `model` in `dimension` components (no cache)."""
    names, weights = _features(text)
    key = model.encode("utf-8")[:64]
    digests = b"".join(hashlib.blake2b(name.encode("utf-8"), digest_size=8, key=key).digest() for name in names)
    hashes = np.frombuffer(digests, dtype="<u8")
    buckets = (hashes % np.uint64(dimension)).astype(np.intp)
    signs = np.where(hashes >> np.uint64(63), -1.0, 1.0)
    sparse = np.bincount(buckets, weights=signs * np.asarray(weights), minlength=dimension)
    if not sparse.any():
        # Every feature cancelled out; any fixed unit vector keeps the result deterministic.
        sparse[int(hashes[0] % np.uint64(dimension))] = 1.0
    vector = _densify(sparse * _mixing_signs(model, dimension))
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@lru_cache(maxsize=64)
def _mixing_signs(model: str, dimension: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    bits = np.unpackbits(
        np.frombuffer(hashlib.shake_256(b"signs:" + model.encode()).digest(-(-dimension // 8)), np.uint8)
    )
    return np.where(bits[:dimension], -1.0, 1.0)


def _densify(vector: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """An orthogonal transform of the whole vector.

    A Walsh-Hadamard transform of each block (the largest power of two dividing the size, at most 1024), then
    the blocks mixed by a DCT.
    """
    size = vector.size
    block = 1
    while block < 1024 and size % (block * 2) == 0:
        block *= 2
    mixed = vector.reshape(-1, block)
    rows, half = mixed.shape[0], 1
    while half < block:
        pairs = mixed.reshape(rows, -1, 2, half)
        mixed = np.stack((pairs[:, :, 0] + pairs[:, :, 1], pairs[:, :, 0] - pairs[:, :, 1]), axis=2)
        half *= 2
    mixed = mixed.reshape(rows, block) / np.sqrt(block)
    if rows > 1:
        # Mix the blocks too (an orthogonal DCT, whose first row averages them), so that the leading components,
        # which a shorter output_dimension keeps, summarise every feature and not only the first block's.
        mixed = _dct_matrix(rows) @ mixed
    return np.asarray(mixed.reshape(size), dtype=np.float64)


@lru_cache(maxsize=8)
def _dct_matrix(size: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The orthonormal DCT-II matrix of `size`."""
    k, n = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    matrix = np.sqrt(2 / size) * np.cos(np.pi * (n + 0.5) * k / size)
    matrix[0] /= np.sqrt(2)
    return np.asarray(matrix, dtype=np.float64)


def truncate(full: np.ndarray[Any, np.dtype[np.float32]], dimension: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The leading `dimension` components, renormalised to unit length."""
    head = full[:dimension].astype(np.float64)
    norm = float(np.linalg.norm(head))
    if norm == 0.0:
        head = np.zeros(dimension)
        head[0] = 1.0
        norm = 1.0
    return (head / norm).astype(np.float32)


def quantize(vector: np.ndarray[Any, np.dtype[np.float32]], dtype: str) -> np.ndarray[Any, Any]:
    """The vector's values in the requested `output_dtype` (see the module docstring)."""
    if dtype == "float":
        return vector.astype("<f4")
    if dtype in ("int8", "uint8"):
        scale = 127.0 / float(np.max(np.abs(vector)))
        signed = np.clip(np.rint(vector * scale), -128, 127).astype(np.int8)
        return signed if dtype == "int8" else np.asarray(signed.astype(np.int16) + 128, dtype=np.uint8)
    if dtype in ("binary", "ubinary"):
        packed = np.packbits(vector > 0)
        return packed if dtype == "ubinary" else np.asarray(packed.astype(np.int16) - 128, dtype=np.int8)
    raise ValueError(f"unknown output_dtype {dtype!r}")


def encode(values: np.ndarray[Any, Any], encoding: str) -> bytes:
    """The JSON value of `embedding`: an array of numbers, or a base64 string of the little-endian bytes."""
    if encoding == "base64":
        return b'"' + base64.b64encode(values.tobytes()) + b'"'
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)


class EmbeddingCache:
    """Vectors and their encoded JSON values, kept so a repeated text costs a dictionary lookup."""

    def __init__(self, max_texts: int = 65536) -> None:
        self.vector = lru_cache(maxsize=max_texts)(compute_vector)
        self.fragment = lru_cache(maxsize=max_texts)(self._fragment)

    def _fragment(self, model: str, full_dimension: int, text: str, dimension: int, dtype: str, encoding: str) -> bytes:
        full = self.vector(model, full_dimension, text)
        vector = full if dimension == full_dimension else truncate(full, dimension)
        return encode(quantize(vector, dtype), encoding)
