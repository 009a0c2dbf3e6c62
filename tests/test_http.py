"""The sync client's own transport (embedkit._http): httpx's public transport API, the environment's proxies kept.

embedkit gives its httpx client a transport of its own (to bound every attempt, see test_ratebudget's watchdog
tests), which turns off httpx's reading of HTTP_PROXY/NO_PROXY: the transport must do it instead.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from embedkit import APIConnectionError, Embedder, RetryPolicy
from embedkit._http import WatchdogTransport, _spared, new_sync_client

DEV_TOKEN = "dev-token"


class ForwardProxy:
    """A plain HTTP forward proxy on loopback that records the absolute-form targets it was asked for."""

    def __init__(self) -> None:
        seen: list[str] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                seen.append(self.path)
                target = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
                upstream.request(
                    self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers
                )
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            do_GET = do_POST = _relay

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    with ForwardProxy() as running:
        monkeypatch.setenv("HTTP_PROXY", running.url)
        yield running


def test_the_environments_proxy_carries_every_request(proxy: ForwardProxy, server: Any) -> None:
    with Embedder(api_key=DEV_TOKEN, base_url=server.url, progress=False) as embedder:
        result = embedder.embed(["through a proxy", "and back"])
    assert result.vectors.shape[0] == 2
    assert proxy.seen == [f"{server.url}/v1/embeddings"]


def test_no_proxy_sends_a_host_direct(proxy: ForwardProxy, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "example.org,127.0.0.1")
    with Embedder(api_key=DEV_TOKEN, base_url=server.url, progress=False) as embedder:
        assert embedder.embed(["direct"]).vectors.shape[0] == 1
    assert proxy.seen == []


@pytest.mark.parametrize(
    ("host", "no_proxy", "spared"),
    [
        ("api.mistral.ai", "*", True),
        ("api.mistral.ai", "mistral.ai", True),
        ("api.mistral.ai", ".mistral.ai", True),
        ("api.mistral.ai", "notmistral.ai", False),
        ("mistral.ai", "mistral.ai:443", True),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("[::1]", "::1", True),
        ("::1", "[::1]:8000", True),
        ("api.mistral.ai", "", False),
        ("api.mistral.ai", " , ,", False),
    ],
)
def test_no_proxy_entries_read_as_curl_and_httpx_read_them(host: str, no_proxy: str, spared: bool) -> None:
    assert _spared(host, no_proxy) is spared


def test_a_refused_connection_is_httpxs_own_error_and_embedkits_typed_one() -> None:
    transport = WatchdogTransport(httpx.Limits(), proxies={})
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError):
        client.get("http://127.0.0.1:9/")  # the discard port: nothing listens on loopback
    with pytest.raises(APIConnectionError), Embedder(
        api_key=DEV_TOKEN, base_url="http://127.0.0.1:9", progress=False, retry=RetryPolicy(max_retries=0)
    ) as embedder:  # fmt: skip
        embedder.embed(["nobody home"])


def test_a_streamed_answer_reads_through_the_transport(server: Any) -> None:
    with new_sync_client(httpx.Timeout(10), httpx.Limits()) as client:
        with client.stream("GET", f"{server.url}/v1/models", headers={"Authorization": f"Bearer {DEV_TOKEN}"}) as r:
            body = b"".join(r.iter_bytes())
        assert r.status_code == 200
        assert b'"data"' in body
