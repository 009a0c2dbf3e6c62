"""Signed URLs of files: `get_file_signed_url` hands one out, and the server serves it without a key.

Mistral's signed URL points at its storage, not at the API, and works without the key (its own SDK's batch
example downloads a job's output that way). Here the URL points back at this server, on a path outside the
contract (`/_signed/files/{file_id}`), so the API's routing, auth, faults and rate limits never see it. The query
carries the expiry (Unix milliseconds, so that a test's shortened hour still expires on time) and an HMAC-SHA256
of the file id and that expiry, keyed by a secret drawn when the server starts: only this server can make a
valid URL, a URL cannot be stretched to another file or a later expiry, and a restarted server's old URLs stop
working (as a rotated storage key would do). A URL whose signature does not match, or whose expiry has passed,
gets a 403; a valid one for a file deleted or expired since gets a 404.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import urllib.parse

PREFIX = "/_signed/files/"


class URLSigner:
    """Makes and checks the signed URLs of one server."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def _signature(self, file_id: str, expires_ms: int) -> str:
        message = f"{file_id}\n{expires_ms}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, file_id: str, seconds: float) -> str:
        """A URL of the file's content that is valid for `seconds` from now."""
        expires_ms = int((time.time() + seconds) * 1000)
        query = urllib.parse.urlencode({"expires": expires_ms, "signature": self._signature(file_id, expires_ms)})
        return f"{base_url}{PREFIX}{urllib.parse.quote(file_id, safe='')}?{query}"

    def check(self, file_id: str, query: dict[str, str]) -> str | None:
        """None when the URL is genuine and unexpired, else why not (the message of the 403)."""
        expires, signature = query.get("expires", ""), query.get("signature", "")
        if not re.fullmatch(r"[0-9]{1,20}", expires) or not signature:
            return "The URL is not signed: it needs `expires` and `signature`"
        # Compared in constant time, so timing says nothing about how much of a forged signature was right.
        if not hmac.compare_digest(signature.encode(), self._signature(file_id, int(expires)).encode()):
            return "The URL's signature does not match"
        if time.time() * 1000 >= int(expires):
            return "The URL has expired"
        return None
