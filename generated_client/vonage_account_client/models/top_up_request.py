from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TopUpRequest")


@_attrs_define
class TopUpRequest:
    """
    Attributes:
        trx (str): The reference of the payment made when auto-reload was enabled. Example:
            8ef2447e69604f642ae59363aa5f781b.
    """

    trx: str

    def to_dict(self) -> dict[str, Any]:
        trx = self.trx

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "trx": trx,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        trx = d.pop("trx")

        top_up_request = cls(
            trx=trx,
        )

        return top_up_request
