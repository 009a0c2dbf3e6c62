"""Turning a 200 response into rows of the output matrix: fast, and never silently wrong.

The body is parsed once with orjson; each base64 vector is decoded with a SIMD decoder (pybase64) straight
into its row of a matrix allocated once per call, so no Python float is ever created on the base64 path.
Everything is checked against what was asked: one item per input, every index present once and in range,
the same width for every vector (and the asked `output_dimension`), and the exact byte length. Anything
else is a `ResponseValidationError`; a body that is not JSON at all is a damaged response
(`APIConnectionError`), which the clients retry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pybase64

from ._batching import Batch
from ._errors import APIConnectionError, ResponseValidationError
from ._result import Usage

VALUE_DTYPES: dict[str, np.dtype[Any]] = {
    "float": np.dtype("<f4"),
    "int8": np.dtype("i1"),
    "uint8": np.dtype("u1"),
    "binary": np.dtype("i1"),
    "ubinary": np.dtype("u1"),
}


def expected_width(output_dtype: str, output_dimension: int | None) -> int | None:
    """Values per vector the service must send, when the call fixes it."""
    if output_dimension is None:
        return None
    return -(-output_dimension // 8) if output_dtype in ("binary", "ubinary") else output_dimension


class OutputMatrix:
    """The call's vectors, allocated when the first rows reveal the width, filled by any thread in any order.

    Batches index the texts still to send; `positions[i]` is the output row of the i-th of those (None when
    every text is sent, in order: then a batch's rows are a view of the matrix and decoding writes in place).
    """

    def __init__(
        self, rows: int, dtype: np.dtype[Any], width: int | None, positions: np.ndarray[Any, Any] | None = None
    ) -> None:
        self.rows = rows
        self.dtype = dtype
        self.width = width
        self.asked_width = width is not None
        self.positions = positions
        self.array: np.ndarray[Any, Any] | None = np.empty((rows, width), dtype) if width is not None else None
        self.completed = np.zeros(rows, dtype=bool)
        self._lock = threading.Lock()

    def rows_for(self, batch: Batch, width: int) -> np.ndarray[Any, Any]:
        """Where to decode the rows of `batch` (checking `width` against the call's); `commit` them after."""
        with self._lock:
            if self.array is None:
                self.width = width
                self.array = np.empty((self.rows, width), self.dtype)
            elif width != self.width:
                if self.asked_width:
                    raise ResponseValidationError(f"asked for vectors of {self.width} values, received {width}")
                raise ResponseValidationError(
                    f"vectors for inputs {batch.start}-{batch.stop - 1} have {width} values, others {self.width}"
                )
            if self.positions is None:
                return self.array[batch.start : batch.stop]
            return np.empty((len(batch), width), self.dtype)

    def commit(self, batch: Batch, rows: np.ndarray[Any, Any]) -> None:
        """Mark a decoded batch's rows finished (copying them to their places when scattered)."""
        assert self.array is not None
        if self.positions is None:
            self.completed[batch.start : batch.stop] = True
        else:
            places = self.positions[batch.start : batch.stop]
            self.array[places] = rows
            self.completed[places] = True

    def fill(self, places: np.ndarray[Any, Any], rows: np.ndarray[Any, Any]) -> None:
        """Rows known before sending anything (cache hits)."""
        if self.array is None:
            self.width = int(rows.shape[1])
            self.array = np.empty((self.rows, self.width), self.dtype)
        self.array[places] = rows
        self.completed[places] = True


@dataclass(frozen=True)
class DecodedBatch:
    """What a batch's response said besides its vectors."""

    model: str
    usage: Usage
    provider: str | None
    rows: np.ndarray[Any, Any] | None = None


def _base64_size(text: str) -> int:
    return len(text) // 4 * 3 - (2 if text.endswith("==") else 1 if text.endswith("=") else 0)


def _width(embedding: Any, itemsize: int) -> int:
    if isinstance(embedding, str):
        size = _base64_size(embedding)
        if size % itemsize:
            raise ResponseValidationError(f"a base64 vector of {size} bytes is not a whole number of values")
        return size // itemsize
    if isinstance(embedding, list):
        return len(embedding)
    raise ResponseValidationError(f"an embedding is {type(embedding).__name__}, not an array or a base64 string")


def decode_into(content: bytes, batch: Batch, matrix: OutputMatrix) -> DecodedBatch:
    """Check a 200 body against its batch and write its vectors into the matrix rows of that batch."""
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise APIConnectionError(f"the response body is not JSON (damaged or cut short): {error}") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ResponseValidationError("the response has no `data` array")
    if len(data) != len(batch):
        raise ResponseValidationError(
            f"sent {len(batch)} inputs ({batch.start}-{batch.stop - 1}), received {len(data)} embeddings"
        )
    if not data:
        return DecodedBatch(str(payload.get("model", "")), Usage.from_json(payload.get("usage") or {}), None)
    itemsize = matrix.dtype.itemsize
    width = _width(data[0].get("embedding") if isinstance(data[0], dict) else None, itemsize)
    rows = matrix.rows_for(batch, width)
    seen = np.zeros(len(batch), dtype=bool)
    for item in data:
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(batch) or seen[index]:
            raise ResponseValidationError(f"embedding index {index!r} is missing, repeated or out of range")
        seen[index] = True
        embedding = item.get("embedding")
        if isinstance(embedding, str):
            try:
                raw = pybase64.b64decode(embedding, validate=True)
            except ValueError as error:
                raise ResponseValidationError(f"embedding {batch.start + index}: invalid base64 ({error})") from None
            if len(raw) != width * itemsize:
                raise ResponseValidationError(
                    f"embedding {batch.start + index}: {len(raw)} bytes, expected {width * itemsize}"
                )
            rows[index] = np.frombuffer(raw, dtype=matrix.dtype)
        elif isinstance(embedding, list) and len(embedding) == width:
            try:
                rows[index] = embedding
            except (TypeError, ValueError, OverflowError) as error:
                raise ResponseValidationError(f"embedding {batch.start + index}: {error}") from None
        else:
            raise ResponseValidationError(f"embedding {batch.start + index} does not have {width} values")
    usage = payload.get("usage")
    provider = payload.get("provider")
    return DecodedBatch(
        model=str(payload.get("model", "")),
        usage=Usage.from_json(usage if isinstance(usage, dict) else {}),
        provider=provider if isinstance(provider, str) else None,
        rows=rows,
    )
