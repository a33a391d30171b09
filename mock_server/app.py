"""The app factory: the Account API and the control API, served by connexion over one AccountBackend."""

from __future__ import annotations

import copy
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

from mock_server.control import CONTROL_PREFIX, ControlGate, ControlHandlers, MockControl
from mock_server.express import ExpressLaneMiddleware, build_operations
from mock_server.fastpath import CachedAsyncApi
from mock_server.faults import FaultBook, FaultMiddleware, ResponseCatalog
from mock_server.handlers import AccountApiHandlers
from mock_server.journal import MAX_ENTRIES, Journal, JournalMiddleware
from mock_server.models import AccountBackend, AccountSeed
from mock_server.problems import EXCEPTION_HANDLERS, AllowedMethods, http_error_handler
from mock_server.security import security_map
from mock_server.validation import VALIDATOR_MAP
from mock_server.wire import MAX_BODY_BYTES, WireCompatibilityMiddleware


def _spec_file(name: str) -> Path:
    repo_copy = Path(__file__).resolve().parent.parent / "openapi" / name
    if repo_copy.is_file():
        return repo_copy
    return Path(str(resources.files("mock_server").joinpath(f"openapi/{name}")))


def spec_path() -> Path:
    """The Account API spec: the repository's `openapi/account.yaml`, or the copy shipped in the package."""
    return _spec_file("account.yaml")


def control_spec_path() -> Path:
    """The control API spec, `openapi/mock-control.yaml`."""
    return _spec_file("mock-control.yaml")


class AccountMockApp(AsyncApp):  # type: ignore[misc]
    """The mock's ASGI app: `backend` holds the accounts, `control` what tests may do to the mock."""

    backend: AccountBackend
    control: MockControl

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Handlers decorated once per operation instead of once per request.
        self._middleware_app.api_cls = CachedAsyncApi


def create_app(
    backend: AccountBackend | None = None,
    *,
    strict: bool = False,
    seeds: Iterable[AccountSeed] = (),
    validate_responses: bool = True,
    max_body_bytes: int = MAX_BODY_BYTES,
    control: bool = True,
    control_token: str | None = None,
    journal_size: int = MAX_ENTRIES,
    deterministic_seed: int | None = None,
    express: bool = True,
) -> AccountMockApp:
    """Build the mock.

    `strict` refuses unknown keys instead of provisioning them on first use; `seeds` become the accounts
    every reset returns to; `control=False` removes the control API, `control_token` guards it;
    `deterministic_seed` makes secret ids and timestamps reproducible; `express=False` sends every request
    down connexion's full path (the express lane answers well-formed calls faster, with the same checks).
    """
    if backend is None:
        backend = AccountBackend(auto_provision=not strict)
    if deterministic_seed is not None:
        backend.make_deterministic(deterministic_seed)
    seeds = list(seeds)
    if seeds:
        backend.set_baseline(seeds)
    spec = _load_spec(spec_path())
    journal = Journal(journal_size)
    faults = FaultBook(ResponseCatalog(spec))
    mock_control = MockControl(backend, journal, faults)

    app = AccountMockApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"))
    app.backend = backend
    app.control = mock_control
    # Outermost first: the gate, then the journal (which sees every answer), then the wire fixes, all before
    # connexion routes; faults apply once the operation is known, before credentials are checked.
    app.add_middleware(ControlGate, position=MiddlewarePosition.BEFORE_EXCEPTION, enabled=control, token=control_token)
    app.add_middleware(
        JournalMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        journal=journal,
        excluded_prefixes=(CONTROL_PREFIX + "/", "/ui", "/openapi.json"),
    )
    app.add_middleware(
        WireCompatibilityMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, max_body_bytes=max_body_bytes
    )
    app.add_middleware(FaultMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, book=faults)
    handlers = AccountApiHandlers(backend)
    if express:
        app.add_middleware(
            ExpressLaneMiddleware,
            position=MiddlewarePosition.BEFORE_SECURITY,
            backend=backend,
            operations=build_operations(spec, handlers),
            validate_responses=validate_responses,
        )

    common: dict[str, Any] = {
        "security_map": security_map(backend),
        "validator_map": VALIDATOR_MAP,
        "strict_validation": True,
        "validate_responses": validate_responses,
        "pythonic_params": True,
    }
    # Parsed once with libyaml and handed over as copies: connexion's own YAML parsing is the slowest part of start-up.
    app.add_api(copy.deepcopy(spec), resolver=_resolver(handlers), name="account", **common)
    if control:
        app.add_api(
            copy.deepcopy(_load_spec(control_spec_path())),
            resolver=_resolver(ControlHandlers(mock_control)),
            base_path=CONTROL_PREFIX,
            name="control",
            swagger_ui_options=SwaggerUIOptions(swagger_ui=False),
            **common,
        )
    for exception_class, handler in EXCEPTION_HANDLERS:
        app.add_error_handler(exception_class, handler)
    on_http_error = http_error_handler(AllowedMethods(spec))
    app.add_error_handler(ProblemException, on_http_error)
    app.add_error_handler(HTTPException, on_http_error)
    return app


def _resolver(handlers: object) -> Resolver:
    return Resolver(function_resolver=lambda operation_id: getattr(handlers, operation_id))


@functools.cache
def _load_spec(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return document
