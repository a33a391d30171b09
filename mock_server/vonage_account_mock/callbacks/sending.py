"""How a callback reaches its receiver: an ASGI or WSGI app in this process (no port), and each account's share of the
sending slots, so one tenant's slow receivers cannot take the attempts of another."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


class WsgiTransport(httpx.AsyncBaseTransport):
    """A WSGI app behind an async transport: each request runs in a worker thread, off the delivery loop."""

    def __init__(self, app: Any) -> None:
        self._sync = httpx.WSGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sync_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = await asyncio.to_thread(self._sync.handle_request, sync_request)
        content = await asyncio.to_thread(response.read)
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


def app_transport(app: Any) -> httpx.AsyncBaseTransport:
    """An async transport calling an ASGI app (an `async` callable) or a WSGI app (any other callable) directly."""
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(type(app).__call__):
        return httpx.ASGITransport(app=app)
    return WsgiTransport(app)


@dataclass
class _Entry:
    semaphore: asyncio.Semaphore
    users: int = 0
    """Holders and waiters."""


class AccountSlots:
    """At most `size` holders at once per account; an account's entry lives only while it is held or awaited, so
    idle accounts cost nothing. Used on one event loop only."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[str, _Entry] = {}

    async def acquire(self, account: str) -> None:
        """Wait for one of the account's slots."""
        entry = self._entries.get(account)
        if entry is None:
            entry = self._entries[account] = _Entry(asyncio.Semaphore(self.size))
        entry.users += 1
        try:
            await entry.semaphore.acquire()
        except BaseException:
            self._leave(account, entry)
            raise

    def release(self, account: str) -> None:
        """Give back a slot taken with `acquire`."""
        entry = self._entries[account]
        entry.semaphore.release()
        self._leave(account, entry)

    @contextlib.asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[None]:
        """One of the account's slots for the block."""
        await self.acquire(account)
        try:
            yield
        finally:
            self.release(account)

    def _leave(self, account: str, entry: _Entry) -> None:
        entry.users -= 1
        if not entry.users:
            del self._entries[account]
