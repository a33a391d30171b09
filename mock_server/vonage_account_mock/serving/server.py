"""Serving the mock over a real socket: a threaded server for tests, and the blocking CLI server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from vonage_account_mock.app import create_app
from vonage_account_mock.serving.protocol import ConnectionLimits, LimitedHttpToolsProtocol
from vonage_account_mock.serving.tls import TlsFiles


def _config(
    app: Any, host: str, port: int, tls: TlsFiles | None, log_level: str, limits: ConnectionLimits
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        http=type("MockHttpProtocol", (LimitedHttpToolsProtocol,), {"limits": limits}),
        ssl_certfile=str(tls.certfile) if tls else None,
        ssl_keyfile=str(tls.keyfile) if tls else None,
        timeout_keep_alive=int(limits.keep_alive_timeout) or 1,
        # No proxy in front of a local mock: the client address is the peer's.
        proxy_headers=False,
        timeout_graceful_shutdown=3,
    )


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency through uvicorn[standard]
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _abort(server: uvicorn.Server) -> None:
    """Stop at once: clients' idle keep-alive (and TLS) connections must not hold the shutdown hostage."""
    server.should_exit = server.force_exit = True
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()


class ThreadedMockServer:
    """The mock on a free port in a background thread: `start()`, `.url`, `stop()`, or `with`."""

    def __init__(
        self,
        app: Any = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsFiles | None = None,
        log_level: str = "warning",
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.app = app if app is not None else create_app()
        self.host = host
        self.tls = tls
        self._config = _config(self.app, host, port, tls, log_level, limits or ConnectionLimits())
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321`."""
        if self.port is None:
            raise RuntimeError("the server is not running")
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def hostport(self) -> str:
        """`host:port`, as the Vonage SDKs take their hosts."""
        return self.url.split("://", 1)[1]

    def start(self, timeout: float = 10.0) -> ThreadedMockServer:
        """Start serving; returns once the socket accepts connections."""
        if self._server is not None:
            raise RuntimeError("the server is already running")
        server = uvicorn.Server(self._config)
        # uvicorn leaves signals alone outside the main thread; the loop is ours so stop() can reach it.
        loop = _new_event_loop()
        thread = threading.Thread(
            target=loop.run_until_complete, args=(server.serve(),), name="vonage-account-mock", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the mock server failed to start (see its log)")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise TimeoutError("the mock server did not start in time")
            time.sleep(0.005)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self._server, self._thread, self._loop = server, thread, loop
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is None or self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(_abort, self._server)
        self._thread.join(timeout)
        self._loop.close()
        self._server = self._thread = self._loop = None
        self.port = None
        # The mock's callback worker, if it started one (lifespan is off, so the app is not told otherwise).
        close = getattr(self.app, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> ThreadedMockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before serving so that port 0 resolves to a real, printable port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _ReadyServer(uvicorn.Server):
    """uvicorn's server, calling `on_ready` once it accepts requests (an exception from it stops the start)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()


def serve_forever(
    app: Any,
    sock: socket.socket,
    *,
    tls: TlsFiles | None,
    log_level: str = "info",
    limits: ConnectionLimits | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve on a bound socket in the foreground until interrupted (Ctrl-C stops it cleanly).

    `on_ready` is called once the server answers requests.
    """
    host, port = sock.getsockname()[:2]
    config = _config(app, host, port, tls, log_level, limits or ConnectionLimits())
    _ReadyServer(config, on_ready).run(sockets=[sock])
