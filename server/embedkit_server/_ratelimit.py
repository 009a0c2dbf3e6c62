"""Rate limits per key, like the real service's: requests per second and tokens per minute, off by default.

Mistral limits each organisation by requests per second and tokens per minute (the free tier: 1 request/s and
500,000 tokens/min, help.mistral.ai); a request over either limit gets a 429 with `Retry-After`. Each limit here is a
token bucket refilled continuously, holding at most one period's worth (a second of requests, a minute of tokens), so
a client that paces itself at the limit is never refused, and one that bursts is refused until the bucket refills.
`Retry-After` says when the refused request would pass.

Every answer on a limited server carries the limit headers api.mistral.ai is reported to send
(mistralai/client-ts#169, 2026-02): `x-ratelimit-limit-req-minute`, `x-ratelimit-remaining-req-minute`,
`x-ratelimit-limit-tokens-minute`, `x-ratelimit-remaining-tokens-minute`, and `x-ratelimit-tokens-query-cost`.
With `request_headers=False` (`--no-request-headers`) the request limit is said by nothing but 429s: no
`x-ratelimit-*-req-*` header and no `retry-after-ms`, only `Retry-After` in whole seconds, as a service that reports
only its token headers (Mistral's documented ones are `-tokens-minute` and `-tokens-month`) limits requests per
second; a client must then learn the rate from its 429s alone.

A monthly token quota (`tokens_per_month`) is emulated too, with the `x-ratelimit-limit-tokens-month` and
`x-ratelimit-remaining-tokens-month` headers Mistral sends: requests pass while any of the month remains (the last
one may overdraw it), then every request is refused with `x-ratelimit-remaining-tokens-month: 0` and a
`Retry-After` of when the quota would have refilled enough (the month's rate: days), as a spent quota is.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """`capacity` units, refilled at `rate` units per second; starts full."""

    rate: float
    capacity: float
    clock: Callable[[], float] = time.monotonic
    level: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.level = self.capacity
        self.updated = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` units are there (0 when they are now); a cost over capacity waits for a full bucket."""
        self._refill()
        missing = min(cost, self.capacity) - self.level
        return max(0.0, missing / self.rate)

    def take(self, cost: float) -> None:
        """Spend `cost` units (the caller checked `wait_for` first)."""
        self._refill()
        self.level -= min(cost, self.capacity)


@dataclass(frozen=True)
class RateLimits:
    """Per-key limits; None means unlimited."""

    requests_per_second: float | None = None
    tokens_per_minute: int | None = None
    tokens_per_month: int | None = None
    # Whether the request limit is told by headers (`x-ratelimit-limit-req-minute`, `retry-after-ms`); False: only
    # by 429s with a whole-second `Retry-After`, the harder case for a client that learns it (see the docstring).
    request_headers: bool = True

    def __post_init__(self) -> None:
        for name in ("requests_per_second", "tokens_per_minute", "tokens_per_month"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    @property
    def enabled(self) -> bool:
        """Whether any limit is set."""
        return any(value is not None for value in (self.requests_per_second, self.tokens_per_minute,
                                                    self.tokens_per_month))  # fmt: skip


MONTH = 30 * 86400.0


class RateLimiter:
    """The buckets of every key; thread-safe. `refused` counts the requests answered 429 for a limit."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._requests: dict[bytes, Bucket] = {}
        self._tokens: dict[bytes, Bucket] = {}
        self._months: dict[bytes, Bucket] = {}
        self._lock = threading.Lock()
        self.refused = 0
        self.tokens_served = 0
        # Per key, when its first and its last request were admitted (monotonic): the span of n admitted requests
        # is n - 1 intervals, the rate a client achieved as the server saw it (`make bench`).
        self._admitted: dict[bytes, tuple[float, float]] = {}

    @property
    def admitted_span(self) -> float:
        """The longest of the keys' spans, from a key's first admitted request to its last (0 before two)."""
        with self._lock:
            return max((last - first for first, last in self._admitted.values()), default=0.0)

    def _buckets(self, key: bytes) -> tuple[Bucket | None, Bucket | None]:
        rps, tpm = self.limits.requests_per_second, self.limits.tokens_per_minute
        requests = tokens = None
        if rps is not None:
            requests = self._requests.setdefault(key, Bucket(rps, max(1.0, rps), self._clock))
        if tpm is not None:
            tokens = self._tokens.setdefault(key, Bucket(tpm / 60, float(tpm), self._clock))
        return requests, tokens

    def _month(self, key: bytes) -> Bucket | None:
        month = self.limits.tokens_per_month
        if month is None:
            return None
        return self._months.setdefault(key, Bucket(month / MONTH, float(month), self._clock))

    def count(self, tokens: int) -> None:
        """Count `tokens` served without limits (none are set): the stats report what was served either way."""
        with self._lock:
            self.tokens_served += tokens

    def admit(self, key: bytes, tokens: int) -> float:
        """Spend one request and `tokens` tokens of `key`'s budget and return 0, or return the seconds to wait."""
        with self._lock:
            requests, token_bucket = self._buckets(key)
            wait = max(
                requests.wait_for(1) if requests else 0.0, token_bucket.wait_for(tokens) if token_bucket else 0.0
            )
            month = self._month(key)
            if month is not None:
                month.wait_for(0)  # refills
                if month.level <= 0:  # spent: refused until the month's rate has brought back this request
                    wait = max(wait, (min(tokens, month.capacity) - month.level) / month.rate)
            if wait > 0:
                self.refused += 1
                return wait
            if requests:
                requests.take(1)
            if token_bucket:
                token_bucket.take(tokens)
            if month is not None:
                month.level -= tokens  # the last request may overdraw what remains
            self.tokens_served += tokens
            now = self._clock()
            self._admitted[key] = (self._admitted.get(key, (now, now))[0], now)
            return 0.0

    def headers(self, key: bytes, cost: int) -> dict[str, str]:
        """The rate-limit headers of an answer to `key` for a request of `cost` tokens."""
        with self._lock:
            requests, tokens = self._buckets(key)
            found: dict[str, str] = {}
            if requests is not None and self.limits.request_headers:
                requests.wait_for(0)  # refills, so `level` is current
                found["x-ratelimit-limit-req-minute"] = str(round(requests.rate * 60))
                found["x-ratelimit-remaining-req-minute"] = str(max(0, math.floor(requests.level)))
            if tokens is not None:
                tokens.wait_for(0)
                found["x-ratelimit-limit-tokens-minute"] = str(round(tokens.capacity))
                found["x-ratelimit-remaining-tokens-minute"] = str(max(0, math.floor(tokens.level)))
                found["x-ratelimit-tokens-query-cost"] = str(cost)
            month = self._month(key)
            if month is not None:
                month.wait_for(0)
                found["x-ratelimit-limit-tokens-month"] = str(round(month.capacity))
                found["x-ratelimit-remaining-tokens-month"] = str(max(0, math.floor(month.level)))
            return found
