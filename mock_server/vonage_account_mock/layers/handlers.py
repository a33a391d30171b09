"""HTTP glue for the Account API: read parameters, call the backend, serialise. No state, no rules."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec

from starlette.responses import Response

from vonage_account_mock.state import pricing
from vonage_account_mock.state.exceptions import AccountApiError
from vonage_account_mock.state.models import AccountBackend, EmailSender, SecretView, Settings, SettingsChange

P = ParamSpec("P")


class Answer:
    """What a handler answers: a status, a JSON document (None: no body) and its media type.

    The one type between the handlers and whichever path serves them: the express lane writes it as it is, the full
    path hands it to connexion once (`for_connexion`)."""

    __slots__ = ("document", "media_type", "status")

    def __init__(self, document: Any, status: int = 200, media_type: str | None = "application/json") -> None:
        self.document = document
        self.status = status
        self.media_type = media_type if document is not None else None

    def for_connexion(self) -> Any:
        """The answer in connexion's dialect: a ready response when bodiless, else (body, status, headers)."""
        if self.document is None:
            # An empty answer has no media type to choose; a ready response skips connexion's serialiser.
            return Response(status_code=self.status)
        return self.document, self.status, {"Content-Type": self.media_type}


def answers_errors(handler: Callable[P, Awaitable[Answer]]) -> Callable[P, Awaitable[Answer]]:
    """Answer domain errors as their documents (so response validation sees them too) instead of raising."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Answer:
        try:
            return await handler(*args, **kwargs)
        except AccountApiError as error:
            return Answer(error.body(), error.status, error.media_type)

    return wrapper


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
    async def get_balance(self, caller: str) -> Answer:
        value, auto_reload = self.backend.balance(caller)
        return Answer({"value": float(value), "autoReload": auto_reload})

    @answers_errors
    async def top_up(self, caller: str, body: dict[str, Any]) -> Answer:
        self.backend.top_up(caller, str(body["trx"]))
        return Answer({"error-code": "200", "error-code-label": "success"})

    # -- configuration ------------------------------------------------------------------------

    @answers_errors
    async def update_settings(self, caller: str, body: dict[str, Any] | None = None) -> Answer:
        form = body or {}
        change = SettingsChange(
            mo_callback_url=_either(form, "moCallBackUrl", "moCallbackUrl"),
            dr_callback_url=_either(form, "drCallBackUrl", "drCallbackUrl"),
            http_forward_method=_either(form, "httpForwardMethod"),
        )
        return Answer(_settings_document(self.backend.update_settings(caller, change)))

    @answers_errors
    async def register_sender(self, caller: str, body: dict[str, Any]) -> Answer:
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
        return Answer(document)

    # -- pricing ------------------------------------------------------------------------------

    @answers_errors
    async def get_country_pricing(self, caller: str, type_: str, country: str) -> Answer:
        return Answer(pricing.country_pricing(type_, country))

    @answers_errors
    async def get_full_pricing(self, caller: str, type_: str) -> Answer:
        return Answer(pricing.full_pricing(type_))

    @answers_errors
    async def get_prefix_pricing(self, caller: str, type_: str, prefix: str) -> Answer:
        return Answer(pricing.prefix_pricing(type_, prefix))

    # -- secrets ------------------------------------------------------------------------------

    @answers_errors
    async def list_secrets(self, caller: str, api_key: str) -> Answer:
        secrets = self.backend.list_secrets(caller, api_key)
        return Answer(
            {
                "_links": {"self": {"href": f"/accounts/{api_key}/secrets"}},
                "_embedded": {"secrets": [_secret_document(api_key, secret) for secret in secrets]},
            }
        )

    @answers_errors
    async def create_secret(self, caller: str, api_key: str, body: dict[str, Any]) -> Answer:
        secret = self.backend.create_secret(caller, api_key, str(body["secret"]))
        return Answer(_secret_document(api_key, secret), 201)

    @answers_errors
    async def get_secret(self, caller: str, api_key: str, secret_id: str) -> Answer:
        return Answer(_secret_document(api_key, self.backend.get_secret(caller, api_key, secret_id)))

    @answers_errors
    async def revoke_secret(self, caller: str, api_key: str, secret_id: str) -> Answer:
        self.backend.revoke_secret(caller, api_key, secret_id)
        return Answer(None, 204)
