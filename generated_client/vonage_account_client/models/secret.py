from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.self_links import SelfLinks


T = TypeVar("T", bound="Secret")


@_attrs_define
class Secret:
    """
    Attributes:
        hal_links (SelfLinks):
        id (str): The secret's id (a UUID). Example: ad6dc56f-07b5-46e1-a527-85530e625800.
        created_at (str): Creation time, UTC, `YYYY-MM-DDTHH:MM:SSZ`. Example: 2017-03-02T16:34:49Z.
    """

    hal_links: SelfLinks
    id: str
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hal_links = self.hal_links.to_dict()

        id = self.id

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "_links": hal_links,
                "id": id,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.self_links import SelfLinks  # noqa: PLC0415

        d = dict(src_dict)
        hal_links = SelfLinks.from_dict(d.pop("_links"))

        id = d.pop("id")

        created_at = d.pop("created_at")

        secret = cls(
            hal_links=hal_links,
            id=id,
            created_at=created_at,
        )

        secret.additional_properties = d
        return secret

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
