"""Issue 11 item 1: a 200's body read into a buffer the call reuses (wrapper/embedkit/_body.py).

Every answer comes over real loopback HTTP: the reference server, or a tiny server sending a body without a length
(chunked) or compressed, so the buffer must grow past its first size while the body arrives.
"""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from embedkit import AsyncEmbedder, Embedder, ResponseTooLargeError
from embedkit._body import MAX_WIDTH, BodyBuffers, answer_limit
from embedkit_server import DEV_TOKEN, BackgroundServer
from embedkit_server._embeddings import compute_vectors

MODEL = "mistral-embed"


def texts(count: int, tag: str = "") -> list[str]:
    return [f"body buffer text {tag}{i}: about topic {i % 11}" for i in range(count)]


class Streaming:
    """A loopback server answering embeddings as float JSON, chunked (no length) or gzip-compressed."""

    def __init__(self, how: str) -> None:
        self.how = how

    def __enter__(self) -> str:
        how = self.how

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                asked = json.loads(self.rfile.read(int(self.headers["content-length"])))
                vectors = compute_vectors(MODEL, 1024, asked["input"])
                data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
                body = json.dumps({"object": "list", "model": MODEL, "data": data, "usage": {}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                if how == "gzip":
                    body = gzip.compress(body)
                    self.send_header("content-encoding", "gzip")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for start in range(0, len(body), 50_000):
                    piece = body[start : start + 50_000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("how", ["chunked", "gzip"])
def test_a_body_of_unannounced_length_grows_its_buffer_and_decodes_exactly(how: str) -> None:
    inputs = texts(160)  # a batch of 128 x 1024 floats is over 1 MiB: past the first buffer's size
    expected = compute_vectors(MODEL, 1024, inputs)
    with Streaming(how) as url, Embedder.mistral(base_url=url, api_key=DEV_TOKEN, batch_size=128) as embedder:
        result = embedder.embed(inputs)

    async def embed_async() -> Any:
        async with AsyncEmbedder.mistral(base_url=url, api_key=DEV_TOKEN, batch_size=128) as embedder:
            return await embedder.embed(inputs)

    with Streaming(how) as url:
        async_result = asyncio.run(embed_async())
    assert result.encodings == async_result.encodings == {"float": 2}
    assert np.array_equal(result.vectors, expected)
    assert np.array_equal(async_result.vectors, expected)


@pytest.fixture(scope="module")
def floats() -> Iterator[str]:
    with BackgroundServer() as server:
        yield server.url


def test_answers_shorter_than_the_reused_buffer_decode_only_their_own_bytes(floats: str) -> None:
    # Batches of 128, 128, then 9, one at a time: the last answer lands in a buffer holding a longer one.
    inputs = texts(265, "short-")
    with Embedder.mistral(base_url=floats, api_key=DEV_TOKEN, batch_size=128, max_concurrency=1) as embedder:
        result = embedder.embed(inputs)
    assert np.array_equal(result.vectors, compute_vectors(MODEL, 1024, inputs))


def post(url: str, inputs: list[str]) -> dict[str, Any]:
    return {
        "method": "POST",
        "url": f"{url}/v1/embeddings",
        "json": {"model": MODEL, "input": inputs},
        "headers": {"Authorization": f"Bearer {DEV_TOKEN}"},
    }


def test_a_buffer_still_viewed_after_its_answer_is_never_reused(floats: str) -> None:
    buffers = BodyBuffers()
    with httpx.Client() as client:
        first = buffers.receive(client, post(floats, texts(4, "a")))
        held = first.content[:4096]  # a view that outlives the answer (as a traceback's frame might hold)
        kept = held.tobytes()
        buffers.give(first)
        assert not buffers._free, "a buffer someone still views is not handed to the next answer"
        second = buffers.receive(client, post(floats, texts(4, "b")))
        assert held.tobytes() == kept, "the held view still reads the first answer"
        assert bytes(second.content) != kept
        buffers.give(second)
        assert len(buffers._free) == 1
        pooled = buffers._free[0]
        third = buffers.receive(client, post(floats, texts(2, "c")))
        assert third._buffer is pooled, "a released buffer serves the next answer"
        assert [item["index"] for item in json.loads(bytes(third.content))["data"]] == [0, 1]


def test_a_non_200_answer_is_read_whole_and_no_buffer_is_taken(floats: str) -> None:
    buffers = BodyBuffers()
    with httpx.Client() as client:
        request = post(floats, texts(1))
        request["headers"] = {"Authorization": "Bearer wrong"}
        received = buffers.receive(client, request)
    assert received.response.status_code == 401
    assert received._buffer is None
    assert isinstance(received.content, bytes)
    assert received.response.content == received.content


# --- issue 23: a 200's body is bounded by a multiple of the largest answer the request can get ---------------------


class Hostile:
    """A loopback server whose 200 never ends: endless chunks, an endless gzip bomb, a huge announced length, or one
    vector 2,000,000 values wide. It counts the bytes it managed to send before the client hung up."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.sent = 0

    def __enter__(self) -> str:
        hostile = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                try:
                    self.answer()
                except OSError:  # the client hung up: what this server exists to see
                    return

            def answer(self) -> None:
                if hostile.how == "announced":
                    self.send_header("content-length", str(10 << 30))
                    self.end_headers()
                    self.send(b'{"data":[' + b" " * (1 << 20))
                    return
                if hostile.how == "wide":
                    vector = b"[" + b",".join([b"0.001"] * 2_000_000) + b"]"
                    body = b'{"model":"mistral-embed","data":[{"index":0,"embedding":%s}],"usage":{}}' % vector
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.send(body)
                    return
                self.send_header("transfer-encoding", "chunked")
                if hostile.how == "bomb":
                    # Each piece after the first inflates to 1 MiB of zeros from about a kilobyte: an endless bomb.
                    self.send_header("content-encoding", "gzip")
                    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                    first = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
                    piece = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
                else:
                    first = b'{"object":"list","data":['
                    piece = b'{"object":"embedding","index":0,"embedding":[' + b"0.5," * 16_000 + b"0.5]},"
                self.end_headers()
                self.send(b"%x\r\n%s\r\n" % (len(first), first))
                deadline = time.monotonic() + 20  # never endless in a test: the client must stop long before
                while time.monotonic() < deadline:
                    self.send(b"%x\r\n%s\r\n" % (len(piece), piece))

            def send(self, data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()
                hostile.sent += len(data)

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("how", ["chunked", "bomb", "announced", "wide"])
@pytest.mark.parametrize("client", ["sync", "async"])
def test_a_body_past_the_largest_possible_answer_is_refused_early_and_typed(how: str, client: str) -> None:
    inputs = texts(2, how)
    limit = answer_limit(len(inputs))
    started = time.monotonic()
    hostile = Hostile(how)

    def embed(url: str) -> None:
        options: dict[str, Any] = {"base_url": url, "api_key": DEV_TOKEN, "max_retries": 0, "timeout": 30}
        if client == "sync":
            with Embedder.mistral(**options) as embedder:
                embedder.embed(inputs)
            return

        async def embed_async() -> None:
            async with AsyncEmbedder.mistral(**options) as embedder:
                await embedder.embed(inputs)

        asyncio.run(embed_async())

    with hostile as url, pytest.raises(ResponseTooLargeError) as raised:
        embed(url)
    assert raised.value.limit == limit
    assert f"{limit:,} bytes" in str(raised.value)
    assert time.monotonic() - started < 15, "stopped at the bound, not when the server gave up"
    # Read no further than the bound (what the server got into the socket's buffers aside): not 20 s of body.
    assert hostile.sent < limit + (16 << 20)


def test_the_bound_follows_the_inputs_and_the_asked_width() -> None:
    # 128 inputs of mistral-embed's 1024 values at Mistral's ~19 bytes a value is ~2.5 MB: far under the bound.
    assert answer_limit(128, 1024) > 128 * 1024 * 28
    assert answer_limit(128) > answer_limit(128, 1024) > answer_limit(1, 1024)
    # One input can never make a 2,000,000-wide vector (at least 4 bytes a value) fit.
    assert answer_limit(1) < 2_000_000 * 4


def test_a_vector_wider_than_any_model_is_refused_before_the_matrix_is_allocated() -> None:
    # 8 inputs may carry 8,193-wide vectors within the body bound; a call of 10,000,000 rows would then allocate
    # 330 GB for them. Refused, typed, naming the inputs, before any allocation.
    from embedkit import ResponseValidationError
    from embedkit._batching import Batch
    from embedkit._decode import OutputMatrix, decode_into

    wide = [[0.001] * (MAX_WIDTH + 1)] * 8
    raw = json.dumps({"data": [{"index": i, "embedding": v} for i, v in enumerate(wide)], "model": MODEL}).encode()
    assert len(raw) < answer_limit(8)
    matrix = OutputMatrix(10_000_000, np.dtype("<f4"), None)
    with pytest.raises(ResponseValidationError, match=r"inputs 0-7 have 8,193 values, wider than any") as raised:
        decode_into(raw, Batch(0, 8), matrix)
    assert raised.value.index == 0
    assert matrix.array is None
