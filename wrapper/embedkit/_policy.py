"""The one place the answer policy lives: what an answer means, whether to retry, split or fail, and how long to wait.

Applied to every request by `_transport.py`, whose drivers only send and sleep. Retried: 408, 409, 429 and 5xx answers,
connection failures, timeouts, and 200 answers whose body is damaged (a dropped or truncated response).
Never retried: any other 4xx, which would only fail again, and a well-formed answer that encodes wrong
vectors (`ResponseValidationError`). Split and resent: a batch the service finds too large (413; 400 with
Mistral's code 3210 or OpenAI's `context_length_exceeded`; or their wordings). Waits grow exponentially with
full jitter; a valid `retry-after-ms` or `Retry-After` header is honoured instead, and the total time spent waiting
is capped, so a call always ends.

A 429 is the service answering "not now", not failing: it is retried whatever `max_retries` and `max_total_wait`
say (neither counts it; but `max_retries=0` still sends each request once), for up to `max_rate_limited_wait` of
429 waits per request (a key refused for ten minutes on end is not being paced: it is refused), while the shared
rate budget learns the pace the service allows (`_ratebudget.py`), so a job under any rate limit finishes. Only
failures of the service to answer (timeouts, dropped connections, 5xx) spend the retries, and the error then names
the settings that bound them. Two 429s are not waited for at all: one whose
`x-ratelimit-remaining-tokens-month` is 0 (`QuotaExhaustedError`: the quota renews in days) and one whose wait
exceeds `max_retry_after` (`RetryAfterTooLongError`, naming the wait; 60 s by default, as openai-python treats
longer waits as not retryable); a wait that long from a 5xx ends the request the same way. Such a 429 pauses the
others sharing the key's rate budget only a second, and teaches it no rate (see `_ratebudget.py`: "A wait beyond
the bound").

Error bodies are read in every shape the services are reported to send (third-party reports, each kept with its
public source and date in the repository's `tests/fixtures/reported/`): Mistral's `{object, message, type, param,
code}` (message a string, a list, or `{"detail": [...]}`), FastAPI's `{"detail": "..."}` and `{"detail": [...]}`,
`{"message", "request_id"}`, OpenAI-compatible `{"error": {...}}` passed through by cortecs, and non-JSON bodies
from proxies.
"""

from __future__ import annotations

import email.utils
import html
import math
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx

from ._concurrency import Signal
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InputError,
    InvalidRequestError,
    ModelNotFoundError,
    NotFoundError,
    QuotaExhaustedError,
    RateLimitError,
    RetryAfterTooLongError,
    ServerError,
)
from ._security import APIKey

RETRYABLE_STATUSES = frozenset({408, 409, 429})
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# The most of a service's own text kept in a message (after the key is scrubbed, never before).
MESSAGE_LIMIT = 500

# A batch the service found too large after all: by status, by code, or by wording (any case).
SPLIT_STATUSES = frozenset({413})
SPLIT_CODES = frozenset({"3210", "context_length_exceeded"})
SPLIT_WORDING = re.compile(
    r"too many tokens|too many inputs|split into more batches|maximum context length", re.IGNORECASE
)
# An unknown model: Mistral's 400 "Invalid model: x" with code 1500 (reported, unverified) or type
# invalid_model; OpenAI-style model_not_found; or a 404 whose message names a model.
MODEL_CODES = frozenset({"1500", "model_not_found", "invalid_model"})
MODEL_WORDING = re.compile(r"invalid model|unknown model|model .*not (be )?found|no such model", re.IGNORECASE)

STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    413: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def is_retryable_status(status: int) -> bool:
    """Whether an error status may succeed if sent again."""
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `max_retries=0` sends each request once.

    `max_delay` caps the policy's own backoff; `max_retry_after` bounds a wait the service asks for: a longer one
    ends the request at once with `RetryAfterTooLongError` (a header of hours would otherwise stall a job);
    `max_total_wait` caps all the waits of one request together. 429s count against neither `max_retries` nor
    `max_total_wait` (see the module's docstring); `max_rate_limited_wait` bounds their waits instead, and
    `max_retries=0` sends every request once, 429 or not.
    """

    max_retries: int = 5
    initial_delay: float = 0.5
    max_delay: float = 20.0
    max_total_wait: float = 120.0
    max_retry_after: float = 60.0
    # How long to look for what a create whose answer was lost may have made (see _transport.py): longer than the
    # service takes to commit an upload or a job.
    confirm_window: float = 30.0
    max_rate_limited_wait: float = 600.0
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise InputError(
                f"max_retries must be a whole number of at least 0, got {self.max_retries!r}", argument="max_retries"
            )
        for name in ("initial_delay", "max_delay", "max_total_wait", "max_retry_after", "confirm_window",
                     "max_rate_limited_wait"):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise InputError(f"{name} must be a finite number of seconds, at least 0, got {value!r}", argument=name)

    def delay(self, retry: int, asked: float | None) -> float:
        """Seconds to wait before retry number `retry` (1-based): what the service asked, else jittered backoff."""
        if asked is not None:
            return min(asked, self.max_retry_after)  # a longer wait never gets here (see `next_wait`)
        ceiling = min(self.max_delay, self.initial_delay * 2 ** (retry - 1))
        return self._random.uniform(0, ceiling)


@dataclass
class Attempts:
    """One request's retry bookkeeping: how many attempts so far, and how long it has waited."""

    policy: RetryPolicy
    count: int = 0
    waited: float = 0.0
    # Attempts answered 429: retried, but not counted against `max_retries` nor their waits against
    # `max_total_wait` (the service is answering; the rate budget paces the next ones).
    rate_limited: int = 0
    rate_limited_waited: float = 0.0

    def next_wait(self, asked: float | None, *, rate_limited: bool = False) -> float | None:
        """The wait before the next attempt, or None when retries or the wait budget are spent."""
        if rate_limited and self.policy.max_retries > 0:
            wait = self.policy.delay(self.rate_limited + 1, asked)
            if self.rate_limited_waited + wait > self.policy.max_rate_limited_wait:
                return None
            self.rate_limited += 1
            self.rate_limited_waited += wait
            return wait
        if self.count - self.rate_limited > self.policy.max_retries:
            return None
        wait = self.policy.delay(self.count - self.rate_limited, asked)
        if self.waited + wait > self.policy.max_total_wait:
            return None
        self.waited += wait
        return wait


def _seconds(value: str | None, scale: float = 1.0) -> float | None:
    """A header's number of seconds; None for anything negative, not finite, or not a number (treated as absent)."""
    if not value:
        return None
    try:
        seconds = float(value) / scale
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the service asked to wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date).

    A value that is negative, not finite or unreadable counts as absent (the policy's own backoff applies),
    never as "retry at once"; a huge one is clamped by `RetryPolicy.delay`.
    """
    asked = _seconds(headers.get("retry-after-ms"), 1000)
    if asked is not None:
        return asked
    value = headers.get("retry-after")
    asked = _seconds(value)
    if asked is not None or not value:
        return asked
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class Step(Enum):
    """What a client does after an answer."""

    DONE = "done"
    SPLIT = "split"
    RETRY = "retry"
    FAIL = "fail"
    # A create whose request may have reached the service but whose answer was lost: confirmed by looking, never
    # by sending again (see _transport.py).
    LOST = "lost"


@dataclass
class Outcome:
    """An answer's meaning: `step`; the error (raised when no retry is left), and the wait the service asked.

    `uncertain`: no answer came, and the request may have reached the service (it is not known whether it acted);
    `found`: what a lost create turned out to have made, found by looking.
    """

    step: Step
    error: APIError | None = None
    asked_wait: float | None = None
    uncertain: bool = False
    found: Any = None


# Failures before a byte of the request left: sending again cannot act twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def after_exception(error: httpx.HTTPError) -> Outcome:
    """A request that got no answer: always worth another attempt (for a create, after looking for it first)."""
    uncertain = not isinstance(error, NOT_SENT)
    if isinstance(error, httpx.TimeoutException):
        return Outcome(Step.RETRY, APITimeoutError(f"no answer in time ({type(error).__name__})"), uncertain=uncertain)
    return Outcome(Step.RETRY, APIConnectionError(f"{type(error).__name__}: {error}"), uncertain=uncertain)


def after_error_status(response: httpx.Response, key: APIKey) -> Outcome:
    """An answer with an error status: split the batch, retry after a wait, or fail."""
    error = status_error(response, key)
    if isinstance(error, QuotaExhaustedError):
        return Outcome(Step.FAIL, error)
    if isinstance(error, InvalidRequestError) and is_too_large(error):
        return Outcome(Step.SPLIT, error)
    if is_retryable_status(response.status_code):
        return Outcome(Step.RETRY, error, retry_after(response.headers))
    return Outcome(Step.FAIL, error)


def is_too_large(error: APIStatusError) -> bool:
    """Whether the service refused a batch for its size (so halves of it may pass)."""
    return (
        error.status in SPLIT_STATUSES
        or (error.code is not None and error.code in SPLIT_CODES)
        or bool(SPLIT_WORDING.search(error.message))
    )


def load_signal(outcome: Outcome | None) -> Signal:
    """What a request's end tells the concurrency limit (see `_concurrency.py`).

    An answer's latency is a sample; a 429, a 503 or a timeout means too much in flight; anything else (a
    refusal, a dropped connection, an exception while reading the answer) says nothing about load.
    """
    if outcome is None:
        return Signal.OTHER
    if outcome.step is Step.DONE and outcome.error is None:
        return Signal.SUCCESS
    error = outcome.error
    if isinstance(error, RateLimitError | APITimeoutError) or (isinstance(error, ServerError) and error.status == 503):
        return Signal.OVERLOAD
    return Signal.OTHER


def next_wait(outcome: Outcome, attempts: Attempts) -> float:
    """Seconds to wait before retrying, or the outcome's error (with the attempt count) when retries are spent.

    A wait asked beyond `max_retry_after` is `RetryAfterTooLongError` at once; retries spent on a service that
    does not answer name the settings that bound them.
    """
    error = outcome.error
    assert error is not None
    policy = attempts.policy
    asked = outcome.asked_wait
    if outcome.step is not Step.FAIL and asked is not None and asked > policy.max_retry_after:
        too_long = retry_after_too_long(error, asked, policy.max_retry_after)
        too_long.attempts = attempts.count
        raise too_long
    rate_limited = isinstance(error, RateLimitError)
    wait = None if outcome.step is Step.FAIL else attempts.next_wait(asked, rate_limited=rate_limited)
    if wait is None:
        error.attempts = attempts.count
        if outcome.step is not Step.FAIL and rate_limited and policy.max_retries > 0:
            error.add_note(
                f"the service answered 429 for {attempts.rate_limited_waited:.0f} s of waits: "
                f"RetryPolicy(max_rate_limited_wait={policy.max_rate_limited_wait:g}) bounds them; raise it, or "
                "give the key's limits (requests_per_second=, tokens_per_minute=) to pace below them"
            )
        elif outcome.step is not Step.FAIL:
            error.add_note(
                f"gave up after {attempts.count - attempts.rate_limited} attempts without a usable answer and "
                f"{attempts.waited:.1f} s of waits: RetryPolicy(max_retries={policy.max_retries}, "
                f"max_total_wait={policy.max_total_wait:g}) bounds them (Embedder(retry=RetryPolicy(...)), "
                "max_retries=, or --max-retries); raise them to wait longer for the service"
            )
        raise error
    return wait


def retry_after_too_long(error: APIError, asked: float, bound: float) -> RetryAfterTooLongError:
    """The error for an answer asking to wait `asked` seconds, beyond the policy's `bound`."""
    fields: dict[str, Any] = {}
    if isinstance(error, APIStatusError):
        fields = {"status": error.status, "request_id": error.request_id, "body": error.body, "code": error.code,
                  "type": error.type}  # fmt: skip
    return RetryAfterTooLongError(
        f"{error.message}: the service asks to wait {_duration(asked)} before retrying, longer than "
        f"RetryPolicy(max_retry_after={bound:g}) allows; try again later, or raise max_retry_after to wait",
        retry_after=asked,
        **fields,
    )


def _duration(seconds: float) -> str:
    """A wait as people read it: seconds, and hours or days when long."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 86400:
        return f"{seconds:.0f} s ({seconds / 3600:.1f} h)"
    return f"{seconds:.0f} s ({seconds / 86400:.0f} days)"


# --- reading error bodies ------------------------------------------------------------------------------------------


def scrub_value(value: Any, key: APIKey) -> Any:
    """A JSON value with the key masked in every string (keys of objects too): the body an error keeps."""
    if isinstance(value, str):
        return key.scrub(value)
    if isinstance(value, list):
        return [scrub_value(item, key) for item in value]
    if isinstance(value, dict):
        return {scrub_value(k, key): scrub_value(v, key) for k, v in value.items()}
    return value


def short(text: str, key: APIKey, limit: int = MESSAGE_LIMIT) -> str:
    """`text` scrubbed of the key, THEN cut (cutting first could leave a key that straddles the cut)."""
    text = key.scrub(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _validation_items(detail: Any) -> list[dict[str, Any]] | None:
    """FastAPI-style `[{loc, msg, type, ...}]` items, or None when `detail` is not that."""
    if isinstance(detail, list) and detail and all(isinstance(item, dict) for item in detail):
        return list(detail)
    return None


def _describe(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items:
        loc = item.get("loc")
        where = ".".join(map(str, loc)) if isinstance(loc, list) else ""
        message = str(item.get("msg", item.get("message", "")))
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(part for part in parts if part)


@dataclass
class ErrorBody:
    """What an error body says, whatever its shape."""

    message: str | None = None
    details: list[dict[str, Any]] = field(default_factory=list)
    code: str | None = None
    type: str | None = None
    request_id: str | None = None


def read_error_body(body: Any) -> ErrorBody:
    """The message, validation details, code, type and request id of an error body, in any reported shape."""
    read = ErrorBody()
    if not isinstance(body, dict):
        if isinstance(body, str) and body:
            read.message = body
        return read
    if isinstance(body.get("error"), dict):  # OpenAI-compatible: {"error": {message, type, param, code}}
        inner = read_error_body(body["error"])
        inner.request_id = inner.request_id or _text(body.get("request_id"))
        return inner
    message, detail = body.get("message"), body.get("detail")
    if isinstance(message, dict):  # older Mistral 422: {"message": {"detail": [...]}}
        detail = message.get("detail", detail)
        message = None
    for candidate in (detail, message):
        items = _validation_items(candidate)
        if items is not None and not read.details:
            read.details = items
    if isinstance(message, str) and message:
        read.message = message
    elif isinstance(message, list) and message and read.details == []:
        read.message = "; ".join(map(str, message))
    if read.details:
        read.message = _describe(read.details) or read.message
    elif read.message is None and isinstance(detail, str) and detail:
        read.message = detail
    if read.message is None and isinstance(body.get("error"), str):
        read.message = body["error"]
    code = body.get("code")
    if isinstance(code, str | int) and not isinstance(code, bool):
        read.code = str(code)
    read.type = _text(body.get("type"))
    read.request_id = _text(body.get("request_id"))
    return read


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
TAGS = re.compile(r"<[^>]+>")


def _plain_text_message(response: httpx.Response) -> str | None:
    """A short message from a body that is not JSON: an HTML page's title, or the text itself."""
    text = response.text.strip()
    if not text:
        return None
    if text.startswith("<") or "html" in response.headers.get("content-type", ""):
        title = TITLE.search(text)
        text = title.group(1) if title else TAGS.sub(" ", text)
        text = html.unescape(text)
    return " ".join(text.split()) or None


def status_error(response: httpx.Response, key: APIKey) -> APIStatusError:
    """The typed error for an error status, carrying the service's message, details, code, type and request id."""
    status = response.status_code
    body: Any = None
    try:
        body = response.json()
    except (ValueError, RecursionError):
        read = ErrorBody(message=_plain_text_message(response))
    else:
        read = read_error_body(body)
    message = short(read.message or response.reason_phrase or f"HTTP {status}", key)
    if 300 <= status < 400:
        # httpx follows no redirect here: the key is never sent where the caller did not point it.
        target = response.headers.get("location")
        moved = f" to {short(target, key, 200)}" if target else ""
        message = (
            f"{message}: the service redirected{moved}, which is not followed (the key goes only to the base URL "
            "given); if the service has moved, set base_url to where it now is"
        )
    kind = STATUS_ERRORS.get(status, ServerError if status >= 500 else APIStatusError)
    unknown_model = (read.code in MODEL_CODES or read.type in MODEL_CODES) or (
        status in (400, 404) and bool(MODEL_WORDING.search(message))
    )
    if unknown_model and status in (400, 404, 422):
        kind = ModelNotFoundError
    request_id = response.headers.get("x-request-id") or read.request_id
    fields: dict[str, Any] = {
        "status": status,
        "request_id": request_id and short(request_id, key, 200),
        "body": scrub_value(body, key),
        "code": read.code and short(read.code, key, 200),
        "type": read.type and short(read.type, key, 200),
    }
    if issubclass(kind, InvalidRequestError):
        return kind(message, details=scrub_value(read.details, key), **fields)
    if status == 429 and response.headers.get("x-ratelimit-remaining-tokens-month", "").strip() == "0":
        limit = response.headers.get("x-ratelimit-limit-tokens-month")
        of = f" of {short(limit, key, 40)} tokens" if limit else ""
        return QuotaExhaustedError(
            f"{message}: the key's monthly quota{of} is spent (x-ratelimit-remaining-tokens-month: 0); not retried, "
            "as it renews in days: raise the quota with the service, or use another key",
            **fields,
        )
    return kind(message, **fields)
