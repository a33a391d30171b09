"""HTTP glue for the Account API: read parameters, call the backend, serialise. No state, no rules."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec

from starlette.responses import Response

from vonage_account_mock.layers.problems import as_handler_result
from vonage_account_mock.state import pricing
from vonage_account_mock.state.exceptions import AccountApiError
from vonage_account_mock.state.models import AccountBackend, EmailSender, SecretView, Settings, SettingsChange

P = ParamSpec("P")
Result = Any


def answers_errors(handler: Callable[P, Awaitable[Result]]) -> Callable[P, Awaitable[Result]]:
    """Return domain errors as responses (so response validation sees them too) instead of raising."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Result:
        try:
            result = await handler(*args, **kwargs)
        except AccountApiError as error:
            result = as_handler_result(error)
        body, status, *headers = result if isinstance(result, tuple) else (result, 200)
        if body is None:
            # An empty answer has no media type to choose; a ready response skips connexion's serialiser.
            return Response(status_code=status)
        if headers:
            return body, status, headers[0]
        # Operations declare JSON and problem+json answers: connexion needs to be told which one this is.
        return body, status, _JSON_HEADERS

    return wrapper


_JSON_HEADERS = {"Content-Type": "application/json"}


def _secret_document(api_key: str, secret: SecretView) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": f"/accounts/{api_key}/secrets/{secret.id}"}},
        "id": secret.id,
        "created_at": secret.created_at,
    }


def _settings_document(settings: Settings) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if settings.mo_callback_url:
        document["mo-callback-url"] = settings.mo_callback_url
    if settings.dr_callback_url:
        document["dr-callback-url"] = settings.dr_callback_url
    document["max-outbound-request"] = settings.max_outbound_request
    document["max-inbound-request"] = settings.max_inbound_request
    document["max-calls-per-second"] = settings.max_calls_per_second
    return document


def _either(form: dict[str, Any], *names: str) -> str | None:
    """The first of several spellings of a form field that is present."""
    for name in names:
        if name in form:
            return str(form[name])
    return None


class AccountApiHandlers:
    """One method per operationId, bound to a backend; `caller` is the api_key that authenticated."""

    def __init__(self, backend: AccountBackend) -> None:
        self.backend = backend

    # -- balance ------------------------------------------------------------------------------

    @answers_errors
    async def get_balance(self, caller: str) -> Result:
        value, auto_reload = self.backend.balance(caller)
        return {"value": float(value), "autoReload": auto_reload}

    @answers_errors
    async def top_up(self, caller: str, body: dict[str, Any]) -> Result:
        self.backend.top_up(caller, str(body["trx"]))
        return {"error-code": "200", "error-code-label": "success"}

    # -- configuration ------------------------------------------------------------------------

    @answers_errors
    async def update_settings(self, caller: str, body: dict[str, Any] | None = None) -> Result:
        form = body or {}
        change = SettingsChange(
            mo_callback_url=_either(form, "moCallBackUrl", "moCallbackUrl"),
            dr_callback_url=_either(form, "drCallBackUrl", "drCallbackUrl"),
            http_forward_method=_either(form, "httpForwardMethod"),
        )
        return _settings_document(self.backend.update_settings(caller, change))

    @answers_errors
    async def register_sender(self, caller: str, body: dict[str, Any]) -> Result:
        sender = EmailSender(
            provider=body["provider"],
            value=body["value"],
            name=body.get("name"),
            application_ids=tuple(body.get("application_ids") or ()),
        )
        stored = self.backend.register_sender(caller, sender)
        document: dict[str, Any] = {"provider": stored.provider, "value": stored.value}
        if stored.name is not None:
            document["name"] = stored.name
        if stored.application_ids:
            document["application_ids"] = list(stored.application_ids)
        return document

    # -- pricing ------------------------------------------------------------------------------

    @answers_errors
    async def get_country_pricing(self, caller: str, type_: str, country: str) -> Result:
        return pricing.country_pricing(type_, country)

    @answers_errors
    async def get_full_pricing(self, caller: str, type_: str) -> Result:
        return pricing.full_pricing(type_)

    @answers_errors
    async def get_prefix_pricing(self, caller: str, type_: str, prefix: str) -> Result:
        return pricing.prefix_pricing(type_, prefix)

    # -- secrets ------------------------------------------------------------------------------

    @answers_errors
    async def list_secrets(self, caller: str, api_key: str) -> Result:
        secrets = self.backend.list_secrets(caller, api_key)
        return {
            "_links": {"self": {"href": f"/accounts/{api_key}/secrets"}},
            "_embedded": {"secrets": [_secret_document(api_key, secret) for secret in secrets]},
        }

    @answers_errors
    async def create_secret(self, caller: str, api_key: str, body: dict[str, Any]) -> Result:
        secret = self.backend.create_secret(caller, api_key, str(body["secret"]))
        return _secret_document(api_key, secret), 201

    @answers_errors
    async def get_secret(self, caller: str, api_key: str, secret_id: str) -> Result:
        return _secret_document(api_key, self.backend.get_secret(caller, api_key, secret_id))

    @answers_errors
    async def revoke_secret(self, caller: str, api_key: str, secret_id: str) -> Result:
        self.backend.revoke_secret(caller, api_key, secret_id)
        return None, 204
