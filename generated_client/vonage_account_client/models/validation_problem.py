from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.invalid_parameter import InvalidParameter


T = TypeVar("T", bound="ValidationProblem")


@_attrs_define
class ValidationProblem:
    """
    Attributes:
        type_ (str): A URI naming the kind of error. Example: https://developer.nexmo.com/api-errors#unauthorized.
        title (str):  Example: Unauthorized.
        detail (str):  Example: You did not provide correct credentials..
        instance (str): Trace id of this occurrence. Example: a813c536-43f6-4568-acbf-f36ef2db955a.
        invalid_parameters (list[InvalidParameter]):
    """

    type_: str
    title: str
    detail: str
    instance: str
    invalid_parameters: list[InvalidParameter]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        title = self.title

        detail = self.detail

        instance = self.instance

        invalid_parameters = []
        for invalid_parameters_item_data in self.invalid_parameters:
            invalid_parameters_item = invalid_parameters_item_data.to_dict()
            invalid_parameters.append(invalid_parameters_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
                "detail": detail,
                "instance": instance,
                "invalid_parameters": invalid_parameters,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invalid_parameter import InvalidParameter  # noqa: PLC0415

        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        detail = d.pop("detail")

        instance = d.pop("instance")

        invalid_parameters = []
        _invalid_parameters = d.pop("invalid_parameters")
        for invalid_parameters_item_data in _invalid_parameters:
            invalid_parameters_item = InvalidParameter.from_dict(invalid_parameters_item_data)

            invalid_parameters.append(invalid_parameters_item)

        validation_problem = cls(
            type_=type_,
            title=title,
            detail=detail,
            instance=instance,
            invalid_parameters=invalid_parameters,
        )

        validation_problem.additional_properties = d
        return validation_problem

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
