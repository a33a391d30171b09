"""End to end: the official Vonage Python SDK v4, unmodified, against the mock over TLS."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from vonage import Auth, HttpClientOptions, Vonage
from vonage_account.requests import GetCountryPricingRequest, GetPrefixPricingRequest
from vonage_http_client.errors import AuthenticationError, ForbiddenError, NotFoundError

from vonage_account_mock import AccountSeed, AutoReload, create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.serving.tls import make_tls_files

KEY = "sdk12345"
SECRET = "SdkSecret1"
TRX = "8ef2447e69604f642ae59363aa5f781b"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedMockServer]:
    tls = make_tls_files(Path(tmp_path_factory.mktemp("tls")))
    with ThreadedMockServer(create_app(), tls=tls) as server:
        yield server


@pytest.fixture
def sdk(tls_server: ThreadedMockServer, monkeypatch: pytest.MonkeyPatch) -> Vonage:
    """An SDK client whose both hosts point at the TLS mock, trusting the mock's CA through the environment."""
    assert tls_server.tls is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.tls.ca_bundle))
    tls_server.app.control.reset(deterministic_seed=None)
    tls_server.app.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=(SECRET,),
            balance=Decimal("5.00"),
            auto_reload=AutoReload(enabled=True, trx=TRX, amount=Decimal("20.00")),
        )
    )
    return _client(tls_server, SECRET)


def _client(server: ThreadedMockServer, secret: str) -> Vonage:
    options = HttpClientOptions(api_host=server.hostport, rest_host=server.hostport, max_retries=0)
    return Vonage(Auth(api_key=KEY, api_secret=secret), options)


def test_balance_top_up_and_settings(sdk: Vonage) -> None:
    balance = sdk.account.get_balance()
    assert (balance.value, balance.auto_reload) == (5.0, True)
    assert sdk.account.top_up(TRX).error_code == "200"
    assert sdk.account.get_balance().value == 25.0
    settings = sdk.account.update_default_sms_webhook(
        mo_callback_url="https://example.com/inbound", dr_callback_url="https://example.com/receipts"
    )
    assert settings.mo_callback_url == "https://example.com/inbound"
    assert settings.dr_callback_url == "https://example.com/receipts"
    assert settings.max_calls_per_second == 30


def test_the_three_pricing_calls(sdk: Vonage) -> None:
    country = sdk.account.get_country_pricing(GetCountryPricingRequest(country_code="GB", type="sms"))
    assert country.country_code == "GB" and country.networks
    every = sdk.account.get_all_countries_pricing("voice")
    assert every.count == len(every.countries) >= 10
    prefix = sdk.account.get_prefix_pricing(GetPrefixPricingRequest(prefix="1", type="sms"))
    assert sorted(c.country_code for c in prefix.countries) == ["CA", "US"]


def test_secret_rotation_with_the_sdk(sdk: Vonage, tls_server: ThreadedMockServer) -> None:
    [original] = sdk.account.list_secrets()
    created = sdk.account.create_secret("Rotated2Secret")
    assert sdk.account.get_secret(created.id).id == created.id
    with pytest.raises(ForbiddenError) as excess:
        sdk.account.create_secret("Third3Secret")
    assert "add-excess-secret" in str(excess.value)
    rotated = _client(tls_server, "Rotated2Secret")
    rotated.account.revoke_secret(original.id)
    assert [s.id for s in rotated.account.list_secrets()] == [created.id]
    with pytest.raises(AuthenticationError):
        sdk.account.get_balance()
    with pytest.raises(ForbiddenError) as last:
        rotated.account.revoke_secret(created.id)
    assert "delete-last-secret" in str(last.value)
    with pytest.raises(NotFoundError) as missing:
        rotated.account.get_secret("07239aeb-d756-4c32-a1de-cf64f8b21827")
    assert "invalid-id" in str(missing.value)


def test_form_posts_after_a_json_call_carry_a_stale_content_type_and_still_work(sdk: Vonage) -> None:
    # After create_secret the SDK sends every later request with `Content-Type: application/json`.
    sdk.account.create_secret("Second2Secret")
    assert sdk.account.top_up(TRX).error_code == "200"
    settings = sdk.account.update_default_sms_webhook(mo_callback_url="https://example.com/after-json")
    assert settings.mo_callback_url == "https://example.com/after-json"
    [first, second] = sdk.account.list_secrets()
    sdk.account.revoke_secret(second.id)
    assert [s.id for s in sdk.account.list_secrets()] == [first.id]


def test_wrong_credentials_raise_authentication_error(tls_server: ThreadedMockServer, sdk: Vonage) -> None:
    wrong = _client(tls_server, "Wrong1Secret")
    with pytest.raises(AuthenticationError):
        wrong.account.get_balance()
    with pytest.raises(AuthenticationError) as secrets_error:
        wrong.account.list_secrets()
    assert "You did not provide correct credentials." in str(secrets_error.value)
