"""A persistent cache of vectors in SQLite, so a text already paid for is never sent again.

Rows are keyed by a namespace (service, base URL, model, and every option that changes the vector; not the
wire encoding, which does not) and the SHA-256 of the text. The database runs in WAL mode with a busy
timeout, so threads of one process (each with its own connection) and several processes can read and
write it at once; each finished batch is committed in one transaction, which also makes the cache the
durable progress record of a bulk job: rerun after a crash, only what was not committed is sent again.
SQLite files must live on a local disk: network filesystems break its locking.

Each row also records the model that served it (`served_model`: the id the answer named, `mistral-embed-2312`),
since the namespace holds the model asked for, and a plain name is an alias the service moves to newer versions:
two rows of one namespace may come from two models, whose vectors are not comparable. A call uses cached rows of
one served model only (see `Call`), and a row re-embedded by another model replaces the one it had. Caches made
before the column existed gain it when opened (older versions of embedkit still read and write them); their rows,
and rows of answers that named no model, have none (NULL): "served by an unknown model", a group of its own, never
mixed with rows of a known one.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._errors import ClosedError

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    namespace TEXT NOT NULL,
    text_sha256 BLOB NOT NULL,
    dtype TEXT NOT NULL,
    width INTEGER NOT NULL,
    data BLOB NOT NULL,
    served_model TEXT,
    PRIMARY KEY (namespace, text_sha256)
) WITHOUT ROWID
"""
# What a cache made before rows recorded their served model gains; its rows read as served by an unknown model.
MIGRATION = "ALTER TABLE vectors ADD COLUMN served_model TEXT"
# SQLite's default limit on host parameters is 999 in old builds; stay well under it.
LOOKUP_CHUNK = 500


def text_key(text: str) -> bytes:
    """The cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class Cached(NamedTuple):
    """One cached vector: its numpy dtype string, its width, its bytes, and the model that served it (None: unknown)."""

    dtype: str
    width: int
    data: bytes
    served_model: str | None


class EmbeddingCache:
    """Vectors by (namespace, text); safe for concurrent use from threads and processes."""

    def __init__(self, path: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._migrate()

    def _migrate(self) -> None:
        """Create the table, or add the served model to one made before it was recorded.

        A cache already in shape is only read (many workers open one at once); otherwise in one write transaction,
        so that processes opening an old cache at once add the column once (the others wait on the lock, then find
        it there).
        """
        connection = self._connection()
        if "served_model" in {row[1] for row in connection.execute("PRAGMA table_info(vectors)")}:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(vectors)")}
            if "served_model" not in columns:
                connection.execute(MIGRATION)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise ClosedError(f"the cache {str(self.path)!r} is closed (its client was closed, or close() was called)")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # One connection per thread; check_same_thread=False only so that close() may run on another thread.
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed batch survives a killed process (not a power cut, which may lose
            # the last few, to be embedded again).
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def get_many(self, namespace: str, keys: Sequence[bytes]) -> dict[bytes, Cached]:
        """The cached vector of each key found, with the model that served it."""
        found: dict[bytes, Cached] = {}
        connection = self._connection()
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = list(keys[start : start + LOOKUP_CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(
                "SELECT text_sha256, dtype, width, data, served_model FROM vectors "  # noqa: S608 - only placeholders are interpolated
                f"WHERE namespace = ? AND text_sha256 IN ({marks})",
                [namespace, *chunk],
            )
            for key, dtype, width, data, served_model in rows:
                found[key] = Cached(dtype, width, data, served_model)
        return found

    def put_many(
        self, namespace: str, keys: Iterable[bytes], rows: np.ndarray[Any, Any], served_model: str | None = None
    ) -> None:
        """Store one vector per key, served by `served_model` (None: the answer named none), in one transaction.

        An entry of the same served model, dtype and width is kept (it is the same vector); one of another is
        replaced: the call that writes it found it unusable, and embedded the text anew.
        """
        dtype, width = rows.dtype.str, int(rows.shape[1])
        values = [
            (namespace, key, dtype, width, row.tobytes(), served_model) for key, row in zip(keys, rows, strict=True)
        ]
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT INTO vectors (namespace, text_sha256, dtype, width, data, served_model) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, text_sha256) DO UPDATE SET dtype = excluded.dtype, "
                "width = excluded.width, data = excluded.data, served_model = excluded.served_model "
                "WHERE vectors.served_model IS NOT excluded.served_model OR vectors.dtype != excluded.dtype "
                "OR vectors.width != excluded.width",
                values,
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def __len__(self) -> int:
        return int(self._connection().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        """Close every connection this object opened, once; later use raises `ClosedError` instead of reopening."""
        self._closed = True
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
