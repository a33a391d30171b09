"""Routing Account API requests to their operation, from the spec's path templates, without connexion."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.context import state_of
from vonage_account_spec.model import operation_model


def path_pattern(template: str) -> re.Pattern[str]:
    """A path template (`/accounts/{api_key}/secrets`) as a regex with one named group per segment parameter."""
    pattern = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


class OperationRouter:
    """Which operation a method and path name, and which methods a path allows."""

    def __init__(self, spec: dict[str, Any]) -> None:
        by_template: dict[str, dict[str, str]] = {}
        for operation in operation_model(spec).values():
            by_template.setdefault(operation.template, {})[operation.method] = operation.operation_id
        # Templates by their first segment, in spec order within each: a request is tried against the few that can
        # match, not against every path of the spec. A first segment that is a parameter could match any request,
        # so it is refused rather than filed where no request would look.
        self._by_segment: dict[str, list[tuple[re.Pattern[str], dict[str, str]]]] = {}
        for template, methods in by_template.items():
            segment = _first_segment(template)
            if "{" in segment:
                raise ValueError(f"{template}: a path whose first segment is a parameter cannot be routed here")
            self._by_segment.setdefault(segment, []).append((path_pattern(template), methods))

    def _candidates(self, path: str) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        return self._by_segment.get(_first_segment(path), [])

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The operationId and path parameters of a request, or None when no operation has that method and path."""
        for pattern, methods in self._candidates(path):
            found = pattern.match(path)
            if found:
                operation_id = methods.get(method)
                return (operation_id, found.groupdict()) if operation_id else None
        return None

    def allowed(self, path: str) -> str | None:
        """The `Allow` header value for a path the spec has (HEAD goes with GET), or None."""
        for pattern, methods in self._candidates(path):
            if pattern.match(path):
                return ", ".join(sorted(set(methods) | ({"HEAD"} if "GET" in methods else set())))
        return None


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") else ""


class RoutingMiddleware:
    """Notes the Account API operation of a request (and its path parameters) for the layers further in."""

    def __init__(self, app: ASGIApp, *, router: OperationRouter) -> None:
        self.app = app
        self.router = router

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain method handing on the next layer's awaitable: a layer that only looks adds no coroutine frame.
        if scope["type"] == "http":
            matched = self.router.match(scope["method"], scope["path"])
            if matched is not None:
                state_of(scope).operation = matched[0]
                scope["path_params"] = matched[1]
        return self.app(scope, receive, send)
