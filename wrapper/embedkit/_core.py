"""What the sync and async clients share: settings, one call's state, and what to do after each answer.

Nothing here sends or sleeps: the clients do that, each in its own way, and ask `next_step` what an answer
means (done, split the batch, retry after a wait, or fail), so the policy exists once.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx
import numpy as np
from generated_client.models import ErrorResponse, HTTPValidationError

from ._batching import Batch, BatchLimits, check_texts, fit, plan
from ._cache import EmbeddingCache, text_key
from ._decode import VALUE_DTYPES, DecodedBatch, OutputMatrix, decode_into, expected_width
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    EmbeddingError,
    InputError,
    InputTooLongError,
    InvalidRequestError,
    NotFoundError,
    PartialResult,
    RateLimitError,
    ServerError,
)
from ._progress import Progress
from ._result import EmbeddingResult, Usage
from ._retry import DEFAULT_TIMEOUT, Attempts, RetryPolicy, is_retryable_status, retry_after
from ._security import APIKey, check_transport
from ._services import SERVICES, Options, Service
from ._similarity import normalize

logger = logging.getLogger("embedkit")

# How the real service (and the reference server) says a batch was too large after all.
TOO_LARGE = re.compile(r"too many (tokens|inputs)", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """Everything fixed when a client is made; resolved from arguments, then the environment, then defaults."""

    service: Service
    base_url: str
    key: APIKey
    options: Options
    limits: BatchLimits
    retry: RetryPolicy
    max_concurrency: int
    timeout: httpx.Timeout
    progress: bool | None
    cache: EmbeddingCache | None = None

    @classmethod
    def resolve(
        cls,
        service: str,
        *,
        api_key: str | None,
        base_url: str | None,
        allow_insecure_http: bool,
        max_concurrency: int,
        max_retries: int,
        retry: RetryPolicy | None,
        timeout: float | httpx.Timeout | None,
        batch_size: int,
        max_batch_tokens: int,
        max_input_tokens: int,
        progress: bool | None,
        options: dict[str, Any],
        cache: EmbeddingCache | None = None,
    ) -> Settings:
        """Settings from a client's arguments; raises on anything unusable, before any request."""
        if service not in SERVICES:
            raise ValueError(f"service must be one of {sorted(SERVICES)}, got {service!r}")
        definition = SERVICES[service]
        key = api_key if api_key is not None else os.environ.get(definition.key_variable)
        if not key:
            raise AuthenticationError(f"no API key: pass api_key=... or set {definition.key_variable}")
        url = (base_url or os.environ.get(definition.base_url_variable) or definition.default_base_url).rstrip("/")
        check_transport(url, allow_insecure_http=allow_insecure_http)
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        defaults = Options().merged(options)
        definition.check(defaults)
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
        return cls(
            service=definition,
            base_url=url,
            key=APIKey(key),
            options=defaults,
            limits=BatchLimits(max_inputs=batch_size, max_tokens=max_batch_tokens, max_input_tokens=max_input_tokens),
            retry=retry if retry is not None else RetryPolicy(max_retries=max_retries),
            max_concurrency=max_concurrency,
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            progress=progress,
            cache=cache,
        )

    def headers(self) -> dict[str, str]:
        """Headers of every request; the key is revealed here only."""
        return {"Authorization": f"Bearer {self.key.reveal()}", "User-Agent": "embedkit"}


@dataclass
class Call:
    """One `embed` call: its inputs and batches, the output being filled, and what was spent so far."""

    settings: Settings
    texts: list[str]
    options: Options
    normalize: bool
    progress: Progress
    batches: list[Batch] = field(init=False)
    matrix: OutputMatrix = field(init=False)
    # The texts still to send (all of them without a cache hit), their cache keys, and the cache namespace.
    pending: list[str] = field(init=False)
    pending_keys: list[bytes] = field(default_factory=list)
    namespace: str = ""
    cached: int = 0
    usage: Usage = field(default_factory=Usage)
    providers: list[str] = field(default_factory=list)
    model: str = ""
    errors: list[BaseException] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(
        cls, settings: Settings, texts: Any, overrides: dict[str, Any], *, normalize: bool, truncate: bool,
        progress: bool | None,
    ) -> Call:  # fmt: skip
        """Check everything that can be checked before sending, and plan the batches."""
        options = settings.options.merged(overrides)
        settings.service.check(options)
        dtype = options.output_dtype or "float"
        if normalize and dtype != "float":
            raise InputError(f"normalize=True applies to float vectors, not output_dtype={dtype!r}")
        # Counted with the tokenizer of the model this call embeds with.
        limits = settings.limits.for_model(options.model or settings.service.default_model)
        checked = fit(check_texts(texts), limits, truncate=truncate)
        value_dtype, width = VALUE_DTYPES[dtype], expected_width(dtype, options.output_dimension)
        namespace, pending, keys = "", checked, []
        hits, hit_rows = np.zeros(0, dtype=np.intp), np.zeros((0, width or 0), value_dtype)
        if settings.cache is not None and checked:
            namespace = cache_namespace(settings, options)
            all_keys = [text_key(text) for text in checked]
            found = settings.cache.get_many(namespace, all_keys)
            usable = [k for k in all_keys if k in found and found[k][0] == value_dtype.str]
            if usable:
                # Every vector of a call has one width: the asked one, else the first hit's.
                width = width or found[usable[0]][1]
            hit = np.array([k in found and found[k][0] == value_dtype.str and found[k][1] == width for k in all_keys])
            hits = hit.nonzero()[0]
            if len(hits):
                data = b"".join(found[all_keys[i]][2] for i in hits)
                hit_rows = np.frombuffer(data, value_dtype).reshape(len(hits), -1)
            pending = [text for text, was_hit in zip(checked, hit, strict=True) if not was_hit]
            keys = [key for key, was_hit in zip(all_keys, hit, strict=True) if not was_hit]
        batches = list(plan(pending, limits))
        show = settings.progress if progress is None else progress
        call = cls(settings, checked, options, normalize, Progress(len(checked), len(batches), show))
        call.batches, call.pending, call.pending_keys, call.namespace = batches, pending, keys, namespace
        # Without hits, batches are consecutive rows and decode in place; with hits, rows are scattered.
        positions = (~np.isin(np.arange(len(checked)), hits)).nonzero()[0] if len(hits) else None
        call.matrix = OutputMatrix(len(checked), value_dtype, width, positions)
        if len(hits):
            call.matrix.fill(hits, hit_rows)
            call.cached = len(hits)
            call.progress.advance(len(hits))
        call.model = options.model or settings.service.default_model
        return call

    def request(self, batch: Batch) -> dict[str, Any]:
        """The httpx arguments for one batch."""
        kwargs = self.settings.service.request(self.pending[batch.start : batch.stop], self.options)
        kwargs["headers"] = {**kwargs.get("headers", {}), **self.settings.headers()}
        kwargs["url"] = self.settings.base_url + kwargs["url"]
        return kwargs

    def record(self, batch: Batch, decoded: DecodedBatch) -> None:
        """A batch's rows are in the matrix: count its usage, note its provider, advance the progress bar."""
        assert decoded.rows is not None
        if self.settings.cache is not None:
            # Stored before the rows count as done: a killed process never skips a batch it did not store.
            self.settings.cache.put_many(self.namespace, self.pending_keys[batch.start : batch.stop], decoded.rows)
        with self._lock:
            self.matrix.commit(batch, decoded.rows)
            self.usage = self.usage + decoded.usage
            self.model = decoded.model or self.model
            if decoded.provider and decoded.provider not in self.providers:
                self.providers.append(decoded.provider)
            self.progress.advance(len(batch))

    def fail(self, error: BaseException) -> None:
        """Keep a batch's final error; the clients stop starting batches once there is one."""
        with self._lock:
            self.errors.append(error)

    def result(self) -> EmbeddingResult:
        """The finished call, or its first error carrying the rows that did finish (later errors as notes)."""
        self.progress.close()
        if self.errors:
            first = self.errors[0]
            for other in self.errors[1:]:
                first.add_note(f"another batch failed too: {type(other).__name__}: {other}")
            if isinstance(first, EmbeddingError):
                first.partial = PartialResult(self.matrix.array, self.matrix.completed.copy(), self.usage)
            raise first
        vectors = self.matrix.array
        if vectors is None:
            vectors = np.empty((0, self.matrix.width or 0), self.matrix.dtype)
        if self.normalize:
            vectors = normalize(vectors)
        return EmbeddingResult(
            vectors=vectors, model=self.model, usage=self.usage, providers=tuple(self.providers), cached=self.cached
        )


def cache_namespace(settings: Settings, options: Options) -> str:
    """What, besides the text, decides a vector: service, deployment, model, and the options that change it.

    The wire encoding does not change a vector and is left out; cortecs' routing fields are kept in, since
    different providers (quantized or not) may compute different vectors for the same model.
    """
    parts: dict[str, Any] = {
        "service": settings.service.name,
        "base_url": settings.base_url,
        "model": options.model or settings.service.default_model,
        "output_dimension": options.output_dimension,
        "output_dtype": options.output_dtype or "float",
    }
    if settings.service.name == "cortecs":
        parts.update(
            preference=options.preference,
            allowed_providers=sorted(options.allowed_providers) if options.allowed_providers is not None else None,
            eu_native=options.eu_native,
            allow_quantization=options.allow_quantization,
        )
    return json.dumps(parts, sort_keys=True)


class Step(Enum):
    """What a client does after an answer."""

    DONE = "done"
    SPLIT = "split"
    RETRY = "retry"
    FAIL = "fail"


@dataclass
class Outcome:
    """An answer's meaning: `step`; for RETRY and FAIL the error (raised when no retry is left), and the asked wait."""

    step: Step
    error: APIError | None = None
    asked_wait: float | None = None


def after_exception(error: httpx.HTTPError) -> Outcome:
    """A request that got no answer: always worth another attempt."""
    if isinstance(error, httpx.TimeoutException):
        return Outcome(Step.RETRY, APITimeoutError(f"no answer in time ({type(error).__name__})"))
    return Outcome(Step.RETRY, APIConnectionError(f"{type(error).__name__}: {error}"))


def after_response(response: httpx.Response, batch: Batch, call: Call) -> Outcome:
    """A request that got an answer: decode it, or decide between split, retry and failure."""
    if response.status_code == 200:
        try:
            decoded = decode_into(response.content, batch, call.matrix)
        except APIConnectionError as damaged:
            return Outcome(Step.RETRY, damaged)
        call.record(batch, decoded)
        return Outcome(Step.DONE)
    error = status_error(response, call.settings.key)
    if isinstance(error, InvalidRequestError) and TOO_LARGE.search(error.message):
        if len(batch) > 1:
            logger.debug("inputs %d-%d too large for the service; splitting", batch.start, batch.stop - 1)
            return Outcome(Step.SPLIT)
        raise InputTooLongError(
            f"input {batch.start} alone is too large for the service: {error.message}", index=batch.start
        ) from error
    if is_retryable_status(response.status_code):
        return Outcome(Step.RETRY, error, retry_after(response.headers))
    return Outcome(Step.FAIL, error)


def next_wait(outcome: Outcome, attempts: Attempts) -> float:
    """Seconds to wait before retrying, or the outcome's error (with the attempt count) when retries are spent."""
    assert outcome.error is not None
    wait = None if outcome.step is Step.FAIL else attempts.next_wait(outcome.asked_wait)
    if wait is None:
        outcome.error.attempts = attempts.count
        raise outcome.error
    logger.debug("attempt %d failed (%s); retrying in %.2fs", attempts.count, type(outcome.error).__name__, wait)
    return wait


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    413: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def status_error(response: httpx.Response, key: APIKey) -> APIStatusError:
    """The typed error for an error status, with the service's message and details, read by the generated models."""
    status = response.status_code
    kind = STATUS_ERRORS.get(status, ServerError if status >= 500 else APIStatusError)
    request_id = response.headers.get("x-request-id")
    message, details, body = response.reason_phrase or "error", [], None
    try:
        body = response.json()
    except ValueError:
        message = key.scrub(response.text[:500]) or message
    if isinstance(body, dict):
        try:
            if status == 422:
                parsed = HTTPValidationError.from_dict(body)
                details = [item.to_dict() for item in parsed.detail]
                message = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in details) or message
            else:
                message = ErrorResponse.from_dict(body).message
        except (KeyError, TypeError, ValueError):
            message = str(body)[:500]
    message = key.scrub(message)
    if kind is InvalidRequestError:
        return InvalidRequestError(message, details=details, status=status, request_id=request_id, body=body)
    return kind(message, status=status, request_id=request_id, body=body)
