"""The synchronous client: batches sent by at most `max_concurrency` threads over one httpx connection pool."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Unpack

import httpx
from generated_client.models import ModelList

from ._base import BaseEmbedder, EmbedOptions
from ._batch_api import BatchAPI
from ._batching import Batch
from ._core import Call, Step, after_exception, after_response, logger, next_wait, status_error
from ._result import EmbeddingResult
from ._retry import Attempts

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

    def _new_http(self, limits: httpx.Limits) -> httpx.Client:
        return httpx.Client(timeout=self._settings.timeout, limits=limits)

    def embed(self, texts: str | Iterable[str], **options: Unpack[EmbedOptions]) -> EmbeddingResult:
        """Embed `texts` (one string, or an iterable of strings): row i of the result is input i.

        Inputs are checked before anything is sent (an empty string or a non-string raises `InputError` naming
        its index; an input over the per-input token limit raises `InputTooLongError` unless `truncate=True`).
        Options: see `EmbedOptions`.
        """
        call = self._start(texts, options)
        pending = iter(call.batches)
        lock = threading.Lock()

        def worker() -> None:
            while not call.errors:
                with lock:
                    batch = next(pending, None)
                if batch is None:
                    return
                try:
                    self._send(call, batch)
                except BaseException as error:  # kept, and raised by call.result(): nothing is swallowed
                    call.fail(error)

        workers = min(self._settings.max_concurrency, len(call.batches))
        if workers <= 1:
            worker()
        else:
            for future in [self._pool().submit(worker) for _ in range(workers)]:
                future.result()
        return call.result()

    def _pool(self) -> ThreadPoolExecutor:
        # One pool for the client's life: the same threads serve every call, so a long job does not spread its
        # buffers over a new set of threads (and malloc arenas) for every window.
        with _POOL_CREATION:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self._settings.max_concurrency, thread_name_prefix="embedkit")
            return self._threads

    def _send(self, call: Call, batch: Batch) -> None:
        request = call.request(batch)
        attempts = Attempts(self._settings.retry)
        while True:
            attempts.count += 1
            logger.debug("sending inputs %d-%d, attempt %d", batch.start, batch.stop - 1, attempts.count)
            try:
                response = self._http.request(**request)
            except httpx.HTTPError as error:
                outcome = after_exception(error)
            else:
                outcome = after_response(response, batch, call)
            if outcome.step is Step.DONE:
                return
            if outcome.step is Step.SPLIT:
                for half in batch.halves():
                    self._send(call, half)
                return
            time.sleep(next_wait(outcome, attempts))

    @property
    def batch(self) -> BatchAPI:
        """Mistral's batch API through this client (about half the price; results in minutes to hours)."""
        return BatchAPI(self)

    def list_models(self) -> list[str]:
        """The ids of the models the key may use (Mistral's `GET /v1/models`)."""
        response = self._http.request(**self._models_request())
        if response.status_code != 200:
            raise status_error(response, self._settings.key)
        return [card.id for card in ModelList.from_dict(response.json()).data]

    def close(self) -> None:
        """Close the connection pool, unless it was passed in (then its owner closes it)."""
        if self._threads is not None:
            self._threads.shutdown()
            self._threads = None
        if self._owns_http:
            self._http.close()
        self._close_cache()

    def __enter__(self) -> Embedder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
