"""Files on disk, as Mistral's files API keeps them: uploads (batch inputs) and the output and error files of jobs.

Each file's bytes live in one file under a directory (a temporary one owned by the server unless configured),
its description in memory. The total size of the stored files is bounded: an upload past the bound is a 413, a
job whose output would pass it fails (see _batch.py). Deleting a file removes it from the API at once; its bytes
stay on disk while a job still reads them, and are removed when the store is closed.

An upload may say when it expires (`expiry`, in hours: `expires_at` is `created_at + expiry * 3600`); from then
on the file is gone as if deleted (404, not listed, its bytes freed at the next upload or listing). An expiry of
0 or less makes a file that has expired already: the upload's answer is the last anyone sees of it. A far
expiry is capped at the end of year 9999, which any client can still read as a date. `visibility` (`workspace`
or `user`) is recorded and answered; it restricts nothing within an organisation. `signature`
is answered as null: upstream's schema has the field without saying what it signs, and this server has nothing
to put there. Pages: a negative `page` or a `page_size` of 0 or less (upstream's parameters have no bounds)
answers an empty page, with `total` still counting every match.

Every file belongs to an organisation (`owner`, a digest of it, never a key), as Mistral scopes files to the
organisation that made them: another organisation's file is answered as if it did not exist (404, not listed),
so that a test with two keys fails here as it would against Mistral. An upload arrives already on disk (the
multipart reader writes it as it streams in, see `_multipart.py`); the store adopts it by renaming. Its bytes
count against the storage bound as they arrive (an `UploadReservation`), not once the upload is whole: otherwise
many concurrent uploads, each within the bound, could together fill the disk before any of them finished. An
upload that would pass the bound is refused as a full store is (413), and an abandoned one frees what it held.
Its name is
kept as `safe_filename` makes it: a file name is echoed in listings, logs and downloads, so a name carrying a
path (`../../etc/passwd`, a Windows path), a line break or a NUL must not come back as it was sent.
"""

from __future__ import annotations

import builtins
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import APIError, NotFound

DEFAULT_MAX_TOTAL_BYTES = 4 * 1024**3
DEFAULT_MAX_FILE_BYTES = 512 * 1024**2
# 9999-12-31T23:59:59Z: the latest `expires_at` answered.
LATEST_EXPIRY = 253402300799
# The longest file name kept, in characters (most file systems' bound on one name).
MAX_FILENAME_CHARS = 255
# Control characters (C0, DEL, C1), and the Unicode line and paragraph separators, which break a line as \n does.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe_filename(name: str | None, default: str = "upload") -> str:
    """The last component of `name` with no control character, at most 255 characters; `default` if nothing is left.

    A client's path is not a name here: only what follows its last slash or backslash is kept (as browsers send it), so
    `../../x` is stored and echoed as `x`, and `.` or `..` alone as the default. Control characters are dropped,
    so no echo of the name can split a header or a log line.
    """
    text = _UNSAFE.sub("", name or "")
    text = re.split(r"[/\\]", text)[-1].strip()
    if text in ("", ".", ".."):
        return default
    return text[:MAX_FILENAME_CHARS]


@dataclass
class StoredFile:
    """One file's description, as the API answers it."""

    id: str
    filename: str
    purpose: str
    sample_type: str
    source: str
    bytes: int
    num_lines: int | None
    mimetype: str | None
    path: Path
    created_at: int = field(default_factory=lambda: int(time.time()))
    deleted: bool = False
    visibility: str = "workspace"
    # When the file expires (Unix seconds, as answered; None: never) and, to the sub-second, when it is gone here.
    expires_at: int | None = None
    gone_at: float | None = None
    # The organisation it belongs to (a digest, see `ReferenceServer.owner`); b"" in a store used without tenants.
    owner: builtins.bytes = b""

    def visible_to(self, owner: builtins.bytes | None) -> bool:
        """Whether `owner` may see it (None: anyone, for a signed URL, whose signature is the permission)."""
        return owner is None or owner == self.owner

    def expired(self, now: float | None = None) -> bool:
        """Whether the file's expiry has passed."""
        return self.gone_at is not None and (time.time() if now is None else now) >= self.gone_at

    def describe(self, *, with_deleted: bool = False) -> dict[str, Any]:
        """The `FileSchema` / `CreateFileResponse` (or, with `deleted`, `GetFileResponse`) body."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "sample_type": self.sample_type,
            "source": self.source,
            "num_lines": self.num_lines,
            "mimetype": self.mimetype,
            "signature": None,
            "expires_at": self.expires_at,
            "visibility": self.visibility,
        }
        if with_deleted:
            body["deleted"] = self.deleted
        return body


class FileStore:
    """Stored files by id; safe to use from the event loop and from job threads at once."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        hour_seconds: float = 3600.0,
    ) -> None:
        self._owned = directory is None
        # How long one hour of `expiry` lasts here (3600 s; tests shrink it to watch a file expire).
        self.hour_seconds = hour_seconds
        self.directory = Path(tempfile.mkdtemp(prefix="reference-server-files-")) if directory is None else directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_total_bytes = max_total_bytes
        self.max_file_bytes = max_file_bytes
        self._files: dict[str, StoredFile] = {}
        self._order: list[str] = []  # creation order, for listing newest first
        self._used = 0
        self._lock = threading.Lock()
        # Observable from tests: how many uploads were accepted (a client must never upload twice).
        self.uploads = 0

    @property
    def used(self) -> int:
        """Bytes counted against `max_total_bytes`: stored files and uploads still arriving (tests read it)."""
        with self._lock:
            return self._used

    def _reserve(self, size: int) -> None:
        with self._lock:
            if self._used + size > self.max_total_bytes:
                raise APIError(
                    413,
                    f"File storage is full: {self._used} of {self.max_total_bytes} bytes used, {size} more asked",
                    type_="invalid_request_error",
                )
            self._used += size

    def _release(self, size: int) -> None:
        with self._lock:
            self._used -= size

    def reservation(self) -> UploadReservation:
        """Room for an upload as it streams in (see `UploadReservation`); expired files are purged first."""
        self._purge_expired()
        return UploadReservation(self)

    def add(
        self,
        data: bytes,
        *,
        filename: str,
        purpose: str,
        mimetype: str | None,
        expiry: int | None = None,
        visibility: str = "workspace",
        owner: bytes = b"",
    ) -> StoredFile:
        """Store an upload held in memory (a test's or a tool's; the server streams uploads to `add_path`)."""
        if len(data) > self.max_file_bytes:
            raise APIError(413, f"File is larger than {self.max_file_bytes} bytes", type_="invalid_request_error")
        path = self.partial_path()
        path.write_bytes(data)
        return self.add_path(
            path, lines=_lines(data), filename=filename, purpose=purpose, mimetype=mimetype, expiry=expiry,
            visibility=visibility, owner=owner,
        )  # fmt: skip

    def add_path(
        self,
        path: Path,
        *,
        lines: int,
        filename: str,
        purpose: str,
        mimetype: str | None,
        expiry: int | None = None,
        visibility: str = "workspace",
        owner: bytes = b"",
        reservation: UploadReservation | None = None,
    ) -> StoredFile:
        """Store an upload already written to `path` in this directory, with `lines` non-blank lines.

        413 when it is over the file or total size bound (the file is removed then), expiring after `expiry` hours.
        The bytes `reservation` holds for it (counted as it streamed in) become the stored file's.
        """
        size = path.stat().st_size
        try:
            if size > self.max_file_bytes:
                raise APIError(413, f"File is larger than {self.max_file_bytes} bytes", type_="invalid_request_error")
            self._purge_expired()
            if reservation is not None:
                reservation.settle(size)
            else:
                self._reserve(size)
        except APIError:
            path.unlink(missing_ok=True)
            raise
        identifier = str(uuid.uuid4())
        final = self.directory / identifier
        os.replace(path, final)
        sample_type = "batch_request" if purpose == "batch" else "instruct"
        now = time.time()
        stored = StoredFile(
            identifier, safe_filename(filename), purpose, sample_type, "upload", size, lines,
            _UNSAFE.sub("", mimetype)[:MAX_FILENAME_CHARS] if mimetype else None, final,
            created_at=int(now), visibility=visibility, owner=owner,
        )  # fmt: skip
        if expiry is not None:
            # Capped both ways before multiplying out, so no expiry makes a number a client cannot read.
            hours = max(-LATEST_EXPIRY, min(expiry, LATEST_EXPIRY))
            stored.gone_at = now + hours * self.hour_seconds
            stored.expires_at = max(0, min(stored.created_at + round(hours * self.hour_seconds), LATEST_EXPIRY))
        with self._lock:
            self._files[identifier] = stored
            self._order.append(identifier)
            self.uploads += 1
        return stored

    def partial_path(self) -> Path:
        """Where a job writes a file before `adopt` stores it."""
        return self.directory / f".partial-{uuid.uuid4()}"

    def adopt(self, path: Path, *, filename: str, sample_type: str, num_lines: int, owner: bytes = b"") -> StoredFile:
        """Store a file a job wrote (413-style `APIError` when the store has no room for it)."""
        size = path.stat().st_size
        try:
            self._reserve(size)
        except APIError:
            path.unlink(missing_ok=True)
            raise
        identifier = str(uuid.uuid4())
        final = self.directory / identifier
        os.replace(path, final)
        stored = StoredFile(
            identifier, filename, "batch", sample_type, "mistral", size, num_lines, "application/jsonl", final,
            owner=owner,
        )  # fmt: skip
        with self._lock:
            self._files[identifier] = stored
            self._order.append(identifier)
        return stored

    def get(self, identifier: str, owner: bytes | None = None) -> StoredFile:
        """A file of `owner` (None: of anyone) that exists and is neither deleted nor expired, else 404."""
        with self._lock:
            stored = self._files.get(identifier)
        if stored is None or stored.deleted or stored.expired() or not stored.visible_to(owner):
            raise NotFound("File", identifier)
        return stored

    def delete(self, identifier: str, owner: bytes | None = None) -> StoredFile:
        """Mark a file of `owner` deleted (its bytes are freed from the bound; jobs reading it keep it open)."""
        with self._lock:
            stored = self._files.get(identifier)
            if stored is None or stored.deleted or stored.expired() or not stored.visible_to(owner):
                raise NotFound("File", identifier)
            stored.deleted = True
            self._used -= stored.bytes
        stored.path.unlink(missing_ok=True)
        return stored

    def _purge_expired(self) -> None:
        """Delete the files whose expiry has passed, freeing their bytes."""
        now = time.time()
        with self._lock:
            expired = [stored for stored in self._files.values() if not stored.deleted and stored.expired(now)]
            for stored in expired:
                stored.deleted = True
                self._used -= stored.bytes
        for stored in expired:
            stored.path.unlink(missing_ok=True)

    def listing(self, params: dict[str, Any], owner: bytes | None = None) -> dict[str, Any]:
        """One page of `owner`'s files, newest first, filtered as `list_files` documents (bad pages: empty)."""
        self._purge_expired()
        with self._lock:
            files = [
                self._files[i]
                for i in reversed(self._order)
                if not self._files[i].deleted and self._files[i].visible_to(owner)
            ]
        matches = [stored for stored in files if _matches(stored, params)]
        chosen = page_of(matches, params)
        return {
            "object": "list",
            "data": [stored.describe() for stored in chosen],
            "total": len(matches) if params.get("include_total", True) else None,
        }

    def __iter__(self) -> Iterator[StoredFile]:
        with self._lock:
            return iter(list(self._files.values()))

    def close(self) -> None:
        """Remove the directory if the store made it."""
        if self._owned:
            shutil.rmtree(self.directory, ignore_errors=True)


class UploadReservation:
    """The bytes of one upload in progress, counted against the store's bound as they arrive.

    `grow` as each piece is written (a 413, as for a full store, once the bound would be passed), `settle` when
    the upload is stored (its bytes become the file's), `release` in every other case (refused, disconnected):
    what it holds is then free again. Safe to release twice, or after `settle`.
    """

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self.held = 0

    def grow(self, size: int) -> None:
        """Count `size` more bytes (fewer, if negative: a part replaced), or raise the full store's 413."""
        if size > 0:
            self._store._reserve(size)
        elif size < 0:
            size = max(size, -self.held)
            self._store._release(-size)
        self.held += size

    def settle(self, size: int) -> None:
        """Make the reservation exactly `size` bytes, those of the stored file, which now own them."""
        self.grow(size - self.held)
        self.held = 0

    def release(self) -> None:
        """Free whatever is still held."""
        held, self.held = self.held, 0
        if held:
            self._store._release(held)


def _matches(stored: StoredFile, params: dict[str, Any]) -> bool:
    if "purpose" in params and stored.purpose != params["purpose"]:
        return False
    if "search" in params and params["search"] not in stored.filename:
        return False
    if params.get("sample_type") and stored.sample_type not in params["sample_type"]:
        return False
    if params.get("mimetypes") and stored.mimetype not in params["mimetypes"]:
        return False
    return not (params.get("source") and stored.source not in params["source"])


def page_of(items: list[Any], params: dict[str, Any]) -> list[Any]:
    """Page `page` of `page_size` items (Mistral's defaults 0 and 100); empty for a negative page or a size < 1.

    Upstream's parameters have no bounds, so these are valid requests: an empty page answers them without
    guessing what was meant (clamping -1 to 0 would show a page nobody asked for).
    """
    page, size = params.get("page", 0), params.get("page_size", 100)
    if page < 0 or size < 1:
        return []
    return items[page * size : (page + 1) * size]


def _lines(data: bytes) -> int:
    """Non-blank lines, as a JSONL reader counts requests."""
    counter = LineCounter()
    counter.feed(data)
    return counter.lines


# What `bytes.strip()` strips, but the line feed: deleted before counting lines.
_BLANKS = b" \t\r\x0b\x0c"


class LineCounter:
    """Counts non-blank lines (as `line.strip()` sees them) of bytes fed a piece at a time, in C-speed passes.

    An upload is counted as it streams to disk, so its `num_lines` costs no second read and no copy of it: each
    piece has its blanks removed and its runs of line feeds collapsed, and a line that began in an earlier
    piece is counted once. Runs are collapsed by `replace`, each pass one new bytes object: a regular expression's
    `sub` made an object per match, 20 MiB at once for a piece of one-byte lines.
    """

    def __init__(self) -> None:
        self.lines = 0
        self._in_line = False  # the current line already has a non-blank byte (and was counted)

    def feed(self, piece: bytes | bytearray | memoryview) -> None:
        """Count the lines of one more piece."""
        text = bytes(piece).translate(None, _BLANKS)
        while b"\n\n" in text:  # a run of n line feeds takes log2(n) passes
            text = text.replace(b"\n\n", b"\n")
        if not text:
            return
        starts, ends = text.startswith(b"\n"), text.endswith(b"\n")
        found = text.count(b"\n") + 1 - starts - ends if text != b"\n" else 0
        if self._in_line and not starts:
            found -= 1  # the first segment continues a line counted already
        self.lines += found
        self._in_line = not ends
