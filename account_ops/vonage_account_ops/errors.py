"""Typed errors — the API's, built from its error documents, and the jobs' own refusals — and what to do about each.

No error carries a secret. `next_step` is the one table of advice: the CLI and the MCP tools give it the names of
their own commands or tools, so the two say the same thing each in its own words.
"""

from __future__ import annotations

from collections.abc import Mapping
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


class JobRefused(Exception):
    """A job stopped before sending anything, to keep one of its rules (`title` and `detail` say which)."""

    exit_code = 4
    kind = "refused"

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(f"{title}: {detail}")
        self.title = title
        self.detail = detail


class SecretInUse(JobRefused):
    """The secret to revoke is the one the credentials use."""

    kind = "secret-in-use"


class SecretInUseUnknown(JobRefused):
    """Two secrets are active and nothing records which one the credentials use."""

    exit_code = 2
    kind = "secret-in-use-unknown"


class JobBusy(JobRefused):
    """Another run of the same job holds its file (in this process or another): this one did nothing."""

    exit_code = 5
    kind = "busy"


# What to do next, per kind of failure, the most specific first. `{name}` is a command or tool of the adapter's.
_NEXT_STEPS: tuple[tuple[type[Exception], str], ...] = (
    (AuthenticationFailed, "check the configured credentials ({credentials}); retrying will not help"),
    (
        SecretLimitReached,
        "a key keeps at most two secrets: revoke one first ({list_secrets}, {revoke_secret}), or let {rotate_secret} "
        "make room",
    ),
    (LastSecret, "a key keeps at least one secret: {rotate_secret} replaces it safely"),
    (InvalidSecret, "fix the values named in the detail and try again"),
    (NotFound, "check the key, secret id or country: {list_secrets} shows the secret ids, {pricing} the countries"),
    (
        AutoReloadNotEnabled,
        "top-ups need auto-reload on the account: it is turned on in the Vonage dashboard (on the mock: PUT "
        "/_mock/accounts/KEY with an auto_reload object)",
    ),
    (TopUpFailed, "the payment reference ({trx}) was refused: check it is the account's auto-reload one; do not retry"),
    (RateLimited, "the API is rate limiting this account: wait {wait}before trying again; do not retry in a loop"),
    (
        OutcomeUnknown,
        "do not repeat it: first check whether it was done ({check_balance} for a top-up, {list_secrets} for a secret)",
    ),
    (SecretInUse, "revoke the other one, or use {rotate_secret} to replace this one"),
    (
        SecretInUseUnknown,
        "record which secret is in use: an api_secret_id=<ID> line in the credentials file ({rotate_secret} writes "
        "it), or $VONAGE_API_SECRET_ID",
    ),
    (JobBusy, "let it finish, then check ({list_secrets}, {check_balance}) before running it again"),
)
_NO_ANSWER = "nothing answered: check {hosts} and the network"
_TIMED_OUT = "the service is slow or stalled: try again later{longer_timeout}"
_FAILED = "the service or the network failed: try again in a minute"


def next_step(error: Exception, names: Mapping[str, str]) -> str:
    """What to do about `error`, in the words `names` gives its placeholders (an adapter's commands or tools)."""
    if isinstance(error, TransientFailure) and not isinstance(error, OutcomeUnknown):
        if error.status == 0:
            template = _TIMED_OUT if "client timeout" in error.detail else _NO_ANSWER
        else:
            template = _FAILED
    else:
        template = next(
            (text for cls, text in _NEXT_STEPS if isinstance(error, cls)),
            "read the detail; {pricing} and {list_secrets} show what exists",
        )
    retry_after = getattr(error, "retry_after", 0)
    values = {**names, "wait": f"{retry_after:g} s " if retry_after else ""}
    return template.format_map(values)
