from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.network import Network


T = TypeVar("T", bound="CountryPricing")


@_attrs_define
class CountryPricing:
    """
    Attributes:
        country_code (str):  Example: GB.
        country_name (str):  Example: United Kingdom.
        country_display_name (str):  Example: United Kingdom.
        currency (str):  Example: EUR.
        dialing_prefix (str):  Example: 44.
        default_price (str | Unset): The price on a network not listed, as a decimal string (absent when not sold).
            Example: 0.04140000.
        networks (list[Network] | Unset):
    """

    country_code: str
    country_name: str
    country_display_name: str
    currency: str
    dialing_prefix: str
    default_price: str | Unset = UNSET
    networks: list[Network] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        country_code = self.country_code

        country_name = self.country_name

        country_display_name = self.country_display_name

        currency = self.currency

        dialing_prefix = self.dialing_prefix

        default_price = self.default_price

        networks: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.networks, Unset):
            networks = []
            for networks_item_data in self.networks:
                networks_item = networks_item_data.to_dict()
                networks.append(networks_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "countryCode": country_code,
                "countryName": country_name,
                "countryDisplayName": country_display_name,
                "currency": currency,
                "dialingPrefix": dialing_prefix,
            }
        )
        if default_price is not UNSET:
            field_dict["defaultPrice"] = default_price
        if networks is not UNSET:
            field_dict["networks"] = networks

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.network import Network  # noqa: PLC0415

        d = dict(src_dict)
        country_code = d.pop("countryCode")

        country_name = d.pop("countryName")

        country_display_name = d.pop("countryDisplayName")

        currency = d.pop("currency")

        dialing_prefix = d.pop("dialingPrefix")

        default_price = d.pop("defaultPrice", UNSET)

        _networks = d.pop("networks", UNSET)
        networks: list[Network] | Unset = UNSET
        if _networks is not UNSET:
            networks = []
            for networks_item_data in _networks:
                networks_item = Network.from_dict(networks_item_data)

                networks.append(networks_item)

        country_pricing = cls(
            country_code=country_code,
            country_name=country_name,
            country_display_name=country_display_name,
            currency=currency,
            dialing_prefix=dialing_prefix,
            default_price=default_price,
            networks=networks,
        )

        country_pricing.additional_properties = d
        return country_pricing

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
