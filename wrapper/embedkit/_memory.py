"""Keeping a long job's memory at its working set: glibc otherwise keeps what the job has freed.

A bulk job frees, every window, buffers of megabytes: response bodies, the parser's documents, the window's
matrix. glibc raises its mmap threshold after such a free (up to 32 MiB), so later buffers of that size come
from heaps shared by the worker threads, which fragment and are not returned to the system: measured with
tools/bench_memory.py, peak RSS grew with the corpus instead of staying at the working set (the figures are
in the README, "Bounded memory"). Fixing the threshold keeps large buffers in their own mappings, which
go back to the system when freed; trimming after each window returns what smaller frees left. Both are
no-ops where the C library is not glibc.
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
def hold_mmap_threshold() -> bool:
    """Keep large allocations in their own mappings for the rest of the process; whether it applied (once)."""
    library = _glibc()
    return bool(library and library.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release_freed_memory() -> None:
    """Return freed heap memory to the system (between windows of a job)."""
    library = _glibc()
    if library is not None:
        library.malloc_trim(0)
