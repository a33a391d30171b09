"""Connexion validators that report *which* parameter failed, so errors can name it as the API does."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators import FormDataValidator, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from jsonschema.validators import extend

from vonage_account_mock.full_path.speedups import compiled, response_validator_class

_format_checker = Draft4Validator.FORMAT_CHECKER


@functools.cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    # OpenAPI patterns are ECMAScript regexes, where `$` ends the input; Python's `$` also matches before a
    # final newline, so "GB\n" would pass "^[A-Z]{2}$". `\Z` is ECMAScript's `$` in Python.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


ParameterSchemaValidator = extend(Draft4Validator, {"pattern": _pattern})  # type: ignore[no-untyped-call]
RequestSchemaValidator = extend(Draft4RequestValidator, {"pattern": _pattern})  # type: ignore[no-untyped-call]

BODY = "body"


class InvalidInput(BadRequestProblem):  # type: ignore[misc]
    """Bad input, as a map of parameter name to reason."""

    def __init__(self, invalid_parameters: dict[str, str]) -> None:
        self.invalid_parameters = invalid_parameters
        super().__init__(detail="; ".join(f"{name}: {reason}" for name, reason in invalid_parameters.items()))


def _reason(error: ValidationError) -> str:
    # jsonschema messages quote the offending value; a secret must never be echoed back, so the reason
    # names the rule that failed, not the value.
    rule = error.validator
    limit = error.validator_value
    reasons = {
        "required": "Is required.",
        "type": f"Must be of type {limit}.",
        "pattern": "Does not match the required format.",
        "minLength": f"Must be at least {limit} characters long.",
        "maxLength": f"Must be at most {limit} characters long.",
        "enum": f"Must be one of {', '.join(map(str, limit))}." if isinstance(limit, list) else "Invalid value.",
        "format": f"Must be a valid {limit}.",
        "maxItems": f"Must have at most {limit} items.",
        "additionalProperties": "Unexpected field.",
    }
    return reasons.get(str(rule), "Invalid value.")


def _field_name(error: ValidationError, default: str) -> str:
    required = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(required, list):
        missing = [name for name in required if name not in error.instance]
        if missing:
            return ".".join([*map(str, error.absolute_path), str(missing[0])])
    schema = error.schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict) and isinstance(schema, dict):
        allowed = schema.get("properties", {})
        extra = [name for name in error.instance if name not in allowed]
        if extra:
            return ".".join([*map(str, error.absolute_path), str(extra[0])])
    path = ".".join(map(str, error.absolute_path))
    return path or default


def _missing_body(schema: dict[str, Any]) -> InvalidInput:
    required = schema.get("required") or []
    return InvalidInput({str(name): "Is required." for name in required} or {BODY: "Is required."})


async def _wrap_receive_requiring_body(validator: Any, receive: Any, scope: Any) -> Any:
    """Refuse a missing required body with the fields it should have held, before connexion does."""
    headers = dict(scope["headers"])
    if validator._required and not int(headers.get(b"content-length", b"0") or 0):
        raise _missing_body(validator._schema)
    return None


class NamingParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Query, path and header validation that raises InvalidInput naming the parameter."""

    def validate_request(self, request: Any) -> None:
        if self.strict_validation:
            extra = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if extra:
                raise InvalidInput(dict.fromkeys(sorted(extra), "Is not a parameter of this operation."))
        sources = {
            "query": request.query_params,
            "path": request.path_params,
            "header": request.headers,
        }
        for location, values in sources.items():
            for param in self.parameters.get(location, []):
                name = param["name"]
                value = values.get(name if location != "path" else name.replace("-", "_"))
                if value is None:
                    if param.get("required"):
                        raise InvalidInput({name: "Is required."})
                    continue
                try:
                    compiled(param.get("schema", param), ParameterSchemaValidator).validate(value)
                except ValidationError as error:
                    raise InvalidInput({name: _reason(error)}) from None


class _NamingBody:
    """What both body validators share: the compiled schema, and a required body that is missing refused."""

    _schema: Any

    @property
    def _validator(self) -> Any:
        return compiled(self._schema, RequestSchemaValidator)

    async def wrap_receive(self, receive: Any, *, scope: Any) -> Any:
        await _wrap_receive_requiring_body(self, receive, scope)
        return await super().wrap_receive(receive, scope=scope)  # type: ignore[misc]


class NamingJSONBodyValidator(_NamingBody, JSONRequestBodyValidator):  # type: ignore[misc]
    """JSON body validation that raises InvalidInput naming the field."""

    async def _parse(self, stream: Any, scope: Any) -> Any:
        seen = bytearray()

        async def noted() -> Any:
            async for chunk in stream:
                seen.extend(chunk)
                yield chunk

        try:
            parsed = await super()._parse(noted(), scope)
        except (UnicodeDecodeError, LookupError):
            raise InvalidInput({BODY: "Is not valid text in its declared charset."}) from None
        except BadRequestProblem:
            raise InvalidInput({BODY: "Is not valid JSON."}) from None
        if parsed is None and seen.strip():
            # A JSON `null` is a body, and no schema of ours allows it; connexion would take it for no body at all.
            raise InvalidInput({BODY: "Must not be null."})
        return parsed

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            if self._required:
                raise InvalidInput({BODY: "Is required."})
            return None
        error = next(iter(self._validator.iter_errors(body)), None)
        if error is not None:
            raise InvalidInput({_field_name(error, BODY): _reason(error)})
        return None


class NamingFormValidator(_NamingBody, FormDataValidator):  # type: ignore[misc]
    """Form body validation that raises InvalidInput naming the field."""

    async def _parse(self, stream: Any, scope: Any) -> Any:
        try:
            return await super()._parse(stream, scope)
        except (UnicodeDecodeError, LookupError):
            raise InvalidInput({BODY: "Is not valid text in its declared charset."}) from None

    def _validate(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise InvalidInput({BODY: "Must be a form."})
        if self._strict_validation:
            extra = sorted(set(body) - set(self._schema.get("properties", {})))
            if extra:
                raise InvalidInput(dict.fromkeys(extra, "Is not a field of this operation."))
        error = next(iter(self._validator.iter_errors(body)), None)
        if error is not None:
            raise InvalidInput({_field_name(error, BODY): _reason(error)})


VALIDATOR_MAP: dict[str, Any] = {
    "parameter": NamingParameterValidator,
    "body": MediaTypeDict(
        {
            "*/*json": NamingJSONBodyValidator,
            "application/x-www-form-urlencoded": NamingFormValidator,
        }
    ),
    "response": MediaTypeDict(
        {
            media_type: response_validator_class(validator)
            for media_type, validator in CONNEXION_VALIDATORS["response"].items()
        }
    ),
}
