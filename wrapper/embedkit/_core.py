"""What the sync and async clients share: the client's settings, and one call's state.

Nothing here sends or sleeps: the clients do that, each in its own way. What an answer means (done, split
the batch, retry after a wait, or fail) is decided in `_policy.py`; a `Call` only applies it to its own
batches, rows and numbering.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import threading
import time
from collections.abc import Generator, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from ._batching import Batch, BatchLimits, check_texts, fit, plan
from ._body import BodyBuffers
from ._cache import Cached, EmbeddingCache, service_identity, text_key
from ._concurrency import DEFAULT_MAXIMUM, ConcurrencyLimit
from ._decode import VALUE_DTYPES, DecodedBatch, OutputMatrix, decode_into, expected_width
from ._errors import (
    APIConnectionError,
    AuthenticationError,
    DeadlineExceededError,
    EmbeddingError,
    InputError,
    InputTooLongError,
    PartialResult,
    ResponseValidationError,
)
from ._guard import TICKET, Ticket
from ._options import DEFAULT_CALL_FIELDS, REQUEST_FIELDS, Options, check_bool, check_int, check_options, unknown_option
from ._policy import DEFAULT_TIMEOUT, Outcome, RetryPolicy, Step, after_error_status, short
from ._progress import Progress
from ._ratebudget import LocalBackend, RateBudget, RateLimits, budget_name
from ._result import EmbeddingResult, Usage
from ._security import APIKey, check_transport, wrap
from ._services import SERVICES, Service
from ._similarity import normalize
from ._tokens import mode_of

logger = logging.getLogger("embedkit")


class BearerAuth(httpx.Auth):
    """Sets `Authorization: Bearer <key>` inside httpx, on the request object only.

    So no embedkit frame ever holds the header or the bare key in a local: a traceback recorded with its
    locals (Sentry, `pytest -l`) shows the masked `APIKey` at most.
    """

    def __init__(self, key: APIKey) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._key.reveal()
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth({self._key!r})"


def _timeout(value: Any) -> httpx.Timeout:
    """A usable timeout: None is the default; a number must be positive and finite (seconds)."""
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, httpx.Timeout):
        # Each phase is bounded as a number is: `embedkit embed --timeout 1e308` passes one, and the socket layer
        # raised a bare OverflowError at the first request.
        for phase in ("connect", "read", "write", "pool"):
            seconds = getattr(value, phase)
            if seconds is not None and not seconds <= MAX_TIMEOUT:
                raise InputError(
                    f"timeout ({phase}) must be at most {MAX_TIMEOUT:g} seconds, got {seconds!r}", argument="timeout"
                )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(
            f"timeout must be a positive, finite number of seconds (or an httpx.Timeout), got {value!r}",
            argument="timeout",
        )
    if value > MAX_TIMEOUT:  # the socket layer cannot hold more (1e308 raised a bare OverflowError)
        raise InputError(f"timeout must be at most {MAX_TIMEOUT:g} seconds, got {value!r}", argument="timeout")
    return httpx.Timeout(float(value))


# The longest timeout a socket accepts on every platform with room to spare: about 11 days.
MAX_TIMEOUT = 1e6


@dataclass(frozen=True)
class Settings:
    """Everything fixed when a client is made; resolved from arguments, then the environment, then defaults."""

    service: Service
    base_url: str
    key: APIKey
    options: Options
    limits: BatchLimits
    retry: RetryPolicy
    # None: adaptive (see _concurrency.py); a number: exactly that many requests in flight at most.
    max_concurrency: int | None
    timeout: httpx.Timeout
    progress: bool | None
    cache: EmbeddingCache | None = None
    # Shared by every sender of the key (see _ratebudget.py); without limits it only carries 429 pauses.
    budget: RateBudget = field(default_factory=lambda: RateBudget(RateLimits(), LocalBackend(RateLimits())))
    # Whether the client made the budget (from a path, or its settings), so its close() closes it; one passed in
    # as a RateBudget is its owner's to close (other clients may be using it).
    owns_budget: bool = True
    # Call behaviour every call gets unless it says otherwise (DEFAULT_CALL_FIELDS, given to the constructor).
    normalize: bool = False
    truncate: bool = False

    @classmethod
    def resolve(
        cls,
        service: str,
        *,
        api_key: APIKey | None,
        base_url: str | None,
        allow_insecure_http: bool,
        max_concurrency: Any,
        max_retries: Any,
        retry: Any,
        timeout: Any,
        batch_size: Any,
        max_batch_tokens: Any,
        max_input_tokens: Any,
        progress: Any,
        options: Mapping[str, Any],
        cache: EmbeddingCache | None = None,
        requests_per_second: Any = None,
        tokens_per_minute: Any = None,
        rate_budget: Any = None,
    ) -> Settings:
        """Settings from a client's arguments; raises on anything unusable (naming the argument), before any request."""
        if service not in SERVICES:
            raise InputError(
                f"service must be one of {', '.join(sorted(SERVICES))}, got {service!r}", argument="service"
            )
        definition = SERVICES[service]
        if api_key is None and os.environ.get(definition.key_variable):
            # Not held in a local of this frame: a malformed key's error leaves none behind (see `wrap`).
            api_key = wrap(os.environ[definition.key_variable], f"${definition.key_variable}")
        if api_key is None or not api_key.reveal():
            raise AuthenticationError(f"no API key: pass api_key=... or set {definition.key_variable}")
        if base_url is not None and not isinstance(base_url, str):
            raise InputError(f"base_url must be a string, got {type(base_url).__name__}", argument="base_url")
        url = (base_url or os.environ.get(definition.base_url_variable) or definition.default_base_url).rstrip("/")
        check_transport(url, allow_insecure_http=check_bool("allow_insecure_http", allow_insecure_http))
        behaviour = check_options(
            {k: v for k, v in options.items() if k in DEFAULT_CALL_FIELDS}, allowed=DEFAULT_CALL_FIELDS,
            where=f"{definition.name} client",
        )  # fmt: skip
        options = {k: v for k, v in options.items() if k not in DEFAULT_CALL_FIELDS}
        unknown = sorted(set(options) - set(REQUEST_FIELDS))
        if unknown:
            # Only what this service takes: a cortecs routing option suggested to a Mistral client would be refused.
            valid = ["model", *definition.options, *DEFAULT_CALL_FIELDS, *CONSTRUCTOR_ARGUMENTS]
            raise unknown_option(unknown[0], valid, f"{definition.name} client")
        defaults = Options().merged(options)
        definition.check(defaults)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InputError(f"retry must be a RetryPolicy, got {type(retry).__name__}", argument="retry")
        if retry is None:
            retry = RetryPolicy(max_retries=check_int("max_retries", max_retries, minimum=0))
        inputs = check_int("batch_size", batch_size, minimum=1)
        tokens = check_int("max_batch_tokens", max_batch_tokens, minimum=1)
        per_input = check_int("max_input_tokens", max_input_tokens, minimum=1)
        if per_input > tokens:
            raise InputError(
                f"max_input_tokens ({per_input}) cannot exceed max_batch_tokens ({tokens})", argument="max_input_tokens"
            )
        if progress is not None:
            progress = check_bool("progress", progress)
        if cache is not None and not isinstance(cache, EmbeddingCache):
            raise InputError(f"cache must be a path or an EmbeddingCache, got {type(cache).__name__}", argument="cache")
        budget = _budget(url, api_key, requests_per_second, tokens_per_minute, rate_budget, cache)
        return cls(
            service=definition,
            base_url=url,
            key=api_key,
            options=defaults,
            limits=BatchLimits(max_inputs=inputs, max_tokens=tokens, max_input_tokens=per_input),
            retry=retry,
            max_concurrency=None
            if max_concurrency is None
            else check_int("max_concurrency", max_concurrency, minimum=1),
            timeout=_timeout(timeout),
            progress=progress,
            cache=cache,
            budget=budget,
            owns_budget=not isinstance(rate_budget, RateBudget),
            normalize=behaviour.get("normalize", False),
            truncate=behaviour.get("truncate", False),
        )

    def concurrency_limit(self) -> ConcurrencyLimit:
        """A new client's limit on requests in flight: the fixed number asked, else one that adapts."""
        if self.max_concurrency is None:
            return ConcurrencyLimit(DEFAULT_MAXIMUM)
        return ConcurrencyLimit.fixed(self.max_concurrency)

    @property
    def auth(self) -> BearerAuth:
        """The request's authentication; the key is revealed inside httpx only."""
        return BearerAuth(self.key)


def limit_from(name: str, value: Any, variable: str) -> float | None:
    """A rate limit from its argument, else from its environment variable; None: not limited."""
    if value is None:
        text = os.environ.get(variable, "").strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"${variable} must be a number, got {text!r}", argument=name) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive, finite number, got {value!r}", argument=name)
    return float(value)


def _budget(
    url: str, key: APIKey, requests_per_second: Any, tokens_per_minute: Any, rate_budget: Any,
    cache: EmbeddingCache | None,
) -> RateBudget:  # fmt: skip
    """The client's rate budget: the one given, else one shared through a file, else by this process's clients.

    The file is the one named (`rate_budget=`, `$EMBEDKIT_RATE_BUDGET_FILE`), else the cache's when limits are set;
    in the process, clients share by key and URL. Either way the budget is named by key and URL only, never by the
    limits: clients of one key with different limits (or none) share its state, each pacing to its own limits.
    """
    if isinstance(rate_budget, RateBudget):
        if requests_per_second is not None or tokens_per_minute is not None:
            raise InputError(
                "pass the limits to the RateBudget, not beside it (requests_per_second, tokens_per_minute)",
                argument="rate_budget",
            )
        return rate_budget
    if rate_budget is not None and not isinstance(rate_budget, str | os.PathLike):
        raise InputError(
            "rate_budget must be a path (a file to share it through) or a RateBudget, "
            f"got {type(rate_budget).__name__}",
            argument="rate_budget",
        )
    limits = RateLimits(
        limit_from("requests_per_second", requests_per_second, "EMBEDKIT_REQUESTS_PER_SECOND"),
        limit_from("tokens_per_minute", tokens_per_minute, "EMBEDKIT_TOKENS_PER_MINUTE"),
    )
    name = budget_name(url, key.reveal())
    path = rate_budget or os.environ.get("EMBEDKIT_RATE_BUDGET_FILE") or None
    if path is None and limits.enabled and cache is not None:
        path = cache.path
    if path is not None:
        return RateBudget.in_file(limits, path, name)
    return RateBudget.in_process(limits, name)


# Constructor arguments, for "did you mean" when an unknown keyword reaches the options.
CONSTRUCTOR_ARGUMENTS = (
    "api_key", "base_url", "max_concurrency", "max_retries", "retry", "timeout", "batch_size", "max_batch_tokens",
    "max_input_tokens", "progress", "http_client", "allow_insecure_http", "cache", "requests_per_second",
    "tokens_per_minute", "rate_budget",
)  # fmt: skip
HEADERS = {"User-Agent": "embedkit"}


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
    encodings: dict[str, int] = field(default_factory=dict)
    # The limits the call was planned with (counting with its model's tokenizer), to plan a re-fetch with.
    limits: BatchLimits = field(default_factory=BatchLimits)
    # The cache hits in the matrix: their output rows, their keys, and the model that served them (None: unknown).
    hit_rows: np.ndarray[Any, np.dtype[np.intp]] = field(default_factory=lambda: np.zeros(0, np.intp))
    hit_keys: list[bytes] = field(default_factory=list)
    hits_served: str | None = None
    # Inputs identical to an earlier one, not sent: their output rows, and the rows they copy (None: there are none).
    copies: tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.intp]]] | None = None
    # The model the fresh answers named (None: none named one), once the first is recorded; the call's rows are
    # all of one served model (see `one_served_model`).
    served: str | None = None
    answered: bool = False
    # Set on the first failure or an interrupt: no batch starts after it, and retry waits end early.
    stopped: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Token counts of the pending texts, summed (entry i: the first i texts), as the batcher counted them: what
    # each request spends of the rate budget (exact with a tokens/min limit given and the tokenizer; else they may
    # be bounds, and a request's exact count is made when a limit learned from the service spends them: see
    # `exact_tokens`).
    token_offsets: np.ndarray[Any, np.dtype[np.int64]] = field(default_factory=lambda: np.zeros(1, np.int64))
    _counting: threading.Lock = field(default_factory=threading.Lock)
    # The monotonic moment the call must end by (`deadline=`), and the timer that stops it then.
    deadline: float | None = None
    _timer: threading.Timer | None = None
    _expired: bool = False
    # The call's receive buffers (both clients), one per request in flight at most, reused across its answers.
    buffers: BodyBuffers = field(default_factory=BodyBuffers)

    @classmethod
    def start(
        cls, settings: Settings, texts: Any, overrides: dict[str, Any], *, normalize: bool, truncate: bool,
        progress: bool | None, deadline: float | None = None,
    ) -> Call:  # fmt: skip
        """Check everything that can be checked before sending, and plan the batches."""
        began = time.monotonic()
        options = settings.options.merged(overrides)
        settings.service.check(options)
        dtype = options.output_dtype or "float"
        if normalize and dtype != "float":
            raise InputError(
                f"normalize=True applies to float vectors, not output_dtype={dtype!r}", argument="normalize"
            )
        # Counted with the tokenizer of the model this call embeds with.
        limits = settings.limits.for_model(options.model or settings.service.default_model)
        checked = fit(check_texts(refuse_unordered(texts)), limits, truncate=truncate)
        value_dtype, width = VALUE_DTYPES[dtype], expected_width(dtype, options.output_dimension)
        namespace, pending, keys, hit_keys, served = "", checked, [], [], None
        hits, hit_rows = np.zeros(0, dtype=np.intp), np.zeros((0, width or 0), value_dtype)
        if settings.cache is not None and checked:
            namespace = cache_namespace(settings, options)
            all_keys = [text_key(text) for text in checked]
            found = settings.cache.get_many(namespace, all_keys)
            hits, width, served = usable_hits(found, all_keys, value_dtype.str, width)
            if len(hits):
                hit_keys = [all_keys[i] for i in hits]
                data = b"".join(found[key].data for key in hit_keys)
                hit_rows = np.frombuffer(data, value_dtype).reshape(len(hits), -1)
            hit = np.zeros(len(checked), dtype=bool)
            hit[hits] = True
            pending = [text for text, was_hit in zip(checked, hit, strict=True) if not was_hit]
            keys = [key for key, was_hit in zip(all_keys, hit, strict=True) if not was_hit]
        # Identical texts are sent once: `sent` are the output rows of the texts sent, and each copy's row is
        # filled from its first occurrence's (`copies`) when the call ends.
        sent, copies = first_occurrences(checked, hits)
        if copies is not None:
            pending = [checked[int(row)] for row in sent]
            if settings.cache is not None:
                keys = [all_keys[int(row)] for row in sent]
        counts = limits.count(pending)
        if settings.budget.limits.tokens_per_minute is not None:
            # Spent from a tokens/min budget: reserving by a bound (3-4x the exact count for prose) would pace the
            # job at a third of its limit. Without that limit, the counts only plan batches (see `plan`).
            counts.make_exact()
        batches = list(plan(pending, limits, counts))
        show = settings.progress if progress is None else progress
        call = cls(settings, checked, options, normalize, Progress(len(checked), len(batches), show))
        call.batches, call.pending, call.pending_keys, call.namespace = batches, pending, keys, namespace
        call.limits, call.hit_rows, call.hit_keys, call.hits_served = limits, hits, hit_keys, served
        # Without hits or copies, batches are consecutive rows and decode in place; with them, rows are scattered.
        positions = sent if copies is not None or len(hits) else None
        call.matrix = OutputMatrix(len(checked), value_dtype, width, positions)
        call.copies = copies
        if copies is not None:
            call.progress.advance(len(copies[0]))
        if len(hits):
            call.matrix.fill(hits, hit_rows)
            call.cached = len(hits)
            call.progress.advance(len(hits))
        # A fully cached call reports the model its rows were served by, where the cache knows it.
        call.model = (served if len(hits) else None) or options.model or settings.service.default_model
        call.token_offsets = np.concatenate(([0], np.cumsum(counts.values, dtype=np.int64)))
        if deadline is not None:
            call.deadline = began + deadline
            call._timer = threading.Timer(max(0.0, call.deadline - time.monotonic()), call.expire)
            call._timer.daemon = True
            call._timer.start()
        return call

    def time_left(self) -> float | None:
        """Seconds until the call's deadline (None: it has none)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expire(self) -> None:
        """The deadline passed: stop, keeping what finished (raised by `result` as a `DeadlineExceededError`)."""
        with self._lock:
            if self._expired:
                return
            self._expired = True
            done = int(self.matrix.completed.sum())
        self.fail(DeadlineExceededError(f"the call's deadline passed with {done} of {len(self.texts)} inputs embedded"))

    def request(self, batch: Batch) -> dict[str, Any]:
        """The httpx arguments for one batch (authentication is added by httpx: see `BearerAuth`)."""
        kwargs = self.settings.service.request(self.pending[batch.start : batch.stop], self.options)
        kwargs["headers"] = {**kwargs.get("headers", {}), **HEADERS}
        kwargs["url"] = self.settings.base_url + kwargs["url"]
        kwargs["auth"] = self.settings.auth
        tokens = int(self.token_offsets[batch.stop] - self.token_offsets[batch.start])
        exact = None
        if self.settings.budget.limits.tokens_per_minute is None and mode_of(self.limits.tokenizer) == "lazy":
            exact = functools.partial(self.exact_tokens, batch)  # the counts may be bounds: see `exact_tokens`
        kwargs["extensions"] = {TICKET: Ticket(tokens, self.deadline, exact)}
        return kwargs

    def exact_tokens(self, batch: Batch) -> int:
        """The exact token count of a batch whose planned count may be a bound (3-4x the exact count for prose).

        Asked by the guard once the budget paces a tokens/min limit it learned from the service's headers (a
        given limit made the counts exact at the start): reserving the bound paced a free-tier job of full
        batches at 0.8 of its token limit. One count at a time (the tokenizer is shared by the call's workers).
        """
        with self._counting:
            return int(sum(self.limits.counter.count(self.pending[batch.start : batch.stop])))

    def answer(self, response: httpx.Response, batch: Batch, content: bytes | memoryview | None = None) -> Outcome:
        """What an answer to `batch` means for this call: rows recorded (DONE), or what the policy says.

        `content` is the body when it was read outside the response (into a reused buffer), else the response's.
        Blocking work (decoding, the cache write): the async client runs it off the event loop.
        """
        if response.status_code != 200:
            outcome = after_error_status(response, self.settings.key)
            if outcome.step is Step.SPLIT and len(batch) == 1:
                assert outcome.error is not None
                index = self.matrix.input_index(batch.start)
                raise InputTooLongError(
                    f"input {index} alone is too large for the service: {outcome.error.message}", index=index
                ) from outcome.error
            return outcome
        wrong: tuple[str, int | None] | None = None
        try:
            decoded = decode_into(response.content if content is None else content, batch, self.matrix)
        except APIConnectionError as damaged:
            return Outcome(Step.RETRY, damaged)
        except ResponseValidationError as invalid:
            wrong = (short(invalid.message, self.settings.key), invalid.index)
        if wrong is not None:
            # Raised anew, outside the handler: the decoder's frames (whose locals hold the body, which could
            # echo the key) are in neither this error's traceback nor its context.
            raise ResponseValidationError(wrong[0], index=wrong[1])
        self.record(batch, decoded)
        return Outcome(Step.DONE)

    def record(self, batch: Batch, decoded: DecodedBatch) -> None:
        """A batch's rows are in the matrix: count its usage, note its provider, advance the progress bar."""
        decoded = self.scrubbed(decoded)
        assert decoded.rows is not None
        self.one_served_model(batch, decoded)
        fallback = self.fallback_model(decoded)
        if self.settings.cache is not None and fallback is None:
            # Stored before the rows count as done: a killed process never skips a batch it did not store.
            self.settings.cache.put_many(
                self.namespace, self.pending_keys[batch.start : batch.stop], decoded.rows, decoded.model or None
            )
        with self._lock:
            self.matrix.commit(batch, decoded.rows)
            self.usage = self.usage + decoded.usage
            self.model = decoded.model or self.model
            self.encodings[decoded.encoding] = self.encodings.get(decoded.encoding, 0) + 1
            if decoded.provider and decoded.provider not in self.providers:
                self.providers.append(decoded.provider)
            self.progress.advance(len(batch))
        self.progress.note(self.settings.budget.pace)  # the limit learned (or given), on the progress line

    def scrubbed(self, decoded: DecodedBatch) -> DecodedBatch:
        """The answer's names with the key masked.

        A service echoing the key in `model` or `provider` (raw, percent-encoded or base64) must not get it into
        the result, the cache or a message.
        """
        key = self.settings.key
        model, provider = key.scrub(decoded.model), None if decoded.provider is None else key.scrub(decoded.provider)
        if model == decoded.model and provider == decoded.provider:
            return decoded
        return dataclasses.replace(decoded, model=model, provider=provider)

    def one_served_model(self, batch: Batch, decoded: DecodedBatch) -> None:
        """Keep every row of the call from one served model: re-fetch the cache hits, or refuse a mixed call.

        The service names the model that served each answer (`mistral-embed-2312` for `mistral-embed`, an alias it
        moves to newer versions; with cortecs' `enable_model_fallback`, another model altogether), and vectors of
        two models are not comparable. The first answer decides: cache hits served by another model (or by an
        unknown one: rows cached before the served model was recorded) are sent again, as batches added to the
        plan, so the matrix is that model's alone and the cache then holds its rows. The clients take batches
        from an iterator over the `batches` list, which yields what is appended before it runs out; it cannot run
        out before then: each worker takes one batch before its first answer, the plan has at least one batch per
        worker, and a worker comes back for another only after recording its answer, which waits on this decision.
        A later answer from another model than the first's (the alias moved during the call, or a fallback served
        one request only) fails the call (ResponseValidationError; the rows stored so far stay cached, and a retry
        re-fetches the minority).
        """
        served = decoded.model or None
        with self._lock:
            if not self.answered:
                self.answered = True
                self.served = served
                if len(self.hit_rows) and served != self.hits_served:
                    self.refetch_hits()
                return
            if served == self.served:
                return
            first = self.matrix.input_index(batch.start)
        fallback = " (model fallback)" if self.options.enable_model_fallback else ""
        retry = "; retry, or embed without enable_model_fallback" if fallback else "; retry"
        raise ResponseValidationError(
            f"inputs from {first} on were embedded by {served or 'an unnamed model'}, others by "
            f"{self.served or 'an unnamed model'}{fallback}: vectors of different models are not comparable{retry}",
            index=first,
        )

    def refetch_hits(self) -> None:
        """Send the cache hits again (the caller holds the lock): their rows are another served model's.

        They are planned as the pending texts are, appended to `pending` (so a batch's rows scatter to the hits'
        output rows), and no longer count as cached, nor as done until their answers are recorded.
        """
        rows, keys = self.hit_rows, self.hit_keys
        logger.debug(
            "%d cached rows were served by %s, the answers by %s: sending them again",
            len(rows), self.hits_served or "an unknown model", self.served or "an unnamed model",
        )  # fmt: skip
        texts = [self.texts[int(row)] for row in rows]
        counts = self.limits.count(texts)
        if self.settings.budget.limits.tokens_per_minute is not None:
            counts.make_exact()
        start = len(self.pending)
        added = [Batch(start + batch.start, start + batch.stop) for batch in plan(texts, self.limits, counts)]
        tokens = self.token_offsets[-1] + np.cumsum(counts.values, dtype=np.int64)
        # Everything a new batch's request and rows need is in place before the batch can be taken.
        self.pending.extend(texts)
        self.pending_keys.extend(keys)
        self.token_offsets = np.concatenate((self.token_offsets, tokens))
        assert self.matrix.positions is not None  # the call has hits, so its sent rows scatter
        self.matrix.positions = np.concatenate((self.matrix.positions, rows))
        self.matrix.completed[rows] = False
        self.progress.advance(-len(rows))
        self.cached = 0
        self.hit_rows, self.hit_keys = np.zeros(0, np.intp), []
        self.batches.extend(added)

    def fallback_model(self, decoded: DecodedBatch) -> str | None:
        """The other model cortecs fell back to for this batch (None: the asked one).

        With `enable_model_fallback`, each request may be served by another model; the call's rows are kept to one
        model by `one_served_model`. Fallback rows are not cached: the cache holds the asked model's.
        """
        if not self.options.enable_model_fallback or not decoded.model:
            return None
        asked = self.options.model or self.settings.service.default_model
        return None if decoded.model == asked else decoded.model

    def fill_copies(self) -> None:
        """Give each repeated input the row of its first occurrence (done where that one is done)."""
        if self.copies is None or self.matrix.array is None:
            return
        rows, sources = self.copies
        with self._lock:
            self.matrix.array[rows] = self.matrix.array[sources]
            self.matrix.completed[rows] = self.matrix.completed[sources]

    def fail(self, error: BaseException) -> None:
        """Keep a batch's final error; the clients stop starting batches once there is one."""
        with self._lock:
            self.errors.append(error)
        self.stopped.set()

    def result(self) -> EmbeddingResult:
        """The finished call, or its first error carrying the rows that did finish (later errors as notes)."""
        if self._timer is not None:
            self._timer.cancel()
        self.progress.close()
        self.fill_copies()
        if self.errors:
            first = self.errors[0]
            for other in self.errors[1:]:
                first.add_note(f"another batch failed too: {type(other).__name__}: {other}")
            if isinstance(first, EmbeddingError):
                first.partial = PartialResult(self.matrix.array, self.matrix.completed.copy(), self.usage)
            raise first
        if not self.matrix.completed.all():
            # Never a matrix holding rows of another served model: had a re-fetch gone unsent, it would.
            raise ResponseValidationError(
                f"{int((~self.matrix.completed).sum())} cached rows of another model than {self.model} were not "
                "embedded again; retry"
            )
        vectors = self.matrix.array
        if vectors is None:
            vectors = np.empty((0, self.matrix.width or 0), self.matrix.dtype)
        if self.normalize:
            vectors = normalize(vectors)
        return EmbeddingResult(
            vectors=vectors,
            model=self.model,
            usage=self.usage,
            providers=tuple(self.providers),
            cached=self.cached,
            encodings=dict(self.encodings),
        )


def first_occurrences(
    texts: list[str], hits: np.ndarray[Any, np.dtype[np.intp]]
) -> tuple[
    np.ndarray[Any, np.dtype[np.intp]],
    tuple[np.ndarray[Any, np.dtype[np.intp]], np.ndarray[Any, np.dtype[np.intp]]] | None,
]:
    """The rows to send (not a cache hit, and the first of identical texts), and the copies: (rows, their sources).

    A text repeated within one call is paid for once; the copies are None when no text is repeated.
    """
    is_hit = np.zeros(len(texts), dtype=bool)
    is_hit[hits] = True
    first: dict[str, int] = {}
    sent: list[int] = []
    rows: list[int] = []
    sources: list[int] = []
    for row, text in enumerate(texts):
        if is_hit[row]:
            continue
        seen = first.setdefault(text, row)
        if seen == row:
            sent.append(row)
        else:
            rows.append(row)
            sources.append(seen)
    copies = (np.array(rows, dtype=np.intp), np.array(sources, dtype=np.intp)) if rows else None
    return np.array(sent, dtype=np.intp), copies


def usable_hits(
    found: Mapping[bytes, Cached], keys: list[bytes], dtype: str, width: int | None
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], int | None, str | None]:
    """The cache hits a call may use: the indices of `keys`, the call's width, and the model that served them.

    Hits must be of the call's dtype and width (the asked one, else theirs); they must also be of one served
    model, since a matrix never mixes two: the largest group of one served model and width is used (the first
    of equal ones, in input order), and the others are sent like misses. Rows of an unknown served model
    (cached before it was recorded) are a group of their own, so an old cache still serves a call it holds
    whole, without a request.
    """
    groups: dict[tuple[str | None, int], list[int]] = {}
    for index, key in enumerate(keys):
        entry = found.get(key)
        if entry is not None and entry.dtype == dtype and width in (None, entry.width):
            groups.setdefault((entry.served_model, entry.width), []).append(index)
    if not groups:
        return np.zeros(0, np.intp), width, None
    (served, hit_width), indices = max(groups.items(), key=lambda group: len(group[1]))
    return np.array(indices, dtype=np.intp), hit_width, served


def cache_namespace(settings: Settings, options: Options) -> str:
    """What, besides the text, decides a vector: service, deployment, model, and the options that change it.

    The wire encoding does not change a vector and is left out; cortecs' routing fields are kept in, since
    different providers (quantized or not) may compute different vectors for the same model.
    """
    parts: dict[str, Any] = {
        "service": settings.service.family or settings.service.name,
        # The service it reaches, not how its address was spelled (`localhost` and `127.0.0.1` share rows).
        "base_url": service_identity(settings.base_url),
        "model": options.model or settings.service.default_model,
        "output_dimension": options.output_dimension,
        "output_dtype": options.output_dtype or "float",
    }
    if settings.service.family == "cortecs":
        parts.update(
            preference=options.preference,
            allowed_providers=sorted(options.allowed_providers) if options.allowed_providers is not None else None,
            eu_native=options.eu_native,
            allow_quantization=options.allow_quantization,
        )
        # Added only when set, so the namespaces of the older route's calls (and of caches made before these
        # fields existed) stay what they were. Fallback-served rows are never cached (see `Call.record`).
        if options.allow_zero_data_retention is not None:
            parts["allow_zero_data_retention"] = options.allow_zero_data_retention
    return json.dumps(parts, sort_keys=True)


def refuse_unordered(texts: Any) -> Any:
    """Refuse what iterates but is not a sequence of texts, or does not iterate at all.

    A mapping would embed its keys; a set would give rows in hash order, not the caller's.
    """
    if isinstance(texts, str):
        return texts
    if isinstance(texts, Mapping | AbstractSet):
        raise InputError(
            f"texts must be a string or an ordered iterable of strings, got a {type(texts).__name__}; "
            "pass list(mapping.values()) or sorted(set) to say which texts, in which order"
        )
    if texts is not None and not isinstance(texts, Iterable | bytes | bytearray):
        raise InputError(f"texts must be a string or an iterable of strings, got {type(texts).__name__}")
    return texts
