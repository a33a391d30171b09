from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreateSecretRequest")


@_attrs_define
class CreateSecretRequest:
    """
    Attributes:
        secret (str): The new secret: 8 to 25 printable ASCII characters with at least one lower-case letter, one
            upper-case letter and one digit (ASCII classes, as the v4 SDK checks them). The service publishes
            no character set; printable ASCII is this spec's choice, since a secret travels in a Basic header.
             Example: example-4PI-secret.
    """

    secret: str

    def to_dict(self) -> dict[str, Any]:
        secret = self.secret

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "secret": secret,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        secret = d.pop("secret")

        create_secret_request = cls(
            secret=secret,
        )

        return create_secret_request
