"""The shipped outbound price list and its look-ups (by country, every country, by dialling prefix)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from vonage_account_mock.state.exceptions import PricingNotFound

# sms-transit is priced like sms in the sample data.
_DATASET_SERVICE = {"sms": "sms", "sms-transit": "sms", "voice": "voice"}


@cache
def _countries() -> tuple[dict[str, Any], ...]:
    text = resources.files("vonage_account_mock.state").joinpath("data/pricing.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["countries"])


def _document(country: dict[str, Any], service: str) -> dict[str, Any]:
    """One country's pricing for a service, in the API's shape (no price fields when not sold)."""
    document = {
        "countryCode": country["countryCode"],
        "countryName": country["countryName"],
        "countryDisplayName": country["countryDisplayName"],
        "currency": "EUR",
        "dialingPrefix": country["dialingPrefix"],
    }
    prices = country["services"].get(_DATASET_SERVICE[service])
    if prices is not None:
        document["defaultPrice"] = prices["defaultPrice"]
        document["networks"] = [dict(network) for network in prices["networks"]]
    return document


def country_pricing(service: str, country_code: str) -> dict[str, Any]:
    """The pricing of one country (PricingNotFound when it is not in the dataset)."""
    for country in _countries():
        if country["countryCode"] == country_code:
            return _document(country, service)
    raise PricingNotFound(country_code)


def full_pricing(service: str) -> dict[str, Any]:
    """The pricing of every country in the dataset."""
    countries = [_document(country, service) for country in _countries()]
    return {"count": len(countries), "countries": countries}


def prefix_pricing(service: str, prefix: str) -> dict[str, Any]:
    """Countries whose dialling prefix matches: `44` finds GB, `4477` finds GB too, `1` finds US and CA."""
    countries = [
        _document(country, service)
        for country in _countries()
        if prefix.startswith(country["dialingPrefix"]) or country["dialingPrefix"].startswith(prefix)
    ]
    return {"count": len(countries), "countries": countries}
