"""Per-request work connexion repeats that can be done once: decorating handlers and compiling schemas.

connexion 3.3 re-decorates the operation's handler (inspecting its signature) on every request, builds fresh
jsonschema validators for every body and response, and inspects security functions' signatures per call. The
classes here keep connexion's behaviour and do that work once per operation or schema.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncOperation
from connexion.context import receive as context_receive
from connexion.context import scope as context_scope
from connexion.decorators import StarletteDecorator
from connexion.json_schema import Draft4ResponseValidator
from connexion.operations import AbstractOperation
from jsonschema import Draft4Validator

_compiled: dict[tuple[int, str], tuple[Any, Any]] = {}
_compiled_lock = threading.Lock()


def compiled(schema: Any, validator_class: Any) -> Any:
    """A validator for `schema`, built once per schema object and validator class."""
    key = (id(schema), validator_class.__name__)
    entry = _compiled.get(key)
    # The schema itself is kept in the entry, so its id cannot be reused by another object while cached.
    if entry is not None and entry[0] is schema:
        return entry[1]
    validator = validator_class(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    with _compiled_lock:
        _compiled[key] = (schema, validator)
    return validator


class DecorateOnce(StarletteDecorator):  # type: ignore[misc]
    """connexion's Starlette decorator, wrapping the handler (and building its URI parser) once, on first use."""

    def __call__(self, function: Any) -> Any:
        decorated: Any = None
        uri_parser: Any = None

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal decorated, uri_parser
            if decorated is None:
                # Needs the operation context, so it waits for the first request.
                decorated, uri_parser = self.decorate(function), self.uri_parser
            request = self.framework.get_request(uri_parser=uri_parser, scope=context_scope, receive=context_receive)
            return await decorated(request)

        return wrapper


class CachedAsyncOperation(AsyncOperation):  # type: ignore[misc]
    """An operation whose decorated handler is built once, not on every request."""

    @functools.cached_property
    def fn(self) -> Any:
        return DecorateOnce(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)(self._fn)


class CachedAsyncApi(AsyncApi):  # type: ignore[misc]
    """connexion's AsyncApi, making CachedAsyncOperations."""

    def make_operation(self, operation: AbstractOperation) -> CachedAsyncOperation:
        made: CachedAsyncOperation = CachedAsyncOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        return made


def response_validator_class(base: Any) -> Any:
    """connexion's JSON response validator with its schema compiled once."""

    class CompiledResponseValidator(base):  # type: ignore[misc]
        @property
        def validator(self) -> Any:
            return compiled(self._schema, Draft4ResponseValidator)

    return CompiledResponseValidator


def precomputed_generic_check(handler: Any, func: Any, exception_msg: str) -> Any:
    """connexion's security `_generic_check`, with the function's keyword arguments inspected once."""
    import asyncio

    from connexion.exceptions import OAuthResponseProblem
    from connexion.security import NO_VALUE

    wants_scopes = handler._accepts_kwarg(func, handler.required_scopes_kw)
    wants_request = handler._accepts_kwarg(func, handler.request_kw)

    async def wrapper(request: Any, *args: Any, required_scopes: Any = None) -> Any:
        kwargs: dict[str, Any] = {}
        if wants_scopes:
            kwargs[handler.required_scopes_kw] = required_scopes
        if wants_request:
            kwargs[handler.request_kw] = request
        token_info = func(*args, **kwargs)
        while asyncio.iscoroutine(token_info):
            token_info = await token_info
        if token_info is NO_VALUE:
            return NO_VALUE
        if token_info is None:
            raise OAuthResponseProblem(detail=exception_msg)
        return token_info

    return wrapper


def build_middleware_stack(app: AsyncApp) -> None:
    """Do now what connexion does on an app's first request: build its middleware stack and load its specs."""
    middleware = app.middleware
    if middleware.middleware_stack is None:
        middleware.app, middleware.middleware_stack = middleware._build_middleware_stack()
