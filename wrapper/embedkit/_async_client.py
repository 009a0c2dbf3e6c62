"""The asynchronous client: the same surface as `Embedder`, with as many batches in flight as the limit allows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Unpack

import httpx

from ._base import BaseEmbedder, EmbedOptions
from ._batching import Batch
from ._body import BodyBuffers, Received
from ._core import Call, logger
from ._errors import NotFoundError
from ._models import ModelInfo
from ._policy import Attempts, Outcome, Step, after_exception, load_signal, next_wait
from ._pricing import Estimate
from ._result import EmbeddingResult


class AsyncEmbedder(BaseEmbedder[httpx.AsyncClient]):
    """`Embedder` for asyncio: the same arguments, options, errors and results; `await embedder.embed(texts)`."""

    def _new_http(self, limits: httpx.Limits) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._settings.timeout, limits=limits)

    async def embed(self, texts: str | Iterable[str], **options: Unpack[EmbedOptions]) -> EmbeddingResult:
        """Embed `texts`; see `Embedder.embed`. Cancelling the task stops its requests (none starts after).

        Blocking work (the cache lookup, decoding each answer, the cache write) runs in worker threads, so the
        event loop stays free for the other tasks.
        """
        call = await asyncio.to_thread(self._start, texts, options)
        pending = iter(call.batches)

        async def worker() -> None:
            # No lock needed: taking a batch and checking for errors happen between awaits, on one thread.
            while not call.stopped.is_set():
                batch = next(pending, None)
                if batch is None:
                    return
                try:
                    await self._send(call, batch)
                except Exception as error:  # kept, and raised by call.result(): nothing is swallowed
                    call.fail(error)
                # BaseException (CancelledError, KeyboardInterrupt) propagates: the task group cancels the others.

        # Enough tasks for the most requests the limit may allow; it decides how many send at once.
        workers = min(self._limit.maximum, len(call.batches))
        try:
            async with asyncio.timeout(call.time_left()), asyncio.TaskGroup() as group:  # `deadline=`, if any
                for _ in range(workers):
                    group.create_task(worker())
        except TimeoutError:
            call.expire()
        except BaseException:
            call.stopped.set()
            call.progress.close()
            raise
        return self._priced(call.result())

    async def _attempts(
        self,
        request: dict[str, Any],
        answer: Callable[[Received], Awaitable[Outcome]],
        buffers: BodyBuffers | None = None,
    ) -> Outcome:
        """Send `request` until `answer` says DONE or SPLIT, waiting between attempts as the policy says.

        With `buffers`, a 200's body is read into one of them (see `_body.py`), given back once answered.
        """
        attempts = Attempts(self._settings.retry)
        while True:
            attempts.count += 1
            await self._guard.admit_async(request)  # the shared rate budget
            permit = await self._limit.acquire_async()
            outcome: Outcome | None = None
            round_trip: float | None = None
            try:
                async with self._guard.watch_async(request):  # bounds the whole attempt (its body too), not each read
                    if buffers is None:
                        response = await self._http.request(**request)
                        received = Received(response, response.content)
                    else:
                        received = await buffers.receive_async(self._http, request)
                round_trip = self._limit.elapsed(permit)  # read, not yet decoded (see _concurrency.py)
            except httpx.HTTPError as error:
                outcome = after_exception(error)
            else:
                await self._guard.observe_async(request, received.response)
                cancelled = False
                try:
                    outcome = await answer(received)
                except asyncio.CancelledError:
                    cancelled = True  # the decoding thread may still be reading the buffer: it is never reused
                    raise
                finally:
                    if buffers is not None and not cancelled:
                        buffers.give(received)
            finally:
                self._limit.release(permit, load_signal(outcome), round_trip)
            if outcome.step in (Step.DONE, Step.SPLIT):
                return outcome
            wait = next_wait(outcome, attempts)
            logger.debug(
                "attempt %d failed (%s); retrying in %.2fs", attempts.count, type(outcome.error).__name__, wait
            )
            await asyncio.sleep(wait)

    async def _send(self, call: Call, batch: Batch) -> None:
        logger.debug("sending inputs %d-%d", batch.start, batch.stop - 1)

        async def answer(received: Received) -> Outcome:
            return await asyncio.to_thread(call.answer, received.response, batch, received.content)

        outcome = await self._attempts(call.request(batch), answer, call.buffers)
        if outcome.step is Step.SPLIT:
            logger.debug("inputs %d-%d too large for the service; splitting", batch.start, batch.stop - 1)
            for half in batch.halves():
                if not call.stopped.is_set():
                    await self._send(call, half)

    async def list_models(self) -> list[str]:
        """The ids of the models the key may use; see `Embedder.list_models`."""
        return [model.id for model in await self.models()]

    async def models(self) -> list[ModelInfo]:
        """The models the key may use, with prices; see `Embedder.models`."""
        found: list[ModelInfo] = []

        async def answer(received: Received) -> Outcome:
            outcome = self._models_answer(received.response)
            if isinstance(outcome, list):
                found.extend(outcome)
                return Outcome(Step.DONE)
            return outcome

        await self._attempts(self._models_request(), answer)
        return found

    async def estimate(
        self,
        texts: str | Iterable[str],
        *,
        batch: bool = False,
        price_per_million: float | None = None,
        **options: Unpack[EmbedOptions],
    ) -> Estimate:
        """What `embed(texts, **options)` would cost; see `Embedder.estimate`."""
        counted = await asyncio.to_thread(self._count, texts, options, batch=batch)
        if self._needs_prices(price_per_million):
            try:
                await self.models()
            except NotFoundError:  # a deployment without the models route: no price, no failure
                self._prices = {}
        return self._estimated(counted, price_per_million)

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
