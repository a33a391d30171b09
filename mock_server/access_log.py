"""One log line per request: method, path, operationId, status, time. Never a query string or a header."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("vonage_account_mock.access")


def operation_id(scope: Scope) -> str | None:
    """The operationId connexion routed the request to, if any."""
    routing = scope.get("extensions", {}).get("connexion_routing", {})
    value = routing.get("operation_id")
    return str(value) if value else None


class AccessLogMiddleware:
    """Logs each request after it is answered. Paths carry api_keys, never secrets; queries may carry
    `api_secret`, so they are not logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        # Shared with every shallow copy of the scope further in, so the routing result comes back here.
        scope.setdefault("extensions", {})
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %s %s %.1fms",
                scope["method"],
                scope["path"],
                operation_id(scope) or "-",
                status or "-",
                elapsed_ms,
            )
