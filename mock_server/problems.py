"""Turning errors into the documents the real service answers with, per host family."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Literal

from connexion.exceptions import BadRequestProblem, OAuthProblem, ProblemException, UnsupportedMediaTypeProblem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from mock_server.control import ControlError
from mock_server.exceptions import (
    JSON,
    PROBLEM_JSON,
    AccountApiError,
    AuthenticationFailed,
    InvalidCredentials,
    PricingAuthenticationFailed,
    RestBadRequest,
    SecretValidationFailed,
    Unauthorized,
    new_instance_id,
)
from mock_server.journal import FAILURE
from mock_server.validation import BODY, InvalidInput

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


def as_handler_result(error: AccountApiError) -> tuple[Any, int, dict[str, str]]:
    """An error as a handler's return value, so it passes response validation like any answer."""
    return error.body(), error.status, {"Content-Type": error.media_type}


def as_response(error: AccountApiError) -> ConnexionResponse:
    """An error as a finished response, for errors raised before a handler runs."""
    return ConnexionResponse(status_code=error.status, mimetype=error.media_type, body=_dump(error.body()))


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _problem_response(
    status: int, document: dict[str, Any], headers: dict[str, str] | None = None
) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, mimetype=PROBLEM_JSON, body=_dump(document), headers=headers or {})


# -- exception handlers, registered on the connexion app ------------------------------------------


async def on_account_api_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A domain error that escaped a handler."""
    assert isinstance(exc, AccountApiError)
    return as_response(exc)


async def on_unauthenticated(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Missing, malformed or wrong credentials: the 401 of the path's host."""
    request.context[FAILURE] = {"credentials": "missing or wrong"}
    return as_response(unauthorized(request.url.path))


async def on_bad_request(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Invalid input caught by validation: the 400 of the path's host, naming the fields."""
    invalid = exc.invalid_parameters if isinstance(exc, InvalidInput) else {BODY: "Is invalid."}
    request.context[FAILURE] = invalid
    if family(request.url.path) == "control":
        document = ControlError(400, "The request failed validation").document()
        document["invalid_parameters"] = [{"name": name, "reason": reason} for name, reason in invalid.items()]
        return _problem_response(400, document)
    return as_response(bad_request(request.url.path, invalid))


async def on_unsupported_media_type(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A body in a media type the operation does not take."""
    content_type = request.headers.get("content-type", "none")
    return _problem_response(
        415,
        generic_problem(
            "content-type-header",
            "Unsupported Content-Type header",
            f"Content-Type {content_type!r} is not accepted",
        ),
    )


class AllowedMethods:
    """The methods the spec declares for each path template, for a correct `Allow` on 405s."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._table: list[tuple[re.Pattern[str], str]] = []
        for template, item in spec.get("paths", {}).items():
            methods = {m.upper() for m in item if m in {"get", "put", "post", "delete", "patch", "options"}}
            if "GET" in methods:
                methods.add("HEAD")
            pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
            self._table.append((re.compile(f"^{pattern}$"), ", ".join(sorted(methods))))

    def __call__(self, path: str) -> str | None:
        for pattern, allowed in self._table:
            if pattern.match(path):
                return allowed
        return None


def http_error_handler(allowed_methods: AllowedMethods) -> Any:
    """The handler for errors outside any operation, with `Allow` computed from the spec."""

    async def handler(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        response = await on_http_error(request, exc)
        if response.status_code == 405:
            allowed = allowed_methods(request.url.path)
            if allowed:
                response.headers["Allow"] = allowed
        return response

    return handler


async def on_http_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Errors outside any operation: unknown path (404), wrong verb (405), and any other HTTP error."""
    status = int(getattr(exc, "status_code", None) or getattr(exc, "status", None) or 500)
    headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
    if status == 404:
        document = generic_problem("not-found", "Not Found", f"No resource at {request.url.path}")
    elif status == 405:
        document = generic_problem("wrong-verb", "Request method not allowed", f"{request.method} is not allowed")
    else:
        document = generic_problem("error", str(getattr(exc, "title", "Error")), str(getattr(exc, "detail", "")))
    return _problem_response(status, document, headers)


async def on_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A bug in the mock: a problem document, never a traceback on the wire."""
    _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem_response(500, generic_problem("internal-error", "Internal Error", "The mock failed; see its log"))


_log = logging.getLogger("vonage_account_mock")

EXCEPTION_HANDLERS: list[tuple[type[Exception], Any]] = [
    (AccountApiError, on_account_api_error),
    (InvalidCredentials, on_unauthenticated),
    (OAuthProblem, on_unauthenticated),
    (BadRequestProblem, on_bad_request),
    (UnsupportedMediaTypeProblem, on_unsupported_media_type),
    (ProblemException, on_http_error),
    (HTTPException, on_http_error),
    (Exception, on_unexpected),
]
"""Handlers for errors raised outside the operation handlers (the most specific class matches)."""

__all__ = ["EXCEPTION_HANDLERS", "JSON", "as_handler_result", "bad_request", "family", "unauthorized"]
