"""Reading texts from files as a stream, and writing vectors incrementally, so a corpus never sits in memory.

Inputs: plain lines (blank lines skipped; the id is the line number), JSONL and CSV (a chosen text field
and optional id field), Parquet (read in record batches), or standard input. Outputs: Parquet (id, SHA-256 of
the text, vector; optionally the text) written one row group per window, or `.npy`. Both are written to a
temporary file beside the target and renamed into place when complete, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from ._cache import text_key
from ._errors import InputError
from ._extras import require

FORMATS = ("lines", "jsonl", "csv", "parquet")
METADATA_KEY = b"embedkit"
PARQUET = "reading and writing Parquet"


def _pyarrow(module: str = "pyarrow") -> Any:
    # pyarrow is the `parquet` extra: a plain client, or .npy output, does not need it.
    return require(module, extra="parquet", feature=PARQUET)


@dataclass(frozen=True)
class Record:
    """One input: its id (given, or its position in the file) and its text."""

    id: str
    text: str


def detect_format(path: str, given: str | None) -> str:
    """The input format: as given, else from the file name (standard input and unknown endings: lines)."""
    if given:
        return given
    suffix = Path(path).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(suffix, "lines")


@contextlib.contextmanager
def _text_source(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
    else:
        with open(path, encoding="utf-8", newline="") as handle:
            yield handle


def _field(row: dict[str, Any], name: str, where: str) -> str:
    if name not in row:
        raise InputError(f"{where}: no field {name!r} (fields: {', '.join(map(str, row))})")
    value = row[name]
    if not isinstance(value, str):
        raise InputError(f"{where}: field {name!r} is {type(value).__name__}, not a string")
    return value


def read_records(path: str, fmt: str, *, text_field: str = "text", id_field: str | None = None) -> Iterator[Record]:
    """The inputs of a file, one at a time, in order."""
    if fmt == "parquet":
        yield from _read_parquet(path, text_field, id_field)
        return
    with _text_source(path) as source:
        if fmt == "lines":
            for number, line in enumerate(source, 1):
                text = line.rstrip("\r\n")
                if text.strip():
                    yield Record(str(number), text)
        elif fmt == "jsonl":
            for number, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    raise InputError(f"line {number}: not JSON ({error})") from None
                if not isinstance(row, dict):
                    raise InputError(f"line {number}: a JSON object is needed, not {type(row).__name__}")
                text = _field(row, text_field, f"line {number}")
                yield Record(str(row[id_field]) if id_field else str(number), text)
        elif fmt == "csv":
            for number, row in enumerate(csv.DictReader(source), 1):
                text = _field(row, text_field, f"row {number}")
                yield Record(_field(row, id_field, f"row {number}") if id_field else str(number), text)
        else:
            raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")


def _read_parquet(path: str, text_field: str, id_field: str | None) -> Iterator[Record]:
    pq = _pyarrow("pyarrow.parquet")

    parquet = pq.ParquetFile(path)
    columns = [text_field] + ([id_field] if id_field else [])
    missing = [c for c in columns if c not in parquet.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r} (columns: {', '.join(parquet.schema_arrow.names)})")
    position = 0
    for batch in parquet.iter_batches(batch_size=4096, columns=columns):
        texts = batch.column(text_field).to_pylist()
        ids = batch.column(id_field).to_pylist() if id_field else range(position + 1, position + 1 + len(texts))
        for text, identifier in zip(texts, ids, strict=True):
            position += 1
            if not isinstance(text, str):
                raise InputError(f"{path}: row {position}: {text_field!r} is {type(text).__name__}, not a string")
            yield Record(str(identifier), text)


def count_records(path: str, fmt: str) -> int | None:
    """About how many inputs a file holds, cheaply, for the progress bar; None for standard input."""
    if path == "-":
        return None
    if fmt == "parquet":
        return int(_pyarrow("pyarrow.parquet").ParquetFile(path).metadata.num_rows)
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if fmt == "csv" else lines


class ParquetOutput:
    """Rows (id, text_sha256, vector[, text]) written a window at a time; renamed into place by `finish`."""

    def __init__(self, path: str, *, with_text: bool, metadata: dict[str, Any]) -> None:
        # Checked here, before a job spends anything, not at the first write after the first window is paid for.
        self._pa, self._pq = _pyarrow(), _pyarrow("pyarrow.parquet")
        self.path = Path(path)
        self.temporary = self.path.with_name(f".{self.path.name}.partial")
        self.with_text = with_text
        self.metadata = {METADATA_KEY: json.dumps(metadata).encode()}
        self._writer: Any = None
        self.rows = 0

    def write(self, records: list[Record], vectors: np.ndarray[Any, Any]) -> None:
        """Append one window of rows."""
        pa, pq = self._pa, self._pq
        width = vectors.shape[1]
        columns = {
            "id": pa.array([r.id for r in records], pa.string()),
            "text_sha256": pa.array([text_key(r.text) for r in records], pa.binary(32)),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(vectors).reshape(-1)), width),
        }
        if self.with_text:
            columns["text"] = pa.array([r.text for r in records], pa.string())
        table = pa.table(columns)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.temporary, table.schema.with_metadata(self.metadata))
        self._writer.write_table(table)
        self.rows += len(records)

    def finish(self) -> None:
        """Close the file and move it into place (an empty input gives a file with no rows)."""
        if self._writer is None:
            self.write([], np.zeros((0, 0), np.float32))
        self._writer.close()
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        if self._writer is not None:
            self._writer.close()
        self.temporary.unlink(missing_ok=True)


class NpyOutput:
    """A `.npy` matrix written a window at a time: raw rows first, the header (which needs the row count) last."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.raw = self.path.with_name(f".{self.path.name}.rows")
        self.temporary = self.path.with_name(f".{self.path.name}.partial")
        self._handle = self.raw.open("wb")
        self.dtype: np.dtype[Any] | None = None
        self.width = 0
        self.rows = 0

    def write(self, records: list[Record], vectors: np.ndarray[Any, Any]) -> None:
        """Append one window of rows."""
        self.dtype, self.width = vectors.dtype, vectors.shape[1]
        self._handle.write(np.ascontiguousarray(vectors).tobytes())
        self.rows += len(records)

    def finish(self) -> None:
        """Write header and rows to the final file, in 8 MiB pieces."""
        self._handle.close()
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype or np.dtype("<f4")), "fortran_order": False,
                  "shape": (self.rows, self.width)}  # fmt: skip
        with self.temporary.open("wb") as target, self.raw.open("rb") as rows:
            np.lib.format.write_array_header_1_0(target, header)
            while piece := rows.read(8 << 20):
                target.write(piece)
        os.replace(self.temporary, self.path)
        self.raw.unlink()

    def abort(self) -> None:
        """Drop the partial files."""
        self._handle.close()
        self.raw.unlink(missing_ok=True)
        self.temporary.unlink(missing_ok=True)


def open_output(path: str, *, with_text: bool, metadata: dict[str, Any]) -> ParquetOutput | NpyOutput:
    """The writer for `path`, by its ending: `.npy`, else Parquet."""
    if path.lower().endswith(".npy"):
        return NpyOutput(path)
    return ParquetOutput(path, with_text=with_text, metadata=metadata)


@dataclass(frozen=True)
class StoredEmbeddings:
    """An embeddings file read back: vectors, ids, texts (when stored) and how they were made."""

    vectors: np.ndarray[Any, Any]
    ids: list[str]
    texts: list[str] | None
    metadata: dict[str, Any]


def load_embeddings(path: str) -> StoredEmbeddings:
    """Read a file written by `embed` (Parquet or `.npy`)."""
    if path.lower().endswith(".npy"):
        vectors = np.load(path, mmap_mode="r")
        return StoredEmbeddings(vectors, [str(i + 1) for i in range(len(vectors))], None, {})
    table = _pyarrow("pyarrow.parquet").read_table(path)
    metadata = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    column = table.column("vector").combine_chunks()
    width = column.type.list_size
    values = column.flatten().to_numpy(zero_copy_only=False)
    texts = table.column("text").to_pylist() if "text" in table.column_names else None
    return StoredEmbeddings(values.reshape(-1, width), table.column("id").to_pylist(), texts, metadata)
