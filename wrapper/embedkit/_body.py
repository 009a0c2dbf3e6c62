"""A 200 answer's body read into a buffer the call reuses, rather than into a new `bytes` per answer.

httpx's `Response.read()` holds a body twice at its peak (the chunks as they came, then their join), and every
answer allocates a new megabytes-long `bytes`. Freed, such a block is not handed back to the system: glibc raises
its mmap threshold after the first free of one, so the next ones come from the per-thread malloc arenas, which
keep what they grew to. With several requests in flight (a float answer of 128 x 1024 values is ~1.6 MB), that
was most of the float path's peak RSS beyond the output matrix. Here a body is written chunk by chunk into a
buffer taken from the call's `BodyBuffers`, decoded from a view of it, and the buffer goes back for the next
answer: at most one buffer per request in flight, allocated once per call. The buffers themselves are such blocks:
where the process opted in to `_memory.tune_allocator()` (the `embed` command and the bulk job do, as `make bench`
does for embedkit), each lives in its own mapping, returned to the system when freed, rather than in whichever
thread's arena allocated it (`make bench`'s float path: the peak RSS above the floor's was mostly those arenas'
slack). Making buffers never tunes the allocator itself: that setting is the whole process's, for good, and not a
library's to change behind its host application's back.

A 200's body is also bounded (`answer_limit`): a multiple of the largest answer the request could get (its inputs
times the widest vector times the longest JSON number, plus slack). An endless chunked body or a compression bomb
stops there with a `ResponseTooLargeError`, the memory held bounded by that limit and one decoded chunk, rather than
growing the process to gigabytes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._errors import ResponseTooLargeError

# A buffer is kept for the next answer only up to this size; one past it (a rare, huge answer) is freed after use.
KEPT_BYTES = 64 << 20
# What a buffer starts at when the answer does not say its length (or says it compressed).
FIRST_BYTES = 1 << 20
# The widest vector any embeddings model is expected to send when no `output_dimension` was asked (Mistral's are
# 1024 and up to 3072; the widest common models elsewhere, 4096): a bound on size, not a check of the width.
MAX_WIDTH = 8192
# The most JSON bytes one value can take in a real answer: the exact decimal of a float16 subnormal with its sign
# and comma is 28 bytes (`-0.000000059604644775390625,`), a float64's shortest form at most 25.
MAX_VALUE_BYTES = 32
# Per vector (its object, keys and index) and per answer (id, model, usage, provider): generous.
ITEM_BYTES, ANSWER_BYTES = 1024, 64 << 10
# How many times the largest possible answer a body may reach before it is refused.
LIMIT_FACTOR = 2


def answer_limit(inputs: int, width: int | None = None) -> int:
    """The most bytes a 200 to a request of `inputs` texts may hold (vectors of `width` values, if asked)."""
    largest = inputs * ((width or MAX_WIDTH) * MAX_VALUE_BYTES + ITEM_BYTES) + ANSWER_BYTES
    return LIMIT_FACTOR * largest


@dataclass
class Received:
    """An answer: its response (headers, status) and its body, a view of a reused buffer for a 200."""

    response: httpx.Response
    # Not in the repr: a body may echo the key, and a traceback recorder prints the frames' locals.
    content: bytes | memoryview = field(repr=False)
    _buffer: bytearray | None = field(default=None, repr=False)


class BodyBuffers:
    """The receive buffers of one call; each is used by one request at a time, then given back."""

    def __init__(self) -> None:
        self._free: list[bytearray] = []
        self._lock = threading.Lock()

    def receive(self, http: httpx.Client, request: dict[str, Any], *, limit: int | None = None) -> Received:
        """Send `request` with `http` and read its answer; a 200's body into a buffer (give it back after use).

        A 200 whose body passes `limit` bytes (see `answer_limit`) raises `ResponseTooLargeError` as soon as it does.
        """
        arguments, auth, follow = _split(request)
        response = http.send(http.build_request(**arguments), auth=auth, follow_redirects=follow, stream=True)
        try:
            if response.status_code != 200:
                return Received(response, response.read())
            body = _Filling(self._take(_announced(response, limit)), limit)
            for chunk in response.iter_bytes():
                body.add(chunk)
            return body.received(response)
        finally:
            response.close()

    async def receive_async(
        self, http: httpx.AsyncClient, request: dict[str, Any], *, limit: int | None = None
    ) -> Received:
        """`receive` for asyncio."""
        arguments, auth, follow = _split(request)
        response = await http.send(http.build_request(**arguments), auth=auth, follow_redirects=follow, stream=True)
        try:
            if response.status_code != 200:
                return Received(response, await response.aread())
            body = _Filling(self._take(_announced(response, limit)), limit)
            async for chunk in response.aiter_bytes():
                body.add(chunk)
            return body.received(response)
        finally:
            await response.aclose()

    def give(self, received: Received) -> None:
        """The answer is decoded: its buffer serves the next one, unless a view of it outlived the decoding.

        (A traceback's frame may hold one.) Such a buffer is left to its holders, never written again.
        """
        buffer = received._buffer
        if buffer is None:
            return
        received._buffer = None
        assert isinstance(received.content, memoryview)
        try:
            received.content.release()
            # bytearray refuses to resize while any view of it exists: a probe that changes nothing else.
            buffer.append(buffer.pop())
        except BufferError:
            return
        if len(buffer) <= KEPT_BYTES:
            with self._lock:
                self._free.append(buffer)

    def _take(self, announced: int | None) -> bytearray:
        with self._lock:
            buffer = self._free.pop() if self._free else None
        wanted = min(announced or FIRST_BYTES, KEPT_BYTES)  # a length the server claims is not trusted past this
        if buffer is None or len(buffer) < wanted:
            buffer = bytearray(wanted)
        return buffer


class _Filling:
    """A body being written into a buffer, chunk by chunk (no local of it holds a piece of the body)."""

    def __init__(self, buffer: bytearray, limit: int | None = None) -> None:
        self.buffer, self.size, self.limit = buffer, 0, limit

    def add(self, chunk: bytes) -> None:
        end = self.size + len(chunk)
        if self.limit is not None and end > self.limit:
            raise _too_large(self.limit)
        if end > len(self.buffer):
            # Grown into a new buffer (not resized in place), so a view of the old one can never go stale; never
            # past the limit, so a body that stops just under it costs no more than the limit.
            size = max(end, 2 * len(self.buffer))
            grown = bytearray(size if self.limit is None else min(size, self.limit))
            grown[: self.size] = memoryview(self.buffer)[: self.size]
            self.buffer = grown
        self.buffer[self.size : end] = chunk
        self.size = end

    def received(self, response: httpx.Response) -> Received:
        return Received(response, memoryview(self.buffer)[: self.size], self.buffer)


def _split(request: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """A request's arguments to `build_request`, and the two that go to `send` instead."""
    arguments = dict(request)
    auth = arguments.pop("auth", httpx.USE_CLIENT_DEFAULT)
    follow = arguments.pop("follow_redirects", httpx.USE_CLIENT_DEFAULT)
    return arguments, auth, follow


def _too_large(limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the response body passed {limit:,} bytes, more than any answer to this request can hold; "
        "refused without reading the rest (an endless or decompression-bomb body?)",
        limit=limit,
    )


def _announced(response: httpx.Response, limit: int | None = None) -> int | None:
    """The body's length, when the answer says it and sends it uncompressed (refused at once past `limit`)."""
    try:
        length = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    if response.headers.get("content-encoding", "identity") != "identity":
        return None
    if limit is not None and length > limit:
        raise _too_large(limit)
    return length if length > 0 else None
