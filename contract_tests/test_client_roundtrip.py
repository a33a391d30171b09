"""Client vs mock: hypothesis-generated valid inputs of every operation go through the client and come back whole."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    Problem,
    RegisterSenderRequest,
    RegisterSenderResponse,
    Secret,
    SecretList,
    Settings,
    SettingsRequest,
    TopUpRequest,
)

from vonage_account_mock import AccountMockApp, AccountSeed, AutoReload, create_app
from vonage_account_mock.state.pricing import full_pricing
from vonage_account_mock.testing.clients import in_process_client
from vonage_account_spec import spec_path

SCHEMAS: dict[str, Any] = yaml.safe_load(spec_path().read_text())["components"]["schemas"]
KEY, SECRET, TRX = "round001", "Round1secret", "trx-round-1"
TEXT = st.characters(codec="utf-8", exclude_categories=["Cs"])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
PRICE_LIST = PricingList.from_dict(full_pricing("sms"))


def _pattern(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    # Python's `$` admits a final newline the service would not; generate what both regex dialects accept.
    return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: not s.endswith("\n"))


secrets = _pattern(SCHEMAS["CreateSecretRequest"]["properties"]["secret"]).filter(lambda s: 8 <= len(s) <= 25)
urls = _pattern(SCHEMAS["CallbackUrlInput"]).filter(lambda s: len(s) <= 2048)
senders = st.builds(
    RegisterSenderRequest,
    provider=st.just("email"),
    value=st.emails().filter(lambda e: len(e) <= 254),
    name=st.text(TEXT, max_size=40),
    application_ids=st.lists(st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=32)),
)


@pytest.fixture(scope="module")
def app() -> AccountMockApp:
    return create_app(strict=True)


@pytest.fixture
def client(app: AccountMockApp) -> Iterator[AuthenticatedClient]:
    with in_process_client(app, KEY, SECRET) as client:
        yield client


def _fresh(app: AccountMockApp, balance: str = "10.00") -> None:
    app.control.reset()
    auto_reload = AutoReload(enabled=True, trx=TRX, amount=Decimal("2.50"))
    app.backend.seed(AccountSeed(api_key=KEY, secrets=(SECRET,), balance=Decimal(balance), auto_reload=auto_reload))


@given(secret=secrets)
@SETTINGS
def test_secrets_round_trip(app: AccountMockApp, client: AuthenticatedClient, secret: str) -> None:
    _fresh(app)
    created = create_secret.sync(KEY, client=client, body=CreateSecretRequest(secret))
    assert isinstance(created, Secret)
    assert get_secret.sync(KEY, created.id, client=client) == created
    listed = list_secrets.sync(KEY, client=client)
    assert isinstance(listed, SecretList) and created in listed.hal_embedded.secrets
    with in_process_client(app, KEY, secret) as rotated:
        assert isinstance(get_balance.sync(client=rotated), Balance)
    assert revoke_secret.sync_detailed(KEY, created.id, client=client).status_code == 204
    assert isinstance(get_secret.sync(KEY, created.id, client=client), Problem)


@given(mo=urls, dr=urls)
@SETTINGS
def test_settings_round_trip(app: AccountMockApp, client: AuthenticatedClient, mo: str, dr: str) -> None:
    _fresh(app)
    answer = update_settings.sync(client=client, body=SettingsRequest(mo_call_back_url=mo, dr_callback_url=dr))
    assert isinstance(answer, Settings)
    assert (answer.mo_callback_url or "", answer.dr_callback_url or "") == (mo, dr)


@given(sender=senders)
@SETTINGS
def test_register_sender_round_trip(
    app: AccountMockApp, client: AuthenticatedClient, sender: RegisterSenderRequest
) -> None:
    _fresh(app)
    echoed = register_sender.sync(client=client, body=sender)
    assert isinstance(echoed, RegisterSenderResponse)
    assert (echoed.provider, echoed.value) == (sender.provider, sender.value)
    assert (echoed.name or "") == (sender.name or "")
    assert (echoed.application_ids or []) == (sender.application_ids or [])


@given(trx=st.text(TEXT, min_size=1, max_size=64), wrong=st.text(TEXT, min_size=1, max_size=64))
@SETTINGS
def test_top_up_round_trip(app: AccountMockApp, client: AuthenticatedClient, trx: str, wrong: str) -> None:
    # The account's reference is the generated one, so every example reaches both answers: refused, then accepted.
    app.control.reset()
    auto_reload = AutoReload(enabled=True, trx=trx, amount=Decimal("2.50"))
    app.backend.seed(AccountSeed(api_key=KEY, secrets=(SECRET,), balance=Decimal("1.00"), auto_reload=auto_reload))
    if wrong != trx:
        refused = top_up.sync(client=client, body=TopUpRequest(trx=wrong))
        assert isinstance(refused, ErrorCodeResponse)
        assert (refused.error_code, refused.error_code_label) == ("420", "topup failed")
        assert get_balance.sync(client=client) == Balance(value=1.0, auto_reload=True)
    answer = top_up.sync(client=client, body=TopUpRequest(trx=trx))
    assert isinstance(answer, ErrorCodeResponse)
    assert (answer.error_code, answer.error_code_label) == ("200", "success")
    assert get_balance.sync(client=client) == Balance(value=3.5, auto_reload=True)


# Half the examples from the shipped price list (so the answers carry real networks), half anything well-formed.
KNOWN = {country.country_code: country for country in PRICE_LIST.countries}
countries = st.one_of(st.sampled_from(sorted(KNOWN)), st.from_regex(r"[A-Z]{2}", fullmatch=True))
prefixes = st.one_of(
    st.sampled_from(sorted({c.dialing_prefix for c in KNOWN.values()})),
    st.from_regex(r"[1-9][0-9]{0,5}", fullmatch=True),
)


@given(country=countries, prefix=prefixes)
@SETTINGS
def test_pricing_round_trip(app: AccountMockApp, client: AuthenticatedClient, country: str, prefix: str) -> None:
    _fresh(app)
    one = get_country_pricing.sync("sms", client=client, country=country)
    if country in KNOWN:
        assert isinstance(one, CountryPricing) and one == KNOWN[country]
    else:
        assert isinstance(one, Problem) and one.type_.endswith("#not-found"), one
    by_prefix = get_prefix_pricing.sync("voice", client=client, prefix=prefix)
    assert isinstance(by_prefix, PricingList)
    expected = sorted(
        c.country_code
        for c in KNOWN.values()
        if c.dialing_prefix.startswith(prefix) or prefix.startswith(c.dialing_prefix)
    )
    assert sorted(c.country_code for c in by_prefix.countries) == expected
    every = get_full_pricing.sync("sms-transit", client=client)
    assert isinstance(every, PricingList) and every.count == len(every.countries) == len(KNOWN)
