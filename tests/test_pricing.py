"""Pricing from the shipped dataset: by country, every country, by prefix."""

from __future__ import annotations

from vonage_account_client.api.pricing import get_country_pricing, get_full_pricing, get_prefix_pricing
from vonage_account_client.models import CountryPricing, PricingErrorResponse, PricingList, Problem

from tests.conftest import KEY, Mock


def test_country_pricing_lists_networks(mock: Mock) -> None:
    pricing = get_country_pricing.sync("sms", client=mock.client(), country="GB")
    assert isinstance(pricing, CountryPricing)
    assert (pricing.country_code, pricing.dialing_prefix, pricing.currency) == ("GB", "44", "EUR")
    assert pricing.networks and all(n.network_code and n.price for n in pricing.networks)


def test_voice_and_sms_prices_differ(mock: Mock) -> None:
    sms = get_country_pricing.sync("sms", client=mock.client(), country="DE")
    voice = get_country_pricing.sync("voice", client=mock.client(), country="DE")
    assert isinstance(sms, CountryPricing) and isinstance(voice, CountryPricing)
    assert sms.default_price != voice.default_price


def test_unknown_country_is_404_not_found(mock: Mock) -> None:
    response = get_country_pricing.sync_detailed("sms", client=mock.client(), country="ZZ")
    assert response.status_code == 404
    assert isinstance(response.parsed, Problem)
    assert response.parsed.detail == "No pricing is known for country 'ZZ'"


def test_full_pricing_covers_at_least_ten_countries(mock: Mock) -> None:
    pricing = get_full_pricing.sync("voice", client=mock.client())
    assert isinstance(pricing, PricingList)
    assert pricing.count == len(pricing.countries) >= 10
    assert any(not c.networks for c in pricing.countries), "a country without service has no networks"


def test_prefix_pricing_finds_every_country_sharing_a_prefix(mock: Mock) -> None:
    pricing = get_prefix_pricing.sync("sms", client=mock.client(), prefix="1")
    assert isinstance(pricing, PricingList)
    assert sorted(c.country_code for c in pricing.countries) == ["CA", "US"]
    longer = get_prefix_pricing.sync("sms", client=mock.client(), prefix="4477")
    assert isinstance(longer, PricingList) and [c.country_code for c in longer.countries] == ["GB"]
    none = get_prefix_pricing.sync("sms", client=mock.client(), prefix="999")
    assert isinstance(none, PricingList) and (none.count, none.countries) == (0, [])


def test_pricing_has_its_own_401_body(mock: Mock) -> None:
    get_full_pricing.sync("sms", client=mock.client())
    response = get_full_pricing.sync_detailed("sms", client=mock.client(KEY, "Wrong1secret"))
    assert response.status_code == 401
    assert response.parsed == PricingErrorResponse(code="401", error_code_label="authentication failed", currency="EUR")


def test_a_malformed_country_is_a_400(mock: Mock) -> None:
    response = get_country_pricing.sync_detailed("sms", client=mock.client(), country="gbr")
    assert response.status_code == 400
