"""The asynchronous client: the same surface as `Embedder`, with at most `max_concurrency` batches in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Unpack

import httpx
from generated_client.models import ModelList

from ._base import BaseEmbedder, EmbedOptions
from ._batching import Batch
from ._core import Call, Step, after_exception, after_response, logger, next_wait, status_error
from ._result import EmbeddingResult
from ._retry import Attempts


class AsyncEmbedder(BaseEmbedder[httpx.AsyncClient]):
    """`Embedder` for asyncio: the same arguments, options, errors and results; `await embedder.embed(texts)`."""

    def _new_http(self, limits: httpx.Limits) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._settings.timeout, limits=limits)

    async def embed(self, texts: str | Iterable[str], **options: Unpack[EmbedOptions]) -> EmbeddingResult:
        """Embed `texts`; see `Embedder.embed`."""
        call = self._start(texts, options)
        pending = iter(call.batches)

        async def worker() -> None:
            # No lock needed: taking a batch and checking for errors happen between awaits, on one thread.
            while not call.errors:
                batch = next(pending, None)
                if batch is None:
                    return
                try:
                    await self._send(call, batch)
                except BaseException as error:  # kept, and raised by call.result(): nothing is swallowed
                    call.fail(error)

        workers = min(self._settings.max_concurrency, len(call.batches))
        await asyncio.gather(*(worker() for _ in range(workers)))
        return call.result()

    async def _send(self, call: Call, batch: Batch) -> None:
        request = call.request(batch)
        attempts = Attempts(self._settings.retry)
        while True:
            attempts.count += 1
            logger.debug("sending inputs %d-%d, attempt %d", batch.start, batch.stop - 1, attempts.count)
            try:
                response = await self._http.request(**request)
            except httpx.HTTPError as error:
                outcome = after_exception(error)
            else:
                outcome = after_response(response, batch, call)
            if outcome.step is Step.DONE:
                return
            if outcome.step is Step.SPLIT:
                for half in batch.halves():
                    await self._send(call, half)
                return
            await asyncio.sleep(next_wait(outcome, attempts))

    async def list_models(self) -> list[str]:
        """The ids of the models the key may use (Mistral's `GET /v1/models`)."""
        response = await self._http.request(**self._models_request())
        if response.status_code != 200:
            raise status_error(response, self._settings.key)
        return [card.id for card in ModelList.from_dict(response.json()).data]

    async def aclose(self) -> None:
        """Close the connection pool, unless it was passed in (then its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()
        self._close_cache()

    async def __aenter__(self) -> AsyncEmbedder:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()
