"""ASGI middleware for what real clients put on the wire before the spec sees it.

- Caps request bodies (413), so a huge upload cannot exhaust the mock, and bounds the shape of what a request carries
  (parameters, form fields, JSON depth and integer length: 400), before any layer walks it item by item.
- The rest host's form posts (top-up, settings) are read as forms whatever their Content-Type: the v4
  Python SDK sends them with a stale `Content-Type: application/json` after any JSON call.
- Legacy clients (the v3 Python SDK) put `api_key`/`api_secret` in those form bodies; they are moved to the
  query string, where the spec's query-pair security scheme finds them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.asgi import BodyTooLarge, read_body, replay, send_response
from vonage_account_mock.layers.context import RequestState, state_of
from vonage_account_mock.layers.limits import (
    DEFAULT_SHAPE,
    ShapeLimits,
    ShapeRefused,
    check_form,
    check_json,
    check_query,
)
from vonage_account_mock.layers.problems import bad_request, family, generic_problem

MAX_BODY_BYTES = 64 * 1024
FORM = b"application/x-www-form-urlencoded"
FORM_POSTS = frozenset({"/account/top-up", "/account/settings"})
_CREDENTIAL_FIELDS = ("api_key", "api_secret")
NOT_A_FORM = "Is not a form: name=value pairs joined by &."
MULTIPART_REFUSED = "Is multipart: send application/x-www-form-urlencoded."


def _with_header(headers: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != name]
    kept.append((name, value))
    return kept


def _form_from_json(body: bytes) -> bytes | None:
    """A JSON object of scalars re-encoded as a form (None when the body is not such an object)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or not all(isinstance(v, str | int | float) for v in document.values()):
        return None
    return urlencode({str(k): str(v) for k, v in document.items()}).encode()


class WireCompatibilityMiddleware:
    """Normalises real clients' requests before connexion routes and validates them."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        limits: ShapeLimits = DEFAULT_SHAPE,
        larger_bodies: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limits = limits
        # Paths whose bodies may be larger (a control API snapshot), with their own bound.
        self.larger_bodies = dict(larger_bodies or {})

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain method: a request without a body gets the next layer's awaitable, with no frame of this layer's.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        state = state_of(scope).read_headers(scope)
        declared = _content_length(state)
        bound = self.max_body_bytes
        if self.larger_bodies:
            bound = self.larger_bodies.get(scope["path"], bound)
        if declared is not None and declared > bound:
            return _too_large(send, bound)
        try:
            check_query(scope.get("query_string", b""), self.limits)
        except ShapeRefused as refused:
            return _refuse_shape(scope, send, refused)
        if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            return self.app(scope, receive, send)
        return self._with_body(scope, state, receive, send, bound)

    async def _with_body(self, scope: Scope, state: RequestState, receive: Receive, send: Send, bound: int) -> None:
        try:
            body = await read_body(receive, bound)
        except BodyTooLarge:
            await _too_large(send, bound)
            return
        # As it arrived, before any check or rewrite below: what the journal shows.
        state.arrived_body = body
        if body:
            try:
                _check_body(scope, state, body, self.limits)
            except ShapeRefused as refused:
                await _refuse_shape(scope, send, refused)
                return
        if scope["method"] == "POST" and scope["path"] in FORM_POSTS:
            try:
                scope, body = _normalise_form_post(scope, state, body)
            except ShapeRefused as refused:
                await _refuse_shape(scope, send, refused)
                return
        state.body = body
        await self.app(scope, replay(body), send)


def _check_body(scope: Scope, state: RequestState, body: bytes, limits: ShapeLimits) -> None:
    content_type = (state.content_type or b"").lower()
    if b"json" in content_type or body[:1] in (b"{", b"["):
        check_json(body, limits)
    if b"form" in content_type or scope["path"] in FORM_POSTS:
        check_form(body, limits)


async def _refuse_shape(scope: Scope, send: Send, refused: ShapeRefused) -> None:
    """The 400 of the path's host family, naming where the bound was crossed (never a value)."""
    path = scope["path"]
    state_of(scope).failure = {refused.field: refused.reason}
    if family(path) == "control":
        document = generic_problem("bad-request", "Bad Request", f"{refused.field}: {refused.reason}")
        await send_response(send, 400, json.dumps(document).encode(), "application/problem+json")
        return
    error = bad_request(path, {refused.field: refused.reason})
    await send_response(send, error.status, json.dumps(error.body()).encode(), error.media_type)


def _content_length(state: RequestState) -> int | None:
    if state.content_length is None:
        return None
    try:
        return int(state.content_length)
    except ValueError:
        return None


def _normalise_form_post(scope: Scope, state: RequestState, body: bytes) -> tuple[Scope, bytes]:
    headers: list[tuple[bytes, bytes]] = list(scope["headers"])
    content_type = (state.content_type or b"").lower()
    if body and content_type.startswith(b"multipart/"):
        # Its parts' headers would pass for field names, and a field's value (a trx) end up named in the 400.
        raise ShapeRefused("body", MULTIPART_REFUSED)
    if body and b"json" in content_type:
        converted = _form_from_json(body)
        if converted is None and body.lstrip()[:1] in (b"{", b"["):
            # Not an object of plain values: read as a form, the whole text would become one field's name.
            raise ShapeRefused("body", "a JSON body here must be an object of strings and numbers")
        body = converted or body
    scope = dict(scope)
    try:
        # Strictly: a loose read takes a bare value (a `text/plain` body holding only the trx) for a field's name,
        # which the 400 that refuses the unknown field would then echo.
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True) if body else []
    except UnicodeDecodeError:
        fields = None
    except ValueError:
        raise ShapeRefused("body", NOT_A_FORM) from None
    if fields is not None and any(name in _CREDENTIAL_FIELDS for name, _ in fields):
        credentials = {name: value for name, value in fields if name in _CREDENTIAL_FIELDS}
        body = urlencode([(n, v) for n, v in fields if n not in _CREDENTIAL_FIELDS]).encode()
        query = state.query(scope.get("query_string", b""))
        if not any(name in _CREDENTIAL_FIELDS for name, _ in query):
            scope["query_string"] = urlencode([*query, *credentials.items()]).encode()
            state.form_credentials = True
    if body:
        headers = _with_header(headers, b"content-type", FORM)
        state.handed_on_type = FORM
    else:
        headers = [(k, v) for k, v in headers if k != b"content-type"]
        state.handed_on_type = b""
    scope["headers"] = _with_header(headers, b"content-length", str(len(body)).encode())
    return scope, body


async def _too_large(send: Send, limit: int) -> None:
    document = generic_problem("payload-too-large", "Payload Too Large", f"Request bodies are limited to {limit} bytes")
    # The unread rest of the body makes the connection unusable.
    await send_response(
        send, 413, json.dumps(document).encode(), "application/problem+json", [(b"connection", b"close")]
    )
