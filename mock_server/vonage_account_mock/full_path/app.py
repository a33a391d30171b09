"""The full path: connexion's app, which checks and answers every request the express lane passes on.

Security, request and response validation, the control API, Swagger UI and every documented error come from here.
Importing connexion and building the app costs most of the mock's start-up, so `app.py` builds it on first need
(or in the background once a server runs), never before the first request can be answered.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException

from vonage_account_mock.control.http import ControlHandlers
from vonage_account_mock.control.operations import CONTROL_PREFIX, MockControl
from vonage_account_mock.full_path.error_handlers import EXCEPTION_HANDLERS, http_error_handler
from vonage_account_mock.full_path.security import security_map
from vonage_account_mock.full_path.speedups import CachedAsyncApi, build_middleware_stack
from vonage_account_mock.full_path.validation import VALIDATOR_MAP
from vonage_account_mock.layers.handlers import AccountApiHandlers, Answer


def build_full_path(
    spec: dict[str, Any],
    control_spec: dict[str, Any] | None,
    *,
    handlers: AccountApiHandlers,
    control: MockControl,
    validate_responses: bool,
    allowed_methods: Callable[[str], str | None],
) -> AsyncApp:
    """connexion's app over the Account API (and the control API unless `control_spec` is None), ready to serve."""
    app = AsyncApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"))
    # Handlers decorated once per operation instead of once per request.
    app._middleware_app.api_cls = CachedAsyncApi
    common: dict[str, Any] = {
        "security_map": security_map(handlers.backend),
        "validator_map": VALIDATOR_MAP,
        "strict_validation": True,
        "validate_responses": validate_responses,
        "pythonic_params": True,
    }
    # The specs were parsed once with libyaml; connexion gets copies, as it writes into what it is given.
    app.add_api(copy.deepcopy(spec), resolver=_answers_adapted(handlers), name="account", **common)
    if control_spec is not None:
        app.add_api(
            copy.deepcopy(control_spec),
            resolver=_resolver(ControlHandlers(control)),
            base_path=CONTROL_PREFIX,
            name="control",
            swagger_ui_options=SwaggerUIOptions(swagger_ui=False),
            **common,
        )
    for exception_class, handler in EXCEPTION_HANDLERS:
        app.add_error_handler(exception_class, handler)
    on_http_error = http_error_handler(allowed_methods)
    app.add_error_handler(ProblemException, on_http_error)
    app.add_error_handler(HTTPException, on_http_error)
    build_middleware_stack(app)
    return app


def _resolver(handlers: object) -> Resolver:
    return Resolver(function_resolver=lambda operation_id: getattr(handlers, operation_id))


def _answers_adapted(handlers: AccountApiHandlers) -> Resolver:
    """The Account API's handlers, their Answers turned into connexion's dialect once, here."""

    def adapted(operation_id: str) -> Callable[..., Awaitable[Any]]:
        handler = getattr(handlers, operation_id)

        # wraps: connexion reads the handler's parameters from its signature.
        @functools.wraps(handler)
        async def for_connexion(*args: Any, **kwargs: Any) -> Any:
            answer: Answer = await handler(*args, **kwargs)
            return answer.for_connexion()

        return for_connexion

    return Resolver(function_resolver=adapted)
