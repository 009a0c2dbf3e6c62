"""The synchronous client: batches sent by threads over one httpx connection pool, as many as the limit allows."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Unpack

import httpx

from ._base import BaseEmbedder, EmbedOptions
from ._batching import Batch
from ._body import Received, answer_limit
from ._core import Call, logger
from ._errors import NotFoundError
from ._http import new_sync_client
from ._models import ModelInfo, check_model_id, find_model
from ._policy import Outcome, Step
from ._pricing import Estimate
from ._result import EmbeddingResult

if TYPE_CHECKING:
    from ._batch_api import BatchAPI

# Guards the lazy creation of each client's thread pool (rare, so one lock serves every client).
_POOL_CREATION = threading.Lock()


class Embedder(BaseEmbedder[httpx.Client]):
    """Embeds texts with Mistral or cortecs.ai (or any deployment of the contract), with the policy a job needs.

    Batching by input count and estimated tokens, bounded concurrency, retries with backoff, numpy output in
    input order, typed errors that keep finished rows. Arguments win over the environment
    (`MISTRAL_API_KEY`/`MISTRAL_BASE_URL`, `CORTECS_API_KEY`/`CORTECS_BASE_URL`); a request option given here
    (`model`, `output_dimension`, `output_dtype`, `encoding_format`, `preference`, `allowed_providers`,
    `eu_native`, `allow_quantization`) becomes this client's default for every call.
    """

    _threads: ThreadPoolExecutor | None = None
    _interrupted = False
    # The stop events of the calls not yet returned: close() sets them, so a call running in another thread (a bulk
    # job's, when Ctrl-C reached the main thread) ends its waits at once instead of holding the exit.
    _stops: weakref.WeakSet[threading.Event] | None = None

    def _new_http(self, limits: httpx.Limits) -> httpx.Client:
        return new_sync_client(self._settings.timeout, limits)

    def embed(self, texts: str | Iterable[str], **options: Unpack[EmbedOptions]) -> EmbeddingResult:
        """Embed `texts` (one string, or an iterable of strings): row i of the result is input i.

        Inputs are checked before anything is sent (an empty string or a non-string raises `InputError` naming
        its index; an input over the per-input token limit raises `InputTooLongError` unless `truncate=True`).
        Options: see `EmbedOptions`; with `chunking`, a `ChunkedResult` whose rows are the chunks (see `_chunking`).
        """
        chunking = options.pop("chunking", None)
        if chunking is not None:
            plan = self._chunk_plan(texts, chunking, options)
            return plan.result(self.embed(plan.texts, **options), normalize=bool(options.get("normalize")))
        call = self._start(texts, options)
        with _POOL_CREATION:
            if self._stops is None:
                self._stops = weakref.WeakSet()
            self._stops.add(call.stopped)
        pending = iter(call.batches)
        lock = threading.Lock()

        def worker() -> None:
            while not call.stopped.is_set():
                with lock:
                    batch = next(pending, None)
                if batch is None:
                    return
                try:
                    self._send(call, batch)
                except Exception as error:  # kept, and raised by call.result(): nothing is swallowed
                    call.fail(error)
                except BaseException:
                    call.stopped.set()
                    raise

        # Enough workers for the most requests the limit may allow; it decides how many send at once.
        workers = min(self._limit.maximum, len(call.batches))
        try:
            if workers <= 1:
                worker()
            else:
                for future in [self._pool().submit(worker) for _ in range(workers)]:
                    future.result()
        except BaseException:
            # Ctrl-C (or any exit) while batches remain: no batch starts after this, waits end now, and close()
            # does not wait for the requests already on the wire.
            call.stopped.set()
            self._interrupted = True
            call.progress.close()
            raise
        result = call.result()
        with _POOL_CREATION:
            self._stops.discard(call.stopped)
        return self._priced(result)

    def _pool(self) -> ThreadPoolExecutor:
        # One pool for the client's life: the same threads serve every call, so a long job does not spread its
        # buffers over a new set of threads (and malloc arenas) for every window.
        with _POOL_CREATION:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self._limit.maximum, thread_name_prefix="embedkit")
            return self._threads

    def _send(self, call: Call, batch: Batch) -> None:
        logger.debug("sending inputs %d-%d", batch.start, batch.stop - 1)
        request = call.request(batch)
        outcome = self._transport.exchange(
            lambda: request,
            lambda received: call.answer(received.response, batch, received.content),
            stopped=call.stopped,
            # Bounded by the largest answer this batch can get (an endless or bomb body stops there).
            read=partial(call.buffers.receive, limit=answer_limit(len(batch), call.matrix.width)),
            give=call.buffers.give,
        )
        if outcome.step is Step.SPLIT:
            logger.debug("inputs %d-%d too large for the service; splitting", batch.start, batch.stop - 1)
            for half in batch.halves():
                if not call.stopped.is_set():
                    self._send(call, half)

    @property
    def batch(self) -> BatchAPI:
        """Mistral's batch API through this client (about half the price; results in minutes to hours)."""
        from ._batch_api import BatchAPI  # imported on first use: most processes only embed

        return BatchAPI(self)

    def list_models(self) -> list[str]:
        """The ids of the models the key may use (Mistral's `GET /v1/models`, or cortecs'), retried like `embed`.

        cortecs' older serverless route has none: raises `UnsupportedError`. Prices too: see `models()`.
        """
        return [model.id for model in self.models()]

    def models(self) -> list[ModelInfo]:
        """The models the key may use, each with its price per million tokens (and cortecs' providers).

        cortecs' prices come from its models route (its cheapest provider); Mistral publishes none, so its are
        the dated table of `embedkit._pricing` (assumed, overridable). The client remembers cortecs' prices to
        price later results (`EmbeddingResult.cost`).
        """
        found: list[ModelInfo] = []

        def answer(received: Received) -> Outcome:
            outcome = self._models_answer(received.response)
            if isinstance(outcome, list):
                found.extend(outcome)
                return Outcome(Step.DONE)
            return outcome

        request = self._models_request()
        self._transport.exchange(lambda: request, answer)
        return found

    def model_info(self, model_id: str) -> ModelInfo:
        """One model's card, by id or alias, as `models()` gives it (price included), retried like `embed`.

        Mistral answers it from `GET /v1/models/{model_id}`, which knows aliases too (`mistral-embed-2312`), so
        checking one model costs one small request instead of the whole list. cortecs has no route for one
        model: its card is found in its models list (by id). An unknown id raises `ModelNotFoundError` (also a
        `NotFoundError`); cortecs' older serverless route has no models at all (`UnsupportedError`). Not named
        `model`: that is already this client's default model id (`embedder.model`).
        """
        model_id = check_model_id(model_id)
        service = self._settings.service.name
        if service != "mistral":
            return find_model(self.models(), model_id, service)
        found: list[ModelInfo] = []

        def answer(received: Received) -> Outcome:
            outcome = self._model_answer(received.response)
            if isinstance(outcome, ModelInfo):
                found.append(outcome)
                return Outcome(Step.DONE)
            return outcome

        request = self._model_request(model_id)
        self._transport.exchange(lambda: request, answer)
        return found[0]

    def estimate(
        self,
        texts: str | Iterable[str],
        *,
        batch: bool = False,
        price_per_million: float | None = None,
        **options: Unpack[EmbedOptions],
    ) -> Estimate:
        """What `embed(texts, **options)` would cost, before sending anything: tokens counted, then priced.

        Tokens are counted as `embed` counts them (exactly with the `tokenizer` extra), minus texts already in
        the cache; the price is cortecs' (one request to its models route per client) or Mistral's dated table,
        or `price_per_million` (in the service's currency: USD for Mistral, EUR for cortecs). `batch=True`
        prices Mistral's batch API instead (cortecs has none: `UnsupportedError`).
        """
        counted = self._count(texts, options, batch=batch)
        if self._needs_prices(price_per_million):
            try:
                self.models()
            except NotFoundError:  # a deployment without the models route: no price, no failure
                self._prices = {}
        return self._estimated(counted, price_per_million)

    def close(self) -> None:
        """Close the connection pool and the rate budget, unless passed in (then their owners close them).

        Once: a second call does nothing, and every later request raises `ClosedError`.
        """
        if self._transport.closed:
            return
        self._transport.close()
        with _POOL_CREATION:
            running = list(self._stops or ())
        for stop in running:  # calls still running (in other threads): they stop now, sending nothing more
            stop.set()
            self._interrupted = True
        if self._threads is not None:
            # After an interrupt, the requests still on the wire are not waited for: they end with the process.
            self._threads.shutdown(wait=not self._interrupted, cancel_futures=True)
            self._threads = None
        if self._owns_http:
            self._http.close()
        self._close_cache()
        if self._settings.owns_budget:  # its file's connection; a budget shared in the process stays to the others
            self._settings.budget.close()

    def __enter__(self) -> Embedder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
