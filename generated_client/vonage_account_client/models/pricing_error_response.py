from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PricingErrorResponse")


@_attrs_define
class PricingErrorResponse:
    """
    Attributes:
        code (str):  Example: 401.
        error_code_label (str):  Example: authentication failed.
        currency (str | Unset):  Example: EUR.
    """

    code: str
    error_code_label: str
    currency: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        error_code_label = self.error_code_label

        currency = self.currency

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "error-code-label": error_code_label,
            }
        )
        if currency is not UNSET:
            field_dict["currency"] = currency

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        error_code_label = d.pop("error-code-label")

        currency = d.pop("currency", UNSET)

        pricing_error_response = cls(
            code=code,
            error_code_label=error_code_label,
            currency=currency,
        )

        pricing_error_response.additional_properties = d
        return pricing_error_response

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
