"""Prices, and the one rule that turns a country's prices into the price of a message in an estimate."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal

from vonage_account_client.models import CountryPricing

from vonage_account_ops.client import AccountOps

SERVICES = ("sms", "sms-transit", "voice")


@dataclass(frozen=True)
class Network:
    """One network of a country and its price."""

    code: str
    name: str
    price: Decimal


@dataclass(frozen=True)
class CountryPrices:
    """A country's outbound prices, and the price an estimate uses for one message there (`estimate_price`)."""

    country_code: str
    country_name: str
    dialing_prefix: str
    default_price: Decimal | None
    networks: tuple[Network, ...]
    answer: CountryPricing = field(repr=False, compare=False)
    """The API's answer, as the generated client parsed it."""

    @property
    def estimate_price(self) -> Decimal | None:
        """The price of one message in an estimate: the dearest of the networks' prices and the default price.

        A bulk send does not know which network each number is on, so the estimate takes the worst case; None
        when the country has no price for the service.
        """
        prices = [n.price for n in self.networks]
        if self.default_price is not None:
            prices.append(self.default_price)
        return max(prices) if prices else None


def _prices(country: CountryPricing) -> CountryPrices:
    return CountryPrices(
        country_code=country.country_code,
        country_name=country.country_name,
        dialing_prefix=country.dialing_prefix,
        default_price=Decimal(country.default_price) if country.default_price else None,
        networks=tuple(
            Network(n.network_code, n.network_name, Decimal(n.price)) for n in (country.networks or []) if n.price
        ),
        answer=country,
    )


def pricing(
    ops: AccountOps, *, country: str | None = None, prefix: str | None = None, service: str = "sms"
) -> list[CountryPrices]:
    """The prices of one country (ISO code, any case), of the countries sharing a dialling prefix, or of all."""
    if country:
        return [_prices(ops.country_pricing(country.upper(), service))]
    if prefix:
        return [_prices(c) for c in ops.prefix_pricing(prefix, service).countries]
    return [_prices(c) for c in ops.full_pricing(service).countries]


def estimate(unit_price: Decimal, messages: int, margin: Decimal) -> Decimal:
    """The cost of `messages` at `unit_price` plus a `margin` (0.10 = 10 %), rounded up to 0.0001 EUR."""
    return (unit_price * messages * (1 + margin)).quantize(Decimal("0.0001"), rounding=ROUND_UP)
