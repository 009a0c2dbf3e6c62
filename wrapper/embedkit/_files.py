"""Reading texts from files as a stream, and writing vectors incrementally, so a corpus never sits in memory.

Inputs: plain lines (blank lines skipped; the id is the line number), JSONL and CSV (a chosen text field
and optional id field), Parquet (read in record batches), or standard input. Outputs: Parquet (id, SHA-256 of
the text, vector; optionally the text) written one row group per window, or `.npy` (with a `.npy.json`
sidecar saying how it was made). Both are written to a temporary file beside the target and renamed into
place when complete, so a reader never sees half a file; the temporary files are made by the first window
and removed when a job fails. An input with no texts is refused rather than written as an empty file.

Metadata goes through: every other column of a JSONL, CSV or Parquet input is written beside its row of a
Parquet output (an input column whose name embedkit's own columns take is kept as `input_NAME`). The input may
also be a directory (with a glob, default every file below it) or a glob pattern: one row per file, its path
relative to the directory as the id. Temporary names carry a random part, so two jobs writing the same output
never write into each other's files (the last to finish wins, whole).
"""

from __future__ import annotations

import contextlib
import csv
import glob as globbing
import io
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from ._cache import text_key
from ._errors import InputError, ResponseValidationError
from ._extras import require

FORMATS = ("lines", "jsonl", "csv", "parquet")
#: The format of a directory or glob pattern given as the input: one text per file.
FILES = "files"
METADATA_KEY = b"embedkit"
PARQUET = "reading and writing Parquet"
#: The longest CSV field read (the csv module's own default, 128 KiB, is shorter than a long document).
CSV_FIELD_LIMIT = 64 << 20
#: The columns a chunked output adds: which input row a chunk is of, its index there, its character span.
CHUNK_COLUMNS = ("parent_id", "chunk_index", "char_start", "char_end")
#: Rows per Parquet row group. The writer holds a whole row group's encoded pages until it ends, so a window
#: written as one row group held its vectors twice more (encoded and compressed); 1,024 rows of 1,024 floats
#: are 4 MiB. Search and `load_embeddings` read any row group size alike.
PARQUET_ROW_GROUP = 1024
#: Vectors are noise to a dictionary (and to min/max statistics): trying to encode them so only costs memory.
PARQUET_WRITER_OPTIONS: dict[str, Any] = {"use_dictionary": ["id"], "write_statistics": ["id"]}


def _pyarrow(module: str = "pyarrow") -> Any:
    # pyarrow is the `parquet` extra: a plain client, or .npy output, does not need it.
    return require(module, extra="parquet", feature=PARQUET)


@dataclass(frozen=True)
class Record:
    """One input: its id (given, or its position in the file), its text, and the input's other columns.

    A chunk of an input (see `_chunking.chunk_records`) also names its parent's id, its index among the
    parent's chunks, and where its text is in the parent's (`parent.text[char_start:char_end]`).
    """

    id: str
    text: str
    columns: Mapping[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    chunk_index: int | None = None
    char_start: int | None = None
    char_end: int | None = None


def _is_pattern(path: str) -> bool:
    return any(character in path for character in "*?[")


def detect_format(path: str, given: str | None) -> str:
    """The input format: as given, else from the file name (standard input and unknown endings: lines).

    A directory, or a glob pattern that is not itself a file, is `FILES`: one text per file.
    """
    if path != "-" and (os.path.isdir(path) or (_is_pattern(path) and not os.path.exists(path))):
        if given and given != FILES:
            raise InputError(f"{path} is a directory or a pattern of files, which is read one text per file, "
                             f"not as --format {given}")  # fmt: skip
        return FILES
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


def read_records(
    path: str, fmt: str, *, text_field: str = "text", id_field: str | None = None, glob: str | None = None
) -> Iterator[Record]:
    """The inputs of a file, one at a time, in order; a bad record raises `InputError` naming its line or row.

    Each record keeps the input's other fields or columns in `columns`. `glob` chooses the files of a directory
    (default: every file below it; names starting with "." are skipped).
    """
    if fmt == FILES:
        yield from _read_files(path, glob)
        return
    if fmt == "parquet":
        yield from _read_parquet(path, text_field, id_field)
        return
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    name = "standard input" if path == "-" else path
    with _text_source(path) as source:
        try:
            yield from _read_text(source, fmt, text_field, id_field)
        except UnicodeDecodeError as error:
            raise InputError(f"{name}: not UTF-8 text (byte {error.start} of a chunk: {error.reason})") from None
        except csv.Error as error:
            raise InputError(f"{name}: not readable as CSV ({error})") from None


def input_files(path: str, glob: str | None = None) -> list[tuple[str, Path]]:
    """The files a directory (with `glob`) or a glob pattern names, sorted: (id, path), the id relative to the root.

    Hidden files and folders (a name starting with ".") are skipped: a `.git` folder is not a corpus.
    """
    if os.path.isdir(path):
        root = Path(path)
        found = [p for p in root.glob(glob or "**/*") if p.is_file()]
        named = [(p.relative_to(root).as_posix(), p) for p in found]
    else:
        named = [(p, Path(p)) for p in globbing.glob(path, recursive=True) if os.path.isfile(p)]
    return sorted((name, p) for name, p in named if not any(part.startswith(".") for part in Path(name).parts))


def _read_files(path: str, glob: str | None) -> Iterator[Record]:
    files = input_files(path, glob)
    if not files:
        pattern = f"{path}: no files match {glob or '**/*'}" if os.path.isdir(path) else f"no files match {path}"
        raise InputError(pattern)
    for name, file in files:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(f"{file}: not UTF-8 text (byte {error.start}: {error.reason})") from None
        if text.strip():
            yield Record(name, text)


def _columns(row: Mapping[Any, Any], text_field: str, id_field: str | None) -> dict[str, Any]:
    # A CSV row with more fields than its header puts the rest under the key None: not a column.
    return {k: v for k, v in row.items() if k is not None and k != text_field and k != id_field}


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
            identifier = _identifier(row, id_field, f"line {number}") if id_field else str(number)
            yield Record(identifier, text, _columns(row, text_field, id_field))
    else:
        # Long documents are what chunking is for: the csv module's 128 KiB default would refuse them.
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
        for number, row in enumerate(csv.DictReader(source), 1):
            text = _field(row, text_field, f"row {number}")
            identifier = _field(row, id_field, f"row {number}") if id_field else str(number)
            yield Record(identifier, text, _columns(row, text_field, id_field))


def _parquet_file(path: str) -> Any:
    """A Parquet file opened for reading, or an `InputError` saying why it is not one."""
    pq = _pyarrow("pyarrow.parquet")
    pa = _pyarrow()
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{path}: not a readable Parquet file ({error})") from None


def _read_parquet(path: str, text_field: str, id_field: str | None) -> Iterator[Record]:
    parquet = _parquet_file(path)
    names = parquet.schema_arrow.names
    columns = [text_field] + ([id_field] if id_field else [])
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r} (columns: {', '.join(names)})")
    others = [name for name in names if name not in columns]
    position = 0
    for batch in parquet.iter_batches(batch_size=4096):
        texts = batch.column(text_field).to_pylist()
        ids = batch.column(id_field).to_pylist() if id_field else range(position + 1, position + 1 + len(texts))
        extra = {name: batch.column(name).to_pylist() for name in others}
        for row, (text, identifier) in enumerate(zip(texts, ids, strict=True)):
            position += 1
            if not isinstance(text, str):
                raise InputError(f"{path}: row {position}: {text_field!r} is {type(text).__name__}, not a string")
            if identifier is None:
                raise InputError(f"{path}: row {position}: id field {id_field!r} is null")
            yield Record(str(identifier), text, {name: values[row] for name, values in extra.items()})


@dataclass(frozen=True)
class InputScan:
    """What reading a whole input found: how many texts, and its other columns with their types.

    `columns` maps each column to a pyarrow type (Parquet input: its own; CSV: string; JSONL: what every value
    fits, nested values and mixed types as JSON text), or is None when the input could not be read ahead
    (standard input): the first window's columns are then kept, as text.
    """

    texts: int
    columns: dict[str, Any] | None


def scan_input(
    path: str, fmt: str, *, text_field: str = "text", id_field: str | None = None, glob: str | None = None,
    check: Callable[[Record, int], None] | None = None,
) -> InputScan:  # fmt: skip
    """Read the whole input once before anything is sent: every record parses, and `check` accepts it.

    So a bad line after thousands of good ones is refused before any of them is paid for. Standard input can be
    read only once: it is not scanned (texts 0, columns None); its bad record fails the job where it is, and the
    rows before it stay in the job's cache.
    """
    if path == "-":
        return InputScan(0, None)
    kinds: dict[str, set[str]] = {}
    texts = 0
    for record in read_records(path, fmt, text_field=text_field, id_field=id_field, glob=glob):
        if check is not None:
            check(record, texts)
        texts += 1
        for name, value in record.columns.items():
            kinds.setdefault(name, set()).add(_kind(value))
    if fmt == "parquet":
        schema = _parquet_file(path).schema_arrow
        return InputScan(texts, {name: schema.field(name).type for name in schema.names
                                 if name not in (text_field, id_field)})  # fmt: skip
    if not kinds:
        return InputScan(texts, {})
    pa = _pyarrow()
    return InputScan(texts, {name: _arrow_type(pa, found) for name, found in kinds.items()})


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(1 << 63) <= value < (1 << 63) else "json"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "json"


def _arrow_type(pa: Any, kinds: set[str]) -> Any:
    kinds = kinds - {"null"}
    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"int"}:
        return pa.int64()
    if kinds and kinds <= {"int", "float"}:
        return pa.float64()
    return pa.string()


def count_records(path: str, fmt: str, glob: str | None = None) -> int | None:
    """About how many inputs a file holds, cheaply, for the progress bar; None for standard input."""
    if path == "-":
        return None
    if fmt == FILES:
        return len(input_files(path, glob))
    if fmt == "parquet":
        return int(_parquet_file(path).metadata.num_rows)
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if fmt == "csv" else lines


class EmptyInputError(InputError):
    """The input held no texts: no output is written, since the width of its vectors is unknown."""


def _temporary_name(path: Path, suffix: str) -> Path:
    """A temporary file beside `path`, hidden, named for it and unique to this job: two jobs never share one.

    The name carries the writer's process id, so that the next job on the same output can tell the files of a
    writer that is gone (ended by a second Ctrl-C, SIGKILL or a power cut, with no chance to clean up) from those
    of one still writing (`remove_stale_temporaries`).
    """
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.{suffix}")


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process (EPERM): alive
        return False
    return False


def remove_stale_temporaries(output: Path) -> None:
    """Delete the temporary files that writers of `output` which no longer run left beside it.

    A process ended at once (a second Ctrl-C, SIGKILL) cannot remove its partial files, which can be as large as
    the output; without this they would stay, hidden, until someone looked. A file whose writer still runs, or
    whose name does not say which process made it, is kept.
    """
    for candidate in output.parent.glob(f".{globbing.escape(output.name)}.*-*.*"):
        writer, _, rest = candidate.name[len(output.name) + 2 :].partition("-")
        if writer.isdigit() and rest.rpartition(".")[2] in ("partial", "rows") and _process_is_gone(int(writer)):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _replace_atomically(path: Path, data: bytes) -> None:
    temporary = _temporary_name(path, "partial")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def check_output(output: str, *, input_path: str | None = None, overwrite: bool = False) -> None:
    """Refuse an output that could not be written, or would replace the input, before anything is paid for.

    The folder must exist and take a new file (checked by making and removing one), the output must not be a
    folder, and it must not be the input itself, whatever `overwrite` says: replacing the texts with their
    vectors loses the texts.
    """
    target = Path(output)
    if target.is_dir():
        raise InputError(f"{output} is a folder: name a file to write (.parquet or .npy)", argument="output")
    if input_path not in (None, "-") and target.exists():
        with contextlib.suppress(OSError):
            if os.path.samefile(input_path, target):
                raise InputError(f"{output} is the input itself: writing it would replace the texts; name another "
                                 "output file", argument="output")  # fmt: skip
    if target.exists() and not overwrite:
        raise InputError(f"{output} exists; pass --overwrite to replace it", argument="output")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"{output}: the folder {folder} does not exist", argument="output")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".probe")
    except OSError as error:
        raise InputError(f"{output}: cannot write in {folder} ({error.strerror})", argument="output") from None
    os.close(handle)
    os.unlink(probe)
    remove_stale_temporaries(target)


def _check_shape(records: list[Record], vectors: np.ndarray[Any, Any], width: int | None, dtype: Any) -> None:
    """One file holds one width and one dtype: rows of another would be compared as if they were the same kind."""
    if width is not None and (vectors.shape[1] != width or vectors.dtype != dtype):
        raise ResponseValidationError(
            f"records {records[0].id} on came back {vectors.shape[1]}-wide {vectors.dtype}, earlier ones {width}-wide "
            f"{dtype}: one file holds vectors of one width; nothing was written (rerun to resume from the cache)"
        )


class ParquetOutput:
    """Rows (id, text_sha256, vector[, text][, chunk columns], input columns) written a window at a time.

    The temporary file is created by the first window, so a job that fails before it leaves nothing behind; it is
    renamed into place by `finish`. `columns` are the input's other columns and their pyarrow types (see
    `InputScan`); None takes the first window's, as text. An input column that one of embedkit's takes is
    written as `input_NAME`.
    """

    def __init__(
        self, path: str, *, with_text: bool, metadata: dict[str, Any], columns: Mapping[str, Any] | None = None,
        chunked: bool = False,
    ) -> None:  # fmt: skip
        # Checked here, before a job spends anything, not at the first write after the first window is paid for.
        self._pa, self._pq = _pyarrow(), _pyarrow("pyarrow.parquet")
        self.path = Path(path)
        self.temporary = _temporary_name(self.path, "partial")
        self.with_text = with_text
        self.chunked = chunked
        self.metadata = {METADATA_KEY: json.dumps(metadata).encode()}
        self.columns = dict(columns) if columns is not None else None
        self._writer: Any = None
        self._width: int | None = None
        self._dtype: Any = None
        self.rows = 0

    def _own_names(self) -> set[str]:
        names = {"id", "text_sha256", "vector"} | ({"text"} if self.with_text else set())
        return names | (set(CHUNK_COLUMNS) if self.chunked else set())

    def write(self, records: list[Record], vectors: np.ndarray[Any, Any]) -> None:
        """Append one window of rows."""
        _check_shape(records, vectors, self._width, self._dtype)
        pa, pq = self._pa, self._pq
        width = vectors.shape[1]
        # embedkit's own columns are built from their buffers, not by `pa.array`: that asks pyarrow's pandas shim
        # whether its argument is a pandas object, which imports pandas (45 MiB resident) wherever it is installed.
        flat = np.ascontiguousarray(vectors).reshape(-1)
        elements = pa.Array.from_buffers(pa.from_numpy_dtype(flat.dtype), flat.size, [None, pa.py_buffer(flat)])
        columns = {
            "id": self._strings([r.id for r in records]),
            "text_sha256": pa.Array.from_buffers(
                pa.binary(32), len(records), [None, pa.py_buffer(b"".join(text_key(r.text) for r in records))]
            ),
            "vector": pa.FixedSizeListArray.from_arrays(elements, width),
        }
        if self.with_text:
            columns["text"] = self._strings([r.text for r in records])
        if self.chunked:
            columns["parent_id"] = self._strings([r.parent_id for r in records])
            for name in CHUNK_COLUMNS[1:]:
                columns[name] = self._integers([getattr(r, name) for r in records])
        if self.columns is None:
            names = dict.fromkeys(name for record in records for name in record.columns)
            self.columns = {name: pa.string() for name in names}
        own = self._own_names()
        strange = next((r for r in records if any(k not in self.columns for k in r.columns)), None)
        if strange is not None:
            new = next(k for k in strange.columns if k not in self.columns)
            raise InputError(
                f"record {strange.id}: field {new!r} is in none of the first window's records, and a "
                "file's columns are fixed by then: read the input from a file, not standard input"
            )
        for name, kind in self.columns.items():
            values = [record.columns.get(name) for record in records]
            if pa.types.is_string(kind):
                values = [v if v is None or isinstance(v, str) else json.dumps(v, default=str) for v in values]
            written = name
            while written in own:
                written = f"input_{written}"
            try:
                # Text (every CSV column, most JSONL ones) from its buffers as above; other types need `pa.array`.
                columns[written] = self._strings(values) if kind == pa.string() else pa.array(values, kind)
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as error:
                raise InputError(f"records {records[0].id} on: column {name!r} does not fit {kind} ({error})") from None
        table = pa.Table.from_arrays(list(columns.values()), names=list(columns))
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.temporary, table.schema.with_metadata(self.metadata), **PARQUET_WRITER_OPTIONS,
                memory_pool=pa.system_memory_pool(),
            )  # fmt: skip
            self._width, self._dtype = width, vectors.dtype
        self._writer.write_table(table, row_group_size=PARQUET_ROW_GROUP)
        self.rows += len(records)
        # The few MiB the writer took from pyarrow's own allocator (mimalloc or jemalloc) go back to the system
        # now, not when that allocator decides: they would be kept beside the next window's buffers (measured 9 MiB).
        pa.default_memory_pool().release_unused()

    def _validity(self, values: list[Any]) -> Any:
        """The validity bitmap of `values` (None for a null), or None when every value is there."""
        present = np.fromiter((value is not None for value in values), np.bool_, len(values))
        return None if present.all() else self._pa.py_buffer(np.packbits(present, bitorder="little"))

    def _strings(self, values: list[Any]) -> Any:
        """A string array of `values` (str or None), from an offsets buffer and one of their UTF-8 bytes."""
        encoded = [b"" if value is None else value.encode("utf-8") for value in values]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
        if offsets[-1] > np.iinfo(np.int32).max:
            raise InputError("over 2 GiB of text in one window of rows: pass a smaller --window")
        buffers = [
            self._validity(values),
            self._pa.py_buffer(offsets.astype(np.int32)),
            self._pa.py_buffer(b"".join(encoded)),
        ]
        return self._pa.Array.from_buffers(self._pa.string(), len(values), buffers)

    def _integers(self, values: list[Any]) -> Any:
        """An int64 array of `values` (int or None)."""
        data = np.fromiter((0 if value is None else value for value in values), np.int64, len(values))
        return self._pa.Array.from_buffers(
            self._pa.int64(), len(values), [self._validity(values), self._pa.py_buffer(data)]
        )

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
    Every window must have the first one's width and dtype (`ResponseValidationError` otherwise), as a Parquet
    output's schema requires.
    """

    def __init__(self, path: str, *, metadata: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.sidecar = sidecar_path(self.path)
        self.raw = _temporary_name(self.path, "rows")
        self.temporary = _temporary_name(self.path, "partial")
        self.metadata = dict(metadata or {})
        self._handle: IO[bytes] | None = None
        self.dtype: np.dtype[Any] | None = None
        self.width = 0
        self.rows = 0

    def write(self, records: list[Record], vectors: np.ndarray[Any, Any]) -> None:
        """Append one window of rows."""
        _check_shape(records, vectors, self.width if self.dtype is not None else None, self.dtype)
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


def open_output(
    path: str, *, with_text: bool, metadata: dict[str, Any], columns: Mapping[str, Any] | None = None,
    chunked: bool = False,
) -> ParquetOutput | NpyOutput:  # fmt: skip
    """The writer for `path`, by its ending: `.npy`, else Parquet. No file is created until rows are written.

    A `.npy` matrix has no place for ids or columns: chunk rows, which are meaningless without their parent and
    span, need Parquet (refused here, before anything is sent); other input columns are not kept there.
    """
    if path.lower().endswith(".npy"):
        if chunked:
            raise InputError(f"{path}: chunk rows need a Parquet output, which keeps each chunk's parent id and span; "
                             "a .npy matrix would lose them", argument="output")  # fmt: skip
        return NpyOutput(path, metadata=metadata)
    return ParquetOutput(path, with_text=with_text, metadata=metadata, columns=columns, chunked=chunked)


@dataclass(frozen=True)
class StoredEmbeddings:
    """An embeddings file read back: vectors, ids, texts (when stored) and how they were made ({} if unknown).

    `columns` holds the file's other columns (input metadata, chunk spans), by name, as Python lists.
    """

    vectors: np.ndarray[Any, Any]
    ids: list[str]
    texts: list[str] | None
    metadata: dict[str, Any]
    columns: dict[str, list[Any]] = field(default_factory=dict)


def _load_npy(path: str) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    try:
        vectors = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable .npy matrix ({error})") from None
    if vectors.ndim != 2:
        raise InputError(f"{path}: a matrix of vectors is needed, not an array of shape {vectors.shape}")
    metadata: dict[str, Any] = {}
    sidecar = sidecar_path(path)
    if sidecar.exists():
        try:
            metadata = json.loads(sidecar.read_bytes())
        except ValueError as error:
            raise InputError(f"{sidecar}: not the JSON embedkit writes ({error})") from None
        described = (metadata.get("rows"), metadata.get("width"), metadata.get("dtype"))
        actual = (vectors.shape[0], vectors.shape[1], vectors.dtype.str)
        if described != actual:
            raise InputError(
                f"{sidecar} describes a {described[0]} x {described[1]} {described[2]} matrix but {path} is "
                f"{' x '.join(map(str, vectors.shape))} {vectors.dtype.str}: they were not written together"
            )
    return vectors, metadata


def _embeddings_schema(path: str) -> tuple[Any, dict[str, Any]]:
    """The schema of a Parquet file `embed` wrote, and its metadata; an `InputError` for any other file."""
    pa = _pyarrow()
    schema = _parquet_file(path).schema_arrow
    try:
        metadata = json.loads((schema.metadata or {}).get(METADATA_KEY, b"{}"))
    except ValueError as error:
        raise InputError(f"{path}: its embedkit metadata is not JSON ({error})") from None
    vector = schema.field("vector").type if "vector" in schema.names else None
    if "id" not in schema.names or vector is None or not pa.types.is_fixed_size_list(vector):
        raise InputError(
            f"{path} is not a file `embedkit embed` wrote: it needs an id column and a vector column of fixed-size "
            f"lists (columns: {', '.join(schema.names)})"
        )
    return schema, metadata if isinstance(metadata, dict) else {}


def load_embeddings(path: str, *, vectors: bool = True) -> StoredEmbeddings:
    """Read a file written by `embed` (Parquet, or `.npy` with its `.npy.json` sidecar when there is one).

    Any other file is an `InputError` naming what is missing. `vectors=False` leaves the vectors out (an empty
    matrix): `search_matrix` maps them instead of copying them.
    """
    if path.lower().endswith(".npy"):
        matrix, metadata = _load_npy(path)
        return StoredEmbeddings(matrix, [str(i + 1) for i in range(len(matrix))], None, metadata)
    schema, metadata = _embeddings_schema(path)
    # The text hashes are the cache's business, not a reader's (and the slowest column to read back).
    names = [name for name in schema.names if name != "text_sha256" and (name != "vector" or vectors)]
    # ParquetFile.read, not pq.read_table: the latter imports pyarrow.dataset, over half a second of a search.
    table = _parquet_file(path).read(columns=names)
    values: np.ndarray[Any, Any] = np.empty((table.num_rows, 0), dtype=np.float32)
    if vectors:
        column = table.column("vector").combine_chunks()
        values = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, column.type.list_size)
    texts = table.column("text").to_pylist() if "text" in table.column_names else None
    others = {name: table.column(name).to_pylist() for name in names if name not in ("id", "vector", "text")}
    ids = [str(identifier) for identifier in table.column("id").to_pylist()]
    return StoredEmbeddings(values, ids, texts, metadata, others)


def search_matrix(path: str) -> tuple[np.ndarray[Any, Any], bool]:
    """The vectors of an embeddings file for search, memory-mapped rather than copied: (matrix, unit rows?).

    A `.npy` output is mapped as it is. A Parquet file's vectors are encoded in pages that cannot be mapped, so
    the first search writes them once, as unit-length float32 rows, to `PATH.search.npy` beside it (stamped
    with the Parquet file's size and time, and rewritten when those change); later searches map that file, so
    a search reads only the pages it needs from the page cache and does no normalising. Where that file cannot
    be written (a read-only folder), the vectors are read into memory, as before.
    """
    if path.lower().endswith(".npy"):
        return _load_npy(path)[0], False
    schema, _ = _embeddings_schema(path)
    parquet = _parquet_file(path)
    rows, width = parquet.metadata.num_rows, schema.field("vector").type.list_size
    source = os.stat(path)
    stamp = {"source_size": source.st_size, "source_mtime_ns": source.st_mtime_ns, "rows": rows, "width": width}
    cached = Path(path + ".search.npy")
    described = sidecar_path(cached)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(described.read_bytes()) == stamp:
            mapped = np.load(cached, mmap_mode="r")
            if mapped.shape == (rows, width) and mapped.dtype == np.float32:
                return mapped, True
    remove_stale_temporaries(cached)  # a search killed while writing it left one as large as the vectors
    temporary = _temporary_name(cached, "partial")
    try:
        open_memmap: Any = np.lib.format.open_memmap
        matrix = open_memmap(temporary, mode="w+", dtype=np.float32, shape=(rows, width))
    except OSError:
        return load_embeddings(path).vectors, False
    from ._similarity import normalize

    try:
        start = 0
        for batch in parquet.iter_batches(batch_size=8192, columns=["vector"]):
            column = batch.column(0)
            block = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)
            with np.errstate(invalid="ignore"):
                matrix[start : start + len(block)] = normalize(block)
            start += len(block)
        matrix.flush()
        del matrix
        # The matrix first, its stamp last: a stamp never describes a matrix that is not there yet.
        os.replace(temporary, cached)
        _replace_atomically(described, json.dumps(stamp).encode())
    finally:
        temporary.unlink(missing_ok=True)
    return np.load(cached, mmap_mode="r"), True
