from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.secret_list_embedded import SecretListEmbedded
    from ..models.self_links import SelfLinks


T = TypeVar("T", bound="SecretList")


@_attrs_define
class SecretList:
    """
    Attributes:
        hal_links (SelfLinks):
        hal_embedded (SecretListEmbedded):
    """

    hal_links: SelfLinks
    hal_embedded: SecretListEmbedded
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hal_links = self.hal_links.to_dict()

        hal_embedded = self.hal_embedded.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "_links": hal_links,
                "_embedded": hal_embedded,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.secret_list_embedded import SecretListEmbedded  # noqa: PLC0415
        from ..models.self_links import SelfLinks  # noqa: PLC0415

        d = dict(src_dict)
        hal_links = SelfLinks.from_dict(d.pop("_links"))

        hal_embedded = SecretListEmbedded.from_dict(d.pop("_embedded"))

        secret_list = cls(
            hal_links=hal_links,
            hal_embedded=hal_embedded,
        )

        secret_list.additional_properties = d
        return secret_list

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
