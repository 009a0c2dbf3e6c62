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
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from embedkit import AsyncEmbedder, Embedder
from embedkit._body import BodyBuffers
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
