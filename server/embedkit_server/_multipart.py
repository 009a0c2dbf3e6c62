"""Reading a `multipart/form-data` body (RFC 7578), for file uploads; no dependency beyond the standard library.

The body is read incrementally (`FormReader`): it is fed as it arrives, and the parts named to go to disk (the
upload's `file`) are written to a file as their bytes come, so an upload of any size costs a few pieces of memory,
never its size; the size bound of such a part is enforced as it streams (a 413 as soon as it is passed, not after
the whole body was read), and each piece is reported before it is written (`on_file_bytes`), so the store can count
it against its bound while the upload is still arriving. Other parts are plain form fields, kept in memory up to a
small bound each. Each part must have a `Content-Disposition: form-data` header with a `name`; a part's `filename`,
when sent, is kept (as sent: the store sanitises it). A body that is not a well-formed multipart message is a 400
(FastAPI's answer: "There was an error parsing the body"); a request whose content type is not multipart is left to
the caller, which reports the missing fields as a 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ._errors import APIError
from ._files_store import LineCounter

# A parameter of a header: name=token or name="quoted \"string\"".
_PARAMETER = re.compile(rb';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
# A plain field's bound: a form's fields are a purpose, an expiry, a visibility.
MAX_FIELD_BYTES = 64 * 1024
# The bound of one part's header block: a part's headers are a disposition and a content type.
MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class Part:
    """One field of the form: its bytes, and the file name it was sent with (None for a plain field).

    A part streamed to disk has empty `data` and its bytes in `path` (`size` of them, `lines` non-blank lines).
    """

    data: bytes
    filename: str | None
    content_type: str | None
    path: Path | None = None
    size: int = 0
    lines: int = 0


def boundary(content_type: bytes | None) -> bytes | None:
    """The boundary of a `multipart/form-data` content type; None for any other content type."""
    if content_type is None:
        return None
    media_type, _, rest = content_type.partition(b";")
    if media_type.strip().lower() != b"multipart/form-data":
        return None
    parameters = _parameters(b";" + rest)
    value = parameters.get("boundary")
    if not value or len(value) > 70:
        raise APIError(400, "There was an error parsing the body: no valid multipart boundary")
    return value.encode("latin-1")


def _parameters(text: bytes) -> dict[str, str]:
    found = {}
    for name, raw in _PARAMETER.findall(text):
        value = raw[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\") if raw.startswith(b'"') else raw
        found[name.decode("latin-1").lower()] = value.decode("utf-8", errors="replace")
    return found


def _malformed(why: str = "not a well-formed multipart/form-data message") -> APIError:
    return APIError(400, f"There was an error parsing the body: {why}")


_PREAMBLE, _AFTER_DELIMITER, _HEADERS, _CONTENT, _DONE = range(5)


class FormReader:
    """A multipart body parsed as it is fed: `feed` each piece, then `finish` for the parts by name.

    A name sent twice keeps its last part, as FastAPI does. Parts named in `to_disk` are written to files made by
    `new_path`, at most `max_file_bytes` each (a 413 once passed). Whatever happens, `discard` removes every file
    written that no one has taken (renamed) since, so a refused or interrupted upload leaves nothing behind.
    """

    def __init__(
        self,
        delimiter: bytes,
        *,
        to_disk: frozenset[str] = frozenset(),
        new_path: Callable[[], Path] | None = None,
        max_file_bytes: int | None = None,
        max_field_bytes: int | None = MAX_FIELD_BYTES,
        on_file_bytes: Callable[[int], None] | None = None,
    ) -> None:
        if to_disk and new_path is None:
            raise ValueError("parts go to disk only with new_path")
        self._dash = b"\r\n--" + delimiter
        # The first delimiter may open the body (or follow a preamble): read as if a line had ended before it.
        self._buffer = bytearray(b"\r\n")
        self._state = _PREAMBLE
        self._to_disk, self._new_path = to_disk, new_path
        self._max_file_bytes, self._max_field_bytes = max_file_bytes, max_field_bytes
        # Told the size of each piece about to go to disk (negative: a part removed), and may refuse it by raising.
        self._on_file_bytes = on_file_bytes
        self._parts: dict[str, Part] = {}
        self._written: list[Path] = []
        # The part being read: its name, file name, content type, and where its bytes go.
        self._name = ""
        self._filename: str | None = None
        self._content_type: str | None = None
        self._sink: BinaryIO | None = None
        self._path: Path | None = None
        self._data = bytearray()
        self._size = 0
        self._counter = LineCounter()

    def feed(self, piece: bytes) -> None:
        """Parse one more piece of the body."""
        if self._state == _DONE:
            return  # the epilogue after the closing delimiter is ignored
        self._buffer += piece
        self._advance()

    def finish(self) -> dict[str, Part]:
        """The parts by name, once the whole body was fed (400 if it did not end with the closing delimiter)."""
        if self._state != _DONE:
            raise _malformed()
        return dict(self._parts)

    def discard(self) -> None:
        """Close the part being written and remove every file written that is still where it was written."""
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        for path in self._written:
            path.unlink(missing_ok=True)
        self._written.clear()

    def _advance(self) -> None:
        buffer, dash = self._buffer, self._dash
        while True:
            if self._state == _PREAMBLE:
                found = buffer.find(dash)
                if found < 0:
                    # A preamble is ignored: keep only what may be the start of the first delimiter.
                    del buffer[: max(0, len(buffer) - len(dash) + 1)]
                    return
                del buffer[: found + len(dash)]
                self._state = _AFTER_DELIMITER
            elif self._state == _AFTER_DELIMITER:
                if len(buffer) < 2:
                    return
                if buffer.startswith(b"--"):
                    self._state = _DONE
                    buffer.clear()
                    return
                if not buffer.startswith(b"\r\n"):
                    raise _malformed()
                del buffer[:2]
                self._state = _HEADERS
            elif self._state == _HEADERS:
                if buffer.startswith(b"\r\n"):
                    raise _malformed()  # a part without headers has no name
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEADER_BYTES:
                        raise _malformed(f"a part's headers are longer than {MAX_HEADER_BYTES} bytes")
                    return
                self._open_part(_headers(bytes(buffer[:end])))
                del buffer[: end + 4]
                self._state = _CONTENT
            elif self._state == _CONTENT:
                found = buffer.find(dash)
                if found < 0:
                    # Everything but what may be the start of the next delimiter belongs to the part.
                    safe = len(buffer) - len(dash) + 1
                    if safe > 0:
                        self._write(buffer[:safe])
                        del buffer[:safe]
                    return
                self._write(buffer[:found])
                del buffer[: found + len(dash)]
                self._close_part()
                self._state = _AFTER_DELIMITER
            else:
                return

    def _open_part(self, headers: dict[str, bytes]) -> None:
        disposition = headers.get("content-disposition", b"")
        kind = disposition.split(b";", 1)[0].strip().lower()
        fields = _parameters(disposition[len(kind) :] if kind else b"")
        if kind != b"form-data" or "name" not in fields:
            raise _malformed()
        content_type = headers.get("content-type")
        self._name, self._filename = fields["name"], fields.get("filename")
        self._content_type = content_type.decode("latin-1").strip() if content_type else None
        self._data, self._size, self._counter = bytearray(), 0, LineCounter()
        if self._name in self._to_disk:
            assert self._new_path is not None
            self._path = self._new_path()
            self._written.append(self._path)
            self._sink = self._path.open("wb")

    def _write(self, piece: bytearray) -> None:
        self._size += len(piece)
        if self._sink is not None:
            if self._max_file_bytes is not None and self._size > self._max_file_bytes:
                raise APIError(413, f"File is larger than {self._max_file_bytes} bytes", type_="invalid_request_error")
            if self._on_file_bytes is not None and piece:
                self._on_file_bytes(len(piece))
            self._sink.write(piece)
            self._counter.feed(piece)
            return
        if self._max_field_bytes is not None and self._size > self._max_field_bytes:
            raise APIError(
                413, f"The form field {self._name!r} is larger than {self._max_field_bytes} bytes",
                type_="invalid_request_error",
            )  # fmt: skip
        self._data += piece

    def _close_part(self) -> None:
        earlier = self._parts.get(self._name)
        if earlier is not None and earlier.path is not None:
            earlier.path.unlink(missing_ok=True)  # a name sent twice keeps its last part
            if self._on_file_bytes is not None:
                self._on_file_bytes(-earlier.size)
        if self._sink is not None:
            self._sink.close()
            self._sink = None
            part = Part(b"", self._filename, self._content_type, self._path, self._size, self._counter.lines)
        else:
            part = Part(bytes(self._data), self._filename, self._content_type, size=self._size)
        self._parts[self._name] = part
        self._path, self._data = None, bytearray()


def parse(body: bytes, delimiter: bytes) -> dict[str, Part]:
    """The parts of a multipart body held in memory, by field name (every part in memory, no bound)."""
    reader = FormReader(delimiter, max_field_bytes=None)
    reader.feed(body)
    return reader.finish()


def _headers(block: bytes) -> dict[str, bytes]:
    headers = {}
    for line in block.split(b"\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise APIError(400, "There was an error parsing the body: a multipart header has no colon")
        headers[name.strip().decode("latin-1").lower()] = value.strip()
    return headers
