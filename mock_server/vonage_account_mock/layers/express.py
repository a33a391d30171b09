"""The express lane: common, well-formed Account API calls answered without connexion's per-request layers.

It sits after the router (the operation is known) and in front of connexion's full path. A request it can fully
check — credentials that authenticate, parameters and body that validate against the spec — it answers itself: the
same handler, the same response validation against the spec. Anything else (bad credentials aside, which it answers
with the same 401; invalid input; an odd content type) goes down connexion's full path, which answers the documented
error, so errors have one source of truth. The express lane never answers something the full path would refuse.

Its schemas are checked by compiled (Rust) validators, and it needs neither connexion nor jsonschema: a server can
answer on the express lane while connexion is still being imported and built.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.asgi import read_body, replay, send_response
from vonage_account_mock.layers.context import CREDENTIALS_REFUSED, RequestState, state_of
from vonage_account_mock.layers.handlers import AccountApiHandlers, Answer
from vonage_account_mock.layers.problems import generic_problem, unauthorized
from vonage_account_mock.state.exceptions import InvalidCredentials
from vonage_account_mock.state.models import AccountBackend
from vonage_account_spec.model import Operation, operation_model

_QUERY_PAIR = ("api_key", "api_secret")
_BUILTINS = {"type"}


class _Fallback(Exception):
    """This request needs connexion's full path."""


class _Refused(Exception):
    """The credentials are missing or wrong: connexion's security would answer 401, and so does this lane."""


@dataclass(frozen=True)
class _Param:
    name: str
    argument: str
    required: bool
    validator: Any


@dataclass(frozen=True)
class _Operation:
    operation_id: str
    handler: Any
    query: tuple[_Param, ...]
    path: tuple[_Param, ...]
    query_pair: bool
    body_kind: str | None
    body_media: bytes
    """The one media type the spec declares for the body: any other goes to the full path (which answers 415)."""
    body_required: bool
    body_validator: Any
    responses: dict[tuple[int, str | None], Any]
    allowed_query: frozenset[str]


def _validator(schema: dict[str, Any]) -> Any:
    # Formats too, as the full path checks them. The spec's patterns keep to what ECMAScript and the Rust engine
    # read alike (explicit classes, `$` at the very end); tests/test_lane_validators.py holds the lane's checks to
    # the full path's.
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


def _argument(name: str) -> str:
    return f"{name}_" if name in _BUILTINS else name


def _params(operation: Operation, location: str) -> tuple[_Param, ...]:
    return tuple(
        _Param(p.name, _argument(p.name), p.required, _validator(p.schema)) for p in operation.parameters_in(location)
    )


def build_operations(spec: dict[str, Any], handlers: AccountApiHandlers) -> dict[str, _Operation]:
    """The express-lane plan of every operation in the spec, from its operation model."""
    plans: dict[str, _Operation] = {}
    for operation_id, operation in operation_model(spec).items():
        query_pair = any("apiKeyQuery" in requirement for requirement in operation.security)
        body_kind, body_media, body_required, body_validator = None, b"", False, None
        if operation.body is not None and operation.body.content:
            media = operation.body.content[0]
            body_kind, body_media = ("json" if "json" in media.media_type else "form"), media.media_type.encode()
            body_required = operation.body.required
            body_validator = _validator(media.schema)
        responses: dict[tuple[int, str | None], Any] = {}
        for status, response in operation.responses.items():
            if not response.content:
                responses[(status, None)] = None
            for content in response.content:
                # Checking the mock's own answers is the lane's hottest work: a compiled (Rust) validator.
                responses[(status, content.media_type)] = jsonschema_rs.Draft4Validator(content.schema)
        query = _params(operation, "query")
        allowed = frozenset(p.name for p in query) | (frozenset(_QUERY_PAIR) if query_pair else frozenset())
        plans[operation_id] = _Operation(
            operation_id,
            getattr(handlers, operation_id),
            query,
            _params(operation, "path"),
            query_pair,
            body_kind,
            body_media,
            body_required,
            body_validator,
            responses,
            allowed,
        )
    return plans


class ExpressLaneMiddleware:
    """Answers routed Account API calls it can fully check; passes everything else on."""

    def __init__(
        self, app: ASGIApp, *, backend: AccountBackend, operations: dict[str, _Operation], validate_responses: bool
    ) -> None:
        self.app = app
        self.backend = backend
        self.operations = operations
        self.validate_responses = validate_responses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = state_of(scope)
        name = state.operation
        operation = self.operations.get(name) if name else None
        if operation is None:
            await self.app(scope, receive, send)
            return
        state.read_headers(scope)
        body: bytes | None = None
        read_here = False
        if operation.body_kind is not None:
            # The wire layer has read the body already; without it in front, the lane reads it itself.
            body = state.body
            if body is None:
                body, read_here = await read_body(receive), True
        try:
            kwargs = self._arguments(operation, scope, state, body)
        except _Refused:
            await self._refuse(scope, state, send)
            return
        except _Fallback:
            # The full path reads the body too: from `receive` untouched, or again from what this lane read.
            await self.app(scope, replay(body) if read_here and body is not None else receive, send)
            return
        state.answered_express = True
        await send_response(send, *self._answer(operation, await operation.handler(**kwargs)))

    def _arguments(
        self, operation: _Operation, scope: Scope, state: RequestState, body: bytes | None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        query = state.query(scope.get("query_string", b""))
        values = dict(query)
        # Credentials first, as connexion's security runs before its validation.
        kwargs["caller"] = self._authenticate(operation, state, values)
        names = [name for name, _ in query]
        if len(set(names)) != len(names) or not operation.allowed_query.issuperset(names):
            raise _Fallback()
        for param in operation.query:
            _check(param, values.get(param.name), kwargs)
        path_values = scope.get("path_params", {})
        for param in operation.path:
            _check(param, path_values.get(param.name), kwargs)
        if body is not None:
            document = _parse_body(operation, state, body)
            if document is not None:
                kwargs["body"] = document
        return kwargs

    def _authenticate(self, operation: _Operation, state: RequestState, query: dict[str, str]) -> str:
        authorization = state.authorization
        pair = operation.query_pair and "api_key" in query and "api_secret" in query
        try:
            if authorization:
                kind, _, encoded = authorization.partition(b" ")
                if kind.lower() != b"basic" or pair:
                    raise _Fallback()  # other schemes, or two sets of credentials: connexion decides
                key, _, secret = base64.b64decode(encoded, validate=True).decode("latin-1").partition(":")
                caller, scheme = self.backend.authenticate(key, secret), "basic"
            elif pair:
                caller = self.backend.authenticate(query["api_key"], query["api_secret"])
                scheme = "form" if state.form_credentials else "query"
            elif "api_key" in query or "api_secret" in query:
                raise _Fallback()  # half a pair
            else:
                raise _Refused()  # no credentials at all
        except InvalidCredentials:
            raise _Refused() from None
        except (binascii.Error, ValueError):
            raise _Fallback() from None
        state.caller, state.auth_scheme = caller, scheme
        return caller

    async def _refuse(self, scope: Scope, state: RequestState, send: Send) -> None:
        error = unauthorized(scope["path"])
        state.failure = dict([CREDENTIALS_REFUSED])
        await send_response(send, error.status, dump_json(error.body()), error.media_type)

    def _answer(self, operation: _Operation, result: Answer) -> tuple[int, bytes, str | None]:
        """The status, body and media type of a handler's answer, checked against the spec."""
        document, status, media_type = result.document, result.status, result.media_type
        payload = b"" if document is None else dump_json(document)
        if self.validate_responses:
            problem = _nonconformity(operation, status, media_type, document)
            if problem:
                return _nonconforming(problem)
        return status, payload, media_type


def dump_json(document: Any) -> bytes:
    """A document as JSON, by orjson (a tenth of the stdlib's time on these small answers).

    What orjson refuses (an integer beyond 64 bits) goes to the stdlib, which writes any JSON value.
    """
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        return json.dumps(document).encode()


def _check(param: _Param, value: str | None, kwargs: dict[str, Any]) -> None:
    if value is None:
        if param.required:
            raise _Fallback()
        return
    if not accepts(param.validator, value):
        raise _Fallback()
    kwargs[param.argument] = value


def _parse_body(operation: _Operation, state: RequestState, body: bytes) -> Any:
    content_type = state.handed_on_content_type().split(b";")[0].strip().lower()
    if not body:
        if operation.body_required:
            raise _Fallback()
        return None
    if content_type != operation.body_media:
        raise _Fallback()
    try:
        if operation.body_kind == "json":
            document = json.loads(body.decode("utf-8"))
            state.parsed_json = (body, document)
        else:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            document = dict(fields)
            if len(document) != len(fields):
                raise _Fallback()
    except (ValueError, UnicodeDecodeError):
        raise _Fallback() from None
    if not accepts(operation.body_validator, document):
        raise _Fallback()
    return document


def accepts(validator: Any, instance: Any) -> bool:
    """Whether one of the lane's validators accepts `instance` (False when it cannot even take it in)."""
    try:
        return bool(validator.is_valid(instance))
    except (ValueError, OverflowError):
        # What the Rust validator cannot take in (a lone surrogate, a number beyond its range): the full path judges.
        return False


def _nonconformity(operation: _Operation, status: int, media_type: str | None, document: Any) -> str | None:
    """What makes an answer break the spec, if anything."""
    if (status, media_type) not in operation.responses:
        return f"status {status} {media_type} is not declared"
    validator = operation.responses[(status, media_type)]
    if validator is not None and not validator.is_valid(document):
        return "the body does not conform to the spec"
    return None


def _nonconforming(detail: str) -> tuple[int, bytes, str]:
    # What the full path answers when a handler's answer breaks the spec: a bug in the mock, said plainly.
    document = generic_problem("internal-error", "Response does not conform to the spec", detail)
    return 500, json.dumps(document).encode(), "application/problem+json"
