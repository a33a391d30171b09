from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.rest_bad_request_invalid_parameters import (
        RestBadRequestInvalidParameters,
    )


T = TypeVar("T", bound="RestBadRequest")


@_attrs_define
class RestBadRequest:
    """
    Attributes:
        type_ (str):  Example: BAD_REQUEST.
        error_title (str):  Example: Bad Request.
        invalid_parameters (RestBadRequestInvalidParameters): Each offending parameter, mapped to the reason it was
            refused. Example: {'trx': 'Is required.'}.
    """

    type_: str
    error_title: str
    invalid_parameters: RestBadRequestInvalidParameters
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        error_title = self.error_title

        invalid_parameters = self.invalid_parameters.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "error_title": error_title,
                "invalid_parameters": invalid_parameters,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rest_bad_request_invalid_parameters import (
            RestBadRequestInvalidParameters,  # noqa: PLC0415
        )

        d = dict(src_dict)
        type_ = d.pop("type")

        error_title = d.pop("error_title")

        invalid_parameters = RestBadRequestInvalidParameters.from_dict(d.pop("invalid_parameters"))

        rest_bad_request = cls(
            type_=type_,
            error_title=error_title,
            invalid_parameters=invalid_parameters,
        )

        rest_bad_request.additional_properties = d
        return rest_bad_request

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
