"""Reading texts from files as a stream, and writing vectors incrementally, so a corpus never sits in memory.

Inputs: plain lines (blank lines skipped; the id is the line number), JSONL and CSV (a chosen text field
and optional id field), Parquet (read in record batches), or standard input. Outputs: Parquet (id, SHA-256 of
the text, vector; optionally the text) written one row group per window, or `.npy` (with a `.npy.json`
sidecar saying how it was made). Both are written to a temporary file beside the target and renamed into
place when complete, so a reader never sees half a file; the temporary files are made by the first window
and removed when a job fails. An input with no texts is refused rather than written as an empty file.
"""

from __future__ import annotations

import contextlib
import csv
import io
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
    # utf-8-sig: a byte-order mark (Excel writes one into every CSV it saves as UTF-8) is dropped, not read as
    # part of the first line or header ("\ufefftext"). Standard input is decoded the same way, whatever the locale.
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text-only stream (an embedding application replaced sys.stdin)
            yield sys.stdin
            return
        stream = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
        try:
            yield stream
        finally:
            stream.detach()  # leave sys.stdin's buffer open
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield handle


def _field(row: dict[str, Any], name: str, where: str) -> str:
    if name not in row:
        raise InputError(f"{where}: no field {name!r} (fields: {', '.join(map(str, row))})")
    value = row[name]
    if not isinstance(value, str):
        raise InputError(f"{where}: field {name!r} is {type(value).__name__}, not a string")
    return value


def _identifier(row: dict[str, Any], name: str, where: str) -> str:
    """An id field: a string or a whole number (JSON ids are often numbers), never silently something else."""
    if name not in row:
        raise InputError(f"{where}: no id field {name!r} (fields: {', '.join(map(str, row))})")
    value = row[name]
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise InputError(f"{where}: id field {name!r} is {type(value).__name__}, not a string or an integer")


def read_records(path: str, fmt: str, *, text_field: str = "text", id_field: str | None = None) -> Iterator[Record]:
    """The inputs of a file, one at a time, in order; a bad record raises `InputError` naming its line or row."""
    if fmt == "parquet":
        yield from _read_parquet(path, text_field, id_field)
        return
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    with _text_source(path) as source:
        try:
            yield from _read_text(source, fmt, text_field, id_field)
        except UnicodeDecodeError as error:
            name = "standard input" if path == "-" else path
            raise InputError(f"{name}: not UTF-8 text (byte {error.start} of a chunk: {error.reason})") from None


def _read_text(source: IO[str], fmt: str, text_field: str, id_field: str | None) -> Iterator[Record]:
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
            yield Record(_identifier(row, id_field, f"line {number}") if id_field else str(number), text)
    else:
        for number, row in enumerate(csv.DictReader(source), 1):
            text = _field(row, text_field, f"row {number}")
            yield Record(_field(row, id_field, f"row {number}") if id_field else str(number), text)


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
            if identifier is None:
                raise InputError(f"{path}: row {position}: id field {id_field!r} is null")
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


class EmptyInputError(InputError):
    """The input held no texts: no output is written, since the width of its vectors is unknown."""


def _replace_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class ParquetOutput:
    """Rows (id, text_sha256, vector[, text]) written a window at a time; renamed into place by `finish`.

    The temporary file is created by the first window, so a job that fails before it leaves nothing behind.
    """

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
        """Close the file and move it into place; an empty input is refused (`EmptyInputError`)."""
        if self._writer is None:
            raise EmptyInputError("the input holds no texts: nothing to embed, no output written")
        self._writer.close()
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        if self._writer is not None:
            self._writer.close()
        self.temporary.unlink(missing_ok=True)


class NpyOutput:
    """A `.npy` matrix written a window at a time: raw rows first, the header (which needs the row count) last.

    A `.npy` file cannot hold metadata, so how the vectors were made (service, model, options) goes to a sidecar,
    `OUT.npy.json`, with the matrix's shape and dtype, so that a reader can tell whether the two belong together.
    """

    def __init__(self, path: str, *, metadata: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.sidecar = sidecar_path(self.path)
        self.raw = self.path.with_name(f".{self.path.name}.rows")
        self.temporary = self.path.with_name(f".{self.path.name}.partial")
        self.metadata = dict(metadata or {})
        self._handle: IO[bytes] | None = None
        self.dtype: np.dtype[Any] | None = None
        self.width = 0
        self.rows = 0

    def write(self, records: list[Record], vectors: np.ndarray[Any, Any]) -> None:
        """Append one window of rows."""
        if self._handle is None:
            self._handle = self.raw.open("wb")
        self.dtype, self.width = vectors.dtype, vectors.shape[1]
        self._handle.write(np.ascontiguousarray(vectors).tobytes())
        self.rows += len(records)

    def finish(self) -> None:
        """Write header and rows to the final file, in 8 MiB pieces, then its sidecar; an empty input is refused."""
        if self._handle is None or self.dtype is None:
            raise EmptyInputError("the input holds no texts: nothing to embed, no output written")
        self._handle.close()
        # numpy < 2.4 (which mistral-common needs on Python <= 3.12) leaves these two untyped; later ones type them.
        descr = np.lib.format.dtype_to_descr(self.dtype)  # type: ignore[no-untyped-call,unused-ignore]
        header = {"descr": descr, "fortran_order": False, "shape": (self.rows, self.width)}
        with self.temporary.open("wb") as target, self.raw.open("rb") as rows:
            np.lib.format.write_array_header_1_0(target, header)  # type: ignore[no-untyped-call,unused-ignore]
            while piece := rows.read(8 << 20):
                target.write(piece)
        description = {**self.metadata, "rows": self.rows, "width": self.width, "dtype": descr}
        # Sidecar first: a crash between the two renames leaves a sidecar whose shape disagrees with the old
        # matrix (or describes none), which `load_embeddings` refuses, never a matrix described wrongly.
        _replace_atomically(self.sidecar, json.dumps(description, indent=1).encode())
        os.replace(self.temporary, self.path)
        self.raw.unlink()

    def abort(self) -> None:
        """Drop the partial files."""
        if self._handle is not None:
            self._handle.close()
        self.raw.unlink(missing_ok=True)
        self.temporary.unlink(missing_ok=True)


def sidecar_path(path: str | Path) -> Path:
    """Where the metadata of a `.npy` output lives: beside it, with `.json` appended."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def open_output(path: str, *, with_text: bool, metadata: dict[str, Any]) -> ParquetOutput | NpyOutput:
    """The writer for `path`, by its ending: `.npy`, else Parquet. No file is created until rows are written."""
    if path.lower().endswith(".npy"):
        return NpyOutput(path, metadata=metadata)
    return ParquetOutput(path, with_text=with_text, metadata=metadata)


@dataclass(frozen=True)
class StoredEmbeddings:
    """An embeddings file read back: vectors, ids, texts (when stored) and how they were made ({} if unknown)."""

    vectors: np.ndarray[Any, Any]
    ids: list[str]
    texts: list[str] | None
    metadata: dict[str, Any]


def load_embeddings(path: str) -> StoredEmbeddings:
    """Read a file written by `embed` (Parquet, or `.npy` with its `.npy.json` sidecar when there is one)."""
    if path.lower().endswith(".npy"):
        vectors = np.load(path, mmap_mode="r")
        metadata: dict[str, Any] = {}
        sidecar = sidecar_path(path)
        if sidecar.exists():
            metadata = json.loads(sidecar.read_bytes())
            described = (metadata.get("rows"), metadata.get("width"), metadata.get("dtype"))
            actual = (vectors.shape[0], vectors.shape[1] if vectors.ndim == 2 else None, vectors.dtype.str)
            if described != actual:
                raise InputError(
                    f"{sidecar} describes a {described[0]} x {described[1]} {described[2]} matrix but {path} is "
                    f"{' x '.join(map(str, vectors.shape))} {vectors.dtype.str}: they were not written together"
                )
        return StoredEmbeddings(vectors, [str(i + 1) for i in range(len(vectors))], None, metadata)
    table = _pyarrow("pyarrow.parquet").read_table(path)
    metadata = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    column = table.column("vector").combine_chunks()
    width = column.type.list_size
    values = column.flatten().to_numpy(zero_copy_only=False)
    texts = table.column("text").to_pylist() if "text" in table.column_names else None
    return StoredEmbeddings(values.reshape(-1, width), table.column("id").to_pylist(), texts, metadata)
