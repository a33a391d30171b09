"""A webhook receiver for the callback tests: records every request, answers the statuses it is told to."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send


@dataclass(frozen=True)
class Received:
    """One callback as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes

    @property
    def fields(self) -> dict[str, Any]:
        """The callback's fields, however they were sent."""
        if self.method == "GET":
            return self.query
        if self.headers.get("content-type", "").startswith("application/json"):
            document: dict[str, Any] = json.loads(self.body)
            return document
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class Receiver:
    """An ASGI app standing for the consumer's webhook handler."""

    statuses: deque[int] = field(default_factory=deque)
    """Answers to give, in order; 204 once they run out."""
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, *statuses: int, delay: float = 0.0) -> None:
        """Forget what was received; answer `statuses` next."""
        with self._lock:
            self.received.clear()
            self.statuses = deque(statuses)
            self.delay = delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
        with self._lock:
            self.received.append(Received(scope["method"], scope["path"], headers, query, body))
            status = self.statuses.popleft() if self.statuses else 204
            delay = self.delay
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})
