"""What the layers learn about a request and leave for each other, in the request scope.

Most of it sits in connexion's request context (`scope["extensions"]["connexion_context"]`), where the full path's
handlers and error handlers can read it too; `request_context()` returns that dict.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from starlette.types import Message, Scope, Send

OPERATION = "vonage_mock.operation"
"""Extensions key: the operationId the router matched (absent when the request is no Account API operation)."""
CALLER = "caller"
"""Context key (and handler argument) holding the api_key that authenticated."""
AUTH_SCHEME = "auth_scheme"
"""Context key holding which credentials matched: `basic`, `query` or `form`."""
FAILURE = "vonage_mock.failure"
"""Context key holding why a request was refused (field name to reason), for the journal."""
CREDENTIALS_REFUSED = ("credentials", "missing or wrong")
"""The FAILURE of a request whose credentials were missing or wrong, as its one (name, reason) pair."""
FAULT = "vonage_mock.fault"
"""Context key holding the id of the fault plan that answered."""
REQUEST_BODY = "vonage_mock.request_body"
"""Context key holding the request body as it arrived, once the wire layer has read it (the journal keeps it)."""
HANDED_ON_BODY = "vonage_mock.handed_on_body"
"""Context key holding the body as the wire layer hands it on (after its rewrites, and the same bytes its `receive`
replays): the express lane takes it from here instead of reading it again."""
PARSED_JSON = "vonage_mock.parsed_json"
"""Context key holding `(raw body, parsed document)` once the express lane has read a JSON body, so the journal
need not parse it again."""
ANSWERED_EXPRESS = "vonage_mock.answered_express"
"""Context key set when the express lane answers a request itself: its credentials authenticated and everything it
carries validated against the spec, so its sensitive fields are the spec's, named (the journal redacts them by name
and need not look for credentials by value)."""
RESPONSE_STATUS = "vonage_mock.response_status"
"""Context key holding the status of the answer once it has started (see `noting_status`)."""
_NOTING = "vonage_mock.noting_status"
DROP_CONNECTION = "vonage_mock.drop_connection"
"""Extensions key: a callable the mock's server puts there to close the request's connection at once (a fault's
`drop`); absent in-process, where there is no connection."""
LEGACY_FORM_CREDENTIALS = "vonage_mock.form_credentials"
"""Scope key set by the wire middleware when the query pair came from a form body."""


def request_context(scope: Scope) -> dict[str, Any]:
    """connexion's request context, created when missing; shared by every shallow copy of the scope."""
    # Looked up before created: `setdefault(..., {})` would make two throwaway dicts on each of a request's calls.
    extensions: dict[str, Any] | None = scope.get("extensions")
    if extensions is None:
        extensions = scope["extensions"] = {}
    context: dict[str, Any] | None = extensions.get("connexion_context")
    if context is None:
        context = extensions["connexion_context"] = {}
    return context


def routed_operation(scope: Scope) -> str | None:
    """The Account API operation the router matched, if any."""
    extensions = scope.get("extensions")
    found: str | None = extensions.get(OPERATION) if extensions is not None else None
    return found


def noting_status(context: dict[str, Any], send: Send) -> Send:
    """`send`, noting the answer's status in the request context (`RESPONSE_STATUS`) as it starts.

    Once per request: the outermost layer that asks wraps `send`, and every layer further in that asks (the journal,
    which reads the status) gets its `send` back as it is. The wrapper is a plain function handing on `send`'s
    awaitable, so noting adds no coroutine frame to each message.
    """
    if _NOTING in context:
        return send
    context[_NOTING] = True

    def send_and_note(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            context[RESPONSE_STATUS] = message["status"]
        return send(message)

    return send_and_note
