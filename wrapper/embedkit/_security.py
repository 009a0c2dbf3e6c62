"""Keeping the API key out of sight: a value that never prints itself, and no plain HTTP off this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ._errors import InsecureTransportError


class APIKey:
    """An API key whose repr and str are masked, so it cannot reach a log line, a traceback or a report by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The key itself, for the Authorization header and nothing else."""
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with any occurrence of the key masked (a server could echo it back)."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "APIKey('***')"

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("an APIKey is not pickled, so it cannot be written anywhere by accident")


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(base_url: str, *, allow_insecure_http: bool) -> None:
    """Refuse plain http:// to another machine: the key would cross the network in clear text."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"base_url must start with https:// or http://, got {parts.scheme or 'no scheme'}://")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname or ""):
        raise InsecureTransportError(
            f"refusing to send an API key over plain http:// to {parts.hostname}; use https://, "
            "or pass allow_insecure_http=True if this network is trusted"
        )
