"""A bulk job: a file of texts in, a file of vectors out, in bounded memory, resumable after a crash.

Inputs are read as a stream and embedded a window at a time (a few batches per concurrent worker), with the
next window's call started before the current one is written, so the client's workers never run dry at a window
boundary; rows are written in order as windows finish, so memory holds two windows, not the corpus (and
`_memory` keeps the C allocator from holding on to what earlier windows freed). With a
cache, every finished batch is committed before it counts as done: a job killed at any point and rerun with
the same arguments reads what was committed back from the cache and sends only the rest (at most the
batches that were in flight are sent twice), then writes exactly one row per input, in input order.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from ._base import EmbedOptions
from ._client import Embedder
from ._errors import InputError
from ._files import NpyOutput, ParquetOutput, Record
from ._memory import hold_mmap_threshold, release_freed_memory
from ._result import EmbeddingResult, Usage


@dataclass(frozen=True)
class JobSummary:
    """What a job did: rows written, how many came from the cache, tokens billed."""

    rows: int
    cached: int
    usage: Usage


def windows(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Consecutive lists of at most `size` records."""
    if size < 1:
        raise ValueError(f"window must be at least 1 text, got {size}")
    iterator = iter(records)
    while window := list(itertools.islice(iterator, size)):
        yield window


def _embed_window(embedder: Embedder, chunk: list[Record], offset: int, options: EmbedOptions) -> EmbeddingResult:
    try:
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
    output: ParquetOutput | NpyOutput,
    *,
    window: int,
    options: EmbedOptions,
    total: int | None = None,
    progress: bool = False,
) -> JobSummary:
    """Embed every record into `output`, a window at a time; the output file appears only when complete.

    Two windows are in flight at once: while window N's last batches run, window N+1's are already queued on
    the client's workers, so the service sees `max_concurrency` requests throughout instead of a drain at every
    window boundary. The client's pool (its threads, and its connections) still bounds what is in flight;
    memory holds at most two windows; rows are written in input order. An input with no texts raises
    `EmptyInputError` and writes nothing.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 text, got {window}")
    hold_mmap_threshold()
    bar: Any = tqdm(total=total, unit="text", desc="embedding", dynamic_ncols=True) if progress else None
    rows = cached = 0
    usage = Usage()
    # Each window is one call; the job's bar replaces the calls' own.
    call_options: EmbedOptions = {**options, "progress": False}
    # Two threads: the window being finished and the next one, each waiting on its own `embed` call.
    calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="embedkit-window")
    in_flight: collections.deque[tuple[list[Record], Future[EmbeddingResult]]] = collections.deque()
    try:
        submitted = 0
        for chunk in windows(records, window):
            in_flight.append((chunk, calls.submit(_embed_window, embedder, chunk, submitted, call_options)))
            submitted += len(chunk)
            if len(in_flight) < 2:
                continue
            rows, cached, usage = _write_oldest(in_flight, output, bar, (rows, cached, usage))
        while in_flight:
            rows, cached, usage = _write_oldest(in_flight, output, bar, (rows, cached, usage))
        output.finish()
    except Exception as error:
        # Let the other window's call end (its batches are committed to the cache, the resume record) and
        # keep its error too, so that nothing runs on after the job has failed and nothing is swallowed.
        for _, future in in_flight:
            other = future.exception()
            if other is not None and other is not error:
                error.add_note(f"another window failed too: {type(other).__name__}: {other}")
        output.abort()
        raise
    except BaseException:
        # Interrupted: do not wait for the calls (closing the client stops them); drop what has not started.
        for _, future in in_flight:
            future.cancel()
        output.abort()
        raise
    finally:
        calls.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()
    return JobSummary(rows=rows, cached=cached, usage=usage)


def _write_oldest(
    in_flight: collections.deque[tuple[list[Record], Future[EmbeddingResult]]],
    output: ParquetOutput | NpyOutput,
    bar: Any,
    totals: tuple[int, int, Usage],
) -> tuple[int, int, Usage]:
    chunk, future = in_flight[0]
    result = future.result()
    in_flight.popleft()
    output.write(chunk, result.vectors)
    rows, cached, usage = totals
    totals = rows + len(chunk), cached + result.cached, usage + result.usage
    del result
    release_freed_memory()
    if bar is not None:
        bar.update(len(chunk))
    return totals
