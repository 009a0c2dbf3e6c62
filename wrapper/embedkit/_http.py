"""The connections the synchronous client opens: httpx's public transport API over an httpcore pool with a watchdog.

httpx's timeouts bound each socket operation, not an attempt (see `_guard`). httpcore lets a pool run on a network
backend of our own (`httpcore.ConnectionPool(network_backend=...)`, public), and httpx lets a client run on a
transport of our own (`httpx.BaseTransport`, public); `WatchdogTransport` joins the two, so nothing here touches a
private attribute of either library and httpx is not pinned below its next release.

A client given a transport no longer reads proxy settings from the environment, so the transport does what httpx
would: `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (read with the standard library's `urllib.request.getproxies`),
`NO_PROXY` honoured per host (`_spared`), and `SSL_CERT_FILE`/`SSL_CERT_DIR` through `httpx.create_ssl_context`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from ._concurrency import answer_arrived
from ._guard import time_left


class WatchdogStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the current attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, within what is left of the attempt."""
        return self._inner.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write, within what is left of the attempt."""
        self._inner.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        """TLS on the connection, the handshake within what is left of the attempt."""
        inner = self._inner.start_tls(ssl_context, server_hostname, time_left(timeout, httpcore.ConnectTimeout))
        return WatchdogStream(inner)

    def get_extra_info(self, info: str) -> Any:
        """The connection's details (socket, TLS object), as httpcore asks."""
        return self._inner.get_extra_info(info)


class WatchdogBackend(httpcore.NetworkBackend):
    """httpcore's own network backend, with every connection a `WatchdogStream`."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        """Connect, within what is left of the attempt."""
        stream = self._inner.connect_tcp(
            host, port, time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return WatchdogStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Connect, within what is left of the attempt."""
        return WatchdogStream(
            self._inner.connect_unix_socket(path, time_left(timeout, httpcore.ConnectTimeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's own retries of a connect)."""
        self._inner.sleep(seconds)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """The exceptions of httpcore as httpx's of the same name, as httpx's own transport raises them."""
    try:
        yield
    except httpcore.UnsupportedProtocol as error:  # not an httpcore.NetworkError; httpx has it by the same name
        raise httpx.UnsupportedProtocol(str(error)) from error
    except Exception as error:
        for kind in type(error).__mro__:  # the most specific first: ReadTimeout before TimeoutException
            if kind.__module__.startswith("httpcore") and isinstance(getattr(httpx, kind.__name__, None), type):
                raise getattr(httpx, kind.__name__)(str(error)) from error
        raise


class _Body(httpx.SyncByteStream):
    """An answer's body as httpcore streams it, its errors as httpx's."""

    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            with _as_httpx_errors():
                close()


def _spared(host: str, no_proxy: str) -> bool:
    """Whether NO_PROXY sends `host` direct, as curl and httpx read it.

    An entry spares every host (`*`), a host and its subdomains (`example.com` or `.example.com`), or a network
    (`10.0.0.0/8`).
    """
    for entry in no_proxy.replace(" ", "").split(","):
        if entry == "*":
            return True
        name = entry.lstrip(".")
        if name.startswith("["):  # [::1] or [::1]:443
            name = name[1:].split("]")[0]
        elif name.count(":") == 1:  # host:port
            name = name.split(":")[0]
        if name and (host.strip("[]") == name or host.endswith("." + name)):
            return True
        with contextlib.suppress(ValueError):
            if "/" in name and ipaddress.ip_address(host.strip("[]")) in ipaddress.ip_network(name, strict=False):
                return True
    return False


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)


Pool = httpcore.ConnectionPool | httpcore.HTTPProxy | httpcore.SOCKSProxy


class WatchdogTransport(httpx.BaseTransport):
    """httpx's default transport, over pools whose every socket operation ends by the attempt's deadline."""

    def __init__(self, limits: httpx.Limits, *, proxies: dict[str, str] | None = None) -> None:
        self._limits = limits
        self._settings = urllib.request.getproxies() if proxies is None else proxies
        # The TLS context is made on first use: loading the system's CA certificates costs 20-30 ms of CPU, which a
        # client of a plain-http service (a local gateway, the reference server) spent for nothing. So direct
        # requests go through two pools, one per scheme (each with the limits; a client talks to one base URL).
        self._ssl: ssl.SSLContext | None = None
        self._making = threading.RLock()  # reentrant: making the TLS pool makes the TLS context under it
        self._plain = self._pool(None, tls=False)
        self._tls: Pool | None = None
        # One pool per proxy, made up front: requests from many threads then only read this.
        self._proxied = {
            setting: self._pool(httpx.Proxy(setting if "://" in setting else f"http://{setting}"))
            for scheme in ("http", "https", "all")
            if (setting := self._settings.get(scheme))
        }

    def _context(self) -> ssl.SSLContext:
        with self._making:
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context(trust_env=True)
            return self._ssl

    def _pool(self, proxy: httpx.Proxy | None, *, tls: bool = True) -> Pool:
        shared: dict[str, Any] = {
            # None only for the pool of plain-http origins, which httpcore never asks for one.
            "ssl_context": self._context() if tls else None,
            "max_connections": self._limits.max_connections,
            "max_keepalive_connections": self._limits.max_keepalive_connections,
            "keepalive_expiry": self._limits.keepalive_expiry,
            "network_backend": WatchdogBackend(),
        }
        if proxy is None:
            return httpcore.ConnectionPool(**shared)
        if proxy.url.scheme in ("http", "https"):
            return httpcore.HTTPProxy(
                proxy_url=_core_url(proxy.url), proxy_auth=proxy.raw_auth, proxy_headers=proxy.headers.raw,
                proxy_ssl_context=proxy.ssl_context, **shared,
            )  # fmt: skip
        if proxy.url.scheme in ("socks5", "socks5h"):
            return httpcore.SOCKSProxy(proxy_url=_core_url(proxy.url), proxy_auth=proxy.raw_auth, **shared)
        raise httpx.UnsupportedProtocol(f"proxy scheme {proxy.url.scheme!r}: use http, https, socks5 or socks5h")

    def _route(self, url: httpx.URL) -> Pool:
        """The pool a request to `url` goes through: its scheme's proxy (or ALL_PROXY's), unless NO_PROXY spares it."""
        setting = self._settings.get(url.scheme) or self._settings.get("all")
        if setting and not _spared(url.host, self._settings.get("no", "")):
            return self._proxied[setting]
        if url.scheme == "http":
            return self._plain
        with self._making:
            if self._tls is None:
                self._tls = self._pool(None)
            return self._tls

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through its pool; the answer's body streams as httpx expects."""
        if not isinstance(request.stream, Iterable):
            raise TypeError("a synchronous transport needs a synchronous request body")
        core = httpcore.Request(
            method=request.method, url=_core_url(request.url), headers=request.headers.raw, content=request.stream,
            extensions=request.extensions,
        )  # fmt: skip
        with _as_httpx_errors():
            answer = self._route(request.url).handle_request(core)
            # The headers are in: the round trip ends here, and the body is read once the client's concurrency limit
            # has a slot for one more (see `_concurrency.answer_arrived`); until then it waits in the socket.
            try:
                taken = answer_arrived(time_left(None, httpcore.ReadTimeout))
            except BaseException:  # past the deadline already, or interrupted: the connection is not left open
                answer.close()
                raise
            if not taken:
                answer.close()
                raise httpcore.ReadTimeout("no answer could be read before the attempt's deadline")
        if not isinstance(answer.stream, Iterable):
            raise TypeError("httpcore answered a synchronous request with an asynchronous body")
        return httpx.Response(
            answer.status, headers=answer.headers, stream=_Body(answer.stream), extensions=answer.extensions
        )

    def close(self) -> None:
        """Close every pool (their connections with them)."""
        with self._making:
            pools = [self._plain, *([self._tls] if self._tls is not None else []), *self._proxied.values()]
        with _as_httpx_errors():
            for pool in pools:
                pool.close()


def new_sync_client(timeout: httpx.Timeout, limits: httpx.Limits) -> httpx.Client:
    """The httpx client embedkit makes for itself when the user passes none: its attempts bounded by the watchdog."""
    return httpx.Client(timeout=timeout, transport=WatchdogTransport(limits))
