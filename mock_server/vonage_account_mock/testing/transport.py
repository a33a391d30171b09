"""A synchronous httpx transport that calls an ASGI app in-process: no socket, no thread hop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from starlette.types import Message

from vonage_account_mock.layers.asgi import replay


class InProcessTransport(httpx.BaseTransport):
    """Runs each request through the ASGI app on an event loop private to the calling thread.

    Not for use from inside a running event loop: async callers should use `httpx.ASGITransport`.
    """

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client
        self._local = threading.local()

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
        return loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return self._loop().run_until_complete(self._call(request, body))

    async def _call(self, request: httpx.Request, body: bytes) -> httpx.Response:
        url = request.url
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "client": self.client,
            "extensions": {},
        }
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        complete = False

        async def send(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)

        await self.app(scope, replay(body), send)
        if not status or not complete:
            # What a socket client sees when the server closes mid-response (a dropped-connection fault).
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)

    def close(self) -> None:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is not None and not loop.is_closed():
            loop.close()
