from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Settings")


@_attrs_define
class Settings:
    """
    Attributes:
        max_outbound_request (int): Maximum outbound messages per second. Example: 30.
        max_inbound_request (int): Maximum inbound messages per second. Example: 30.
        max_calls_per_second (int): Maximum API calls per second. Example: 30.
        mo_callback_url (str | Unset): The default inbound-SMS webhook (absent when unset). Example:
            https://example.com/webhooks/inbound-sms.
        dr_callback_url (str | Unset): The default delivery-receipt webhook (absent when unset). Example:
            https://example.com/webhooks/delivery-receipt.
    """

    max_outbound_request: int
    max_inbound_request: int
    max_calls_per_second: int
    mo_callback_url: str | Unset = UNSET
    dr_callback_url: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_outbound_request = self.max_outbound_request

        max_inbound_request = self.max_inbound_request

        max_calls_per_second = self.max_calls_per_second

        mo_callback_url = self.mo_callback_url

        dr_callback_url = self.dr_callback_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "max-outbound-request": max_outbound_request,
                "max-inbound-request": max_inbound_request,
                "max-calls-per-second": max_calls_per_second,
            }
        )
        if mo_callback_url is not UNSET:
            field_dict["mo-callback-url"] = mo_callback_url
        if dr_callback_url is not UNSET:
            field_dict["dr-callback-url"] = dr_callback_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_outbound_request = d.pop("max-outbound-request")

        max_inbound_request = d.pop("max-inbound-request")

        max_calls_per_second = d.pop("max-calls-per-second")

        mo_callback_url = d.pop("mo-callback-url", UNSET)

        dr_callback_url = d.pop("dr-callback-url", UNSET)

        settings = cls(
            max_outbound_request=max_outbound_request,
            max_inbound_request=max_inbound_request,
            max_calls_per_second=max_calls_per_second,
            mo_callback_url=mo_callback_url,
            dr_callback_url=dr_callback_url,
        )

        settings.additional_properties = d
        return settings

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
