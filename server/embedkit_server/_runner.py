"""Running the app: in the foreground for `make serve`, or on a background thread for tests, demos and benchmarks.

The HTTP protocol is uvicorn's, with a guard per connection (`GuardedProtocol`): uvicorn closes a connection
idle between requests (`timeout_keep_alive`), but waits for ever for the line and headers of a request, and for
its body, so a client sending a byte now and then (slowloris) holds a connection, and a few hundred of them hold
the server. The guard closes a connection whose request line and headers have not all arrived within
`header_timeout` of their first byte (or of the connection's opening: a silent connection is one too), answering
408 when some of them came; and one whose body pauses longer than `body_timeout`, or falls below `body_min_rate`
bytes/s on average once `body_timeout` has passed. Time the server itself is not reading (the application has
not asked for more of the body: uvicorn's flow control has paused the socket) is not held against the client.

The other direction too: uvicorn waits for ever for a client to read what it is sent, so one that asks for a large
download and reads it at 1 byte/s, or not at all, holds the connection, the application's task and the piece of
the file in the transport's buffer. While the server waits on the client (the transport's buffer is over its high
mark, so the application is paused, or the connection is closing with bytes still unsent), the guard watches the
buffer drain: a connection whose buffer has not shrunk for `send_timeout`, or has drained below `send_min_rate`
bytes/s on average once `send_timeout` has passed, is aborted (its unsent bytes dropped, not waited for).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import uvicorn

from ._app import STATS_PREFIX, ReferenceServer, ServerConfig

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
except ImportError:  # pragma: no cover - uvicorn without its `standard` extra
    from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseProtocol  # type: ignore[assignment]

_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
# The phases of a connection, as the guard sees them.
_HEADERS, _BODY, _APPLICATION, _IDLE = "headers", "body", "application", "idle"


class _ConnectionGuard(asyncio.Protocol):
    """Deadlines on a request's headers and body, checked by a timer per connection (see the module's docstring).

    A mixin over uvicorn's HTTP protocol, which it reads (`cycle`, `flow`, `transport`) but does not change: the
    phase is read from uvicorn's request cycle at each check, so the guard follows whatever the parser did.
    """

    header_timeout = 10.0
    body_timeout = 30.0
    body_min_rate = 1000.0
    send_timeout = 30.0
    send_min_rate = 1000.0
    # Connections closed by a deadline, by phase: observable from tests and benchmarks.
    closed: dict[str, int]

    transport: asyncio.Transport
    cycle: Any
    flow: Any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the connection's clock: its first request's headers are due within `header_timeout`."""
        super().connection_made(transport)
        self._loop = asyncio.get_running_loop()
        self._phase, self._cycle_seen = _HEADERS, None
        self._since = self._last = self._checked = self._loop.time()
        self._received = 0
        # While the server waits on the client to read: since when, when its buffer last shrank, the buffer's size
        # then, and how much it drained (None: not waiting).
        self._send_since: float | None = None
        self._send_last = 0.0
        self._buffered = self._drained = 0
        interval = min(self.header_timeout, self.body_timeout, self.send_timeout) / 4
        self._interval = max(0.05, min(interval, 1.0))
        self._timer: asyncio.TimerHandle | None = self._loop.call_later(self._interval, self._check)

    def data_received(self, data: bytes) -> None:
        """Note the bytes (the first of a new request starts its header clock), then let uvicorn parse them."""
        now = self._loop.time()
        if self._current_phase() == _IDLE:
            self._enter(_HEADERS, now)
        self._last = now
        self._received += len(data)
        super().data_received(data)
        self._observe(now)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def _current_phase(self) -> str:
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            # Before a first request, or after a response: waiting for headers, or idle (uvicorn's keep-alive).
            return _HEADERS if cycle is None or (self._phase == _HEADERS and cycle is self._cycle_seen) else _IDLE
        return _BODY if cycle.more_body else _APPLICATION

    def _enter(self, phase: str, now: float) -> None:
        self._phase, self._since, self._last, self._received = phase, now, now, 0
        self._cycle_seen = self.cycle

    def _observe(self, now: float) -> None:
        phase = self._current_phase()
        if phase != self._phase or (phase == _BODY and self.cycle is not self._cycle_seen):
            self._enter(phase, now)

    def _check(self) -> None:
        self._timer = None
        now = self._loop.time()
        if self._blocked_on_client(now) and now > self._send_deadline():
            self._expire("send")
            return
        if self.transport.is_closing():
            if self._send_since is not None:  # closing, its last bytes still unsent: watched until they are
                self._timer = self._loop.call_later(self._interval, self._check)
            return
        self._observe(now)
        if self._phase == _BODY and self._server_is_waiting():
            # The application is not reading (or not yet asked for the body the client is told to wait for with
            # `Expect: 100-continue`): the time is the server's, not the client's.
            paused = now - self._checked
            self._since += paused
            self._last = now
        self._checked = now
        if now > self._deadline():
            self._expire()
            return
        self._timer = self._loop.call_later(self._interval, self._check)

    def _blocked_on_client(self, now: float) -> bool:
        """Whether the server waits on the client to read, noting how far its unsent bytes drained since."""
        buffered = self.transport.get_write_buffer_size()
        paused = self.flow is not None and self.flow.write_paused
        if buffered == 0 or not (paused or self.transport.is_closing()):
            self._send_since = None  # keeping up, or nothing to send
            return False
        if self._send_since is None or buffered > self._buffered:
            # Newly waiting, or the application wrote more since (it was let write: the client had read enough).
            self._send_since = self._send_last = now
            self._drained = 0
        elif buffered < self._buffered:
            self._drained += self._buffered - buffered
            self._send_last = now
        self._buffered = buffered
        return True

    def _send_deadline(self) -> float:
        assert self._send_since is not None
        paced = self._send_since + self.send_timeout + self._drained / self.send_min_rate
        return min(paced, self._send_last + self.send_timeout)

    def _server_is_waiting(self) -> bool:
        paused = self.flow is not None and self.flow.read_paused
        return bool(paused or getattr(self.cycle, "waiting_for_100_continue", False))

    def _deadline(self) -> float:
        if self._phase == _HEADERS:
            return self._since + self.header_timeout
        if self._phase == _BODY:
            paced = self._since + self.body_timeout + self._received / self.body_min_rate
            return min(paced, self._last + self.body_timeout)
        return math.inf  # the application's work, or idle: uvicorn's keep-alive timer closes an idle connection

    def _expire(self, phase: str | None = None) -> None:
        phase = phase or self._phase
        type(self).closed[phase] = type(self).closed.get(phase, 0) + 1
        if phase == "send":
            # Its unsent bytes are dropped: `close` would wait for the client to read them, which it does not.
            self.transport.abort()
            return
        if phase == _HEADERS and self._received:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


class GuardedProtocol(_ConnectionGuard, _BaseProtocol):
    """uvicorn's HTTP/1.1 protocol with the connection guard; `guarded_protocol` makes one per configuration."""

    closed: dict[str, int] = {}  # noqa: RUF012 - a class's tally, replaced in each configured subclass


def guarded_protocol(config: ServerConfig) -> type[asyncio.Protocol]:
    """The protocol class uvicorn should use for a server of `config` (its timeouts; a tally of its own)."""
    attributes = {
        "header_timeout": config.header_timeout,
        "body_timeout": config.body_timeout,
        "body_min_rate": config.body_min_rate,
        "send_timeout": config.send_timeout,
        "send_min_rate": config.send_min_rate,
        "closed": {},
    }
    return cast("type[asyncio.Protocol]", type("ConfiguredGuardedProtocol", (GuardedProtocol,), attributes))


class _InjectedFaultNoise(logging.Filter):
    # A dropped response is deliberate; uvicorn reports each one as an application error.
    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def _uvicorn_config(app: ReferenceServer, log_level: str) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_InjectedFaultNoise())
    return uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="on", http=guarded_protocol(app.config),
        timeout_keep_alive=max(1, math.ceil(app.config.idle_timeout)),
    )  # fmt: skip


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` and listening; an `OSError` (port in use, host not this machine's) if not.

    Bound before anything is printed, so a command never says it serves on a port it then fails to take.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def serve(
    config: ServerConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    sock: socket.socket | None = None,
) -> None:
    """Serve until interrupted, on `sock` (from `listen`) if given, else on `host`:`port`."""
    uvicorn_config = _uvicorn_config(ReferenceServer(config), log_level)
    uvicorn_config.host, uvicorn_config.port = host, port
    uvicorn.Server(uvicorn_config).run(sockets=None if sock is None else [sock])


def read_stats(output: str) -> dict[str, int]:
    """The counters from a server's output (the stats line it prints on exit); empty if it printed none."""
    lines = [line for line in output.splitlines() if line.startswith(STATS_PREFIX)]
    return dict(json.loads(lines[-1][len(STATS_PREFIX) :])) if lines else {}


class BackgroundServer:
    """The reference server on 127.0.0.1 and a free port, in a daemon thread; `url` is its base URL.

    Use as a context manager: it is answering when `__enter__` returns and stopped when `__exit__` returns.
    """

    def __init__(self, config: ServerConfig | None = None, *, log_level: str = "warning") -> None:
        self.app = ReferenceServer(config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(_uvicorn_config(self.app, log_level))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the reference server did not start")
            time.sleep(0.01)
        return self

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Block until no connection is open and no request is running, so the app's counters are final.

        A client killed mid-request leaves its requests running here; they still count what they embed. Reading the
        counters before they finish would charge that work to whatever runs next.
        """
        state = self._server.server_state
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        # Idle must hold for a moment: a connection still in the accept queue is not in `connections` yet.
        while quiet_since is None or time.monotonic() - quiet_since < 0.2:
            if state.connections or state.tasks or self.app.in_flight:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the reference server was still busy after {timeout} s")
            time.sleep(0.01)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


class ServerProcess:
    """The reference server in a process of its own (for demos and benchmarks, which must not share its CPU).

    `command` starts it and is given `--port`; by default `python -m embedkit_server`. It is answering when
    `__enter__` returns its base URL, and terminated when `__exit__` returns.
    """

    def __init__(self, command: list[str] | None = None, *, timeout: float = 30.0, output: Path | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._command = [*(command or [sys.executable, "-m", "embedkit_server"]), "--port", str(self.port)]
        self._timeout = timeout
        # Where its standard output goes (the stats line it prints on exit: see `read_stats`); default: nowhere.
        self._output = output
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (to read its CPU time, say)."""
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> str:
        stdout = self._output.open("wb") if self._output is not None else subprocess.DEVNULL
        with contextlib.ExitStack() as owned:
            if stdout is not subprocess.DEVNULL:
                owned.callback(stdout.close)  # type: ignore[union-attr]  # the child keeps its own copy
            self._process = subprocess.Popen([*self._command, "--log-level", "warning"], stdout=stdout)  # noqa: S603
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self.url
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"the reference server did not start: {' '.join(self._command)}") from None
                time.sleep(0.05)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
