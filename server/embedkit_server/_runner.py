"""Running the app: in the foreground for `make serve`, or on a background thread for tests, demos and benchmarks."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from ._app import STATS_PREFIX, ReferenceServer, ServerConfig


class _InjectedFaultNoise(logging.Filter):
    # A dropped response is deliberate; uvicorn reports each one as an application error.
    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def _uvicorn_config(app: ReferenceServer, log_level: str) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_InjectedFaultNoise())
    return uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_keep_alive=30)


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve until interrupted."""
    uvicorn_config = _uvicorn_config(ReferenceServer(config), log_level)
    uvicorn_config.host, uvicorn_config.port = host, port
    uvicorn.Server(uvicorn_config).run()


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
