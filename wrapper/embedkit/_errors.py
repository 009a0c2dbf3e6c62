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
    """An input, option or argument that cannot be used, found before anything was sent.

    `index` names the input (None: not one input); `argument` names the argument or option as the user wrote it
    (None: the texts themselves). It is a `ValueError`, so code that already catches those keeps working.
    """

    def __init__(self, message: str, *, index: int | None = None, argument: str | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.argument = argument


class UnknownOptionError(InputError, TypeError):
    """An option name the client or the service does not have (a typo, or the other service's option).

    Also a `TypeError`, as Python raises for an unexpected keyword argument, so either `except` catches it.
    """


class CostLimitError(EmbeddingError):
    """A job whose estimated cost exceeds the limit it was given, refused before the request that would pass it.

    Rows committed before it stay in the cache, so nothing paid for is lost. `estimate` is the figure that was
    over `limit`, in `currency`.
    """

    def __init__(self, message: str, *, estimate: float, limit: float, currency: str) -> None:
        super().__init__(message)
        self.estimate, self.limit, self.currency = estimate, limit, currency


class UnsupportedError(EmbeddingError, NotImplementedError):
    """The service (as the contract describes it) has no such operation, so nothing was sent."""


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
        code: str | None = None,
        type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.attempts = attempts
        self.body = body
        self.code = code
        self.type = type

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
    """The service answered with an error status.

    `message` is the service's own message; `code` and `type` its machine-readable fields when it sent them
    (`code` always as a string: Mistral sends both `"1300"` and `3001`); `body` the parsed body, key scrubbed.
    """


class AuthenticationError(APIStatusError):
    """401 or 403: the key is missing, wrong, or may not do this."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; retried by default, raised when retries ran out."""


class QuotaExhaustedError(RateLimitError):
    """429 with `x-ratelimit-remaining-tokens-month: 0`: the key's monthly quota is spent; raised at once.

    Not retried: the quota renews in days, not seconds, and no pacing helps. `partial` keeps the rows done.
    """


class RetryAfterTooLongError(RateLimitError):
    """A retryable answer (429, 503) asking to wait longer than `RetryPolicy.max_retry_after`; raised at once.

    `retry_after` is the wait asked for, in seconds. A job would otherwise sleep for hours (or forever) on one
    header; `partial` keeps the rows done, and a rerun (with a cache) sends only the rest. A `RateLimitError`
    whatever the status, so code that handles the service's "not now" in one place catches it.
    """

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidRequestError(APIStatusError):
    """400 or 422: the service refused the request; `details` holds its validation errors, if any."""

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details = details or []


class NotFoundError(APIStatusError):
    """404: no such model or route at this base URL."""


class ModelNotFoundError(InvalidRequestError, NotFoundError):
    """The service does not know the model: Mistral answers 400 "Invalid model" (code 1500), others 404.

    Both an `InvalidRequestError` and a `NotFoundError`, so code written for either status catches it.
    """


class ServerError(APIStatusError):
    """5xx: the service failed; retried by default, raised when retries ran out."""


class APIConnectionError(APIError):
    """The request or its response did not get through (refused, reset, dropped, malformed)."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""


class UnconfirmedCreateError(APIError):
    """A create (an upload, a batch job) whose answer was lost, not found by its marker, and not sent again.

    Sending it again could make, and bill, a second one: the service may still be committing the first. `marker`
    is what the request carried (a file's name, a job's `metadata.embedkit_request`), to look for it later.
    """

    def __init__(self, message: str, *, marker: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.marker = marker


class DeadlineExceededError(EmbeddingError, TimeoutError):
    """The call's `deadline` passed before every batch was embedded; `partial` holds the rows that were.

    Raised instead of waiting longer (for the rate budget, a retry or an answer): a job with a time limit gets
    what it paid for and can resume the rest later (with a cache, a rerun sends only the missing texts). Also a
    `TimeoutError`, so code that already catches those keeps working.
    """


class ClosedError(EmbeddingError, RuntimeError):
    """Used after `close()`: a rate budget (or its back end) whose connection was released.

    Raised rather than reopening what was closed: a reopened connection would leak again what `close()` freed,
    and use after close is a bug in the caller's order of shutdown, better found at once. Also a `RuntimeError`,
    as httpx and sqlite3 raise for their closed clients and connections, so code catching those keeps working.
    """


class CacheError(EmbeddingError):
    """The cache file cannot be used: `path` names it, the message says what is wrong and the way out.

    Raised when the cache is opened (before anything is paid for) wherever the problem shows then: a directory or
    a missing directory, a file that is not SQLite or is cut short, one that cannot be written, one locked.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class CacheCorruptError(CacheError):
    """The cache file is damaged (or is not a cache at all): delete it, or use another, or none."""


class CacheLockedError(CacheError):
    """Another process holds the cache's lock for longer than the wait: wait for it, or use another file."""


class InvalidAPIKeyError(InputError, AuthenticationError):
    """A key that cannot be sent as it is (whitespace or control characters, often from a CRLF `.env` file).

    Found when the client is made, so nothing is sent; the message says what is wrong and where, never the key.
    Also an `AuthenticationError`, as a missing key is.
    """

    def __init__(self, message: str, *, argument: str = "api_key") -> None:
        InputError.__init__(self, message, argument=argument)
        self.message, self.status, self.request_id, self.attempts = message, None, None, 1
        self.body = self.code = self.type = None

    def __str__(self) -> str:
        return self.message


class ResponseValidationError(APIError):
    """The service answered with something that is not what was asked (count, index, dimension, bytes, values).

    Never retried: a service that encodes a vector wrongly once would do it again. `index` is the input (in the
    caller's own numbering) whose vector was wrong, when one was.
    """

    def __init__(self, message: str, *, index: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.index = index


@dataclass(frozen=True)
class LineFailure:
    """One request line the job could not serve: its custom_id, the status (None if unread) and the message."""

    custom_id: str | None
    status: int | None
    message: str


class ResponseTooLargeError(ResponseValidationError):
    """A 200 whose body grew past a multiple of the largest answer the request could get; its reading stopped there.

    `limit` is that bound in bytes. An endless chunked body or a compression bomb would otherwise grow the client
    to gigabytes; no answer to the request can be that large, so it is refused (never retried), not parsed.
    """

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class BatchJobError(APIError):
    """A batch job that did not embed every input: why, which lines failed, and the rows that did finish."""

    def __init__(self, message: str, *, failures: list[LineFailure] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failures = failures or []
