"""Reading a `multipart/form-data` body (RFC 7578), for file uploads; no dependency beyond the standard library.

The body is held in memory (it is bounded by the server's upload limit before it is read). Each part must have a
`Content-Disposition: form-data` header with a `name`; a part's `filename`, when sent, is kept. A body that is not
a well-formed multipart message is a 400 (FastAPI's answer: "There was an error parsing the body"); a request
whose content type is not multipart is left to the caller, which reports the missing fields as a 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import APIError

# A parameter of a header: name=token or name="quoted \"string\"".
_PARAMETER = re.compile(rb';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')


@dataclass(frozen=True)
class Part:
    """One field of the form: its bytes, and the file name it was sent with (None for a plain field)."""

    data: bytes
    filename: str | None
    content_type: str | None


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


def parse(body: bytes, delimiter: bytes) -> dict[str, Part]:
    """The parts of a multipart body, by field name (a name sent twice keeps its last part, as FastAPI does)."""
    error = APIError(400, "There was an error parsing the body: not a well-formed multipart/form-data message")
    dash = b"--" + delimiter
    # The first delimiter may follow a preamble; every later one starts a line.
    if body.startswith(dash):
        position = len(dash)
    else:
        start = body.find(b"\r\n" + dash)
        if start < 0:
            raise error
        position = start + 2 + len(dash)
    parts: dict[str, Part] = {}
    while True:
        if body.startswith(b"--", position):
            return parts  # the closing delimiter; an epilogue after it is ignored
        if not body.startswith(b"\r\n", position):
            raise error
        headers_end = body.find(b"\r\n\r\n", position + 2)
        if headers_end < 0:
            raise error
        headers = _headers(body[position + 2 : headers_end])
        content_start = headers_end + 4
        content_end = body.find(b"\r\n" + dash, content_start)
        if content_end < 0:
            raise error
        disposition = headers.get("content-disposition", b"")
        kind = disposition.split(b";", 1)[0].strip().lower()
        fields = _parameters(disposition[len(kind) :] if kind else b"")
        if kind != b"form-data" or "name" not in fields:
            raise error
        content_type = headers.get("content-type")
        parts[fields["name"]] = Part(
            body[content_start:content_end],
            fields.get("filename"),
            content_type.decode("latin-1").strip() if content_type else None,
        )
        position = content_end + 2 + len(dash)


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
