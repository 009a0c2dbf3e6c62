"""The asynchronous client: the same surface as `Embedder`, with as many batches in flight as the limit allows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import partial
from types import TracebackType
from typing import Unpack

import httpx

from ._base import BaseEmbedder, EmbedOptions
from ._batching import Batch
from ._body import Received, answer_limit
from ._core import Call, logger
from ._errors import NotFoundError
from ._models import ModelInfo, check_model_id, find_model
from ._policy import Outcome, Step
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
        chunking = options.pop("chunking", None)
        if chunking is not None:
            plan = await asyncio.to_thread(self._chunk_plan, texts, chunking, options)
            return plan.result(await self.embed(plan.texts, **options), normalize=bool(options.get("normalize")))
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

    async def _send(self, call: Call, batch: Batch) -> None:
        logger.debug("sending inputs %d-%d", batch.start, batch.stop - 1)

        async def answer(received: Received) -> Outcome:
            return await asyncio.to_thread(call.answer, received.response, batch, received.content)

        request = call.request(batch)
        outcome = await self._transport.exchange_async(
            lambda: request,
            answer,
            stopped=call.stopped,
            read=partial(call.buffers.receive_async, limit=answer_limit(len(batch), call.matrix.width)),
            give=call.buffers.give,
        )
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

        request = self._models_request()
        await self._transport.exchange_async(lambda: request, answer)
        return found

    async def model_info(self, model_id: str) -> ModelInfo:
        """One model's card, by id or alias, retried like `embed`; see `Embedder.model_info`."""
        model_id = check_model_id(model_id)
        service = self._settings.service.name
        if service != "mistral":
            return find_model(await self.models(), model_id, service)
        found: list[ModelInfo] = []

        async def answer(received: Received) -> Outcome:
            outcome = self._model_answer(received.response)
            if isinstance(outcome, ModelInfo):
                found.append(outcome)
                return Outcome(Step.DONE)
            return outcome

        request = self._model_request(model_id)
        await self._transport.exchange_async(lambda: request, answer)
        return found[0]

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
        """Close the connection pool and the rate budget, unless passed in (then their owners close them).

        Once: a second call does nothing, and every later request raises `ClosedError`.
        """
        if self._transport.closed:
            return
        self._transport.close()
        if self._owns_http:
            await self._http.aclose()
        self._close_cache()
        budget = self._settings.budget
        if self._settings.owns_budget:  # its file's connection; a budget shared in the process stays to the others
            # Closing waits for a step in progress (a file's lock): off the event loop, as the steps themselves are.
            await asyncio.to_thread(budget.close) if budget.backend.blocking else budget.close()

    async def __aenter__(self) -> AsyncEmbedder:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()
