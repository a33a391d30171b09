from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Network")


@_attrs_define
class Network:
    """
    Attributes:
        type_ (str): Kind of network: mobile, landline, landline_premium, landline_tollfree, ... Example: mobile.
        price (str): Price per message or minute, as a decimal string. Example: 0.04140000.
        currency (str):  Example: EUR.
        network_code (str):  Example: 23410.
        network_name (str):  Example: Telefonica UK Limited.
        mcc (str | Unset):  Example: 234.
        mnc (str | Unset):  Example: 10.
        ranges (list[int] | Unset):  Example: [4477].
    """

    type_: str
    price: str
    currency: str
    network_code: str
    network_name: str
    mcc: str | Unset = UNSET
    mnc: str | Unset = UNSET
    ranges: list[int] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        price = self.price

        currency = self.currency

        network_code = self.network_code

        network_name = self.network_name

        mcc = self.mcc

        mnc = self.mnc

        ranges: list[int] | Unset = UNSET
        if not isinstance(self.ranges, Unset):
            ranges = self.ranges

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "price": price,
                "currency": currency,
                "networkCode": network_code,
                "networkName": network_name,
            }
        )
        if mcc is not UNSET:
            field_dict["mcc"] = mcc
        if mnc is not UNSET:
            field_dict["mnc"] = mnc
        if ranges is not UNSET:
            field_dict["ranges"] = ranges

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = d.pop("type")

        price = d.pop("price")

        currency = d.pop("currency")

        network_code = d.pop("networkCode")

        network_name = d.pop("networkName")

        mcc = d.pop("mcc", UNSET)

        mnc = d.pop("mnc", UNSET)

        ranges = cast(list[int], d.pop("ranges", UNSET))

        network = cls(
            type_=type_,
            price=price,
            currency=currency,
            network_code=network_code,
            network_name=network_name,
            mcc=mcc,
            mnc=mnc,
            ranges=ranges,
        )

        network.additional_properties = d
        return network

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
