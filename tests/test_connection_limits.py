"""The server's connection limits: what a broken or hostile client can hold of a shared mock, and for how long."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from vonage_account_mock import create_app
from vonage_account_mock.serving.protocol import ConnectionLimits
from vonage_account_mock.serving.server import ThreadedMockServer

LIMITS = ConnectionLimits(
    max_header_bytes=4096, header_timeout=0.5, body_timeout=0.5, keep_alive_timeout=1.0, max_connections=8
)
GET = (
    b"GET /account/get-balance HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWJjZDEyMzQ6SW5pdGlhbDFzZWNyZXQ=\r\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedMockServer]:
    with ThreadedMockServer(create_app(), limits=LIMITS) as running:
        yield running


def _connect(server: ThreadedMockServer) -> socket.socket:
    assert server.port is not None
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 5 s pass)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _still_served(server: ThreadedMockServer) -> None:
    with httpx.Client(base_url=server.url, timeout=5) as http:
        assert http.get("/account/get-balance", auth=("abcd1234", "Initial1secret")).status_code == 200


def test_headers_at_the_limit_are_read_and_one_byte_more_gets_431(server: ThreadedMockServer) -> None:
    def head_of(size: int) -> bytes:
        fixed = GET + b"X-Padding: " + b"\r\n\r\n"
        head = GET + b"X-Padding: " + b"a" * (size - len(fixed)) + b"\r\n\r\n"
        assert len(head) == size
        return head

    for size, status in ((LIMITS.max_header_bytes, b"200"), (LIMITS.max_header_bytes + 1, b"431")):
        with _connect(server) as sock:
            sock.sendall(head_of(size))
            assert sock.recv(65536).startswith(b"HTTP/1.1 " + status + b" "), size


def test_headers_beyond_the_limit_get_431_and_the_connection_closes(server: ThreadedMockServer) -> None:
    with _connect(server) as sock:
        sock.sendall(GET + b"X-Padding: " + b"a" * 8192 + b"\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head and b"content-type: application/problem+json" in head
    problem = json.loads(body)
    assert problem["title"] == "Request Header Fields Too Large"
    assert problem["detail"] == "The request line and headers are limited to 4096 bytes"
    assert problem["type"] == "https://developer.nexmo.com/api-errors#request-header-fields-too-large"
    _still_served(server)


def test_a_header_that_never_ends_is_cut_off_at_the_limit_not_buffered(server: ThreadedMockServer) -> None:
    with _connect(server) as sock:
        sock.sendall(GET + b"X-Endless: ")
        sent = 0
        with pytest.raises(OSError):  # the server answers 431 and closes: writing on fails
            while sent < 64 * 1024 * 1024:
                sock.sendall(b"a" * 65536)
                sent += 65536
    assert sent < 8 * 1024 * 1024, "the server kept reading far past the header limit"
    _still_served(server)


def test_a_request_that_stops_mid_headers_is_answered_408_after_the_header_timeout(server: ThreadedMockServer) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /account/get-balance HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = _read_all(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert LIMITS.header_timeout <= waited < 3


def test_a_body_that_stops_short_is_dropped_after_the_body_timeout(server: ThreadedMockServer) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /accounts/abcd1234/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Basic YWJjZDEyMzQ6SW5pdGlhbDFzZWNyZXQ=\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sec'
        )
        _read_all(sock)
        waited = time.monotonic() - started
    assert LIMITS.body_timeout <= waited < 3
    _still_served(server)


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(server: ThreadedMockServer) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        assert _read_all(sock) == b""
        assert LIMITS.header_timeout <= time.monotonic() - started < 3


def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(server: ThreadedMockServer) -> None:
    with _connect(server) as sock:
        sock.sendall(GET + b"\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert _read_all(sock) == b""
        assert LIMITS.keep_alive_timeout <= time.monotonic() - started < 4


def test_connections_beyond_the_cap_are_closed_while_the_others_are_served(server: ThreadedMockServer) -> None:
    held = [_connect(server) for _ in range(LIMITS.max_connections)]
    try:
        time.sleep(0.1)
        with _connect(server) as extra:
            # A whole request at once: were the connection accepted, it would be answered (a connection that sends
            # nothing is closed silently at the header deadline too, so silence alone would prove nothing).
            try:
                extra.sendall(GET + b"\r\n")
            except OSError:
                pass  # already closed: the cap
            assert _read_all(extra) == b"", "a connection beyond the cap was served"
        # The connections already open are still served.
        held[0].sendall(GET + b"\r\n")
        assert held[0].recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    _still_served(server)
