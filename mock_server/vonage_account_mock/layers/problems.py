"""The error documents the real service answers with, per host family, and the 500 the mock answers for its own bugs."""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.asgi import send_response
from vonage_account_mock.layers.context import noting_status, state_of
from vonage_account_mock.state.exceptions import (
    PROBLEM_JSON,
    AccountApiError,
    AuthenticationFailed,
    PricingAuthenticationFailed,
    RestBadRequest,
    SecretValidationFailed,
    Unauthorized,
    new_instance_id,
)

Family = Literal["secrets", "pricing", "rest", "control"]

_API_ERRORS = "https://developer.nexmo.com/api-errors"


def family(path: str) -> Family:
    """Which error dialect a path speaks: problem documents, pricing's, or the rest host's error codes."""
    if path.startswith("/accounts/"):
        return "secrets"
    if path.startswith("/_mock/"):
        return "control"
    if path.startswith("/account/get-") and "pricing/" in path:
        return "pricing"
    return "rest"


def unauthorized(path: str) -> AccountApiError:
    """The 401 error of the host family that `path` belongs to."""
    match family(path):
        case "secrets":
            return Unauthorized()
        case "pricing":
            return PricingAuthenticationFailed()
        case _:
            return AuthenticationFailed()


def bad_request(path: str, invalid_parameters: dict[str, str]) -> AccountApiError:
    """The 400 error of the host family that `path` belongs to."""
    if family(path) == "secrets":
        return SecretValidationFailed(invalid_parameters)
    return RestBadRequest(invalid_parameters)


def generic_problem(type_fragment: str, title: str, detail: str) -> dict[str, Any]:
    """A problem document for errors that belong to no operation (unknown path, wrong verb, ...)."""
    return {"type": f"{_API_ERRORS}#{type_fragment}", "title": title, "detail": detail, "instance": new_instance_id()}


def internal_error() -> dict[str, Any]:
    """The problem document for a bug in the mock."""
    return generic_problem("internal-error", "Internal Error", "The mock failed; see its log")


class CrashGuard:
    """A bug further in answers a 500 problem document and is logged: never a traceback on the wire.

    It notes the status of the answer in the request's state (`noting_status`): being outermost, its wrapper around
    `send` is the request's one, and the journal further in reads the status there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = state_of(scope)
        send = noting_status(state, send)
        try:
            await self.app(scope, receive, send)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if state.status is None:
                await send_response(send, 500, json.dumps(internal_error()).encode(), PROBLEM_JSON)


log = logging.getLogger("vonage_account_mock")
