"""A bulk job: a file of texts in, a file of vectors out, in bounded memory, resumable after a crash.

Inputs are read as a stream and embedded a window at a time (a few batches per concurrent worker); each
window's rows are written out before the next is read, so memory holds one window, not the corpus (and
`_memory` keeps the C allocator from holding on to what earlier windows freed). With a
cache, every finished batch is committed before it counts as done: a job killed at any point and rerun with
the same arguments reads what was committed back from the cache and sends only the rest (at most the
batches that were in flight are sent twice), then writes exactly one row per input, in input order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from ._base import EmbedOptions
from ._client import Embedder
from ._errors import InputError
from ._files import NpyOutput, ParquetOutput, Record
from ._memory import hold_mmap_threshold, release_freed_memory
from ._result import Usage


@dataclass(frozen=True)
class JobSummary:
    """What a job did: rows written, how many came from the cache, tokens billed."""

    rows: int
    cached: int
    usage: Usage


def windows(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Consecutive lists of at most `size` records."""
    iterator = iter(records)
    while window := list(itertools.islice(iterator, size)):
        yield window


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
    """Embed every record into `output`, a window at a time; the output file appears only when complete."""
    hold_mmap_threshold()
    bar: Any = tqdm(total=total, unit="text", desc="embedding", dynamic_ncols=True) if progress else None
    rows = cached = 0
    usage = Usage()
    # Each window is one call; the job's bar replaces the calls' own.
    call_options: EmbedOptions = {**options, "progress": False}
    try:
        for chunk in windows(records, window):
            try:
                result = embedder.embed([record.text for record in chunk], **call_options)
            except InputError as error:
                # The index is the window's; name the record and its position in the whole input instead.
                if error.index is None:
                    raise
                bad = chunk[error.index]
                raise type(error)(
                    f"record {bad.id} (input {rows + error.index}): {error}", index=rows + error.index
                ) from error
            output.write(chunk, result.vectors)
            rows, cached, usage = rows + len(chunk), cached + result.cached, usage + result.usage
            del result
            release_freed_memory()
            if bar is not None:
                bar.update(len(chunk))
        output.finish()
    except BaseException:
        output.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    return JobSummary(rows=rows, cached=cached, usage=usage)
