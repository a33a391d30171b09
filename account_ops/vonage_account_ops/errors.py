"""Typed errors, built from the API's error documents; never carrying a secret."""

from __future__ import annotations

from typing import Any


class AccountError(Exception):
    """An error answered by the Account API, with the document's `type`, `title` and `detail`."""

    exit_code = 4

    def __init__(self, status: int, title: str, detail: str = "", type_: str = "") -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_


class AuthenticationFailed(AccountError):
    """The credentials were refused."""

    exit_code = 3


class SecretLimitReached(AccountError):
    """The key already has two active secrets."""


class LastSecret(AccountError):
    """The only active secret cannot be revoked."""


class InvalidSecret(AccountError):
    """The new secret breaks the complexity rules (or the request was otherwise invalid)."""


class NotFound(AccountError):
    """The key, secret or country is unknown."""


class AutoReloadNotEnabled(AccountError):
    """Top-up needs auto-reload enabled on the account."""


class TopUpFailed(AccountError):
    """The top-up was refused (e.g. a reference that is not the account's)."""


class RateLimited(AccountError):
    """Too many requests, still after retrying."""

    exit_code = 5

    def __init__(self, status: int, title: str, detail: str = "", type_: str = "", retry_after: float = 0) -> None:
        super().__init__(status, title, detail, type_)
        self.retry_after = retry_after


class TransientFailure(AccountError):
    """The service or the network failed, still after retrying."""

    exit_code = 5


_BY_TYPE = {
    "#add-excess-secret": SecretLimitReached,
    "#maximum-secrets-allowed": SecretLimitReached,
    "#delete-last-secret": LastSecret,
    "#validation": InvalidSecret,
    "#invalid-api-key": NotFound,
    "#invalid-id": NotFound,
    "#not-found": NotFound,
    "#unauthorized": AuthenticationFailed,
}


def error_from_response(status: int, document: Any, retry_after: float = 0) -> AccountError:
    """The typed error for an error answer (`document`: its parsed JSON body, or None)."""
    doc = document if isinstance(document, dict) else {}
    if "error-code-label" in doc:  # the rest host's, and pricing's, error-code documents
        label = str(doc["error-code-label"])
        code = str(doc.get("error-code", doc.get("code", status)))
        if label == "not auto-reload enabled":
            return AutoReloadNotEnabled(status, "Auto-reload not enabled", label, code)
        if code == "420" or label == "topup failed":
            return TopUpFailed(status, "Top-up failed", label, code)
        if status == 401:
            return AuthenticationFailed(status, "Authentication failed", label, code)
        return AccountError(status, f"Error {code}", label, code)
    if "error_title" in doc:  # the rest host's BAD_REQUEST document
        fields = ", ".join(f"{k}: {v}" for k, v in (doc.get("invalid_parameters") or {}).items())
        return InvalidSecret(status, str(doc["error_title"]), fields, str(doc.get("type", "")))
    type_ = str(doc.get("type", ""))
    title = str(doc.get("title", f"HTTP {status}"))
    detail = str(doc.get("detail", ""))
    if status == 429:
        return RateLimited(status, title, detail, type_, retry_after)
    if status >= 500:
        return TransientFailure(status, title, detail, type_)
    for fragment, cls in _BY_TYPE.items():
        if type_.endswith(fragment):
            return cls(status, title, detail, type_)
    if status == 401:
        return AuthenticationFailed(status, title or "Authentication failed", detail, type_)
    if status == 404:
        return NotFound(status, title, detail, type_)
    return AccountError(status, title, detail, type_)


class OutcomeUnknown(TransientFailure):
    """A request that may have been processed failed without an answer saying so: it is not sent again."""
