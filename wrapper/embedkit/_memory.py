"""Keeping a long job's memory at its working set: glibc otherwise keeps what the job has freed.

A bulk job frees, every window, buffers of megabytes: response bodies, the parser's documents, the window's
matrix. glibc raises its mmap threshold after such a free (up to 32 MiB), so later buffers of that size come
from heaps shared by the worker threads, which fragment and are not returned to the system: measured with
tools/bench_memory.py, peak RSS grew with the corpus instead of staying at the working set (the figures are
in the README, "Bounded memory"). Fixing the threshold keeps large buffers in their own mappings, which
go back to the system when freed; trimming after each window returns what smaller frees left. Both are
no-ops where the C library is not glibc.

Fixing the threshold is a setting of the whole process, for good: every large allocation of every library in it
becomes a fresh mmap (and a munmap when freed) from then on. That is the right trade for a process that is a bulk
job, and the wrong one to impose on an application that merely embeds a few texts, so it is never a side effect
of making a client or embedding: `tune_allocator()` is called by what owns its process (the `embedkit embed`
command, `_bulk.run_job`, the benchmarks), or by an application that chooses it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, held fixed


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        library = ctypes.CDLL(name)
        return library if hasattr(library, "mallopt") and hasattr(library, "malloc_trim") else None
    except OSError:
        return None


@functools.cache
def tune_allocator() -> bool:
    """Opt in: hold glibc's mmap threshold for the rest of the PROCESS, for bulk embedding; whether it applied.

    From then on every allocation over 128 KiB, anyone's, gets its own mapping, handed back to the system when
    freed, instead of glibc's default of raising the threshold after the first such free and serving later ones
    from per-thread heaps that keep what they grew to. A long job's peak RSS then stays at its working set
    (response buffers, windows of vectors) rather than growing with the corpus; the price is a mmap/munmap pair
    per large allocation, in the whole process, and it cannot be undone. Hence opt-in: the `embed` command and
    `run_job` call it; a client never does. Applied once (later calls return the first answer); False where the
    C library is not glibc.
    """
    library = _glibc()
    return bool(library and library.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release_freed_memory() -> None:
    """Return freed heap memory to the system (between windows of a job)."""
    library = _glibc()
    if library is not None:
        library.malloc_trim(0)
