"""The one place retry and timeout policy lives, shared by the sync and async clients.

Retried: 408, 409, 429 and 5xx answers, connection failures, timeouts, and 200 answers whose body is damaged
(a dropped or truncated response). Never retried: any other 4xx, which would only fail again. Waits grow
exponentially with full jitter; a `retry-after-ms` or `Retry-After` header from the service is honoured
instead when present; and the total time spent waiting is capped, so a call always ends.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

RETRYABLE_STATUSES = frozenset({408, 409, 429})
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def is_retryable_status(status: int) -> bool:
    """Whether an error status may succeed if sent again."""
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the service asked to wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `max_retries=0` sends each request once."""

    max_retries: int = 5
    initial_delay: float = 0.5
    max_delay: float = 20.0
    max_total_wait: float = 120.0
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be at least 0, got {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_total_wait < 0:
            raise ValueError("retry delays must not be negative")

    def delay(self, retry: int, asked: float | None) -> float:
        """Seconds to wait before retry number `retry` (1-based): what the service asked, else jittered backoff."""
        if asked is not None:
            return asked
        ceiling = min(self.max_delay, self.initial_delay * 2 ** (retry - 1))
        return self._random.uniform(0, ceiling)


@dataclass
class Attempts:
    """One request's retry bookkeeping: how many attempts so far, and how long it has waited."""

    policy: RetryPolicy
    count: int = 0
    waited: float = 0.0

    def next_wait(self, asked: float | None) -> float | None:
        """The wait before the next attempt, or None when retries or the wait budget are spent."""
        if self.count > self.policy.max_retries:
            return None
        wait = self.policy.delay(self.count, asked)
        if self.waited + wait > self.policy.max_total_wait:
            return None
        self.waited += wait
        return wait
