from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.country_pricing import CountryPricing


T = TypeVar("T", bound="PricingList")


@_attrs_define
class PricingList:
    """
    Attributes:
        count (int):  Example: 1.
        countries (list[CountryPricing]):
    """

    count: int
    countries: list[CountryPricing]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        countries = []
        for countries_item_data in self.countries:
            countries_item = countries_item_data.to_dict()
            countries.append(countries_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "countries": countries,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.country_pricing import CountryPricing  # noqa: PLC0415

        d = dict(src_dict)
        count = d.pop("count")

        countries = []
        _countries = d.pop("countries")
        for countries_item_data in _countries:
            countries_item = CountryPricing.from_dict(countries_item_data)

            countries.append(countries_item)

        pricing_list = cls(
            count=count,
            countries=countries,
        )

        pricing_list.additional_properties = d
        return pricing_list

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
