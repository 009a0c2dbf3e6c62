"""A persistent cache of vectors in SQLite, so a text already paid for is never sent again.

Rows are keyed by a namespace (service, the service's identity rather than the literal base URL, model, and every
option that changes the vector; not the wire encoding, which does not) and the SHA-256 of the text. The database
runs in WAL mode with a busy timeout, so threads of one process (each with its own connection) and several
processes can read and write it at once; each finished batch is committed in one transaction, which also makes
the cache the durable progress record of a bulk job: rerun after a crash, only what was not committed is sent
again. SQLite files must live on a local disk: network filesystems break its locking.

Each row also records the model that served it (`served_model`: the id the answer named, `mistral-embed-2312`),
since the namespace holds the model asked for, and a plain name is an alias the service moves to newer versions:
two rows of one namespace may come from two models, whose vectors are not comparable. A call uses cached rows of
one served model only (see `Call`), and a row re-embedded by another model replaces the one it had. Caches made
before the column existed gain it when opened; their rows, and rows of answers that named no model, have none
(NULL): "served by an unknown model", a group of its own, never mixed with rows of a known one.

Size: the file is no larger than a `.npy` of the same float vectors (issue 21: it was 1.08 times that). A row holds
its vector losslessly in at most its dtype's own bytes, the text's hash (never the text) and a few bytes more. Two
lossless steps, each taken only where it pays (the row's `codec` says which): float32 values that are all float16
values, as Mistral's are, are stored as float16 (half the bytes); and the most significant byte of each value
(sign and exponent: a unit vector's components have few distinct exponents) is stored as its own plane, Huffman-coded
(about a third of it is left), the other planes as they are, so a full-precision float32 row still takes 0.84 of
its bytes. Both cost microseconds a row, against the milliseconds the row cost to fetch. The namespace, a JSON
object of a hundred-odd bytes, is stored once in `namespaces` and rows carry its number; a new cache is an
append-ordered table (full pages) of 64 KiB pages (a 4 KiB vector fits in the page instead of spilling most of
itself to an overflow page), with a separate index of the keys.

Earlier versions: a cache they made is opened as it is, gaining the `codec` column; its rows (NULL codec: the
dtype's own bytes, as they were written) are read as before, and rows written from then on are compact. Rows
written by the versions before those (the JSON namespace in each row) are still read too. An earlier version
reading a compact row finds its length wrong and embeds its text again (never a wrong vector).

Integrity: each row carries a CRC-32 of its key, codec and stored bytes, checked on read, and its vector's length
is checked once decoded. A row that fails is dropped (deleted, and counted in `dropped`) and its text embedded
again, so a damaged file can cost a re-fetch but never a wrong vector. A file that is not a database, a damaged one
SQLite refuses, a locked one, or one that cannot be written is a `CacheError` naming the file and the way out,
raised when the cache is opened (before any request is paid for) where it can be seen then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

import numpy as np

from ._errors import CacheCorruptError, CacheError, CacheLockedError, ClosedError

logger = logging.getLogger("embedkit")

# The layout of a new cache. `namespace` holds the number of a `namespaces` row (as text), or, in rows written
# by earlier versions, the namespace's JSON itself.
SCHEMA = """
CREATE TABLE IF NOT EXISTS namespaces (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS vectors (
    namespace TEXT NOT NULL,
    text_sha256 BLOB NOT NULL,
    dtype TEXT NOT NULL,
    width INTEGER NOT NULL,
    data BLOB NOT NULL,
    served_model TEXT,
    checksum INTEGER,
    written INTEGER,
    codec INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS vectors_key ON vectors (namespace, text_sha256);
"""
# Columns a cache made by an earlier version gains when opened (its rows read as unknown model, unchecked, undated).
ADDED_COLUMNS = {"served_model": "TEXT", "checksum": "INTEGER", "written": "INTEGER", "codec": "INTEGER"}
# The `codec` flags of a row (NULL or 0: the dtype's own bytes). NARROWED: float32 values stored as the float16
# values they all are. DEFLATED: the values' bytes as planes, all but the most significant one as they are, then that
# one deflated (raw deflate, no header). Only little-endian dtypes are split (every dtype a service answers in).
NARROWED = 1
DEFLATED = 2
CODECS = NARROWED | DEFLATED
# A new cache's page size: a row of a 1,024-wide float32 vector (at most 4 KiB and a little; about 1.6 KiB compact)
# fits in a page whole instead of spilling to overflow pages, and pages are full but for a fraction of a row.
PAGE_SIZE = 65536
# SQLite's default limit on host parameters is 999 in old builds; stay well under it.
LOOKUP_CHUNK = 400
# How long opening waits for a lock another process holds before saying so (an operation waits `timeout`).
OPEN_WAIT = 5.0
HEADER = b"SQLite format 3\x00"

T = TypeVar("T")


def text_key(text: str) -> bytes:
    """The cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def checksum(key: bytes, data: bytes, codec: int = 0) -> int:
    """The CRC-32 a row carries: of its key, codec and stored bytes (a row moved under another key fails too).

    Of the bytes as stored, so that any damage is caught before they are decoded; codec 0 leaves it out, so rows
    of the dtype's own bytes carry the checksum earlier versions gave them.
    """
    return zlib.crc32(data, zlib.crc32(key + bytes([codec]) if codec else key))


def encode_rows(rows: np.ndarray[Any, Any]) -> list[tuple[int, bytes]]:
    """Each row as stored: its codec and its bytes, as few as lossless storage and a few microseconds allow.

    Rows of float32 values that are all float16 values are narrowed to float16 (checked bit for bit: a NaN's
    payload, a negative zero and an infinity survive too); then each row's most significant byte plane is deflated
    when that saves bytes. Decoded by `decode_row`.
    """
    dtype = rows.dtype
    if rows.ndim != 2 or dtype.byteorder == ">" or (dtype.byteorder == "=" and sys.byteorder == "big"):
        return [(0, row.tobytes()) for row in rows]
    narrowed = np.zeros(len(rows), np.bool_)
    half: np.ndarray[Any, Any] | None = None
    if dtype.str == "<f4" and rows.size:
        with np.errstate(over="ignore"):  # a value out of float16's range is not narrowed, and says so by differing
            half = rows.astype("<f2")
        narrowed = np.all(half.astype("<f4").view("<u4") == rows.view("<u4"), axis=1)
    encoded: list[tuple[int, bytes]] = [(0, b"")] * len(rows)
    for codec, source in ((NARROWED, half), (0, rows)):
        chosen = np.flatnonzero(narrowed if codec else ~narrowed)
        if source is None or not len(chosen):
            continue
        values = np.ascontiguousarray(source[chosen])
        size = values.dtype.itemsize
        # Every chosen row's bytes as planes at once, (row, plane, value); only the deflating is a row at a time.
        planes = np.ascontiguousarray(values.view(np.uint8).reshape(len(chosen), -1, size).transpose(0, 2, 1))
        for position, index in enumerate(chosen):
            # Huffman coding alone: the plane's bytes are few distinct values, not repeated strings, and searching
            # for strings took longer and saved less (a full-precision plane of 1,024 bytes: 361 bytes, not 461).
            deflater = zlib.compressobj(1, zlib.DEFLATED, -15, 9, zlib.Z_HUFFMAN_ONLY)
            packed = deflater.compress(planes[position, size - 1].tobytes()) + deflater.flush()
            if len(packed) < values.shape[1]:
                encoded[index] = (codec | DEFLATED, planes[position, : size - 1].tobytes() + packed)
            else:
                encoded[index] = (codec, values[position].tobytes())
    return encoded


def decode_row(dtype: str, width: int, codec: int, stored: bytes) -> bytes | None:
    """A row's vector in its dtype's own bytes, from what `encode_rows` stored; None if they cannot be that."""
    if codec & ~CODECS or (codec & NARROWED and dtype != "<f4"):
        return None
    size = 2 if codec & NARROWED else np.dtype(dtype).itemsize
    data = stored
    if codec & DEFLATED:
        low = (size - 1) * width
        inflater = zlib.decompressobj(-15)
        try:
            top = inflater.decompress(stored[low:], width + 1)  # bounded: a damaged stream cannot grow without end
        except zlib.error:
            return None
        if len(stored) < low or len(top) != width or not inflater.eof or inflater.unused_data:
            return None
        data = np.frombuffer(stored[:low] + top, np.uint8).reshape(size, width).T.tobytes()
    if len(data) != size * width:
        return None
    if codec & NARROWED:
        data = np.frombuffer(data, "<f2").astype("<f4").tobytes()
    return data


LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost", "::1", "0:0:0:0:0:0:0:1")
DEFAULT_PORTS = {"http": 80, "https": 443}


def service_identity(base_url: str) -> str:
    """The base URL as the service it reaches, so spellings of one service share cache rows.

    Scheme and host lowercased, a trailing dot and the user part dropped, every loopback name (`localhost`,
    `127.x.y.z`, `::1`) written `127.0.0.1`, the scheme's default port dropped, trailing slashes removed. The
    vectors depend on the service and the model, not on how its address was typed: `localhost` and `127.0.0.1`
    re-paid 5,000 texts when they were keyed apart.
    """
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if host in LOOPBACK_NAMES or (host.startswith("127.") and host.replace(".", "").isdigit()):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    shown = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return f"{scheme}://{shown}{parts.path.rstrip('/')}"


class Cached(NamedTuple):
    """One cached vector: its numpy dtype string, its width, its bytes, and the model that served it (None: unknown)."""

    dtype: str
    width: int
    data: bytes
    served_model: str | None


@dataclass
class NamespaceStats:
    """The rows of one namespace: what it is (decoded from its JSON where it is one), how many, and their bytes."""

    namespace: dict[str, Any]
    rows: int
    vector_bytes: int
    served_models: dict[str, int] = field(default_factory=dict)


@dataclass
class CacheStats:
    """A cache's contents: file size (with its WAL), rows, vector bytes, and the rows of each namespace."""

    path: Path
    file_bytes: int
    rows: int
    vector_bytes: int
    namespaces: list[NamespaceStats]
    oldest: float | None
    newest: float | None


def _read(dtype: str, width: int, data: Any, stored: int | None, key: bytes, codec: int | None) -> bytes | None:
    """A row's vector bytes if the row read back is the one written (bytes, checksum, length once decoded), else None.

    Rows of earlier versions have no codec (their dtype's own bytes) and, before those, no checksum.
    """
    codec = codec or 0
    if not isinstance(data, bytes) or not isinstance(width, int) or width < 0 or not isinstance(codec, int):
        return None
    try:
        size = np.dtype(dtype).itemsize
    except (TypeError, ValueError):
        return None
    if stored is not None and checksum(key, data, codec) != stored:
        return None
    vector = decode_row(dtype, width, codec, data) if codec else data
    return vector if vector is not None and len(vector) == size * width else None


def cache_error(path: Path, error: sqlite3.Error) -> CacheError:
    """A typed error for what SQLite said about the cache at `path`: which file, what is wrong, the way out."""
    name = getattr(error, "sqlite_errorname", "") or ""
    detail = str(error)
    shown = str(path)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in detail:
        return CacheLockedError(
            f"the cache {shown} is locked by another process (another run using the same cache?): wait for it to "
            "finish, or use another cache file (--cache), or none (--no-cache, cache=None)",
            path=shown,
        )
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "malformed" in detail or "not a database" in detail:
        return CacheCorruptError(
            f"the cache {shown} is damaged or is not an embedkit cache ({detail}): delete it (the texts it held are "
            "embedded again), or name another file (--cache), or use none (--no-cache, cache=None)",
            path=shown,
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR", "SQLITE_FULL")):
        return CacheError(
            f"cannot write the cache {shown} ({detail}): its directory must be writable (SQLite keeps "
            f"{path.name}-wal and {path.name}-shm beside it) and have room; name a writable file (--cache), "
            "or use none (--no-cache, cache=None)",
            path=shown,
        )
    return CacheError(
        f"the cache {shown} failed ({detail}): delete it, or use another file (--cache) or none (--no-cache)",
        path=shown,
    )


def _check_file(path: Path) -> None:
    """Refuse, before SQLite is asked, a path that cannot be a cache.

    A directory, a missing directory, a file that is not SQLite (a text file, a zeroed header) or one cut short
    (fewer bytes than its header says it has): SQLite would say so late, or as a bare "file is not a database".
    """
    shown = str(path)
    if path.is_dir():
        raise CacheError(
            f"the cache {shown} is a directory: name a file in it (--cache {path / 'embeddings.sqlite'}), "
            "or use none (--no-cache, cache=None)",
            path=shown,
        )
    if not path.parent.is_dir():
        raise CacheError(
            f"the cache {shown} is in a directory that does not exist: create {path.parent!s}, or name another "
            "file (--cache), "
            "or use none (--no-cache, cache=None)",
            path=shown,
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return
    except OSError as error:
        raise CacheError(
            f"cannot read the cache {shown} ({error.strerror}): fix its permissions, or name another file "
            "(--cache), or use none (--no-cache, cache=None)",
            path=shown,
        ) from None
    if size == 0:
        return  # SQLite makes an empty file a new database
    if len(header) < 100 or not header.startswith(HEADER):
        raise CacheCorruptError(
            f"the cache {shown} is not an SQLite database (a damaged header, or another kind of file): delete it "
            "if it is a damaged cache (its texts are embedded again), else name another file (--cache), or use "
            "none (--no-cache, cache=None)",
            path=shown,
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96] and pages > 0  # the header's page count is valid
    wal = Path(f"{path}-wal")
    if counted and size < page_size * pages and not (wal.exists() and wal.stat().st_size > 0):
        raise CacheCorruptError(
            f"the cache {shown} is cut short ({size} bytes of {page_size * pages}): delete it (its texts are "
            "embedded again), or name another file (--cache), or use none (--no-cache, cache=None)",
            path=shown,
        )


class EmbeddingCache:
    """Vectors by (namespace, text); safe for concurrent use from threads and processes.

    `dropped` counts the rows found damaged on read (dropped and embedded again) since the cache was opened.
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._closed = False
        self._tokens: dict[str, str] = {}
        self.dropped = 0
        _check_file(self.path)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    @contextmanager
    def _sqlite(self) -> Iterator[None]:
        """SQLite's errors as `CacheError`s naming this file (never a bare sqlite3 traceback)."""
        try:
            yield
        except sqlite3.Error as error:
            raise cache_error(self.path, error) from None

    def _migrate(self) -> None:
        """Create the tables, or bring an earlier version's up to date, in one write: also the writability check.

        The write happens even when nothing changes (a row of `embedkit_meta`), so a cache that cannot be written
        (read-only file or directory, held by another process) fails here, before any text is paid for; a lock
        is waited for `OPEN_WAIT` seconds at most, not the operations' whole timeout.
        """
        with self._sqlite():
            connection = self._connection()
            connection.execute(f"PRAGMA busy_timeout = {int(min(self._timeout, OPEN_WAIT) * 1000)}")
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    # One statement at a time: executescript would COMMIT the transaction first.
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            connection.execute(statement)
                    columns = {row[1] for row in connection.execute("PRAGMA table_info(vectors)")}
                    for column, kind in ADDED_COLUMNS.items():
                        if column not in columns:
                            connection.execute(f"ALTER TABLE vectors ADD COLUMN {column} {kind}")
                    connection.execute("CREATE TABLE IF NOT EXISTS embedkit_meta (key TEXT PRIMARY KEY, value TEXT)")
                    connection.execute(
                        "INSERT INTO embedkit_meta (key, value) VALUES ('opened', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        [str(int(time.time()))],
                    )
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            finally:
                connection.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise ClosedError(f"the cache {str(self.path)!r} is closed (its client was closed, or close() was called)")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # One connection per thread; check_same_thread=False so that the last reference may go on any thread.
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            # A damaged row may hold bytes that are not UTF-8 in a text column: read, then refused by its checks.
            connection.text_factory = _lenient_text
            # Takes effect only on a new file (before its first table); an existing one keeps its own.
            connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed batch survives a killed process (not a power cut, which may lose
            # the last few, to be embedded again).
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    def _token(self, connection: sqlite3.Connection, namespace: str, *, create: bool) -> str | None:
        """The number rows of `namespace` carry (as text); None when it has none yet and `create` is false."""
        token = self._tokens.get(namespace)
        if token is not None:
            return token
        if create:
            connection.execute("INSERT INTO namespaces (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [namespace])
        found = connection.execute("SELECT id FROM namespaces WHERE name = ?", [namespace]).fetchone()
        if found is None:
            return None
        token = str(found[0])
        self._tokens[namespace] = token
        return token

    def get_many(self, namespace: str, keys: Sequence[bytes]) -> dict[bytes, Cached]:
        """The cached vector of each key found intact, with the model that served it.

        A row that fails its checks is not returned (its text is embedded again), counted in `dropped`, logged,
        and deleted when the cache can be written at once.
        """
        with self._sqlite():
            return self._get_many(namespace, keys)

    def _get_many(self, namespace: str, keys: Sequence[bytes]) -> dict[bytes, Cached]:
        found: dict[bytes, Cached] = {}
        bad: list[tuple[str, bytes]] = []
        connection = self._connection()
        token = self._token(connection, namespace, create=False)
        # Rows of earlier versions (JSON namespace) first, so a row of this version's, read after, wins.
        spellings = [namespace] if token is None else [namespace, token]
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = list(keys[start : start + LOOKUP_CHUNK])
            marks = ",".join("?" * len(chunk))
            names = ",".join("?" * len(spellings))
            rows = connection.execute(
                "SELECT namespace, text_sha256, dtype, width, data, served_model, checksum, codec FROM vectors "  # noqa: S608 - only placeholders are interpolated
                f"WHERE namespace IN ({names}) AND text_sha256 IN ({marks}) ORDER BY namespace = ?",
                [*spellings, *chunk, token or ""],
            )
            for stored_as, key, dtype, width, data, served_model, stored, codec in rows:
                vector = _read(dtype, width, data, stored, key, codec)
                if vector is not None:
                    found[key] = Cached(dtype, width, vector, served_model)
                else:
                    bad.append((stored_as, key))
        if bad:
            self._drop(connection, bad)
        return found

    def _drop(self, connection: sqlite3.Connection, bad: list[tuple[str, bytes]]) -> None:
        """Delete damaged rows (they are embedded again); counted whether or not the delete can happen now."""
        with self._lock:
            self.dropped += len(bad)
        logger.warning("%d damaged rows in the cache %s were dropped; their texts are embedded again", len(bad), self)
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany("DELETE FROM vectors WHERE namespace = ? AND text_sha256 = ?", bad)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            # The write that stores the texts anew replaces them anyway (a different checksum always replaces).
            logger.debug("could not delete damaged cache rows now: %s", error)

    def put_many(
        self, namespace: str, keys: Iterable[bytes], rows: np.ndarray[Any, Any], served_model: str | None = None
    ) -> None:
        """Store one vector per key, served by `served_model` (None: the answer named none), in one transaction.

        An entry of the same served model, dtype, width and bytes is kept (it is the same vector); any other is
        replaced: the call that writes it found it unusable (another model, or damaged), and embedded the text anew.
        """
        dtype, width, now = rows.dtype.str, int(rows.shape[1]), int(time.time())
        keys = list(keys)
        if len(keys) != len(rows):
            raise ValueError(f"{len(keys)} keys for {len(rows)} rows")
        encoded = encode_rows(rows)  # outside the write lock: other writers need not wait for it
        with self._sqlite():
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                token = self._token(connection, namespace, create=True)
                values = [
                    (token, key, dtype, width, data, served_model, checksum(key, data, codec), now, codec)
                    for key, (codec, data) in zip(keys, encoded, strict=True)
                ]
                # An intact row of an earlier version (its own bytes, same vector) is replaced by its compact form.
                connection.executemany(
                    "INSERT INTO vectors (namespace, text_sha256, dtype, width, data, served_model, checksum, written, "
                    "codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, text_sha256) DO UPDATE SET "
                    "dtype = excluded.dtype, width = excluded.width, data = excluded.data, "
                    "served_model = excluded.served_model, checksum = excluded.checksum, written = excluded.written, "
                    "codec = excluded.codec "
                    "WHERE vectors.served_model IS NOT excluded.served_model OR vectors.dtype != excluded.dtype "
                    "OR vectors.width != excluded.width OR vectors.checksum IS NOT excluded.checksum "
                    "OR vectors.codec IS NOT excluded.codec",
                    values,
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def __len__(self) -> int:
        with self._sqlite():
            return int(self._connection().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def stats(self) -> CacheStats:
        """What the cache holds, by namespace: rows, vector bytes, served models, and when rows were written."""
        with self._sqlite():
            connection = self._connection()
            names = dict(connection.execute("SELECT CAST(id AS TEXT), name FROM namespaces").fetchall())
            by_namespace: dict[str, NamespaceStats] = {}
            # Vector bytes as decoded (a compact row stores fewer): its width in its dtype.
            for stored_as, served, dtype, count, width in connection.execute(
                "SELECT namespace, served_model, dtype, COUNT(*), SUM(width) FROM vectors "
                "GROUP BY namespace, served_model, dtype"
            ):
                try:
                    size = (width or 0) * np.dtype(dtype).itemsize
                except (TypeError, ValueError):
                    size = 0  # a damaged row's dtype: dropped when read
                name = names.get(stored_as, stored_as)
                entry = by_namespace.get(name)
                if entry is None:
                    entry = by_namespace[name] = NamespaceStats(_decoded(name), 0, 0)
                entry.rows += count
                entry.vector_bytes += size
                entry.served_models[served or "unknown"] = entry.served_models.get(served or "unknown", 0) + count
            oldest, newest = connection.execute("SELECT MIN(written), MAX(written) FROM vectors").fetchone()
        files = [self.path, Path(f"{self.path}-wal")]
        return CacheStats(
            path=self.path,
            file_bytes=sum(f.stat().st_size for f in files if f.exists()),
            rows=sum(n.rows for n in by_namespace.values()),
            vector_bytes=sum(n.vector_bytes for n in by_namespace.values()),
            namespaces=sorted(by_namespace.values(), key=lambda n: -n.rows),
            oldest=None if oldest is None else float(oldest),
            newest=None if newest is None else float(newest),
        )

    def prune(
        self, *, older_than: float | None = None, model: str | None = None, base_url: str | None = None,
        vacuum: bool = True,
    ) -> int:  # fmt: skip
        """Delete rows, then give the space back to the disk (`vacuum`); how many rows were deleted.

        `older_than`: rows written more than this many seconds ago (rows of earlier versions carry no date and
        count as oldest); `model`: rows asked of this model, or served by it; `base_url`: rows of this service
        (any spelling of it). Given together, a row must match all; given none, every row goes.
        """
        checks: list[Callable[[dict[str, Any], Any, Any], bool]] = []
        if older_than is not None:
            cutoff = time.time() - older_than
            checks.append(lambda _, written, __: written is None or written < cutoff)
        if model is not None:
            checks.append(lambda space, _, served: model in (space.get("model"), served))
        if base_url is not None:
            wanted = service_identity(base_url)
            checks.append(lambda space, _, __: service_identity(str(space.get("base_url", ""))) == wanted)
        with self._sqlite():
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                names = dict(connection.execute("SELECT CAST(id AS TEXT), name FROM namespaces").fetchall())
                doomed = [
                    (stored_as, key)
                    for stored_as, key, written, served in connection.execute(
                        "SELECT namespace, text_sha256, written, served_model FROM vectors"
                    ).fetchall()
                    if all(check(_decoded(names.get(stored_as, stored_as)), written, served) for check in checks)
                ]
                connection.executemany("DELETE FROM vectors WHERE namespace = ? AND text_sha256 = ?", doomed)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            if vacuum and doomed:
                connection.execute("VACUUM")
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(doomed)

    def close(self) -> None:
        """Let go of every connection this object opened; later use raises `ClosedError` instead of reopening.

        Only the calling thread's connection is closed here. Another thread's may be inside a query at this very
        moment (a bulk job's window thread reading the cache while Ctrl-C closes the client), and closing a
        connection under a running statement crashed the process (SIGSEGV in sqlite3, seen 4 times in 174
        interrupted jobs). Dropping the thread-local store drops the last reference to each idle connection,
        which closes it at once; one in use is closed when its query returns and its thread lets go of it.
        """
        self._closed = True
        own: sqlite3.Connection | None = getattr(self._local, "connection", None)
        self._local = threading.local()
        if own is not None:
            own.close()


def _lenient_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _decoded(name: str) -> dict[str, Any]:
    """A namespace's fields (its JSON), or the name itself under `namespace` when it is not JSON."""
    try:
        value = json.loads(name)
    except ValueError:
        return {"namespace": name}
    return value if isinstance(value, dict) else {"namespace": name}
