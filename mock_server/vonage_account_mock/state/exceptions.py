"""Errors of the Account API, each carrying the wire shape the real service answers with."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"

_SECRETS_DOCS = "https://developer.nexmo.com/api-errors/account/secret-management"


def new_instance_id() -> str:
    """A fresh trace id for the `instance` field of a problem document."""
    return str(uuid.uuid4())


class AccountApiError(Exception):
    """Base class: an error the API answers with a documented status and body."""

    status: ClassVar[int] = 400
    media_type: ClassVar[str] = JSON

    def body(self) -> dict[str, Any]:
        """The JSON document sent on the wire."""
        raise NotImplementedError


class InvalidCredentials(Exception):
    """The presented key/secret pair does not authenticate (the wire shape depends on the host)."""


class ProblemError(AccountApiError):
    """An RFC 7807 problem document, as the secrets API answers."""

    media_type = PROBLEM_JSON
    type_uri: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"type": self.type_uri, "title": self.title, "detail": self.detail, "instance": new_instance_id()}


class Unauthorized(ProblemError):
    """Missing or wrong credentials on the secrets API."""

    status = 401
    type_uri = "https://developer.nexmo.com/api-errors#unauthorized"
    title = "Unauthorized"

    def __init__(self) -> None:
        super().__init__("You did not provide correct credentials.")


class SecretValidationFailed(ProblemError):
    """The request to the secrets API is invalid (complexity rules, malformed body, unknown parameter)."""

    status = 400
    type_uri = f"{_SECRETS_DOCS}#validation"
    title = "Bad Request"

    def __init__(self, invalid_parameters: Mapping[str, str]) -> None:
        super().__init__("The request failed due to validation errors")
        self.invalid_parameters = dict(invalid_parameters)

    def body(self) -> dict[str, Any]:
        document = super().body()
        document["invalid_parameters"] = [
            {"name": name, "reason": reason} for name, reason in self.invalid_parameters.items()
        ]
        return document


class SecretLimitReached(ProblemError):
    """A third active secret was asked for."""

    status = 403
    type_uri = f"{_SECRETS_DOCS}#add-excess-secret"
    title = "Secret Addition Forbidden"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Account reached maximum number [{limit}] of allowed secrets")


class LastSecretRevocation(ProblemError):
    """The only active secret cannot be revoked."""

    status = 403
    type_uri = f"{_SECRETS_DOCS}#delete-last-secret"
    title = "Secret Deletion Forbidden"

    def __init__(self) -> None:
        super().__init__(
            "Can not delete the last secret. The account must always have at least 1 secret active at any time"
        )


class InvalidApiKey(ProblemError):
    """The key does not exist, or the caller may not manage it."""

    status = 404
    type_uri = "https://developer.nexmo.com/api-errors#invalid-api-key"
    title = "Invalid API Key"

    def __init__(self, api_key: str) -> None:
        super().__init__(f"API key '{api_key}' does not exist, or you do not have access")


class InvalidSecretId(ProblemError):
    """No active secret of the key has this id."""

    status = 404
    type_uri = "https://developer.nexmo.com/api-errors#invalid-id"
    title = "Invalid ID"

    def __init__(self, secret_id: str) -> None:
        super().__init__(f"ID '{secret_id}' could not be found")


class ErrorCodeError(AccountApiError):
    """The rest host's `error-code` document."""

    error_code: ClassVar[str]
    label: ClassVar[str]

    def body(self) -> dict[str, Any]:
        return {"error-code": self.error_code, "error-code-label": self.label}


class AuthenticationFailed(ErrorCodeError):
    """Missing or wrong credentials on the rest host."""

    status = 401
    error_code = "401"
    label = "authentication failed"


class AutoReloadNotEnabled(ErrorCodeError):
    """Top-up asked of an account without auto-reload."""

    status = 401
    error_code = "401"
    label = "not auto-reload enabled"


class TopUpFailed(ErrorCodeError):
    """Top-up with a `trx` that is not the account's auto-reload reference."""

    status = 401
    error_code = "420"
    label = "topup failed"


class PricingAuthenticationFailed(AccountApiError):
    """Missing or wrong credentials on the pricing endpoints (their own 401 shape)."""

    status = 401

    def body(self) -> dict[str, Any]:
        return {"currency": "EUR", "code": "401", "error-code-label": "authentication failed"}


class RestBadRequest(AccountApiError):
    """Invalid input on the rest host: each offending field mapped to a reason."""

    status = 400

    def __init__(self, invalid_parameters: Mapping[str, str]) -> None:
        super().__init__(dict(invalid_parameters))
        self.invalid_parameters = dict(invalid_parameters)

    def body(self) -> dict[str, Any]:
        return {"type": "BAD_REQUEST", "error_title": "Bad Request", "invalid_parameters": self.invalid_parameters}


class SenderLimitReached(RestBadRequest):
    """A new email sender for an account that has the most it may keep (the service documents no such error, so the
    rest host's declared 400 says it, on the field that would add one)."""

    def __init__(self, limit: int) -> None:
        reason = f"Is one sender too many: an account registers at most {limit}; re-registering one of them still works"
        super().__init__({"value": reason})


class PricingNotFound(ProblemError):
    """No pricing is known for the country."""

    status = 404
    type_uri = "https://developer.nexmo.com/api-errors#not-found"
    title = "Not Found"

    def __init__(self, country: str) -> None:
        super().__init__(f"No pricing is known for country '{country}'")
