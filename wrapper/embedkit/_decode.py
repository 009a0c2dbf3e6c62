"""Turning a 200 response into rows of the output matrix: fast, and never silently wrong.

The body is parsed once with orjson; each base64 vector is decoded with a SIMD decoder (pybase64) straight
into its row of a matrix allocated once per call, so no Python float is ever created on the base64 path.
Float arrays (what the real Mistral is reported to answer, even to a base64 request) are parsed by simdjson,
each array copied out as one typed buffer into its row, again without a Python float per value; a body
that path finds anything unusual in (or a machine without pysimdjson) goes the general way: orjson, then one
numpy conversion per batch, a per-value walk only to name what is wrong.

Everything is checked against what was asked: one item per input, every index present once and in
range, the same non-zero width for every vector (and the asked `output_dimension`), the exact byte length,
numbers only (no `null`, `true` or numeric strings), finite float32 values, integers within the asked integer
dtype. Anything else is a `ResponseValidationError` naming the input; a body that is not JSON at all is a
damaged response (`APIConnectionError`), which the clients retry.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pybase64

from ._batching import Batch
from ._body import MAX_WIDTH
from ._errors import APIConnectionError, ResponseValidationError
from ._result import Usage

try:  # optional speed: without it (or on a machine where its binary fails to load) floats take the general path
    import simdjson
except (ImportError, RuntimeError):  # pragma: no cover - pysimdjson is a dependency
    simdjson = None  # type: ignore[assignment]

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
                if not self.asked_width and width > MAX_WIDTH:
                    # Refused before the matrix (rows x width) is allocated: 100,000 rows of a 2,000,000-wide answer
                    # would ask for 800 GB.
                    first, last = self.input_index(batch.start), self.input_index(batch.stop - 1)
                    raise ResponseValidationError(
                        f"vectors for inputs {first}-{last} have {width:,} values, wider than any embeddings model "
                        f"({MAX_WIDTH:,} at most); refused",
                        index=first,
                    )
                self.width = width
                self.array = np.empty((self.rows, width), self.dtype)
            elif width != self.width:
                if self.asked_width:
                    raise ResponseValidationError(f"asked for vectors of {self.width} values, received {width}")
                first, last = self.input_index(batch.start), self.input_index(batch.stop - 1)
                raise ResponseValidationError(
                    f"vectors for inputs {first}-{last} have {width} values, others {self.width}"
                )
            if self.positions is None:
                return self.array[batch.start : batch.stop]
            return np.empty((len(batch), width), self.dtype)

    def input_index(self, pending: int) -> int:
        """The caller's index of the `pending`-th text sent (they differ when cache hits were not sent)."""
        return pending if self.positions is None else int(self.positions[pending])

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
    """What a batch's response said besides its vectors; `encoding` is how the vectors came ("base64" or "float")."""

    model: str
    usage: Usage
    provider: str | None
    rows: np.ndarray[Any, Any] | None = None
    encoding: str = "float"


def parse_json(content: bytes | memoryview) -> Any:
    """The body as JSON; a body that is not JSON at all is damaged in transit (retried), not a wrong answer."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as error:
        damaged = error
    # orjson refuses a few bodies Python's parser reads (integers past 64 bits, NaN tokens): those are answers,
    # read exactly by the slow parser and checked like any other, not damage to retry.
    try:
        return json.loads(bytes(content))
    except RecursionError:
        raise ResponseValidationError("the response is JSON nested too deeply to be embeddings") from None
    except ValueError:
        raise APIConnectionError(f"the response body is not JSON (damaged or cut short): {damaged}") from None


class _Batch:
    """Error messages in the caller's numbering: position i of a batch is input `number(i)` of the call."""

    def __init__(self, batch: Batch, matrix: OutputMatrix) -> None:
        self.batch, self.matrix = batch, matrix

    def number(self, position: int) -> int:
        return self.matrix.input_index(self.batch.start + position)

    def error(self, position: int, problem: str) -> ResponseValidationError:
        number = self.number(position)
        return ResponseValidationError(f"the embedding of input {number} {problem}", index=number)


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _value_problem(value: Any, dtype: np.dtype[Any]) -> str | None:
    """What is wrong with one JSON value of an embedding array (None: nothing); the slow path, for messages."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = {bool: "a boolean", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)
        return f"is {kind}, not a number"
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if dtype.kind == "f":
        return None if abs(number) <= FLOAT32_MAX else "is not a finite float32"
    info = np.iinfo(dtype)
    if not (math.isfinite(number) and number == int(number)):
        return f"is not an integer ({dtype.name} was asked)"
    if not info.min <= value <= info.max:
        return f"is outside {dtype.name}'s range {info.min}..{info.max}"
    return None


def _diagnose(arrays: list[Any], numbering: _Batch, dtype: np.dtype[Any]) -> ResponseValidationError | None:
    """The first wrong value of JSON embedding arrays, named by input and position (None: all are right)."""
    for position, values in enumerate(arrays):
        for component, value in enumerate(values):
            problem = _value_problem(value, dtype)
            if problem is not None:
                return numbering.error(position, f"has a wrong value at position {component}: {problem}")
    return None


def _arrays_into(arrays: list[Any], rows: np.ndarray[Any, Any], numbering: _Batch, suspicious: bool) -> None:
    """JSON arrays (in row order) into `rows`: numbers only, finite, integers in range for the integer dtypes.

    One numpy conversion and a few whole-batch checks; the per-value walk runs only when numpy could not
    convert (then it names what was wrong), or when the body holds a `true`/`false` token (numpy would read a
    boolean as a number without a word).
    """
    try:
        values = np.array(arrays)
    except (ValueError, TypeError, OverflowError):
        values = np.array(None)
    exact = values.dtype.kind in "iuf" and values.shape == rows.shape
    if not exact or (suspicious and any(bool in set(map(type, array)) for array in arrays)):
        error = _diagnose(arrays, numbering, rows.dtype)
        if error is not None:
            raise error
        # Every value is a number in range, just not one numpy reads at once (an integer past 64 bits).
        values = np.array([[float(value) for value in array] for array in arrays])
    if rows.dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            rows[...] = values
        return
    info = np.iinfo(rows.dtype)
    in_range = values.min() >= info.min and values.max() <= info.max
    if not in_range or (values.dtype.kind == "f" and not np.array_equal(values, np.trunc(values))):
        raise _diagnose(arrays, numbering, rows.dtype) or ResponseValidationError("integer vectors out of range")
    rows[...] = values


def _opens_array(content: bytes | memoryview) -> bool:
    """Whether the first `"embedding"` key of the body holds an array (the fast path's shape)."""
    found = _EMBEDDING_KEY.search(content, 0, 4096)
    return found is not None and found.group(1) == b"["


def decode_into(content: bytes | memoryview, batch: Batch, matrix: OutputMatrix) -> DecodedBatch:
    """Check a 200 body against its batch and write its vectors into the matrix rows of that batch.

    `content` may be a view of a buffer reused for the next body: nothing returned refers to it.
    """
    # Only the opening bracket is kept: a `re.Match` over a memoryview cannot repr itself, and a traceback
    # recorder (`capture_locals=True`) reprs every local of this frame.
    if simdjson is not None and _opens_array(content):
        fast = _float_arrays_into(content, batch, matrix)
        if fast is not None:
            return _finite(fast, _Batch(batch, matrix), matrix)
    payload = parse_json(content)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ResponseValidationError("the response has no `data` array")
    if len(data) != len(batch):
        first, last = matrix.input_index(batch.start), matrix.input_index(batch.stop - 1)
        raise ResponseValidationError(
            f"sent {len(batch)} inputs ({first}-{last}), received {len(data)} embeddings"
            if len(batch)
            else f"sent no inputs, received {len(data)} embeddings"
        )
    usage, provider, model = payload.get("usage"), payload.get("provider"), payload.get("model")
    meta = DecodedBatch(
        model=model if isinstance(model, str) else "",
        usage=Usage.from_json(usage if isinstance(usage, dict) else {}),
        provider=provider if isinstance(provider, str) else None,
    )
    if not data:
        return meta
    numbering = _Batch(batch, matrix)
    ordered: list[Any] = [None] * len(batch)
    for item in data:
        index = item.get("index") if isinstance(item, dict) else None
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index < len(batch)
            or ordered[index] is not None
        ):
            raise ResponseValidationError(f"embedding index {index!r} is missing, repeated or out of range")
        ordered[index] = item
    embeddings = [item.get("embedding") for item in ordered]
    itemsize = matrix.dtype.itemsize
    encoded = isinstance(embeddings[0], str)
    for position, embedding in enumerate(embeddings):
        if not isinstance(embedding, str | list):
            kind = type(embedding).__name__ if embedding is not None else "null"
            raise numbering.error(position, f"is {kind}, not an array or a base64 string")
        if isinstance(embedding, str) != encoded:
            raise numbering.error(position, "mixes base64 and array encodings with the other embeddings")
    raw: list[bytes] = []
    if encoded:
        for position, embedding in enumerate(embeddings):
            try:
                raw.append(pybase64.b64decode(embedding, validate=True))
            except ValueError as error:
                raise numbering.error(position, f"is invalid base64 ({error})") from None
            if len(raw[position]) != len(raw[0]):
                raise numbering.error(position, f"is {len(raw[position])} bytes, others {len(raw[0])}")
        if len(raw[0]) % itemsize:
            raise numbering.error(0, f"is {len(raw[0])} bytes, not a whole number of {matrix.dtype.name} values")
    width = len(raw[0]) // itemsize if encoded else len(embeddings[0])
    if width == 0:
        raise numbering.error(0, "is empty")
    rows = matrix.rows_for(batch, width)
    if encoded:
        # One copy of the joined rows, not a numpy call per row: that cost a tenth of the base64 path's decoding.
        rows[...] = np.frombuffer(b"".join(raw), dtype=matrix.dtype).reshape(len(raw), width)
    else:
        for position, embedding in enumerate(embeddings):
            if len(embedding) != width:
                raise numbering.error(position, f"has {len(embedding)} values, others {width}")
        _arrays_into(embeddings, rows, numbering, _BOOLEAN.search(content) is not None)
    return _finite(dataclasses.replace(meta, rows=rows, encoding="base64" if encoded else "float"), numbering, matrix)


def _finite(decoded: DecodedBatch, numbering: _Batch, matrix: OutputMatrix) -> DecodedBatch:
    """The batch, once its float rows are known to be finite float32 values (a value past float32 is infinite)."""
    rows = decoded.rows
    if matrix.dtype.kind == "f" and rows is not None and not np.isfinite(rows).all():
        position = int(np.argmin(np.isfinite(rows).all(axis=1)))
        raise numbering.error(position, "holds NaN or infinity (or a number beyond float32)")
    return decoded


# What the first `"embedding"` key holds (in the body's first kilobytes, where any answer has it): an array
# says floats. This only picks the parser that tries first; either one checks everything.
_EMBEDDING_KEY = re.compile(rb'"embedding"\s*:\s*(.)')
_BOOLEAN = re.compile(rb"true|false")
_OPEN_BRACKET = ord("[")
# Brackets are counted this many bytes at a time: a comparison of the whole body would allocate a temporary as
# large as the body (and a block that size, once freed, stays in the malloc arena of the thread).
_COUNT_BYTES = 1 << 16
# One parser for the process, kept between calls with its buffers (~3x the largest body it read). pysimdjson holds
# the GIL while it parses and while it copies out arrays, so a parser per thread only kept more buffers alive.
_PARSER: Any = None
_PARSER_LOCK = threading.Lock()
# A body larger than this gets a parser of its own, freed after it, so a rare huge answer is not kept resident.
_PARSER_KEPT_BYTES = 16 << 20


def _brackets(content: bytes | memoryview) -> int:
    """How many `[` bytes the body holds."""
    values = np.frombuffer(content, np.uint8)
    return sum(
        int(np.count_nonzero(values[start : start + _COUNT_BYTES] == _OPEN_BRACKET))
        for start in range(0, len(values), _COUNT_BYTES)
    )


def _float_arrays_into(content: bytes | memoryview, batch: Batch, matrix: OutputMatrix) -> DecodedBatch | None:
    """A plain float-array answer, its arrays copied as typed buffers straight into their rows; None if not plain.

    "Plain": JSON simdjson reads, one object per input with a unique integer `index` in range, every `embedding`
    a flat array of numbers of one width (the asked one, if any), integers within 64 bits for the integer
    dtypes, no key twice in an object (where parsers disagree on which one wins). Anything else returns None
    and the general path decides, naming what is wrong: so this path never accepts a body the general path
    would refuse, and fills the same rows when it accepts one.
    """
    global _PARSER
    try:
        if len(content) > _PARSER_KEPT_BYTES:
            return _read_plain(simdjson.Parser(), content, batch, matrix)
        with _PARSER_LOCK:
            if _PARSER is None:
                _PARSER = simdjson.Parser()
            return _read_plain(_PARSER, content, batch, matrix)
    except (ValueError, TypeError, KeyError, IndexError, RuntimeError):
        # Not JSON simdjson reads (a NaN token, an integer past 64 bits), or a value of an unexpected type: the
        # general path reads it and names what is wrong.
        return None


def _read_plain(parser: Any, content: bytes | memoryview, batch: Batch, matrix: OutputMatrix) -> DecodedBatch | None:
    document: Any = parser.parse(content)
    data: Any = None
    arrays: list[Any] = []
    item: Any = None
    embedding: Any = None
    array: Any = None
    usage: Any = None
    try:
        if not isinstance(document, simdjson.Object) or len(set(document.keys())) != len(document):
            return None
        data = document.get("data")
        if not isinstance(data, simdjson.Array) or len(data) != len(batch) or not len(data):
            return None
        # Every array is either `data` or an embedding: one more `[` would be a nested array (which simdjson's
        # buffers flatten without a word) or a string holding one; either way, not plain.
        if _brackets(content) != len(data) + 1:
            return None
        arrays = [None] * len(data)
        for item in data:
            if not isinstance(item, simdjson.Object) or len(set(item.keys())) != len(item):
                return None
            index, embedding = item.get("index"), item.get("embedding")
            if type(index) is not int or not 0 <= index < len(data) or arrays[index] is not None:
                return None
            if not isinstance(embedding, simdjson.Array):
                return None
            arrays[index] = embedding
        width = len(arrays[0])
        if width == 0 or any(len(array) != width for array in arrays):
            return None
        if matrix.width is not None and width != matrix.width:
            return None
        rows = matrix.rows_for(batch, width)
        kind = "d" if matrix.dtype.kind == "f" else "i"
        wire = "<f8" if kind == "d" else "<i8"
        info = np.iinfo(matrix.dtype) if kind == "i" else None
        # A double past float32's range becomes infinity in its row (refused by `_finite`), not a warning.
        with np.errstate(over="ignore"):
            for position, array in enumerate(arrays):
                values = np.frombuffer(array.as_buffer(of_type=kind), wire)
                if len(values) != width:
                    return None
                if info is not None and (values.min() < info.min or values.max() > info.max):
                    return None
                rows[position] = values
        usage, provider, model = document.get("usage"), document.get("provider"), document.get("model")
        return DecodedBatch(
            model=model if isinstance(model, str) else "",
            usage=Usage.from_json(usage.as_dict() if isinstance(usage, simdjson.Object) else {}),
            provider=provider if isinstance(provider, str) else None,
            rows=rows,
            encoding="float",
        )
    finally:
        # No view of the document may outlive this call: the parser refuses to parse again while one exists.
        document = data = item = embedding = array = usage = None
        arrays.clear()
