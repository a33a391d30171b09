"""connexion's exception handlers: the errors its full path raises, answered as the real service's documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connexion.exceptions import BadRequestProblem, OAuthProblem, ProblemException, UnsupportedMediaTypeProblem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from vonage_account_mock.control.operations import ControlError
from vonage_account_mock.full_path.validation import BODY, InvalidInput
from vonage_account_mock.layers.context import CREDENTIALS_REFUSED, state_of
from vonage_account_mock.layers.problems import bad_request, family, generic_problem, internal_error, log, unauthorized
from vonage_account_mock.state.exceptions import PROBLEM_JSON, AccountApiError, InvalidCredentials


def as_response(error: AccountApiError) -> ConnexionResponse:
    """An error as a finished response, for errors raised before a handler runs."""
    return ConnexionResponse(status_code=error.status, mimetype=error.media_type, body=_dump(error.body()))


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _problem_response(
    status: int, document: dict[str, Any], headers: dict[str, str] | None = None
) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, mimetype=PROBLEM_JSON, body=_dump(document), headers=headers or {})


async def on_account_api_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A domain error that escaped a handler."""
    assert isinstance(exc, AccountApiError)
    return as_response(exc)


async def on_unauthenticated(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Missing, malformed or wrong credentials: the 401 of the path's host."""
    state_of(request.scope).failure = dict([CREDENTIALS_REFUSED])
    return as_response(unauthorized(request.url.path))


async def on_bad_request(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Invalid input caught by validation: the 400 of the path's host, naming the fields."""
    invalid = exc.invalid_parameters if isinstance(exc, InvalidInput) else {BODY: "Is invalid."}
    state_of(request.scope).failure = invalid
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


def http_error_handler(allowed_methods: Callable[[str], str | None]) -> Any:
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
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem_response(500, internal_error())


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
