from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ErrorCodeResponse")


@_attrs_define
class ErrorCodeResponse:
    """The rest host's status document; `error-code` "200" means success.

    Attributes:
        error_code (str):  Example: 200.
        error_code_label (str):  Example: success.
    """

    error_code: str
    error_code_label: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error_code = self.error_code

        error_code_label = self.error_code_label

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error-code": error_code,
                "error-code-label": error_code_label,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error_code = d.pop("error-code")

        error_code_label = d.pop("error-code-label")

        error_code_response = cls(
            error_code=error_code,
            error_code_label=error_code_label,
        )

        error_code_response.additional_properties = d
        return error_code_response

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
