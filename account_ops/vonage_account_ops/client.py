"""One entry point to both hosts of the Account API, with retries and typed results and errors."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from vonage_account_client import AuthenticatedClient
from vonage_account_client.api.balance import get_balance, top_up
from vonage_account_client.api.configuration import register_sender, update_settings
from vonage_account_client.api.pricing import get_country_pricing, get_full_pricing, get_prefix_pricing
from vonage_account_client.api.secret_management import create_secret, get_secret, list_secrets, revoke_secret
from vonage_account_client.models import (
    CountryPricing,
    CreateSecretRequest,
    PricingList,
    RegisterSenderRequest,
    RegisterSenderResponse,
    Secret,
    SettingsRequest,
    TopUpRequest,
)
from vonage_account_client.models import Settings as SettingsModel
from vonage_account_client.models.settings_request_http_forward_method import (
    SETTINGS_REQUEST_HTTP_FORWARD_METHOD_VALUES,
    check_settings_request_http_forward_method,
)
from vonage_account_client.types import Response

from vonage_account_ops.credentials import Credentials
from vonage_account_ops.errors import AccountError, OutcomeUnknown, RateLimited, TransientFailure, error_from_response

REST_URL_VARIABLE = "VONAGE_REST_URL"
API_URL_VARIABLE = "VONAGE_API_URL"
TIMEOUT_VARIABLE = "VONAGE_TIMEOUT"
DEFAULT_REST_URL = "https://rest.nexmo.com"
DEFAULT_API_URL = "https://api.nexmo.com"
DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for a connection, and for each read of an answer."""
_TRANSIENT = {500, 502, 503, 504}

SECOND_EFFECT = {
    "top_up": "the top-up may have been made: check the balance (and the account's payments) before trying again",
    "create_secret": "the secret may have been created: check the secrets (list them) before trying again",
    "register_sender": "the sender may have been registered: check the senders before trying again",
}
"""The operations whose repeat is a second effect (a second payment, a second secret), and what to check when one
may have reached the service without an answer saying so. Such a request is sent again only when it cannot have been
processed: a 429, or a connection that was never made."""

_UNPARSABLE = (KeyError, TypeError, ValueError, AttributeError)
"""What the generated client raises on an answer its models cannot read."""

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures raised before any byte of the request was written."""
FORWARD_METHODS = tuple(sorted(SETTINGS_REQUEST_HTTP_FORWARD_METHOD_VALUES))
"""How inbound messages may be forwarded to the webhook (`httpForwardMethod`)."""

T = TypeVar("T")


@dataclass(frozen=True)
class BalanceInfo:
    """The balance in EUR, exact, and whether auto-reload is on."""

    value: Decimal
    auto_reload: bool


@dataclass(frozen=True)
class SecretInfo:
    """An active secret: its id and creation time."""

    id: str
    created_at: str


@dataclass(frozen=True)
class WebhookSettings:
    """The default webhooks and rate limits."""

    mo_callback_url: str | None
    dr_callback_url: str | None
    max_outbound_request: int
    max_inbound_request: int
    max_calls_per_second: int


class AccountOps:
    """The Account API for one key: Basic auth on both hosts, retries on 429 and transient failures."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        rest_url: str | None = None,
        api_url: str | None = None,
        max_attempts: int = 4,
        max_wait: float = 30.0,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        **httpx_args: Any,
    ) -> None:
        self.credentials = credentials
        self.rest_url = rest_url or os.environ.get(REST_URL_VARIABLE) or DEFAULT_REST_URL
        self.api_url = api_url or os.environ.get(API_URL_VARIABLE) or DEFAULT_API_URL
        if not timeout > 0:
            raise ValueError("the timeout is a positive number of seconds")
        if max_attempts < 1:
            raise ValueError("max_attempts counts the first attempt: 1 sends once, without retrying")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._sleep = sleep
        self._httpx_args = httpx_args
        # Whether the request under way on this thread got an answer (noted by an httpx response hook).
        self._answered = threading.local()
        self._rest = self._client(self.rest_url, credentials.api_secret)
        self._api = self._client(self.api_url, credentials.api_secret)

    def _client(self, base_url: str, secret: str) -> AuthenticatedClient:
        verify = self._httpx_args.get("verify", True)
        extra = {k: v for k, v in self._httpx_args.items() if k != "verify"}
        return AuthenticatedClient(
            base_url=base_url,
            token="",
            prefix="",
            verify_ssl=verify,
            timeout=httpx.Timeout(self.timeout),
            # An httpx.BasicAuth, not a (key, secret) tuple: the client's repr shows its httpx_args.
            httpx_args={
                "auth": httpx.BasicAuth(self.credentials.api_key, secret),
                "event_hooks": {"response": [self._note_answer]},
                **extra,
            },
        )

    def _note_answer(self, response: httpx.Response) -> None:
        self._answered.seen = True

    def with_secret(self, secret: str) -> AccountOps:
        """The same hosts and settings, authenticating with another secret of the key."""
        return AccountOps(
            Credentials(self.credentials.api_key, secret),
            rest_url=self.rest_url,
            api_url=self.api_url,
            max_attempts=self.max_attempts,
            max_wait=self.max_wait,
            timeout=self.timeout,
            sleep=self._sleep,
            **self._httpx_args,
        )

    def close(self) -> None:
        """Close the connections."""
        self._rest.get_httpx_client().close()
        self._api.get_httpx_client().close()

    def __enter__(self) -> AccountOps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the call loop --------------------------------------------------------------------------------------------

    def host_client(self, host: str) -> AuthenticatedClient:
        """The generated client of one host: `rest` (balance, top-up, settings, pricing) or `api` (secrets)."""
        if host not in ("rest", "api"):
            raise ValueError(f"unknown host {host!r}: rest or api")
        return self._rest if host == "rest" else self._api

    def send(self, request: Callable[[], Response[Any]], operation_id: str) -> Response[Any]:
        """Send one operation's request; its 2xx answer, else its typed AccountError.

        429s are retried as Retry-After says, and so is a connection that was never made: neither was processed. Any
        other failure of an operation in SECOND_EFFECT (a top-up, a new secret) raises OutcomeUnknown at once, since
        the request may have been processed; the other operations are retried on 5xx answers and transport failures.
        A read that times out is not retried: the next one would most likely wait as long.
        """
        repeatable = operation_id not in SECOND_EFFECT
        last: AccountError | None = None
        for attempt in range(self.max_attempts):
            self._answered.seen = False
            try:
                response = request()
            except _UNPARSABLE as error:
                if not self._answered.seen:
                    raise  # raised before any answer came: a bug of ours, not the service's answer
                # The generated client could not read the answer: it is not what the spec says. Not retried (the
                # next answer would be the same), and for a second-effect operation, the request went out.
                odd = AccountError(
                    0,
                    "Unexpected answer",
                    f"the service's answer is not what the API's spec describes ({type(error).__name__})",
                )
                raise self._unknown(operation_id, odd) if not repeatable else odd from None
            except httpx.TransportError as error:
                # The message names the failure's kind, never the credentials.
                last = self._transport_failure(error)
                if isinstance(error, _NOT_SENT) or (repeatable and not isinstance(error, httpx.TimeoutException)):
                    if attempt + 1 < self.max_attempts:  # no pause after the last attempt: nothing follows it
                        self._sleep(self._backoff(attempt, None))
                    continue
                raise self._unknown(operation_id, last) if not repeatable else last from None
            status = int(response.status_code)
            if 200 <= status < 300:
                return response
            retry_after = _retry_after(response.headers.get("retry-after"))
            last = error_from_response(status, json_body(response.content), retry_after or 0)
            if status == 429 or (status in _TRANSIENT and repeatable):
                if attempt + 1 < self.max_attempts:
                    self._sleep(self._backoff(attempt, retry_after))
                continue
            if status >= 500 and not repeatable:
                raise self._unknown(operation_id, last)
            raise last
        assert last is not None
        if isinstance(last, RateLimited | TransientFailure):
            raise last
        raise TransientFailure(last.status, last.title, last.detail, last.type)

    def _transport_failure(self, error: httpx.TransportError) -> TransientFailure:
        if isinstance(error, httpx.TimeoutException) and not isinstance(error, _NOT_SENT):
            detail = f"{type(error).__name__}: no answer within {self.timeout:g} s (the client timeout)"
        else:
            detail = type(error).__name__
        return TransientFailure(0, "Network failure", detail)

    @staticmethod
    def _unknown(operation_id: str, cause: AccountError) -> OutcomeUnknown:
        what = cause.detail if cause.status == 0 else f"HTTP {cause.status} {cause.title}"
        if cause.title == "Unexpected answer":
            what = f"the answer could not be read ({cause.detail})"
        return OutcomeUnknown(cause.status, "Outcome unknown", f"{what}; {SECOND_EFFECT[operation_id]}", cause.type)

    def _call(self, operation_id: str, request: Callable[[], Response[Any]], expect: type[T] | None) -> T:
        """`send`, and the parsed answer of the expected type."""
        response = self.send(request, operation_id)
        if expect is None:
            return None  # type: ignore[return-value]
        if not isinstance(response.parsed, expect):
            raise AccountError(int(response.status_code), "Unexpected answer", f"not a {expect.__name__}")
        return response.parsed

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        delay: float = 0.2 * 2**attempt + random.uniform(0, 0.1)
        return min(delay, self.max_wait)

    # -- balance --------------------------------------------------------------------------------------------------

    def balance(self) -> BalanceInfo:
        """The balance (exact decimal EUR) and auto-reload flag."""
        from vonage_account_client.models import Balance

        answer = self._call("get_balance", lambda: get_balance.sync_detailed(client=self._rest), Balance)
        return BalanceInfo(_money(answer.value), bool(answer.auto_reload))

    def top_up(self, trx: str) -> None:
        """Top up with the auto-reload reference; raises AutoReloadNotEnabled or TopUpFailed when refused."""
        from vonage_account_client.models import ErrorCodeResponse

        self._call(
            "top_up", lambda: top_up.sync_detailed(client=self._rest, body=TopUpRequest(trx=trx)), ErrorCodeResponse
        )

    # -- configuration --------------------------------------------------------------------------------------------

    def settings(
        self,
        *,
        mo_callback_url: str | None = None,
        dr_callback_url: str | None = None,
        http_forward_method: str | None = None,
    ) -> WebhookSettings:
        """Read the settings, or change the webhooks given (an empty string unsets one) and the forward method.

        The answer does not echo the forward method: the service never shows it.
        """
        body = SettingsRequest()
        if mo_callback_url is not None:
            body.mo_call_back_url = mo_callback_url
        if dr_callback_url is not None:
            body.dr_call_back_url = dr_callback_url
        if http_forward_method is not None:
            body.http_forward_method = check_settings_request_http_forward_method(http_forward_method)
        answer = self._call(
            "update_settings", lambda: update_settings.sync_detailed(client=self._rest, body=body), SettingsModel
        )
        return WebhookSettings(
            mo_callback_url=answer.mo_callback_url or None,
            dr_callback_url=answer.dr_callback_url or None,
            max_outbound_request=answer.max_outbound_request,
            max_inbound_request=answer.max_inbound_request,
            max_calls_per_second=answer.max_calls_per_second,
        )

    def register_sender(self, email: str, name: str | None = None) -> RegisterSenderResponse:
        """Register an email sender for Verify V2."""
        request = RegisterSenderRequest(provider="email", value=email)
        if name:
            request.name = name
        return self._call(
            "register_sender",
            lambda: register_sender.sync_detailed(client=self._rest, body=request),
            RegisterSenderResponse,
        )

    # -- pricing --------------------------------------------------------------------------------------------------

    def country_pricing(self, country: str, service: str = "sms") -> CountryPricing:
        """A country's outbound prices."""
        return self._call(
            "get_country_pricing",
            lambda: get_country_pricing.sync_detailed(service, client=self._rest, country=country),  # type: ignore[arg-type]
            CountryPricing,
        )

    def full_pricing(self, service: str = "sms") -> PricingList:
        """Every country's outbound prices."""
        return self._call(
            "get_full_pricing",
            lambda: get_full_pricing.sync_detailed(service, client=self._rest),  # type: ignore[arg-type]
            PricingList,
        )

    def prefix_pricing(self, prefix: str, service: str = "sms") -> PricingList:
        """The prices of the countries sharing a dialling prefix."""
        return self._call(
            "get_prefix_pricing",
            lambda: get_prefix_pricing.sync_detailed(service, client=self._rest, prefix=prefix),  # type: ignore[arg-type]
            PricingList,
        )

    # -- secrets --------------------------------------------------------------------------------------------------

    def list_secrets(self, api_key: str | None = None) -> list[SecretInfo]:
        """The key's active secrets, oldest first (or those of a sub-account `api_key` this key manages)."""
        from vonage_account_client.models import SecretList

        key = api_key or self.credentials.api_key
        listed = self._call("list_secrets", lambda: list_secrets.sync_detailed(key, client=self._api), SecretList)
        return [SecretInfo(s.id, s.created_at) for s in listed.hal_embedded.secrets]

    def create_secret(self, secret: str) -> SecretInfo:
        """Add a secret; raises SecretLimitReached or InvalidSecret when refused."""
        key = self.credentials.api_key
        body = CreateSecretRequest(secret=secret)
        created = self._call(
            "create_secret", lambda: create_secret.sync_detailed(key, client=self._api, body=body), Secret
        )
        return SecretInfo(created.id, created.created_at)

    def get_secret(self, secret_id: str) -> SecretInfo:
        """One active secret."""
        key = self.credentials.api_key
        found = self._call("get_secret", lambda: get_secret.sync_detailed(key, secret_id, client=self._api), Secret)
        return SecretInfo(found.id, found.created_at)

    def revoke_secret(self, secret_id: str, api_key: str | None = None) -> None:
        """Revoke a secret (of this key, or of a sub-account `api_key` it manages); LastSecret for the only one."""
        key = api_key or self.credentials.api_key
        self._call("revoke_secret", lambda: revoke_secret.sync_detailed(key, secret_id, client=self._api), None)


def _money(value: float) -> Decimal:
    """A JSON amount as an exact decimal, shown with at least cents: 60.0 -> 60.00, 29.18202293 unchanged."""
    amount = Decimal(repr(value))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return amount


def json_body(content: bytes) -> Any:
    """An answer's JSON document, or None when it has none (or it is not JSON)."""
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
