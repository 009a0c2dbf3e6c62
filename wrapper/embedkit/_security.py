r"""Keeping the API key out of sight: a value that never prints itself, and no plain HTTP off this machine.

A key is checked when it is wrapped: whitespace or a control character (a CRLF `.env` file leaves a trailing
`\r`) would otherwise reach httpx's header check, whose error quotes the whole header, key included, into
exception messages, tracebacks, logs and the CLI's stderr. And whatever a service sends back is scrubbed of the
key in every form it could take in text: raw, percent-encoded (any case, once or twice) and base64 (standard or
URL-safe, at any alignment), since a service echoing a request back may encode it. Records logged under the
`embedkit` logger are scrubbed of every live key too.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import ipaddress
import logging
import re
import traceback
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from ._errors import EmbeddingError, InsecureTransportError, InvalidAPIKeyError

P = ParamSpec("P")
R = TypeVar("R")

# Characters a key may hold: printable ASCII, no space (RFC 7230 allows nothing else in a header value's token).
_PRINTABLE = frozenset(chr(code) for code in range(0x21, 0x7F))
# A base64 run shorter than this is not scrubbed (a short key's encodings would match ordinary text).
_SHORTEST_ENCODED = 8
_CHARACTER_NAMES = {
    "\r": "a carriage return (\\r)",
    "\n": "a line feed (\\n)",
    " ": "a space",
    "\t": "a tab",
    "\x00": "a NUL",
}


def _describe(character: str) -> str:
    return _CHARACTER_NAMES.get(character, f"the character U+{ord(character):04X}")


def check_key(value: str, source: str) -> None:
    """Refuse a key that cannot be sent as it is, saying what is wrong and where, never the key itself."""
    for index, character in enumerate(value):
        if character not in _PRINTABLE:
            where = (
                "at its end" if index == len(value) - 1 else "at its start" if index == 0 else f"at position {index}"
            )
            hint = (
                " (a file saved with Windows line endings leaves one: strip the key, e.g. `.strip()`, or save the "
                "file with LF endings)"
                if character in "\r\n " and index in (0, len(value) - 1)
                else ""
            )
            raise InvalidAPIKeyError(
                f"the API key ({source}) holds {_describe(character)} {where}, which no key has and no header can "
                f"carry{hint}; it is {len(value)} characters long",
                argument="api_key",
            )


def _forms(value: str) -> re.Pattern[str] | None:
    """One pattern matching `value` raw, percent-encoded (any mix, any case, once or twice), or in base64."""
    if not value:
        return None
    hex_case = {
        digit: f"[{digit.lower()}{digit.upper()}]" if digit.isalpha() else digit for digit in "0123456789ABCDEF"
    }
    pieces = []
    for character in value:
        encoded = "".join(
            f"%(?:25)?{hex_case[digits[0]]}{hex_case[digits[1]]}" for digits in (f"{b:02X}" for b in character.encode())
        )
        pieces.append(f"(?:{re.escape(character)}|{encoded})")
    alternatives = ["".join(pieces)]
    raw = value.encode()
    for offset in range(3):
        # The characters that encode key bytes only, at this alignment in a longer base64 text.
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        core = encoded[4 if offset else 0 : ((offset + len(raw)) // 3) * 4]
        if len(core) >= _SHORTEST_ENCODED:
            alternatives.append(re.escape(core))
            urlsafe = core.replace("+", "-").replace("/", "_")
            if urlsafe != core:
                alternatives.append(re.escape(urlsafe))
    return re.compile("|".join(alternatives))


_LIVE: weakref.WeakSet[APIKey] = weakref.WeakSet()


class APIKey:
    """An API key whose repr and str are masked, so it cannot reach a log line, a traceback or a report by accident.

    `source` names where it came from (`api_key`, `$MISTRAL_API_KEY`) in the error a malformed key raises.
    """

    __slots__ = ("__weakref__", "_pattern", "_value")

    def __init__(self, value: str, *, source: str = "api_key") -> None:
        check_key(value, source)
        self._value = value
        self._pattern = _forms(value)
        _LIVE.add(self)

    def reveal(self) -> str:
        """The key itself, for the Authorization header and nothing else."""
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with any occurrence of the key masked, raw, percent-encoded or base64 (a server could echo it)."""
        if self._pattern is None or not isinstance(text, str):
            return text
        return self._pattern.sub("***", text)

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


def wrap(value: str, source: str = "api_key") -> APIKey:
    """`value` as an `APIKey`; a malformed one raises with no frame of embedkit's holding the bare key.

    The frames the error passed through (this one's and the check's) have their locals cleared, so a traceback
    recorder (`capture_locals=True`, Sentry, `pytest -l`) finds no key in them.
    """
    try:
        return APIKey(value, source=source)
    except InvalidAPIKeyError as error:
        del value
        traceback.clear_frames(error.__traceback__)
        raise


def clear_unprintable(trace: TracebackType | None) -> None:
    """Clear the locals of every finished frame of `trace` holding a value whose repr raises.

    Python 3.11's `TracebackException(capture_locals=True)` reprs every local and fails on the first that cannot
    be printed (a `UUID` made without `int`, passed in by a caller): the frames embedkit's error passed through
    keep such an argument. Their lines stay in the traceback; only their locals go.
    """
    while trace is not None:
        frame = trace.tb_frame
        try:
            for value in frame.f_locals.values():
                repr(value)
        except Exception:  # whatever a repr raises, the frame is cleared
            with contextlib.suppress(RuntimeError):  # a frame still running keeps its locals
                frame.clear()
        trace = trace.tb_next


def printable_frames(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap a public method taking caller objects: its errors leave no unprintable local behind (see above)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except EmbeddingError as error:
            del args, kwargs
            clear_unprintable(error.__traceback__)
            raise

    return wrapper


Data = TypeVar("Data")


def scrub_strings(value: Data, key: APIKey) -> Data:
    """A frozen dataclass with the key masked in its text fields (strings, and tuples of strings)."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for item in dataclasses.fields(value):
        current = getattr(value, item.name)
        if isinstance(current, str):
            scrubbed: Any = key.scrub(current)
        elif isinstance(current, tuple) and all(isinstance(part, str) for part in current):
            scrubbed = tuple(key.scrub(part) for part in current)
        else:
            continue
        if scrubbed != current:
            changes[item.name] = scrubbed
    return dataclasses.replace(value, **changes) if changes else value


def scrub_all(text: str) -> str:
    """`text` scrubbed of every key this process holds (for log records, which know no client)."""
    for key in list(_LIVE):
        text = key.scrub(text)
    return text


class ScrubKeys(logging.Filter):
    """A filter that masks every live key in a record's message (its arguments formatted first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _LIVE:
            message = record.getMessage()
            scrubbed = scrub_all(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        return True


def install_log_filter() -> None:
    """Scrub records of the `embedkit` logger (once per process)."""
    logger = logging.getLogger("embedkit")
    if not any(isinstance(existing, ScrubKeys) for existing in logger.filters):
        logger.addFilter(ScrubKeys())


install_log_filter()
