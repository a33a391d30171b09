"""What the layers learn about a request and leave for each other: one typed `RequestState` per request.

It sits in the scope's extensions (`state_of`), which every shallow copy of the scope shares, so what a layer further
in learns (the caller, why the request was refused, the answer's status) reaches the journal further out; the full
path's security and error handlers reach it through their request's scope. Each part of the request is read once:
the headers the layers use in one pass (`read_headers`), the query string parsed once per text (`query`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Scope, Send

_KEY = "vonage_mock"
CALLER = "caller"
"""connexion context key (and handler argument) holding the api_key that authenticated, on the full path."""
CREDENTIALS_REFUSED = ("credentials", "missing or wrong")
"""The `failure` of a request whose credentials were missing or wrong, as its one (name, reason) pair."""


@dataclass(slots=True, eq=False)
class RequestState:
    """One request's state, filled in by the layers in the order they meet it."""

    # The headers the layers use, as they arrived (None: absent), read in one pass by `read_headers`.
    headers_read: bool = False
    authorization: bytes | None = None
    content_type: bytes | None = None
    content_length: bytes | None = None
    arrived_body: bytes = b""
    """The body as it arrived, before any check or rewrite (what the journal shows)."""
    body: bytes | None = None
    """The body as the wire layer hands it on (after its rewrites; the same bytes its `receive` replays), so the
    express lane need not read it again; None until the wire layer has read one."""
    handed_on_type: bytes | None = None
    """The Content-Type the wire layer handed on, when it rewrote the arrived one (`b""`: removed)."""
    form_credentials: bool = False
    """Whether the query pair the request is checked with came from its form body (the legacy SDK's way)."""
    operation: str | None = None
    """The operationId the router matched (None: no Account API operation)."""
    fault: str | None = None
    """The id of the fault plan that answered."""
    caller: str | None = None
    """The api_key that authenticated."""
    auth_scheme: str | None = None
    """Which credentials matched: `basic`, `query` or `form`."""
    parsed_json: tuple[bytes, Any] | None = None
    """`(raw body, document)` once the express lane has parsed a JSON body, so the journal need not again."""
    answered_express: bool = False
    """Set when the express lane answered: credentials authenticated and every part validated against the spec, so
    the sensitive fields are the spec's, named (the journal redacts them by name, not by value)."""
    failure: dict[str, str] | None = None
    """Why the request was refused (field name to reason), for the journal."""
    status: int | None = None
    """The answer's status once it has started (see `noting_status`)."""
    noting: bool = False
    drop_connection: Callable[[], None] | None = None
    """Closes the request's connection at once (a fault's `drop`): set by the mock's server, None in-process."""
    _query_text: bytes | None = None
    _query: list[tuple[str, str]] | None = None

    def read_headers(self, scope: Scope) -> RequestState:
        """This state, the headers it holds read from `scope` if no layer has yet (the first of each name counts)."""
        if not self.headers_read:
            self.headers_read = True
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            for name, value in headers:
                if name == b"authorization":
                    if self.authorization is None:
                        self.authorization = value
                elif name == b"content-type":
                    if self.content_type is None:
                        self.content_type = value
                elif name == b"content-length" and self.content_length is None:
                    self.content_length = value
        return self

    def handed_on_content_type(self) -> bytes:
        """The Content-Type of the body as handed on further in (the arrived one unless the wire layer rewrote it)."""
        if self.handed_on_type is not None:
            return self.handed_on_type
        return self.content_type or b""

    def query(self, text: bytes) -> list[tuple[str, str]]:
        """`text` (a query string) as name/value pairs, blanks kept; parsed once however many layers ask.

        The wire layer hands a rewritten query string on for a legacy form post, so the journal (outside it) and the
        express lane (inside) may ask about two texts: the last one parsed is kept.
        """
        if text is not self._query_text or self._query is None:
            self._query_text = text
            self._query = parse_qsl(text.decode("latin-1"), keep_blank_values=True) if text else []
        return self._query


def state_of(scope: Scope) -> RequestState:
    """The request's state, created when missing; shared by every shallow copy of the scope."""
    # Looked up before created: `setdefault(..., {})` would make two throwaway objects on each of a request's calls.
    extensions: dict[str, Any] | None = scope.get("extensions")
    if extensions is None:
        extensions = scope["extensions"] = {}
    state: RequestState | None = extensions.get(_KEY)
    if state is None:
        state = extensions[_KEY] = RequestState()
    return state


def noting_status(state: RequestState, send: Send) -> Send:
    """`send`, noting the answer's status in the request's state as it starts.

    Once per request: the outermost layer that asks wraps `send`, and every layer further in that asks (the journal,
    which reads the status) gets its `send` back as it is. The wrapper is a plain function handing on `send`'s
    awaitable, so noting adds no coroutine frame to each message.
    """
    if state.noting:
        return send
    state.noting = True

    def send_and_note(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            state.status = message["status"]
        return send(message)

    return send_and_note
