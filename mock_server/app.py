"""The app factory: the Account API spec, served by connexion over one AccountBackend."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException

from mock_server.access_log import AccessLogMiddleware
from mock_server.handlers import AccountApiHandlers
from mock_server.models import AccountBackend, AccountSeed
from mock_server.problems import EXCEPTION_HANDLERS, AllowedMethods, http_error_handler
from mock_server.security import security_map
from mock_server.validation import VALIDATOR_MAP
from mock_server.wire import MAX_BODY_BYTES, WireCompatibilityMiddleware


def spec_path() -> Path:
    """The Account API spec: the repository's `openapi/account.yaml`, or the copy shipped in the package."""
    repo_copy = Path(__file__).resolve().parent.parent / "openapi" / "account.yaml"
    if repo_copy.is_file():
        return repo_copy
    return Path(str(resources.files("mock_server").joinpath("openapi/account.yaml")))


class AccountMockApp(AsyncApp):  # type: ignore[misc]
    """The mock's ASGI app; `backend` holds its state."""

    backend: AccountBackend


def create_app(
    backend: AccountBackend | None = None,
    *,
    strict: bool = False,
    seeds: Iterable[AccountSeed] = (),
    validate_responses: bool = True,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> AccountMockApp:
    """Build the mock.

    `strict` refuses unknown keys instead of provisioning them on first use; `seeds` become the accounts
    every reset returns to.
    """
    if backend is None:
        backend = AccountBackend(auto_provision=not strict)
    seeds = list(seeds)
    if seeds:
        backend.set_baseline(seeds)
    handlers = AccountApiHandlers(backend)

    app = AccountMockApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"))
    app.backend = backend
    # Outermost first: the access log sees every answer, the wire fixes run before connexion routes.
    app.add_middleware(AccessLogMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        WireCompatibilityMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, max_body_bytes=max_body_bytes
    )
    app.add_api(
        spec_path(),
        resolver=Resolver(function_resolver=lambda operation_id: _bound(handlers, operation_id)),
        security_map=security_map(backend),
        validator_map=VALIDATOR_MAP,
        strict_validation=True,
        validate_responses=validate_responses,
        pythonic_params=True,
        name="account",
    )
    for exception_class, handler in EXCEPTION_HANDLERS:
        app.add_error_handler(exception_class, handler)
    on_http_error = http_error_handler(AllowedMethods(_load_spec(spec_path())))
    app.add_error_handler(ProblemException, on_http_error)
    app.add_error_handler(HTTPException, on_http_error)
    return app


@functools.cache
def _load_spec(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def _bound(handlers: AccountApiHandlers, operation_id: str) -> Any:
    return getattr(handlers, operation_id)
