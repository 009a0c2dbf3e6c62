"""A persistent cache of vectors in SQLite, so a text already paid for is never sent again.

Rows are keyed by a namespace (service, base URL, model, and every option that changes the vector; not the
wire encoding, which does not) and the SHA-256 of the text. The database runs in WAL mode with a busy
timeout, so threads of one process (each with its own connection) and several processes can read and
write it at once; each finished batch is committed in one transaction, which also makes the cache the
durable progress record of a bulk job: rerun after a crash, only what was not committed is sent again.
SQLite files must live on a local disk: network filesystems break its locking.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    namespace TEXT NOT NULL,
    text_sha256 BLOB NOT NULL,
    dtype TEXT NOT NULL,
    width INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (namespace, text_sha256)
) WITHOUT ROWID
"""
# SQLite's default limit on host parameters is 999 in old builds; stay well under it.
LOOKUP_CHUNK = 500


def text_key(text: str) -> bytes:
    """The cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors by (namespace, text); safe for concurrent use from threads and processes."""

    def __init__(self, path: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._connection() as connection:
            connection.execute(SCHEMA)

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
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

    def get_many(self, namespace: str, keys: Sequence[bytes]) -> dict[bytes, tuple[str, int, bytes]]:
        """The cached (dtype, width, data) of each key found."""
        found: dict[bytes, tuple[str, int, bytes]] = {}
        connection = self._connection()
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = list(keys[start : start + LOOKUP_CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(
                f"SELECT text_sha256, dtype, width, data FROM vectors WHERE namespace = ? AND text_sha256 IN ({marks})",  # noqa: S608 - only placeholders are interpolated
                [namespace, *chunk],
            )
            for key, dtype, width, data in rows:
                found[key] = (dtype, width, data)
        return found

    def put_many(self, namespace: str, keys: Iterable[bytes], rows: np.ndarray[Any, Any]) -> None:
        """Store one vector per key, in one transaction (an existing entry is kept: it is the same vector)."""
        dtype, width = rows.dtype.str, int(rows.shape[1])
        values = [(namespace, key, dtype, width, row.tobytes()) for key, row in zip(keys, rows, strict=True)]
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT OR IGNORE INTO vectors (namespace, text_sha256, dtype, width, data) VALUES (?, ?, ?, ?, ?)",
                values,
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def __len__(self) -> int:
        return int(self._connection().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
