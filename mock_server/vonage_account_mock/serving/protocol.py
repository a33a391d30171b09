"""The mock's HTTP/1.1 protocol: uvicorn's httptools parser with the limits a shared mock needs, and one write per
answer.

uvicorn's httptools protocol is the fastest server stack the mock can run on, but it bounds nothing: header bytes,
the time a client may take to send its headers or its body, idle connections, their number. Those limits are added
here, around it, where they cost a comparison per chunk read. And uvicorn writes an answer's status line and headers
and its body in two system calls; holding the first until the second arrives, or until the event loop turns, makes it
one, which is most of what separates a small JSON answer from the network; an answer is written at once when no
other request is in flight.
"""

from __future__ import annotations

import asyncio
import functools
import json
import weakref
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from vonage_account_mock.layers.context import state_of
from vonage_account_mock.layers.problems import generic_problem

_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection, and all of them together, may take of the server. Defaults suit a shared mock."""

    max_header_bytes: int = 16 * 1024
    """Request line and headers; beyond it, 431."""
    header_timeout: float = 10.0
    """Seconds from a request's first byte (or a connection's opening) to the end of its headers."""
    body_timeout: float = 10.0
    """Seconds a request's body may go without a new byte."""
    keep_alive_timeout: float = 30.0
    """Seconds an idle keep-alive connection stays open (SDK pools keep theirs between test steps)."""
    max_connections: int = 1000
    """Open connections; a connection beyond is closed at once, so the ones already open keep being served."""


class CoalescingTransport:
    """A transport that joins the writes made in one turn of the event loop into one system call."""

    __slots__ = ("_loop", "_pending", "_scheduled", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._scheduled = False

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write what is pending now."""
        self._scheduled = False
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        # Asked after every answer: defined here, not found through __getattr__ each time.
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with `ConnectionLimits` and coalesced writes.

    Deadlines cost a float per request: each connection notes when its current wait began, and one sweep a second,
    shared by the server's connections, closes those that waited too long (a timer per request would cost more
    than the rest of the limits together).
    """

    limits = ConnectionLimits()
    _HEAD, _BODY, _BUSY = 0, 1, 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase = self._HEAD
        self._since = 0.0
        self._head_bytes = 0
        self._head_tail = b""
        self._answered = 0
        self._coalescing: CoalescingTransport | None = None

    # -- connections ---------------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.connections.discard(self)
            transport.abort()
            return
        self._coalescing = CoalescingTransport(transport, self.loop)
        self.transport = self._coalescing  # type: ignore[assignment]
        # A connection that never sends anything is held to the header deadline too.
        self._since = self.loop.time()
        _ensure_sweep(self.server_state, self.loop)

    def sweep(self, now: float) -> None:
        """Close the connection when its current wait is over its deadline."""
        if self.transport is None or self.transport.is_closing():
            return
        if self._phase == self._HEAD:
            waited = now - self._since
            if self._head_bytes or not self._answered:
                if waited > self.limits.header_timeout:
                    if self._head_bytes:
                        self._refuse(408, "Request Timeout", "The request's headers took too long to arrive")
                    else:
                        self.transport.close()
            elif waited > self.limits.keep_alive_timeout:
                self.transport.close()  # idle between requests
        elif self._phase == self._BODY and now - self._since > self.limits.body_timeout:
            self.transport.close()

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        """Answer a problem document (as the spec declares 431) and close: the request cannot be read further."""
        body = json.dumps(generic_problem(reason.lower().replace(" ", "-"), reason, detail)).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()

    # -- reading -------------------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._phase == self._HEAD:
            if not self._head_bytes:
                self._since = self.loop.time()  # a request's first byte: its headers are on the clock
            if self._head_bytes + len(data) > self.limits.max_header_bytes and not self._head_fits(data):
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"The request line and headers are limited to {self.limits.max_header_bytes} bytes",
                )
                return
            self._head_bytes += len(data)
            self._head_tail = data[-3:]
        elif self._phase == self._BODY:
            self._since = self.loop.time()
        super().data_received(data)

    def _head_fits(self, data: bytes) -> bool:
        """Whether the headers end within the limit somewhere in what has come (the rest is body)."""
        room = self.limits.max_header_bytes - self._head_bytes
        return _HEAD_END in (self._head_tail + data[: max(room, 0)])

    def on_headers_complete(self) -> None:
        self._phase = self._BODY
        self._since = self.loop.time()
        self._head_bytes = 0
        self._head_tail = b""
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:
            # Read when the app runs, which is later: the task was only scheduled. The hook holds the cycle weakly:
            # a strong reference from its own scope would make every request a reference cycle, left for the
            # garbage collector instead of freed at once (that cost 15 % of the throughput).
            scope: dict[str, Any] = self.scope  # type: ignore[assignment]
            state_of(scope).drop_connection = functools.partial(self._drop, weakref.ref(cycle))

    def _drop(self, cycle: weakref.ref[RequestResponseCycle]) -> None:
        """Close the connection mid-answer, as a `drop` fault asks: for uvicorn, the client has gone."""
        running = cycle()
        if running is not None:
            running.disconnected = True
        self.transport.close()

    def on_message_complete(self) -> None:
        self._phase = self._BUSY
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # uvicorn's own version arms a keep-alive timer per answer; here the sweep watches idle connections too.
        if self._coalescing is not None and len(self.server_state.tasks) <= 1:
            # No other request in flight (a test suite's sequential calls): nothing to join this answer with by
            # waiting for the loop to turn, so it leaves now. Under concurrent load the answers of one loop turn
            # still leave together, which keeps the throughput.
            self._coalescing.flush()
        self._phase = self._HEAD
        self._answered += 1
        self._since = self.loop.time()
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)


def _ensure_sweep(state: Any, loop: asyncio.AbstractEventLoop) -> None:
    """One sweep a second over the server's connections, started with its first connection."""
    if getattr(state, "_vonage_sweep", None) is not None:
        return

    def sweep() -> None:
        now = loop.time()
        for connection in list(state.connections):
            if isinstance(connection, LimitedHttpToolsProtocol):
                connection.sweep(now)
        state._vonage_sweep = loop.call_later(_SWEEP_SECONDS, sweep)

    state._vonage_sweep = loop.call_later(_SWEEP_SECONDS, sweep)


_SWEEP_SECONDS = 0.5
