"""A bulk job: a file of texts in, a file of vectors out, in bounded memory, resumable after a crash.

Inputs are read as a stream and embedded in calls of a round of batches or so, with the next call started before
the current one ends, so the client's workers never run dry at a boundary; rows are written in order a window
at a time, so memory holds about a window and two calls, not the corpus (and
`_memory` keeps the C allocator from holding on to what earlier windows freed). With a
cache, every finished batch is committed before it counts as done: a job killed at any point and rerun with
the same arguments reads what was committed back from the cache and sends only the rest (at most the
batches that were in flight are sent twice), then writes exactly one row per input, in input order.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import EmbedOptions
from ._client import Embedder
from ._errors import EmbeddingError, InputError, InputTooLongError, ResponseValidationError
from ._files import NpyOutput, ParquetOutput, Record
from ._memory import release_freed_memory, tune_allocator
from ._pricing import Cost
from ._progress import SharedBar, new_bar, reporting_to
from ._result import EmbeddingResult, Usage

if TYPE_CHECKING:
    from ._chunking import PooledOutput  # one row per document, from chunk rows (`--pool`)


@dataclass(frozen=True)
class JobSummary:
    """What a job did: rows written, how many came from the cache, tokens billed, and what they cost.

    `cost` is None when a call's price was unknown (see `EmbeddingResult.cost`).
    """

    rows: int
    cached: int
    usage: Usage
    cost: Cost | None = None


def windows(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Consecutive lists of at most `size` records."""
    if size < 1:
        raise ValueError(f"window must be at least 1 text, got {size}")
    iterator = iter(records)
    while window := list(itertools.islice(iterator, size)):
        yield window


def _embed_window(
    embedder: Embedder, chunk: list[Record], offset: int, options: EmbedOptions, bar: SharedBar | None = None
) -> EmbeddingResult:
    try:
        with reporting_to(bar):  # the job's bar moves at each of this call's batches
            return embedder.embed([record.text for record in chunk], **options)
    except InputError as error:
        # The index is the window's; name the record and its position in the whole input instead.
        if error.index is None:
            raise
        bad = chunk[error.index]
        raise type(error)(
            f"record {bad.id} (input {offset + error.index}): {error}", index=offset + error.index
        ) from error


def run_job(
    embedder: Embedder,
    records: Iterable[Record],
    output: ParquetOutput | NpyOutput | PooledOutput,
    *,
    window: int,
    options: EmbedOptions,
    total: int | None = None,
    progress: bool = False,
    step: int | None = None,
    before_call: Callable[[list[Record]], None] | None = None,
) -> JobSummary:
    """Embed every record into `output`, a window at a time; the output file appears only when complete.

    Texts are sent in calls of `step` texts (default and at most: `window`), two calls in flight at once: while
    one call's last batches run, the next one's are already queued on the client's workers, so the service sees
    `max_concurrency` requests throughout instead of a drain at every boundary. The client's pool (its threads,
    and its connections) still bounds what is in flight. Rows are written in input order, a window at a time
    (one Parquet row group each); memory holds about a window plus two calls. A `step` of one round of batches
    (`max_concurrency * batch_size`, as the CLI passes) also bounds the work still running when the job is
    interrupted to two rounds. An input with no texts raises `EmptyInputError` and writes nothing.
    `before_call` sees each call's records before it is sent, and may stop the job by raising (a spending
    limit does: what earlier calls committed stays in the cache). Running a job opts the whole process in to
    `_memory.tune_allocator()` (large allocations in their own mappings, for good), so that its memory stays at
    the working set over any number of windows.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 text, got {window}")
    step = min(step or window, window)
    # A bulk job is what the allocator setting is for; it is the process's for good (see `tune_allocator`), which
    # is why a job opts in here and a client never does.
    tune_allocator()
    bar = SharedBar(new_bar(total=total, unit="text", desc="embedding")) if progress else None
    job = _WindowWriter(output, bar, window)
    # Each step is one call; the job's bar replaces the calls' own.
    call_options: EmbedOptions = {**options, "progress": False}
    # Two threads: the call being finished and the next one, each waiting on its own `embed`.
    calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="embedkit-job")
    in_flight: collections.deque[tuple[list[Record], Future[EmbeddingResult]]] = collections.deque()
    try:
        submitted = 0
        for chunk in windows(_read(records, embedder), step):
            if before_call is not None:
                before_call(chunk)
            in_flight.append((chunk, calls.submit(_embed_window, embedder, chunk, submitted, call_options, bar)))
            submitted += len(chunk)
            if len(in_flight) == 2:
                job.add(*_oldest(in_flight))
        while in_flight:
            job.add(*_oldest(in_flight))
        job.flush()
        output.finish()
    except Exception as error:
        # Let the other call end (its batches are committed to the cache, the resume record) and keep its
        # error too, so that nothing runs on after the job has failed and nothing is swallowed.
        for _, future in in_flight:
            other = future.exception()
            if other is not None and other is not error:
                error.add_note(f"another part of the job failed too: {type(other).__name__}: {other}")
        output.abort()
        raise
    except BaseException:
        # Interrupted: do not wait for the calls (at most two steps still run); drop what has not started.
        for _, future in in_flight:
            future.cancel()
        output.abort()
        raise
    finally:
        calls.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()
    return JobSummary(rows=job.rows, cached=job.cached, usage=job.usage, cost=job.cost if job.priced else None)


def _read(records: Iterable[Record], embedder: Embedder) -> Iterator[Record]:
    """The records, with a failure of the iterable itself (a generator that raises) made a typed `InputError`.

    The job's handler then lets the calls in flight finish, so the rows they embedded are committed to the cache
    (when there is one) and a rerun over a repaired input sends only the rest.
    """
    iterator = iter(records)
    position = 0
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except EmbeddingError:
            raise
        except Exception as error:
            kept = (
                "; the rows embedded before it are in the cache: rerun to resume"
                if embedder._settings.cache is not None
                else ""
            )
            raise InputError(
                f"reading the input failed after {position} records ({type(error).__name__}: {error}){kept}"
            ) from error
        position += 1
        yield record


def same_model(served: str, earlier: str) -> bool:
    """Whether two served model names are one model: equal, or an alias and its dated id (`mistral-embed-2312`).

    A resumed job's cached rows may name the alias the cache recorded while new calls name the dated id.
    """
    return served == earlier or served.startswith(earlier + "-") or earlier.startswith(served + "-")


def _oldest(
    in_flight: collections.deque[tuple[list[Record], Future[EmbeddingResult]]],
) -> tuple[list[Record], EmbeddingResult]:
    chunk, future = in_flight[0]
    result = future.result()
    in_flight.popleft()
    return chunk, result


class _WindowWriter:
    """Finished calls gathered into windows and written in order; the job's counts."""

    def __init__(self, output: ParquetOutput | NpyOutput | PooledOutput, bar: Any, window: int) -> None:
        self.output, self.bar, self.window = output, bar, window
        self.records: list[Record] = []
        self.parts: list[np.ndarray[Any, Any]] = []
        self.rows = self.cached = 0
        self.usage = Usage()
        self.cost: Cost | None = None
        self.priced = True
        self.model: str | None = None

    def add(self, chunk: list[Record], result: EmbeddingResult) -> None:
        if self.model is not None and not same_model(result.model, self.model):
            # cortecs' model fallback can serve one call with another model, and a service can switch models
            # between calls: one file must hold one model's vectors.
            raise ResponseValidationError(
                f"records {chunk[0].id} on were embedded by {result.model}, earlier ones by {self.model}: vectors "
                "of different models are not comparable; rerun (without model fallback, if it was on)"
            )
        self.model = self.model or result.model
        if result.cost is None:
            self.priced = False
        elif self.priced:
            self.cost = result.cost if self.cost is None else self.cost + result.cost
        self.records.extend(chunk)
        self.parts.append(result.vectors)
        self.cached, self.usage = self.cached + result.cached, self.usage + result.usage
        # The bar has already moved: each batch of the call advanced it as its rows arrived.
        if len(self.records) >= self.window:
            self.flush()

    def flush(self) -> None:
        if not self.records:
            return
        vectors = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
        self.output.write(self.records, vectors)
        self.rows += len(self.records)
        self.records, self.parts = [], []
        del vectors
        release_freed_memory()


def long_input_check(embedder: Embedder, model: str | None) -> Callable[[Record, int], None]:
    """A check for `_files.scan_input`: an input over the per-input limit, refused before any text is paid for.

    Counted by the never-undercounting bound first; only a text the bound puts over the limit is counted exactly.
    """
    limits = embedder._settings.limits.for_model(model or embedder.model)

    def check(record: Record, position: int) -> None:
        counts = limits.count([record.text])
        if counts.values[0] > limits.max_input_tokens:
            counts.make_exact()
            if counts.values[0] > limits.max_input_tokens:
                raise InputTooLongError(
                    f"record {record.id} (input {position}) has {counts.values[0]} tokens, over the per-input limit "
                    f"of {limits.max_input_tokens}; nothing was sent: pass --truncate to cut it, or --chunk-tokens "
                    "to split it",
                    index=position,
                )

    return check
