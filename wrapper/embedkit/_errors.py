"""Typed errors: what went wrong, where, after how many attempts, and what was already embedded.

Every error a call can raise derives from `EmbeddingError`. Errors from the service carry its status, message
and request id; when a call made of several batches fails, the error carries the rows that did finish
(`partial`), so nothing already paid for is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ._result import Usage


@dataclass(frozen=True)
class PartialResult:
    """The rows a failed call did embed: `vectors[i]` is meaningful where `completed[i]` is true."""

    vectors: np.ndarray[Any, Any] | None
    completed: np.ndarray[Any, np.dtype[np.bool_]]
    usage: Usage

    @property
    def completed_indices(self) -> list[int]:
        """Indices of the inputs that were embedded."""
        return [int(i) for i in self.completed.nonzero()[0]]


class EmbeddingError(Exception):
    """Base of every error raised by embedkit."""

    partial: PartialResult | None = None


class InputError(EmbeddingError, ValueError):
    """An input that cannot be sent, found before anything was sent; `index` names it (None: the whole call)."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class InputTooLongError(InputError):
    """One input alone exceeds the per-input token limit (and truncation was not asked for)."""


class InsecureTransportError(EmbeddingError):
    """Refused to send a key over plain HTTP to a host other than this machine."""


class APIError(EmbeddingError):
    """The service, or the way to it, failed; `attempts` is how many times the request was sent."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.attempts = attempts
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.insert(0, f"HTTP {self.status}:")
        if self.request_id:
            parts.append(f"(request id {self.request_id})")
        if self.attempts > 1:
            parts.append(f"[after {self.attempts} attempts]")
        return " ".join(parts)


class APIStatusError(APIError):
    """The service answered with an error status."""


class AuthenticationError(APIStatusError):
    """401 or 403: the key is missing, wrong, or may not do this."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; retried by default, raised when retries ran out."""


class InvalidRequestError(APIStatusError):
    """400 or 422: the service refused the request; `details` holds its validation errors, if any."""

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details = details or []


class NotFoundError(APIStatusError):
    """404: no such model or route at this base URL."""


class ServerError(APIStatusError):
    """5xx: the service failed; retried by default, raised when retries ran out."""


class APIConnectionError(APIError):
    """The request or its response did not get through (refused, reset, dropped, malformed)."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""


class ResponseValidationError(APIError):
    """The service answered 200 with something that is not what was asked (count, index, dimension, bytes)."""
