"""The generated client calls every operation against a local server, authenticating through `httpx_args`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from vonage_account_client import AuthenticatedClient
from vonage_account_client.api.balance import get_balance, top_up
from vonage_account_client.api.configuration import register_sender, update_settings
from vonage_account_client.api.pricing import get_country_pricing, get_full_pricing, get_prefix_pricing
from vonage_account_client.api.secret_management import create_secret, get_secret, list_secrets, revoke_secret
from vonage_account_client.models import (
    Balance,
    CountryPricing,
    CreateSecretRequest,
    ErrorCodeResponse,
    PricingList,
    RegisterSenderRequest,
    RegisterSenderResponse,
    Secret,
    SecretList,
    Settings,
    SettingsRequest,
    TopUpRequest,
)

from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_ops import AccountOps, AuthenticationFailed, Credentials

KEY = "client01"
SECRET = "Client1secret"


@pytest.fixture
def server(threaded_server: ThreadedMockServer) -> ThreadedMockServer:
    threaded_server.app.control.reset(deterministic_seed=None)
    return threaded_server


@pytest.fixture
def basic(server: ThreadedMockServer) -> Iterator[AuthenticatedClient]:
    """Basic auth, through httpx's own `auth`."""
    with AuthenticatedClient(base_url=server.url, token="", prefix="", httpx_args={"auth": (KEY, SECRET)}) as client:
        yield client


@pytest.fixture
def query_pair(server: ThreadedMockServer) -> Iterator[AuthenticatedClient]:
    """The legacy `api_key` + `api_secret` query pair, through httpx's default `params`."""
    params = {"api_key": KEY, "api_secret": SECRET}
    with AuthenticatedClient(base_url=server.url, token="", prefix="", httpx_args={"params": params}) as client:
        yield client


@pytest.mark.parametrize("auth", ["basic", "query_pair"])
def test_every_rest_host_operation(auth: str, request: pytest.FixtureRequest) -> None:
    client: AuthenticatedClient = request.getfixturevalue(auth)
    assert isinstance(get_balance.sync(client=client), Balance)
    refused = top_up.sync(client=client, body=TopUpRequest(trx="no-reload"))
    assert refused == ErrorCodeResponse(error_code="401", error_code_label="not auto-reload enabled")
    settings = update_settings.sync(client=client, body=SettingsRequest(dr_call_back_url="https://example.com/dr"))
    assert isinstance(settings, Settings) and settings.dr_callback_url == "https://example.com/dr"
    sender = register_sender.sync(client=client, body=RegisterSenderRequest(provider="email", value="a@example.com"))
    assert sender == RegisterSenderResponse(provider="email", value="a@example.com")
    assert isinstance(get_country_pricing.sync("sms", client=client, country="FR"), CountryPricing)
    assert isinstance(get_full_pricing.sync("sms-transit", client=client), PricingList)
    assert isinstance(get_prefix_pricing.sync("voice", client=client, prefix="33"), PricingList)


def test_every_secrets_operation(basic: AuthenticatedClient) -> None:
    listed = list_secrets.sync(KEY, client=basic)
    assert isinstance(listed, SecretList)
    created = create_secret.sync(KEY, client=basic, body=CreateSecretRequest(secret="Second2secret"))
    assert isinstance(created, Secret)
    assert get_secret.sync(KEY, created.id, client=basic) == created
    assert revoke_secret.sync_detailed(KEY, created.id, client=basic).status_code == 204


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"currency": "EUR", "code": "401", "error-code-label": "authentication failed"}, "PricingErrorResponse"),
        ({"error-code": "401", "error-code-label": "authentication failed"}, "ErrorCodeResponse"),
    ],
)
def test_a_pricing_401_parses_in_either_shape_the_service_answers(document: dict[str, str], expected: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=document)

    transport = httpx.MockTransport(answer)
    client = AuthenticatedClient(base_url="https://rest.test", token="", httpx_args={"transport": transport})
    parsed = get_country_pricing.sync("sms", client=client, country="GB")
    assert type(parsed).__name__ == expected
    assert parsed.to_dict() == document  # type: ignore[union-attr]
    with AccountOps(
        Credentials("abcd1234", "Initial1secret"), rest_url="https://rest.test", transport=transport
    ) as ops:
        with pytest.raises(AuthenticationFailed, match="authentication failed"):
            ops.country_pricing("GB")
