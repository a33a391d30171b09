from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.register_sender_request_provider import (
    RegisterSenderRequestProvider,
    check_register_sender_request_provider,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="RegisterSenderRequest")


@_attrs_define
class RegisterSenderRequest:
    """
    Attributes:
        provider (RegisterSenderRequestProvider): The delivery method; always `email`. Example: email.
        value (str): The email address to register. Example: bob@company.com.
        name (str | Unset): An optional name for this binding. Example: my-email-link.
        application_ids (list[str] | Unset): Optional ids of further applications to attach the sender to. Example:
            ['6ec9eb7de1d34e77ac2c0ad597c9554a'].
    """

    provider: RegisterSenderRequestProvider
    value: str
    name: str | Unset = UNSET
    application_ids: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        provider: str = self.provider

        value = self.value

        name = self.name

        application_ids: list[str] | Unset = UNSET
        if not isinstance(self.application_ids, Unset):
            application_ids = self.application_ids

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "provider": provider,
                "value": value,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if application_ids is not UNSET:
            field_dict["application_ids"] = application_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        provider = check_register_sender_request_provider(d.pop("provider"))

        value = d.pop("value")

        name = d.pop("name", UNSET)

        application_ids = cast(list[str], d.pop("application_ids", UNSET))

        register_sender_request = cls(
            provider=provider,
            value=value,
            name=name,
            application_ids=application_ids,
        )

        return register_sender_request
