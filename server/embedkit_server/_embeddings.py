"""Deterministic, semantically sensible vectors, and their wire encodings, cached per text.

A vector is the feature hashing of a text's words (stop words aside), word pairs and character trigrams into
the model's full dimension, with a sign per feature, then made dense like a real embedding by an orthogonal
transform of the whole vector (random signs, a Walsh-Hadamard transform per block of 1024, a DCT across the
blocks), L2-normalised. Orthogonal transforms keep every cosine similarity, so texts that share words keep a
higher similarity than unrelated texts, and the leading components summarise all features, so a truncated
vector still does. Hashes and signs are keyed by the model name (blake2b, shake-256), so a text has the same
vector for a model in every process, order and batch, and different vectors for different models.

A shorter `output_dimension` takes the leading components of the full vector and renormalises them, the way
Matryoshka-trained models such as codestral-embed are truncated. Quantised dtypes follow Mistral's documents (its
OpenAPI document's `output_dtype` and its embeddings documentation):
`int8`/`uint8` one byte per component (scaled by the vector's largest magnitude), `binary`/`ubinary` one bit
per component (positive → 1) packed eight to a byte, big-endian bit order, `binary` being `ubinary - 128` as a
signed byte. `base64` is the standard base64 of the little-endian bytes of those values (float32 for `float`).

The components are float16-precision values (held as float32), as the real Mistral's are, and stay of unit length
(`to_float16_precision`). Float arrays are printed the way Mistral prints them (`FLOAT_FORMATS`, "mistral" by
default): each component as its exact decimal (`-0.0165863037109375`, about 19 bytes a value, as Mistral's public
examples show), so a client's float parser meets the bodies it will meet in production; "shortest" prints float32's
shortest round-trip form instead (`0.018432617`, about 13 bytes). Both carry exactly the values base64 carries.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, get_args

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
    vector: np.ndarray[Any, np.dtype[np.float32]] = compute_vectors(model, dimension, [text])[0]
    return vector


def compute_vectors(model: str, dimension: int, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The unit vectors of `texts`, one row each: the same values as `compute_vector`, bit for bit, in any batch.

    The transform is done for the whole batch at once (its per-call overhead dominated one text's cost); every
    operation on a row is the one a single text gets, so a vector never depends on what it was batched with.
    """
    sparse = np.zeros((len(texts), dimension))
    key = model.encode("utf-8")[:64]
    for row, text in enumerate(texts):
        names, weights = _features(text)
        digests = b"".join(hashlib.blake2b(name.encode("utf-8"), digest_size=8, key=key).digest() for name in names)
        hashes = np.frombuffer(digests, dtype="<u8")
        buckets = (hashes % np.uint64(dimension)).astype(np.intp)
        signs = np.where(hashes >> np.uint64(63), -1.0, 1.0)
        sparse[row] = np.bincount(buckets, weights=signs * np.asarray(weights), minlength=dimension)
        if not sparse[row].any():
            # Every feature cancelled out; any fixed unit vector keeps the result deterministic.
            sparse[row, int(hashes[0] % np.uint64(dimension))] = 1.0
    dense = _densify_many(sparse * _mixing_signs(model, dimension))
    for row in dense:
        row /= np.linalg.norm(row)
    return to_float16_precision(dense)


# The bits of a sort key of `to_float16_precision` that hold a column (up to 2**29 components).
_COLUMN_BITS = 29
_COLUMN_MASK = np.int64((1 << _COLUMN_BITS) - 1)


def to_float16_precision(vectors: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Unit rows rounded to float16-precision values (as float32), still of unit length to about 1e-6.

    The real Mistral's vectors are float16-precision values (it prints them as their exact decimals), so every
    encoding carries those values: the float array, its base64 bytes and `compute_vector` agree bit for bit.
    Rounding each component to the nearest float16 can leave a norm off by 1e-4 (a text of few features has few
    distinct magnitudes, rounded the same way), so the components whose other rounding (the float16 on the other
    side of the exact value) moves the squared norm back towards 1 at the smallest cost take it, fewest first, until
    the norm is as close to 1 as one more flip could make it. Deterministic: a row's rounding depends on that row.
    """
    exact = np.atleast_2d(vectors).astype(np.float64)
    rounded = exact.astype(np.float16)
    near = rounded.astype(np.float64)
    # The float16 on the other side of the exact value; a component rounded exactly has no other rounding (no gain).
    other = np.nextafter(rounded, np.where(exact > near, np.float16(np.inf), np.float16(-np.inf))).astype(np.float64)
    gains = np.where(exact == near, 0.0, other**2 - near**2)  # how much each flip changes the squared norm
    gain_signs = np.sign(gains)
    # Each |gain| with its column in the bits below its significant ones, so that a plain sort of these integers is
    # the order by size, ties by column (a stable argsort's, at a quarter of its cost). A gain is the difference of
    # the squares of two neighbouring float16 values: at most 23 significant bits of float64's 53, so the low
    # `_COLUMN_BITS` bits of a non-negative float64, whose bits order like the value, are zero (tested exhaustively).
    sort_keys = np.abs(gains).view(np.int64) | np.arange(exact.shape[1], dtype=np.int64)
    for row in range(exact.shape[0]):
        error = float(np.dot(near[row], near[row])) - 1.0
        if not error:
            continue
        keys = np.sort(sort_keys[row, gain_signs[row] == -np.sign(error)])
        if not len(keys):
            continue
        order = keys & _COLUMN_MASK
        remaining = error + np.cumsum(gains[row, order])
        # Flip the first k, k chosen where |remaining| is smallest (0 flips: the error as it is).
        costs = np.abs(np.concatenate(([error], remaining)))
        flips = int(np.argmin(costs))
        near[row, order[:flips]] = other[row, order[:flips]]
    return near.astype(np.float32).reshape(np.shape(vectors))


@lru_cache(maxsize=64)
def _mixing_signs(model: str, dimension: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    bits = np.unpackbits(
        np.frombuffer(hashlib.shake_256(b"signs:" + model.encode()).digest(-(-dimension // 8)), np.uint8)
    )
    return np.where(bits[:dimension], -1.0, 1.0)


def _densify(vector: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """An orthogonal transform of the whole vector (see `_densify_many`)."""
    dense: np.ndarray[Any, np.dtype[np.float64]] = _densify_many(vector.reshape(1, -1))[0]
    return dense


def _densify_many(vectors: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """An orthogonal transform of each row.

    A Walsh-Hadamard transform of each block (the largest power of two dividing the size, at most 1024), then
    the blocks mixed by a DCT. The butterflies are element-wise, so batching rows changes no value.
    """
    count, size = vectors.shape
    block = 1
    while block < 1024 and size % (block * 2) == 0:
        block *= 2
    rows, width = size // block, count * (size // block)
    # The position within a block outermost: each butterfly then adds and subtracts two contiguous slabs of every
    # block of every row, not neighbouring pairs (the transform 1.8-2.6x faster); the same additions, the same values.
    mixed = np.ascontiguousarray(vectors.reshape(width, block).T)
    spare = np.empty_like(mixed)
    half = 1
    while half < block:
        pairs, out = mixed.reshape(-1, 2, half, width), spare.reshape(-1, 2, half, width)
        np.add(pairs[:, 0], pairs[:, 1], out=out[:, 0])
        np.subtract(pairs[:, 0], pairs[:, 1], out=out[:, 1])
        mixed, spare = spare, mixed
        half *= 2
    # Back in row order, C-contiguous as before: the DCT's product below rounds by the memory layout it is given.
    mixed = np.ascontiguousarray(mixed.T).reshape(count, rows, block) / np.sqrt(block)
    if rows > 1:
        # Mix the blocks too (an orthogonal DCT, whose first row averages them), so that the leading components,
        # which a shorter output_dimension keeps, summarise every feature and not only the first block's. One
        # product per row, as for a single text: a batched product may round differently.
        matrix = _dct_matrix(rows)
        mixed = np.stack([matrix @ one for one in mixed])
    return np.asarray(mixed.reshape(count, size), dtype=np.float64)


@lru_cache(maxsize=8)
def _dct_matrix(size: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The orthonormal DCT-II matrix of `size`."""
    k, n = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    matrix = np.sqrt(2 / size) * np.cos(np.pi * (n + 0.5) * k / size)
    matrix[0] /= np.sqrt(2)
    return np.asarray(matrix, dtype=np.float64)


def truncate(full: np.ndarray[Any, np.dtype[np.float32]], dimension: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The leading `dimension` components, renormalised to unit length (the vector itself when it is all of it)."""
    if dimension == len(full):
        return np.array(full, dtype=np.float32)
    head = full[:dimension].astype(np.float64)
    norm = float(np.linalg.norm(head))
    if norm == 0.0:
        head = np.zeros(dimension)
        head[0] = 1.0
        norm = 1.0
    return to_float16_precision(head / norm)


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


FloatFormat = Literal["mistral", "shortest"]
FLOAT_FORMATS: tuple[str, ...] = get_args(FloatFormat)


@lru_cache(maxsize=1)
def _float16_decimals() -> list[bytes]:
    """The exact decimal of every float16 value, indexed by its 16 bits (NaN and infinities never occur here).

    A table of 65,536 entries, built once (~0.1 s): printing a vector is then a lookup per component, which keeps
    the server's cost per answer as low as orjson's and leaves the client as what a benchmark measures.
    """
    values = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float64)
    table = []
    for value in values.tolist():
        if value != value or value in (float("inf"), float("-inf")):
            table.append(b"null")
        elif value == 0.0:
            table.append(b"-0.0" if str(value).startswith("-") else b"0.0")
        else:
            # Fixed notation (as Mistral's examples), never an exponent; exact, since a float16 is a dyadic fraction.
            text = format(Decimal(value), "f")
            table.append((text if "." in text else text + ".0").encode())
    return table


def encode(values: np.ndarray[Any, Any], encoding: str, float_format: FloatFormat = "mistral") -> bytes:
    """The JSON value of `embedding`: an array of numbers, or a base64 string of the little-endian bytes.

    Float arrays follow `float_format` (see the module docstring); integer dtypes print as integers either way.
    """
    if encoding == "base64":
        return b'"' + base64.b64encode(values.tobytes()) + b'"'
    if values.dtype.kind == "f" and float_format == "mistral":
        table = _float16_decimals()
        bits = values.astype(np.float16).view(np.uint16).tolist()
        return b"[" + b",".join([table[bit] for bit in bits]) + b"]"
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)


class EmbeddingCache:
    """Vectors and their encoded JSON values, kept so a repeated text costs a dictionary lookup.

    `warm` computes the vectors a request lacks in one batch; `fragment` encodes one text's vector (cached too).
    Thread-safe: batch jobs embed on threads of their own.
    """

    def __init__(self, max_texts: int = 65536, float_format: FloatFormat = "mistral") -> None:
        if float_format not in FLOAT_FORMATS:
            raise ValueError(f"float_format must be one of {', '.join(FLOAT_FORMATS)}, not {float_format!r}")
        self._max = max_texts
        self.float_format: FloatFormat = float_format
        if float_format == "mistral":
            _float16_decimals()  # built now (~0.2 s, once a process), not while a first request waits on it
        self._vectors: OrderedDict[tuple[str, int, str], np.ndarray[Any, np.dtype[np.float32]]] = OrderedDict()
        self._lock = threading.Lock()
        self.fragment = lru_cache(maxsize=max_texts)(self._fragment)

    def warm(self, model: str, dimension: int, texts: list[str]) -> None:
        """Compute, in one batch, the vectors of `texts` not cached yet."""
        with self._lock:
            missing = list(dict.fromkeys(text for text in texts if (model, dimension, text) not in self._vectors))
        if not missing:
            return
        computed = compute_vectors(model, dimension, missing)
        with self._lock:
            for text, vector in zip(missing, computed, strict=True):
                self._vectors[(model, dimension, text)] = vector
            while len(self._vectors) > self._max:
                self._vectors.popitem(last=False)

    def vector(self, model: str, dimension: int, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The vector of one text, from the cache or computed now."""
        with self._lock:
            found = self._vectors.get((model, dimension, text))
            if found is not None:
                self._vectors.move_to_end((model, dimension, text))
                return found
        self.warm(model, dimension, [text])
        with self._lock:
            found = self._vectors.get((model, dimension, text))
        # Evicted already (a cache smaller than one request): compute it again.
        return found if found is not None else compute_vector(model, dimension, text)

    def _fragment(self, model: str, full_dimension: int, text: str, dimension: int, dtype: str, encoding: str) -> bytes:
        full = self.vector(model, full_dimension, text)
        vector = full if dimension == full_dimension else truncate(full, dimension)
        return encode(quantize(vector, dtype), encoding, self.float_format)
