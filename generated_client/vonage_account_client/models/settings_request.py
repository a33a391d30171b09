from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.settings_request_http_forward_method import (
    SettingsRequestHttpForwardMethod,
    check_settings_request_http_forward_method,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="SettingsRequest")


@_attrs_define
class SettingsRequest:
    """
    Attributes:
        mo_call_back_url (str | Unset): An http(s) webhook URL in printable ASCII (non-ASCII characters percent-
            encoded), or an empty string
            to unset the value.
             Example: https://example.com/webhooks/inbound-sms.
        dr_call_back_url (str | Unset): An http(s) webhook URL in printable ASCII (non-ASCII characters percent-
            encoded), or an empty string
            to unset the value.
             Example: https://example.com/webhooks/inbound-sms.
        mo_callback_url (str | Unset): An http(s) webhook URL in printable ASCII (non-ASCII characters percent-encoded),
            or an empty string
            to unset the value.
             Example: https://example.com/webhooks/inbound-sms.
        dr_callback_url (str | Unset): An http(s) webhook URL in printable ASCII (non-ASCII characters percent-encoded),
            or an empty string
            to unset the value.
             Example: https://example.com/webhooks/inbound-sms.
        http_forward_method (SettingsRequestHttpForwardMethod | Unset): How inbound messages are forwarded to the
            webhook. Example: POST_QUERY_PARAMS.
    """

    mo_call_back_url: str | Unset = UNSET
    dr_call_back_url: str | Unset = UNSET
    mo_callback_url: str | Unset = UNSET
    dr_callback_url: str | Unset = UNSET
    http_forward_method: SettingsRequestHttpForwardMethod | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        mo_call_back_url = self.mo_call_back_url

        dr_call_back_url = self.dr_call_back_url

        mo_callback_url = self.mo_callback_url

        dr_callback_url = self.dr_callback_url

        http_forward_method: str | Unset = UNSET
        if not isinstance(self.http_forward_method, Unset):
            http_forward_method = self.http_forward_method

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if mo_call_back_url is not UNSET:
            field_dict["moCallBackUrl"] = mo_call_back_url
        if dr_call_back_url is not UNSET:
            field_dict["drCallBackUrl"] = dr_call_back_url
        if mo_callback_url is not UNSET:
            field_dict["moCallbackUrl"] = mo_callback_url
        if dr_callback_url is not UNSET:
            field_dict["drCallbackUrl"] = dr_callback_url
        if http_forward_method is not UNSET:
            field_dict["httpForwardMethod"] = http_forward_method

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        mo_call_back_url = d.pop("moCallBackUrl", UNSET)

        dr_call_back_url = d.pop("drCallBackUrl", UNSET)

        mo_callback_url = d.pop("moCallbackUrl", UNSET)

        dr_callback_url = d.pop("drCallbackUrl", UNSET)

        _http_forward_method = d.pop("httpForwardMethod", UNSET)
        http_forward_method: SettingsRequestHttpForwardMethod | Unset
        if isinstance(_http_forward_method, Unset):
            http_forward_method = UNSET
        else:
            http_forward_method = check_settings_request_http_forward_method(_http_forward_method)

        settings_request = cls(
            mo_call_back_url=mo_call_back_url,
            dr_call_back_url=dr_call_back_url,
            mo_callback_url=mo_callback_url,
            dr_callback_url=dr_callback_url,
            http_forward_method=http_forward_method,
        )

        return settings_request
